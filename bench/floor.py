#!/usr/bin/env python3
"""Benchmark: the cost floor, DPDK's ``dpdk-testpmd --forward-mode=macswap``
beside one micronf MacSwapper uNF on the same virtual device and core.

Both forward 64-byte packets from a ``net_null`` port back to it (testpmd with
``--port-topology=loop``; the uNF with that port as ingress and egress), one
forwarding core (CPU 1) each, so the device allocates and frees every mbuf
on both sides. testpmd's rate is its own ``Rx-pps`` (``--stats-period 1``,
median of the last seconds); the uNF's is its rx counter over a window. Runs
alternate, R rounds, so that load from elsewhere falls on both alike. The
headline ``unf_over_testpmd`` is uNF / testpmd packets per second per core
(goal >= 0.8). Writes bench/results/floor.json and .png.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from dploop import RESULTS, cpu_ns, machine, spread, write

from micronf.dataplane import Egress, Ingress, Runtime, Scheduling, Stage, UnfSpec

GOAL = 0.8
CPU = 1


def _thread_cpu_ns(pid: int, name: str) -> int:
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().strip() == name:
                return int((task / "schedstat").read_text().split()[0])
        except OSError:
            continue
    raise SystemExit(f"no thread {name} in testpmd")


THREAD = f"rte-worker-{CPU}"


def testpmd_run(seconds: int) -> tuple[float, float]:
    """Run testpmd macswap on net_null for ``seconds``: (median Rx-pps,
    packets per CPU-second of its forwarding thread).

    Each time testpmd prints its cumulative RX-packets (every second), the
    forwarding thread's CPU time is read at once; the rate per CPU-second is
    taken between the first and the last of those samples."""
    prefix = f"mnfpmd{os.getpid()}"
    cmd = [
        "dpdk-testpmd",
        "-l",
        f"0,{CPU}",
        "--no-pci",
        "--no-telemetry",
        f"--file-prefix={prefix}",
        "--vdev",
        "net_null0",
        "--log-level=error",
        "--",
        "--forward-mode=macswap",
        "--port-topology=loop",
        "--nb-cores=1",
        "--total-num-mbufs=8192",
        "--stats-period=1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples: list[tuple[int, int]] = []
    rates: list[int] = []
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            m = re.search(r"RX-packets:\s+(\d+)", line)
            if m and int(m.group(1)) > 0:
                with contextlib.suppress(SystemExit):
                    samples.append((int(m.group(1)), _thread_cpu_ns(proc.pid, THREAD)))
            m = re.search(r"Rx-pps:\s+(\d+)", line)
            if m and int(m.group(1)) > 0:
                rates.append(int(m.group(1)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        time.sleep(seconds + 1.5)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        for f in Path("/dev/hugepages").glob(f"{prefix}map_*"):
            f.unlink()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    # Samples taken while forwarding (the summary printed at exit repeats the total).
    samples = samples[: len(rates) + 1]
    if len(samples) < 2 or not rates:
        raise SystemExit("testpmd reported no rate:\n" + "".join(lines)[-2000:])
    (p0, c0), (p1, c1) = samples[0], samples[-1]
    return float(statistics.median(rates[1:] or rates)), (p1 - p0) / ((c1 - c0) / 1e9)


def unf_run(rt: Runtime, port: int, seconds: float) -> tuple[float, float]:
    """(packets per second, packets per CPU-second) of one MacSwapper uNF."""
    unf = rt.start_unf(
        UnfSpec(
            "macswap",
            (Stage("MacSwapper"),),
            Ingress.from_port(port),
            (Egress.to_port("out", port),),
            cpu=CPU,
            scheduling=Scheduling(
                burst_size=32, yield_after_bursts=0, yield_when_idle=False, deadline_s=600
            ),
        )
    )
    time.sleep(0.3)
    c0, n0, t0 = rt.counters(unf).rx, cpu_ns(unf.pid), time.monotonic()
    time.sleep(seconds)
    c1, n1, t1 = rt.counters(unf).rx, cpu_ns(unf.pid), time.monotonic()
    rt.stop_unf(unf)
    return (c1 - c0) / (t1 - t0), (c1 - c0) / ((n1 - n0) / 1e9)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if shutil.which("dpdk-testpmd") is None:
        raise SystemExit("dpdk-testpmd not found (apt-get install dpdk)")
    pmd: list[float] = []
    ours: list[float] = []
    pmd_cpu: list[float] = []
    ours_cpu: list[float] = []
    with Runtime(cpus=[0, CPU]) as rt:
        port = rt.add_port("net_null_floor", "size=64")
        for _ in range(args.runs):
            wall, per_cpu = testpmd_run(args.seconds)
            pmd.append(wall)
            pmd_cpu.append(per_cpu)
            wall, per_cpu = unf_run(rt, port, args.seconds)
            ours.append(wall)
            ours_cpu.append(per_cpu)
        rt.remove_port("net_null_floor")
    # Per CPU-second of the forwarding thread: on a shared machine the
    # wall-clock rate mostly measures the CPU share each one was given.
    ratio = statistics.median(ours_cpu) / statistics.median(pmd_cpu)
    result = {
        "benchmark": "floor",
        "machine": machine(),
        "method": "net_null port looped back, 64 B, one forwarding core each, macswap; "
        "packets per CPU-second of the forwarding thread",
        "unf_over_testpmd": round(ratio, 3),
        "unf_over_testpmd_wall_clock": round(statistics.median(ours) / statistics.median(pmd), 3),
        "goal": GOAL,
        "testpmd_mpps_per_cpu_second": _mpps(pmd_cpu),
        "unf_mpps_per_cpu_second": _mpps(ours_cpu),
        "testpmd_mpps_wall_clock": _mpps(pmd),
        "unf_mpps_wall_clock": _mpps(ours),
    }
    print("| forwarder | Mpps per CPU-second, median (min-max) | Mpps wall clock |")
    print("|---|---:|---:|")
    for name, per_cpu, vals in (
        ("dpdk-testpmd macswap", pmd_cpu, pmd),
        ("micronf MacSwapper uNF", ours_cpu, ours),
    ):
        s, w = spread(per_cpu), spread(vals)
        print(
            f"| {name} | {s['median'] / 1e6:.1f} ({s['min'] / 1e6:.1f}-{s['max'] / 1e6:.1f}) "
            f"| {w['median'] / 1e6:.1f} |"
        )
    print(f"\nuNF / testpmd per core: **{ratio:.2f}** (goal >= {GOAL})")
    path = write("floor", result, args.out)
    _plot(pmd_cpu, ours_cpu, args.out / "floor.png")
    print(f"wrote {path}")
    return 0


def _mpps(values: list[float]) -> dict[str, float]:
    return {k: round(v / 1e6, 2) if k != "runs" else v for k, v in spread(values).items()}


def _plot(pmd: list[float], ours: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    names = ["testpmd macswap", "MacSwapper uNF"]
    meds = [statistics.median(pmd) / 1e6, statistics.median(ours) / 1e6]
    ax.bar(names, meds, color=["#888888", "#3070b0"])
    for i, vals in enumerate((pmd, ours)):
        ax.plot([i] * len(vals), [v / 1e6 for v in vals], "k.", alpha=0.6)
    ax.set_ylabel("Mpps per CPU-second")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
