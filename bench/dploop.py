"""Shared helpers of the data-plane benchmarks (public API of micronf.dataplane only).

The benchmarks measure *closed loops*: K packets circulate through a chain of
uNFs whose last egress feeds the first ingress again, so every uNF always has
work and no packet generator competes for this machine's two cores. Each
measurement window reads the shared-memory counters before and after: the
chain's throughput is what its first uNF read per second, and the cycles per
packet are every uNF's busy TSC cycles (dequeue + processors + enqueue, on
non-empty bursts only) per packet through the chain.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import struct
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from micronf.dataplane import (
    Egress,
    Ingress,
    Runtime,
    Scheduling,
    Stage,
    UnfProcess,
    UnfSpec,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def frame(i: int, size: int = 64) -> bytes:
    """An Ethernet/IPv4/UDP frame of ``size`` bytes (flow i), TTL 64, valid checksum."""
    payload = size - 14 - 20 - 8
    ip = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + 8 + payload,
            i & 0xFFFF,
            0,
            64,
            17,
            0,
            bytes([10, 0, (i >> 8) & 0xFF, i & 0xFF]),
            bytes([10, 1, 0, 1]),
        )
    )
    s = sum(struct.unpack("!10H", bytes(ip)))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xFFFF)
    udp = struct.pack("!HHHH", 1024 + i % 60000, 9, 8 + payload, 0)
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return eth + bytes(ip) + udp + b"\0" * payload


@dataclass
class Loop:
    """One closed loop of uNFs on a runtime."""

    unfs: list[UnfProcess]
    rings: list[str]


def start_loop(
    rt: Runtime,
    name: str,
    stages: Sequence[Sequence[str]],
    cpus: Sequence[int],
    *,
    packets: int = 1024,
    size: int = 64,
    scheduling: Scheduling | None = None,
    ring_size: int = 2048,
    params: dict[str, dict[str, tuple[str, ...]]] | None = None,
) -> Loop:
    """uNF i runs the processor classes stages[i] (several: fused) on cpus[i];
    ring i feeds uNF i, the last uNF feeds ring 0; K packets are injected."""
    n = len(stages)
    rings = [f"{name}-r{i}" for i in range(n)]
    for r in rings:
        rt.create_ring(r, ring_size)
    # Packets go in before any uNF runs: the primary would otherwise be a
    # second producer on ring 0, which is single-producer.
    for start in range(0, packets, 256):
        rt.inject(rings[0], [frame(j, size) for j in range(start, min(packets, start + 256))])
    sched = scheduling or Scheduling(deadline_s=600)
    unfs = []
    for i in reversed(range(n)):
        unfs.append(
            rt.start_unf(
                UnfSpec(
                    f"{name}-u{i}",
                    tuple(Stage(c, (params or {}).get(c, {})) for c in stages[i]),
                    Ingress.from_ring(rings[i]),
                    (Egress.to_ring("next", rings[(i + 1) % n]),),
                    cpu=cpus[i],
                    scheduling=sched,
                )
            )
        )
    unfs.reverse()
    return Loop(unfs, rings)


def stop_loop(rt: Runtime, loop: Loop) -> None:
    for u in loop.unfs:
        rt.stop_unf(u)
    for r in loop.rings:
        rt.free_ring(r)


def cpu_ns(pid: int) -> int:
    """CPU time a process has run, all its threads, in ns (/proc/PID/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


@dataclass(frozen=True)
class Window:
    pps: float  # packets per wall-clock second through all loops
    pps_per_cpu: float  # packets per CPU-second the loops' processes ran
    cycles: float  # busy cycles per packet through a loop


def measure(rt: Runtime, loops: Sequence[Loop], seconds: float) -> Window:
    """One window. This machine is shared: wall-clock rates count the CPU share
    the loops got, so rates per CPU-second the loops' processes actually ran
    (context switches and yields included) are what compare configurations."""

    def snap() -> tuple[int, int, int]:
        rx = busy = cpu = 0
        for lp in loops:
            rx += rt.counters(lp.unfs[0]).rx
            busy += sum(rt.counters(u).busy_cycles for u in lp.unfs)
            cpu += sum(cpu_ns(u.pid) for u in lp.unfs)
        return rx, busy, cpu

    rx0, b0, c0 = snap()
    t0 = time.monotonic()
    time.sleep(seconds)
    rx1, b1, c1 = snap()
    dt = time.monotonic() - t0
    pkts = rx1 - rx0
    return Window(
        pkts / dt,
        pkts / ((c1 - c0) / 1e9) if c1 > c0 else float("nan"),
        (b1 - b0) / pkts if pkts else float("nan"),
    )


def spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dpdk = subprocess.run(
        ["pkg-config", "--modversion", "libdpdk"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "dpdk": dpdk,
    }


def write(name: str, result: dict[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
