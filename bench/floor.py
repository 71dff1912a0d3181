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
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dploop import RESULTS, machine, spread, write

from micronf.dataplane import Egress, Ingress, Runtime, Scheduling, Stage, UnfSpec

GOAL = 0.8
CPU = 1


def testpmd_pps(seconds: int) -> float:
    """Run testpmd macswap on net_null for ``seconds``; its median Rx-pps."""
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
        f"--stats-period={1}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(seconds + 1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        for f in Path("/dev/hugepages").glob(f"{prefix}map_*"):
            f.unlink()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    rates = [int(r) for r in re.findall(r"Rx-pps:\s+(\d+)", output)]
    rates = [r for r in rates if r > 0]
    if not rates:
        raise SystemExit("testpmd reported no rate:\n" + output[-2000:])
    return float(statistics.median(rates[1:] or rates))


def unf_pps(rt: Runtime, port: int, seconds: float) -> float:
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
    c0, t0 = rt.counters(unf).rx, time.monotonic()
    time.sleep(seconds)
    c1, t1 = rt.counters(unf).rx, time.monotonic()
    rt.stop_unf(unf)
    return (c1 - c0) / (t1 - t0)


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
    with Runtime(cpus=[0, CPU]) as rt:
        port = rt.add_port("net_null_floor", "size=64")
        for _ in range(args.runs):
            pmd.append(testpmd_pps(args.seconds))
            ours.append(unf_pps(rt, port, args.seconds))
        rt.remove_port("net_null_floor")
    ratio = statistics.median(ours) / statistics.median(pmd)
    result = {
        "benchmark": "floor",
        "machine": machine(),
        "method": "net_null port looped back, 64 B, one forwarding core each, macswap",
        "unf_over_testpmd": round(ratio, 3),
        "goal": GOAL,
        "testpmd_mpps": {
            k: round(v / 1e6, 2) if k != "runs" else v for k, v in spread(pmd).items()
        },
        "unf_mpps": {k: round(v / 1e6, 2) if k != "runs" else v for k, v in spread(ours).items()},
    }
    print("| forwarder | Mpps median (min-max) |")
    print("|---|---:|")
    for name, vals in (("dpdk-testpmd macswap", pmd), ("micronf MacSwapper uNF", ours)):
        s = spread(vals)
        print(f"| {name} | {s['median'] / 1e6:.1f} ({s['min'] / 1e6:.1f}-{s['max'] / 1e6:.1f}) |")
    print(f"\nuNF / testpmd per core: **{ratio:.2f}** (goal >= {GOAL})")
    path = write("floor", result, args.out)
    _plot(pmd, ours, args.out / "floor.png")
    print(f"wrote {path}")
    return 0


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
    ax.set_ylabel("Mpps, one forwarding core")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
