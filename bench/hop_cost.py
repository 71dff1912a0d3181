#!/usr/bin/env python3
"""Benchmark: CPU cycles per packet that each extra uNF hop adds.

Closed loops (see bench/dploop.py) of N = 1..4 MacSwapper uNFs, each its own
DPDK secondary process, all on one core (yielding after every burst), are
compared with one uNF that runs the same N MacSwappers fused
(run-to-completion) on the same core. Per packet through the chain:

* pipeline(N): busy cycles of every uNF (ring dequeue + processor + ring
  enqueue, burst of 32);
* rtc(N): busy cycles of the fused uNF (one dequeue, N processors, one enqueue).

The slope of pipeline(N) over N is what one more uNF costs in all; the slope
of rtc(N) is the processor alone. Their difference is the cost of the hop
itself, ``cycles_per_hop`` (goal: <= 20). Each point is the median of R
windows; the spread is reported. Writes bench/results/hop_cost.json and .png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dploop import (
    RESULTS,
    machine,
    measure,
    measure_some,
    slope,
    spread,
    start_loop,
    stop_loop,
    write,
)

from micronf.dataplane import Runtime, Scheduling

GOAL = 20.0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--max-chain", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5, help="measurement windows per point")
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one window")
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    sched = Scheduling(burst_size=32, yield_after_bursts=1, deadline_s=600)
    chains = list(range(1, args.max_chain + 1))
    rows: dict[str, dict[int, dict[str, float]]] = {"pipeline": {}, "rtc": {}}
    with Runtime(cpus=[0, 1]) as rt:
        for n in chains:
            for mode in ("pipeline", "rtc"):
                stages = [["MacSwapper"]] * n if mode == "pipeline" else [["MacSwapper"] * n]
                loop = start_loop(
                    rt,
                    f"{mode}{n}",
                    stages,
                    [args.cpu] * len(stages),
                    packets=1024,
                    scheduling=sched,
                )
                measure(rt, [loop], 0.2)  # warm-up
                cycles = [measure_some(rt, [loop], args.seconds).cycles for _ in range(args.runs)]
                stop_loop(rt, loop)
                rows[mode][n] = spread(cycles)
    pipe = [rows["pipeline"][n]["median"] for n in chains]
    rtc = [rows["rtc"][n]["median"] for n in chains]
    per_hop = slope(chains, pipe) - slope(chains, rtc)
    result = {
        "benchmark": "hop_cost",
        "machine": machine(),
        "method": "closed loop, MacSwapper, burst 32, one core, yield after every burst",
        "cycles_per_hop": round(per_hop, 1),
        "pipeline_slope": round(slope(chains, pipe), 1),
        "rtc_slope": round(slope(chains, rtc), 1),
        "goal_cycles_per_hop": GOAL,
        "cycles_per_packet": {
            m: {str(n): {k: round(v, 1) for k, v in rows[m][n].items()} for n in chains}
            for m in rows
        },
    }
    print(
        "| uNFs in chain | pipeline cycles/pkt (min-max) | run-to-completion cycles/pkt "
        "(min-max) | pipeline / rtc |"
    )
    print("|---:|---:|---:|---:|")
    for n in chains:
        p, r = rows["pipeline"][n], rows["rtc"][n]
        print(
            f"| {n} | {p['median']:.0f} ({p['min']:.0f}-{p['max']:.0f}) | "
            f"{r['median']:.0f} ({r['min']:.0f}-{r['max']:.0f}) | "
            f"{p['median'] / r['median']:.2f} |"
        )
    print(
        f"\ncycles per extra hop: **{per_hop:.1f}** (pipeline slope "
        f"{result['pipeline_slope']} - processor slope {result['rtc_slope']}; goal <= {GOAL:g})"
    )
    path = write("hop_cost", result, args.out)
    _plot(chains, pipe, rtc, args.out / "hop_cost.png")
    print(f"wrote {path}")
    return 0


def _plot(chains: list[int], pipe: list[float], rtc: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(chains, pipe, "o-", label="pipeline (one process per uNF)")
    ax.plot(chains, rtc, "s--", label="run-to-completion (fused)")
    ax.set_xlabel("MacSwapper uNFs in the chain")
    ax.set_ylabel("busy cycles per packet")
    ax.set_xticks(chains)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
