#!/usr/bin/env python3
"""Benchmark (paper Fig. 8): latency of four uNFs, sequential against 2-way parallel.

Four uNFs, each its own DPDK secondary process, each spinning ``Busy`` C TSC
cycles per packet (C = 100..700); the first and the last also swap MAC
addresses (the paper's MacSwapper with a busy loop). The two middle uNFs only
spin: they are read-only, as parallel branches must be (two branches that
both wrote the same packet would race on it).

* sequential: u0 -> u1 -> u2 -> u3, point-to-point rings;
* parallel: u0 -> BranchEgressPort -> {b1, b2} -> MarkerEgressPort -> the
  SyncIngressPort of u3, which takes a packet once both branches are done.

Parallelism can only shorten the path if the branches run at the same time,
so the uNFs are spread over this machine's two cores, two per core, in both
configurations alike: u0 and u2 (b2) on CPU 1, u1 (b1) and u3 on CPU 0. Every
uNF yields when idle and after 16 bursts. The loop is closed (u3 feeds u0)
with K packets circulating (``--packets``, default 32: one burst, so that the
latency is the processing path, not a queue). The last uNF ends with the
TestLatency probes (see bench/dploop.py): every packet's latency over one
pass, mean and 5th/95th percentiles, as the paper reports; Little's law
(K / throughput) cross-checks the mean. Writes bench/results/fig8_parallel.json
and .png; the headline ``parallel_over_sequential_p50_700`` is the median latency
of the parallel graph over the sequential chain's at 700 cycles per packet
(the median: on this shared machine the mean follows rare stalls of
milliseconds, see docs/benchmarks.md; the ratio of means is in the JSON).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dploop import (
    RESULTS,
    LatencySnap,
    Loop,
    control_off,
    inject,
    latency_row,
    latency_stages,
    latency_window,
    load_average,
    machine,
    start_loop,
    stop_loop,
    write,
)

from micronf.dataplane import (
    Egress,
    Ingress,
    PortKind,
    Runtime,
    Scheduling,
    Stage,
    UnfSpec,
)
from micronf.dataplane.harness import tsc_hz

#: u0, u1 (b1), u2 (b2), u3: two uNFs per core, the branches on different cores.
CPUS = (1, 0, 1, 0)
MODES = ("sequential", "parallel")


def _stages(busy: int) -> list[list[str | Stage]]:
    spin = Stage("Busy", {"cycles": (str(busy),)})
    return [
        ["MacSwapper", spin],
        [spin],
        [spin],
        ["MacSwapper", spin, *latency_stages()],
    ]


def start_parallel(rt: Runtime, name: str, busy: int, packets: int, sched: Scheduling) -> Loop:
    st = _stages(busy)
    ring0, br1, br2, sync = (f"{name}-{x}" for x in ("r0", "b1", "b2", "sync"))
    for r in (ring0, br1, br2):
        rt.create_ring(r, 1024)
    rt.create_ring(sync, 1024, multi_producer=True)  # both branches' markers write it
    inject(rt, ring0, packets)
    specs = [
        UnfSpec(
            f"{name}-u0",
            tuple(_stage(s) for s in st[0]),
            Ingress.from_ring(ring0),
            (Egress("par", PortKind.BRANCH, rings=(br1, br2)),),
            cpu=CPUS[0],
            scheduling=sched,
        ),
        UnfSpec(
            f"{name}-b1",
            tuple(_stage(s) for s in st[1]),
            Ingress.from_ring(br1),
            (Egress("done", PortKind.MARKER, rings=(sync,)),),
            cpu=CPUS[1],
            scheduling=sched,
        ),
        UnfSpec(
            f"{name}-b2",
            tuple(_stage(s) for s in st[2]),
            Ingress.from_ring(br2),
            (Egress("done", PortKind.MARKER, rings=(sync,)),),
            cpu=CPUS[2],
            scheduling=sched,
        ),
        UnfSpec(
            f"{name}-u3",
            tuple(_stage(s) for s in st[3]),
            Ingress.sync(sync, 2),
            (Egress.to_ring("next", ring0),),
            cpu=CPUS[3],
            scheduling=sched,
        ),
    ]
    loop = Loop([], [ring0, br1, br2, sync])
    try:
        # Downstream first, so that nothing is sent to a uNF not yet reading.
        for spec in reversed(specs):
            loop.unfs.insert(0, rt.start_unf(spec))
    except BaseException:
        stop_loop(rt, loop)
        raise
    return loop


def _stage(s: str | Stage) -> Stage:
    return s if isinstance(s, Stage) else Stage(s)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--busy", default="100,200,300,400,500,600,700", help="cycles per packet")
    ap.add_argument("--runs", type=int, default=3, help="rounds (modes interleaved)")
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one window")
    ap.add_argument("--packets", type=int, default=32, help="packets circulating")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--quick", action="store_true", help="a few seconds: the smoke test")
    args = ap.parse_args(argv)
    if args.quick:
        args.busy, args.runs, args.seconds = "100,700", 1, 0.1
    busies = [int(b) for b in args.busy.split(",")]
    sched = Scheduling(burst_size=32, yield_after_bursts=16, deadline_s=600)
    load = load_average()
    keys = [(m, b) for b in busies for m in MODES]
    means: dict[tuple[str, int], list[float]] = {k: [] for k in keys}
    little: dict[tuple[str, int], list[float]] = {k: [] for k in keys}
    polls: dict[tuple[str, int], list[float]] = {k: [] for k in means}
    pooled: dict[tuple[str, int], LatencySnap] = {}
    with Runtime(cpus=[0, 1], mbufs=4095) as rt:
        control_off(1)
        hz = tsc_hz()
        for _ in range(args.runs):
            for b in busies:
                for m in MODES:
                    if m == "sequential":
                        loop = start_loop(
                            rt,
                            f"s{b}",
                            _stages(b),
                            CPUS,
                            packets=args.packets,
                            scheduling=sched,
                            ring_size=1024,
                        )
                    else:
                        loop = start_parallel(rt, f"p{b}", b, args.packets, sched)
                    try:
                        latency_window(rt, loop, 0.1)  # warm-up, and the first pass's stamps
                        w, snap = latency_window(rt, loop, args.seconds)
                    finally:
                        stop_loop(rt, loop)
                    means[(m, b)].append(snap.mean / hz * 1e6)
                    polls[(m, b)].append(w.empty_polls * args.packets)  # per pass
                    little[(m, b)].append(args.packets / w.pps * 1e6 if w.pps else float("nan"))
                    pooled[(m, b)] = pooled[(m, b)] + snap if (m, b) in pooled else snap
    table: dict[str, dict[str, Any]] = {m: {} for m in MODES}
    for m, b in keys:
        snap = pooled[(m, b)]
        table[m][str(b)] = latency_row(snap, hz, means[(m, b)], little[(m, b)], polls[(m, b)])
    ratio = {
        str(b): round(
            table["parallel"][str(b)]["mean_us"]["median"]
            / table["sequential"][str(b)]["mean_us"]["median"],
            3,
        )
        for b in busies
    }
    ratio50 = {
        str(b): round(
            table["parallel"][str(b)]["p50_us"] / table["sequential"][str(b)]["p50_us"], 3
        )
        for b in busies
    }
    result = {
        "benchmark": "fig8_parallel",
        "machine": machine(),
        "load_average": load,
        "tsc_hz": hz,
        "method": "closed loop of 4 uNFs (Busy C cycles/pkt; first and last also MacSwapper), "
        f"sequential vs branch/sync 2-way parallel, CPUs {CPUS}, burst 32, yield when idle "
        f"and after 16 bursts, {args.packets} packets of 64 B circulating; latency of every "
        "packet over one pass by a TSC stamp (TestLatency probes)",
        "parallel_over_sequential_p50_700": ratio50.get("700", ratio50[str(busies[-1])]),
        "parallel_over_sequential_p50": ratio50,
        "parallel_over_sequential_mean": ratio,
        "latency": table,
    }
    print(
        "Latency of one pass through 4 uNFs, microseconds: mean, median of "
        f"{args.runs} windows (min-max); percentiles of all packets\n"
    )
    print(
        "| busy cycles/pkt | sequential mean | p5 / p50 / p95 | parallel mean | "
        "p5 / p50 / p95 | parallel / sequential: mean | p50 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for b in busies:
        s, p = table["sequential"][str(b)], table["parallel"][str(b)]
        print(
            f"| {b} | {_cell(s)} | {_pct(s)} | {_cell(p)} | {_pct(p)} | "
            f"{ratio[str(b)]:.2f} | {ratio50[str(b)]:.2f} |"
        )
    print(
        f"\nparallel / sequential median latency at {busies[-1]} cycles/pkt: "
        f"**{ratio50[str(busies[-1])]:.2f}** (mean: {ratio[str(busies[-1])]:.2f}; "
        "paper, means: < 0.8 at 700, > 0.9 at 100)"
    )
    print(
        "empty polls per pass (sequential / parallel): "
        + ", ".join(
            f"{b}: {table['sequential'][str(b)]['empty_polls_per_pass']:.0f} / "
            f"{table['parallel'][str(b)]['empty_polls_per_pass']:.0f}"
            for b in busies
        )
    )
    path = write("fig8_parallel", result, args.out)
    _plot(busies, table, args.out / "fig8_parallel.png")
    print(f"wrote {path}")
    return 0


def _cell(t: dict[str, Any]) -> str:
    m = t["mean_us"]
    return f"{m['median']:.1f} ({m['min']:.1f}-{m['max']:.1f})"


def _pct(t: dict[str, Any]) -> str:
    return f"{t['p5_us']:.1f} / {t['p50_us']:.1f} / {t['p95_us']:.1f}"


def _plot(busies: list[int], table: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for m, style, dx in (("sequential", "o-", -8), ("parallel", "s--", 8)):
        rows = [table[m][str(b)] for b in busies]
        mid = [r["p50_us"] for r in rows]
        lo = [max(0.0, v - r["p5_us"]) for v, r in zip(mid, rows, strict=True)]
        hi = [max(0.0, r["p95_us"] - v) for v, r in zip(mid, rows, strict=True)]
        xs = [b + dx for b in busies]
        line = ax.errorbar(xs, mid, yerr=[lo, hi], fmt=style, capsize=3, label=f"{m}: median")
        ax.plot(
            xs,
            [r["mean_us"]["median"] for r in rows],
            "x",
            color=line[0].get_color(),
            label=f"{m}: mean",
        )
    ax.set_xlabel("busy cycles per packet per uNF")
    ax.set_ylabel("latency of one pass, us (median, p5-p95; x: mean)")
    ax.set_xticks(busies)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
