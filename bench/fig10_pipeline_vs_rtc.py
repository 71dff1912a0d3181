#!/usr/bin/env python3
"""Benchmark (paper Fig. 10): pipeline versus run-to-completion, per core.

A chain of N IPTtlDecrementer uNFs (N = 1..8) runs as a closed loop (see
bench/dploop.py; the last stage also sets the TTL back to 64 with the test
processor TestTtlReset, in both modes, so packets circulate forever):

* pipeline, 1 core: N secondary processes sharing one core, each yielding
  when idle and after ``--yield-after`` bursts;
* pipeline, 2 cores: the same N processes, the first half on core 0, the rest
  on core 1 (N >= 2);
* run-to-completion, 1 core: one process running the N decrementers fused;
* run-to-completion, 2 cores: two such processes, one per core, each with its
  own loop of packets (the total is reported).

Throughput is packets through the chain per CPU-second that the chain's
processes ran (``/proc/PID/task/*/schedstat``; context switches and yields
included), because on a shared machine the wall-clock rate mostly measures
the CPU share the loops were given; the wall-clock rate is in the JSON too.
Median of R windows, modes interleaved, spread reported. The headline
``pipeline_over_rtc_1core_chain4`` is pipeline / run-to-completion on one
core at N = 4 (goal >= 0.9). Writes
bench/results/fig10_pipeline_vs_rtc.json and .png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dploop import RESULTS, Window, machine, measure, spread, start_loop, stop_loop, write

from micronf.dataplane import Runtime, Scheduling

GOAL = 0.9
TTL = "IPTtlDecrementer"
RESET = "TestTtlReset"


def _window(
    rt: Runtime, mode: str, n: int, sched: Scheduling, packets: int, seconds: float
) -> Window | None:
    """Start the loops of one configuration, measure one window, stop them."""
    pipe = [[TTL]] * (n - 1) + [[TTL, RESET]]
    fused = [[TTL] * n + [RESET]]
    kw = {"packets": packets, "scheduling": sched, "ring_size": 2 * packets}
    if mode == "pipeline-1core":
        loops = [start_loop(rt, "p1", pipe, [1] * n, **kw)]  # type: ignore[arg-type]
    elif mode == "pipeline-2cores":
        if n < 2:
            return None
        cpus = [0 if i < (n + 1) // 2 else 1 for i in range(n)]
        loops = [start_loop(rt, "p2", pipe, cpus, **kw)]  # type: ignore[arg-type]
    elif mode == "rtc-1core":
        loops = [start_loop(rt, "r1", fused, [1], **kw)]  # type: ignore[arg-type]
    else:
        loops = [
            start_loop(rt, "r2a", fused, [0], **kw),  # type: ignore[arg-type]
            start_loop(rt, "r2b", fused, [1], **kw),  # type: ignore[arg-type]
        ]
    measure(rt, loops, 0.1)  # warm-up
    window = measure(rt, loops, seconds)
    for lp in loops:
        stop_loop(rt, lp)
    return window


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--chains", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--runs", type=int, default=3, help="rounds (modes interleaved in each)")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--yield-after", type=int, default=16)
    ap.add_argument("--packets", type=int, default=4096, help="packets circulating per loop")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    chains = [int(c) for c in args.chains.split(",")]
    sched = Scheduling(burst_size=32, yield_after_bursts=args.yield_after, deadline_s=600)
    modes = ("pipeline-1core", "pipeline-2cores", "rtc-1core", "rtc-2cores")
    samples: dict[str, dict[int, list[Window]]] = {m: {n: [] for n in chains} for m in modes}
    with Runtime(cpus=[0, 1], mbufs=4 * args.packets + 1023) as rt:
        for n in chains:
            # Modes interleaved round by round, so that load from elsewhere on
            # this shared machine falls on all of them alike.
            for _ in range(args.runs):
                for m in modes:
                    w = _window(rt, m, n, sched, args.packets, args.seconds)
                    if w is not None:
                        samples[m][n].append(w)
    # Packets per CPU-second of the loops' processes: on this shared machine
    # the wall-clock rate mostly measures the CPU share the loops were given.
    res = {
        m: {n: spread([w.pps_per_cpu for w in v]) for n, v in samples[m].items() if v}
        for m in modes
    }
    wall = {m: {n: spread([w.pps for w in v]) for n, v in samples[m].items() if v} for m in modes}
    ratio = {n: res["pipeline-1core"][n]["median"] / res["rtc-1core"][n]["median"] for n in chains}
    result = {
        "benchmark": "fig10_pipeline_vs_rtc",
        "machine": machine(),
        "method": f"closed loop of {TTL} (+{RESET} last), burst 32, yield when idle and "
        f"after {args.yield_after} bursts, {args.packets} packets of 64 B circulating",
        "pipeline_over_rtc_1core_chain4": round(ratio[4], 3) if 4 in ratio else None,
        "goal": GOAL,
        "pipeline_over_rtc_1core": {str(n): round(r, 3) for n, r in ratio.items()},
        "mpps_per_cpu_second": _mpps(res),
        "mpps_wall_clock": _mpps(wall),
    }
    print("Mpps per CPU-second of the chain's processes, median (min-max):\n")
    print(
        "| uNFs | pipeline 1 core | pipeline 2 cores | rtc 1 core | rtc 2 cores | "
        "pipeline/rtc (1 core) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n in chains:
        cells = []
        for m in modes:
            s = res[m].get(n)
            cells.append(
                f"{s['median'] / 1e6:.2f} ({s['min'] / 1e6:.2f}-{s['max'] / 1e6:.2f})" if s else "-"
            )
        print(f"| {n} | {' | '.join(cells)} | {ratio[n]:.2f} |")
    if 4 in ratio:
        print(
            f"\npipeline / run-to-completion, one core, chain of 4: **{ratio[4]:.2f}** "
            f"(goal >= {GOAL})"
        )
    path = write("fig10_pipeline_vs_rtc", result, args.out)
    _plot(chains, res, args.out / "fig10_pipeline_vs_rtc.png")
    print(f"wrote {path}")
    return 0


def _mpps(table: dict[str, dict[int, dict[str, float]]]) -> dict[str, Any]:
    return {
        m: {
            str(n): {k: round(v / 1e6, 3) if k != "runs" else v for k, v in s.items()}
            for n, s in by_n.items()
        }
        for m, by_n in table.items()
    }


def _plot(chains: list[int], res: dict[str, dict[int, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for mode, style in zip(res, ("o-", "o--", "s-", "s--"), strict=True):
        xs = [n for n in chains if n in res[mode]]
        ax.plot(xs, [res[mode][n]["median"] / 1e6 for n in xs], style, label=mode)
    ax.set_xlabel("IPTtlDecrementer uNFs in the chain")
    ax.set_ylabel("Mpps per CPU-second")
    ax.set_xticks(chains)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
