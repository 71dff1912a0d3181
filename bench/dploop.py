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
import math
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
    stages: Sequence[Sequence[str | Stage]],
    cpus: Sequence[int],
    *,
    packets: int = 1024,
    size: int = 64,
    scheduling: Scheduling | None = None,
    ring_size: int = 2048,
    params: dict[str, dict[str, tuple[str, ...]]] | None = None,
) -> Loop:
    """uNF i runs the processor classes stages[i] (several: fused) on cpus[i];
    ring i feeds uNF i, the last uNF feeds ring 0; K packets are injected.
    A stage is a class name (its parameters from ``params``) or a Stage."""
    n = len(stages)
    rings = [f"{name}-r{i}" for i in range(n)]
    for r in rings:
        rt.create_ring(r, ring_size)
    # Packets go in before any uNF runs: the primary would otherwise be a
    # second producer on ring 0, which is single-producer.
    inject(rt, rings[0], packets, size)
    sched = scheduling or Scheduling(deadline_s=600)
    unfs = []
    for i in reversed(range(n)):
        unfs.append(
            rt.start_unf(
                UnfSpec(
                    f"{name}-u{i}",
                    tuple(
                        c if isinstance(c, Stage) else Stage(c, (params or {}).get(c, {}))
                        for c in stages[i]
                    ),
                    Ingress.from_ring(rings[i]),
                    (Egress.to_ring("next", rings[(i + 1) % n]),),
                    cpu=cpus[i],
                    scheduling=sched,
                )
            )
        )
    unfs.reverse()
    return Loop(unfs, rings)


def inject(rt: Runtime, ring: str, packets: int, size: int = 64) -> None:
    """K frames of ``size`` bytes onto a ring (before any uNF reads or writes it)."""
    for start in range(0, packets, 256):
        rt.inject(ring, [frame(j, size) for j in range(start, min(packets, start + 256))])


def stop_loop(rt: Runtime, loop: Loop) -> None:
    # A uNF under SCHED_FIFO that never yields (fig5) would keep the others of
    # its core from seeing their stop flag: every one is back under CFS first.
    for u in loop.unfs:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(u.pid, os.SCHED_OTHER, os.sched_param(0))
    for u in loop.unfs:
        rt.stop_unf(u)
    for r in loop.rings:
        rt.free_ring(r)


def control_off(cpu: int) -> None:
    """Keep this process (the primary, Python) off the measured core ``cpu``:
    it sleeps during a window, but its start-ups and reads would land there."""
    others = os.sched_getaffinity(0) - {cpu}
    if others:
        os.sched_setaffinity(0, others)


def context_switches(pids: Sequence[int]) -> int:
    """Context switches away from the processes' main threads so far, both kinds
    (a sched_yield that hands the core over counts as involuntary, like a
    preemption), from /proc/PID/status."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if "ctxt_switches:" in line:
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages (this machine is shared)."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# -- latency (bench/fig8_parallel.py, bench/fig9_chain_length.py) ------------
#
# The test processor TestLatency (dataplane/src/test_processors.c) reads a TSC
# stamp from the packet at the chain's exit, counts now - stamp in a log
# histogram (four linear sub-buckets per octave: bucket(x) = 4*floor(log2 x) +
# the two bits after the leading one) and stamps the packet again as it
# leaves, so that in a closed loop each packet's latency is one full pass
# through the chain, from entering the first uNF's ring to leaving the last.
# A processor has 16 counters (packets, cycles, 14 buckets), so PROBES probes
# with staggered ranges make one histogram of 12 * PROBES buckets.

LAT_FROM = 36  # bucket 36 = [512, 640) cycles; below 640 is the underflow bin
PROBES = 5  # 60 buckets: 640 cycles .. 21 M cycles (8 ms at 2.6 GHz), then overflow
STAMP_OFFSET = 48  # in the UDP payload of the 64-byte frames of frame()


def latency_stages() -> list[Stage]:
    """The probes to fuse at the end of the chain's last uNF (the last restamps)."""
    return [
        Stage(
            f"TestLatency{k + 1}",
            {
                "from": (str(LAT_FROM + 12 * k),),
                "restamp": ("1" if k == PROBES - 1 else "0",),
                "offset": (str(STAMP_OFFSET),),
            },
        )
        for k in range(PROBES)
    ]


def bucket_bounds(g: int) -> tuple[float, float]:
    """[low, high) in cycles of histogram bucket g (g >= 8)."""
    e, f = divmod(g, 4)
    return 2.0**e * (1 + f / 4), 2.0**e * (1 + (f + 1) / 4)


@dataclass(frozen=True)
class LatencySnap:
    packets: int
    cycles: int
    bins: tuple[int, ...]  # underflow, buckets LAT_FROM+1 .. LAT_FROM+12*PROBES, overflow

    def __sub__(self, other: LatencySnap) -> LatencySnap:
        return LatencySnap(
            self.packets - other.packets,
            self.cycles - other.cycles,
            tuple(a - b for a, b in zip(self.bins, other.bins, strict=True)),
        )

    def __add__(self, other: LatencySnap) -> LatencySnap:
        return LatencySnap(
            self.packets + other.packets,
            self.cycles + other.cycles,
            tuple(a + b for a, b in zip(self.bins, other.bins, strict=True)),
        )

    @property
    def mean(self) -> float:
        return self.cycles / self.packets if self.packets else float("nan")


def latency_snap(rt: Runtime, unf: UnfProcess) -> LatencySnap:
    """The probes' counters of the chain's last uNF, as one histogram."""
    proc = rt.counters(unf).processor
    rows = [proc[f"TestLatency{k + 1}"] for k in range(PROBES)]
    bins = [rows[0]["b0"]]
    for row in rows:
        bins.extend(row[f"b{j}"] for j in range(1, 13))
    bins.append(rows[-1]["b13"])
    return LatencySnap(rows[0]["packets"], rows[0]["cycles"], tuple(bins))


def latency_window(rt: Runtime, loop: Loop, seconds: float) -> tuple[Window, LatencySnap]:
    """One window of a loop whose last uNF ends with latency_stages(): its
    throughput (see measure) and the histogram of the packets that left it."""
    give_up = time.monotonic() + PATIENCE_S
    while True:  # again while nothing left the chain (see measure_some)
        before = latency_snap(rt, loop.unfs[-1])
        window = measure(rt, [loop], seconds)
        snap = latency_snap(rt, loop.unfs[-1]) - before
        if (snap.packets and window.pps) or time.monotonic() > give_up:
            return window, snap


def latency_row(
    snap: LatencySnap,
    hz: float,
    means: Sequence[float],
    little: Sequence[float],
    polls: Sequence[float],
) -> dict[str, Any]:
    """One latency table cell (fig8, fig9): the spread of the windows' means and
    of Little's-law estimates (us), the pooled percentiles, the share of packets
    slower than 1 ms, and empty polls per pass."""

    def us(q: float) -> float:
        return round(percentile(snap, q) / hz * 1e6, 2)

    def rounded(values: Sequence[float]) -> dict[str, float]:
        return {k: round(v, 2) if k != "runs" else v for k, v in spread(values).items()}

    return {
        "mean_us": rounded(means),
        "p5_us": us(5),
        "p50_us": us(50),
        "p95_us": us(95),
        "p99_us": us(99),
        # packets slower than 1 ms: a neighbour's time slice on a shared core
        "share_over_1ms": round(share_above(snap, hz / 1000), 4),
        "little_us": rounded(little),
        "empty_polls_per_pass": round(spread(polls)["median"], 1),
        "packets_measured": snap.packets,
    }


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys against xs (0 when xs do not vary)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def bin_bounds() -> list[tuple[float, float]]:
    top = LAT_FROM + 12 * PROBES
    return (
        [(0.0, bucket_bounds(LAT_FROM + 1)[0])]
        + [bucket_bounds(g) for g in range(LAT_FROM + 1, top + 1)]
        + [(bucket_bounds(top + 1)[0], float("inf"))]
    )


def share_above(snap: LatencySnap, cycles: float) -> float:
    """The share of packets slower than ``cycles`` (at bucket resolution)."""
    total = sum(snap.bins)
    if total == 0:
        return float("nan")
    return (
        sum(n for (lo, _), n in zip(bin_bounds(), snap.bins, strict=True) if lo >= cycles) / total
    )


def percentile(snap: LatencySnap, q: float) -> float:
    """The q-th percentile (0..100) in cycles, linear within a bucket; a value
    in the overflow bin is reported as that bin's lower bound."""
    total = sum(snap.bins)
    if total == 0:
        return float("nan")
    want = q / 100 * total
    seen = 0.0
    for (lo, hi), n in zip(bin_bounds(), snap.bins, strict=True):
        if n and seen + n >= want:
            if hi == float("inf"):
                return lo
            return lo + (hi - lo) * (want - seen) / n
        seen += n
    return bin_bounds()[-1][0]


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
    #: polls of an empty ingress (each followed by a yield when the uNF yields
    #: when idle) per packet through a loop: the turns a shared core wasted
    empty_polls: float = float("nan")


def measure(rt: Runtime, loops: Sequence[Loop], seconds: float) -> Window:
    """One window. This machine is shared: wall-clock rates count the CPU share
    the loops got, so rates per CPU-second the loops' processes actually ran
    (context switches and yields included) are what compare configurations."""

    def snap() -> tuple[int, int, int, int]:
        rx = busy = cpu = idle = 0
        for lp in loops:
            rx += rt.counters(lp.unfs[0]).rx
            counters = [rt.counters(u) for u in lp.unfs]
            busy += sum(c.busy_cycles for c in counters)
            idle += sum(c.idle_polls for c in counters)
            cpu += sum(cpu_ns(u.pid) for u in lp.unfs)
        return rx, busy, cpu, idle

    rx0, b0, c0, i0 = snap()
    t0 = time.monotonic()
    time.sleep(seconds)
    rx1, b1, c1, i1 = snap()
    dt = time.monotonic() - t0
    pkts = rx1 - rx0
    return Window(
        pkts / dt,
        pkts / ((c1 - c0) / 1e9) if c1 > c0 else float("nan"),
        (b1 - b0) / pkts if pkts else float("nan"),
        (i1 - i0) / pkts if pkts else float("nan"),
    )


#: How long a window is tried again while the measured processes get no CPU.
PATIENCE_S = 5.0


def measure_some(rt: Runtime, loops: Sequence[Loop], seconds: float) -> Window:
    """measure(), again (for up to PATIENCE_S) while the loops' processes got
    no CPU time or moved no packet in the window: a real-time task elsewhere on
    this shared machine (a SCHED_FIFO uNF of another test run) held the core."""
    give_up = time.monotonic() + PATIENCE_S
    w = measure(rt, loops, seconds)
    while (not math.isfinite(w.pps_per_cpu) or w.pps == 0) and time.monotonic() < give_up:
        w = measure(rt, loops, seconds)
    return w


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of the runs. A window in which the measured
    processes got no CPU time at all (a neighbour's real-time task held the
    core) has no rate: it is left out and counted as ``discarded``."""
    good = [v for v in values if math.isfinite(v)]
    out = {
        "median": statistics.median(good) if good else float("nan"),
        "min": min(good) if good else float("nan"),
        "max": max(good) if good else float("nan"),
        "runs": len(good),
    }
    if len(good) < len(values):
        out["discarded"] = len(values) - len(good)
    return out


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


def _json_safe(value: Any) -> Any:
    """NaN and infinities (a rate of a window that moved nothing) as null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write(name: str, result: dict[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(_json_safe(result), indent=2) + "\n")
    return path
