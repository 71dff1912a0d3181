#!/usr/bin/env python3
"""Benchmark (paper Fig. 9): latency against the length of a uNF chain.

Closed loops (bench/dploop.py) of N = 1..6 MacSwapper uNFs, each its own DPDK
secondary process, all on one core (``--cpu``, yield when idle and after 16
bursts), with K packets circulating (``--packets``, default 32: one burst, so
that the latency is the chain's processing path, not a queue). Paper
Fig. 9(a) is the plain MacSwapper; Fig. 9(b) adds a busy loop per packet: each
uNF then also runs ``Busy`` with 100, 300 or 700 TSC cycles per packet.

Latency: the last uNF of the chain ends with the TestLatency probes
(dataplane/src/test_processors.c, see dploop.py): each packet carries a TSC
stamp written when it last left the chain, so the probe measures one full
pass, from entering the first uNF's ring to leaving the last uNF, for every
packet; a log histogram (four sub-buckets per octave) gives the mean exactly
and the 5th and 95th percentiles to within a sub-bucket. Little's law
(packets in flight / packets per second) cross-checks the mean. Latencies are
wall-clock times on a shared machine: waiting for the core is part of them.
Writes bench/results/fig9_chain_length.json and .png; the headline
``us_per_unf`` is the slope over N of the median latency for the plain
MacSwapper (microseconds per extra uNF; the median because on this shared
machine the mean follows rare stalls of milliseconds; the slopes of the means
are in the JSON).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dploop import (
    RESULTS,
    LatencySnap,
    control_off,
    latency_row,
    latency_stages,
    latency_window,
    load_average,
    machine,
    slope,
    start_loop,
    stop_loop,
    write,
)

from micronf.dataplane import Runtime, Scheduling, Stage
from micronf.dataplane.harness import tsc_hz


def stages(n: int, busy: int) -> list[list[str | Stage]]:
    one: list[str | Stage] = ["MacSwapper"]
    if busy:
        one.append(Stage("Busy", {"cycles": (str(busy),)}))
    chain = [list(one) for _ in range(n)]
    chain[-1].extend(latency_stages())
    return chain


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--chains", default="1,2,3,4,5,6", help="chain lengths")
    ap.add_argument("--busy", default="0,100,300,700", help="busy cycles per packet per uNF")
    ap.add_argument("--runs", type=int, default=3, help="rounds (configurations interleaved)")
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one window")
    ap.add_argument("--packets", type=int, default=32, help="packets circulating")
    ap.add_argument("--cpu", type=int, default=1, help="the core of every uNF")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--quick", action="store_true", help="a few seconds: the smoke test")
    args = ap.parse_args(argv)
    if args.quick:
        args.chains, args.busy, args.runs, args.seconds = "1,3", "0,300", 1, 0.1
    chains = [int(c) for c in args.chains.split(",")]
    busies = [int(b) for b in args.busy.split(",")]
    sched = Scheduling(burst_size=32, yield_after_bursts=16, deadline_s=600)
    load = load_average()
    means: dict[tuple[int, int], list[float]] = {(b, n): [] for b in busies for n in chains}
    little: dict[tuple[int, int], list[float]] = {(b, n): [] for b in busies for n in chains}
    polls: dict[tuple[int, int], list[float]] = {k: [] for k in means}
    pooled: dict[tuple[int, int], LatencySnap] = {}
    with Runtime(cpus=[0, 1], mbufs=4095) as rt:
        control_off(args.cpu)
        hz = tsc_hz()
        for _ in range(args.runs):
            for b in busies:
                for n in chains:
                    loop = start_loop(
                        rt,
                        f"c{n}b{b}",
                        stages(n, b),
                        [args.cpu] * n,
                        packets=args.packets,
                        scheduling=sched,
                        ring_size=1024,
                    )
                    try:
                        latency_window(rt, loop, 0.1)  # warm-up, and the first pass's stamps
                        w, snap = latency_window(rt, loop, args.seconds)
                    finally:
                        stop_loop(rt, loop)
                    means[(b, n)].append(snap.mean / hz * 1e6)
                    polls[(b, n)].append(w.empty_polls * args.packets)  # per pass
                    little[(b, n)].append(args.packets / w.pps * 1e6 if w.pps else float("nan"))
                    pooled[(b, n)] = pooled[(b, n)] + snap if (b, n) in pooled else snap
    table: dict[str, dict[str, Any]] = {}
    for b in busies:
        table[str(b)] = {}
        for n in chains:
            snap = pooled[(b, n)]
            table[str(b)][str(n)] = latency_row(
                snap, hz, means[(b, n)], little[(b, n)], polls[(b, n)]
            )
    slopes = {
        str(b): round(slope(chains, [table[str(b)][str(n)]["p50_us"] for n in chains]), 3)
        for b in busies
    }
    mean_slopes = {
        str(b): round(
            slope(chains, [table[str(b)][str(n)]["mean_us"]["median"] for n in chains]), 3
        )
        for b in busies
    }
    result = {
        "benchmark": "fig9_chain_length",
        "machine": machine(),
        "load_average": load,
        "tsc_hz": hz,
        "method": f"closed loop of MacSwapper (+ Busy) uNFs on CPU {args.cpu}, burst 32, "
        f"yield when idle and after 16 bursts, {args.packets} packets of 64 B circulating; "
        "latency of every packet over one pass by a TSC stamp (TestLatency probes)",
        "us_per_unf": slopes.get("0", next(iter(slopes.values()))),
        "us_per_unf_by_busy_cycles": slopes,
        "us_per_unf_mean_by_busy_cycles": mean_slopes,
        "latency": table,
    }
    print(
        "Latency of one pass through the chain, microseconds: mean, median of "
        f"{args.runs} windows (min-max); percentiles of all packets; Little's law\n"
    )
    print(
        "| busy cycles/pkt | uNFs | mean (min-max) | p5 | p50 | p95 | Little's law | "
        "empty polls per pass |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for b in busies:
        for n in chains:
            t = table[str(b)][str(n)]
            m = t["mean_us"]
            print(
                f"| {b} | {n} | {m['median']:.1f} ({m['min']:.1f}-{m['max']:.1f}) | "
                f"{t['p5_us']:.1f} | {t['p50_us']:.1f} | {t['p95_us']:.1f} | "
                f"{t['little_us']['median']:.1f} | {t['empty_polls_per_pass']:.0f} |"
            )
    print("\nlatency per extra uNF (slope over N of the median; of the mean), microseconds:")
    for b in busies:
        print(f"- busy {b} cycles/pkt: **{slopes[str(b)]:.2f}** ({mean_slopes[str(b)]:.2f})")
    path = write("fig9_chain_length", result, args.out)
    _plot(chains, busies, table, args.out / "fig9_chain_length.png")
    print(f"wrote {path}")
    return 0


def _plot(
    chains: list[int], busies: list[int], table: dict[str, dict[str, Any]], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for busy in busies:
        rows = [table[str(busy)][str(n)] for n in chains]
        mid = [r["p50_us"] for r in rows]
        lo = [max(0.0, m - r["p5_us"]) for m, r in zip(mid, rows, strict=True)]
        hi = [max(0.0, r["p95_us"] - m) for m, r in zip(mid, rows, strict=True)]
        a.errorbar(chains, mid, yerr=[lo, hi], fmt="o-", capsize=3, label=f"busy {busy}")
    a.set_xlabel("uNFs in the chain")
    a.set_ylabel("latency of one pass, us (median, p5-p95)")
    a.set_title("(a) latency against chain length")
    a.set_xticks(chains)
    a.legend()
    a.grid(alpha=0.3)
    for n in chains:
        b.plot(
            busies,
            [table[str(x)][str(n)]["p50_us"] for x in busies],
            "o-",
            label=f"{n} uNFs",
        )
    b.set_xlabel("busy cycles per packet per uNF")
    b.set_ylabel("median latency of one pass, us")
    b.set_title("(b) latency against processing cost")
    b.legend()
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
