#!/usr/bin/env python3
"""Benchmark (paper Fig. 10): pipeline versus run-to-completion, per core.

A chain of N IPTtlDecrementer uNFs (N = 1..8) runs as a closed loop (see
bench/dploop.py; the last stage also sets the TTL back to 64 with the test
processor TestTtlReset, in both modes, so packets circulate forever):

* pipeline, 1 core: N secondary processes sharing one core, each yielding
  when idle (and after ``--yield-after`` bursts, if not 0);
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
``pipeline_over_rtc_1core_chain4`` is the median, over the rounds, of
pipeline / run-to-completion on one core at N = 4 measured in the same round
(goal >= 0.9).

A second table sweeps the yield knob at N = 4 (``--sweep``): how many
context switches per packet each setting costs, and, by a least-squares fit
of CPU time per packet against switches per packet over the sweep's windows,
what one switch between uNF processes costs on this machine. Writes
bench/results/fig10_pipeline_vs_rtc.json and .png.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from dploop import (
    RESULTS,
    Loop,
    Window,
    context_switches,
    load_average,
    machine,
    measure,
    measure_some,
    spread,
    start_loop,
    stop_loop,
    write,
)

from micronf.dataplane import Runtime, Scheduling

GOAL = 0.9
TTL = "IPTtlDecrementer"
RESET = "TestTtlReset"


def _switches(loops: list[Loop]) -> int:
    return context_switches([u.pid for lp in loops for u in lp.unfs])


def _window(
    rt: Runtime,
    mode: str,
    n: int,
    sched: Scheduling,
    packets: int,
    seconds: float,
    switches: list[float] | None = None,
) -> Window | None:
    """Start the loops of one configuration, measure one window, stop them;
    appends the context switches per packet to *switches* when given."""
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
    sw0 = _switches(loops)
    window = measure_some(rt, loops, seconds)
    if switches is not None and window.pps > 0:
        switches.append((_switches(loops) - sw0) / (window.pps * seconds))
    for lp in loops:
        stop_loop(rt, lp)
    return window


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--chains", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--runs", type=int, default=5, help="rounds (modes interleaved in each)")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument(
        "--yield-after",
        type=int,
        default=0,
        help="bursts after which a uNF yields even with work left (0: only when idle)",
    )
    ap.add_argument(
        "--sweep",
        default="4,16,64,0",
        help="yield-after values tried at N = 4 for the switch-cost table ('' to skip)",
    )
    ap.add_argument("--packets", type=int, default=4096, help="packets circulating per loop")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    chains = [int(c) for c in args.chains.split(",")]
    sweep = [int(y) for y in args.sweep.split(",") if y.strip()]
    sched = Scheduling(burst_size=32, yield_after_bursts=args.yield_after, deadline_s=600)
    modes = ("pipeline-1core", "pipeline-2cores", "rtc-1core", "rtc-2cores")
    samples: dict[str, dict[int, list[Window]]] = {m: {n: [] for n in chains} for m in modes}
    # per round, pipeline / rtc on one core measured back to back (paired)
    paired: dict[int, list[float]] = {n: [] for n in chains}
    switches: dict[int, list[float]] = {n: [] for n in chains}
    swept: dict[int, list[tuple[Window, float, Window]]] = {y: [] for y in sweep}
    with Runtime(cpus=[0, 1], mbufs=4 * args.packets + 1023) as rt:
        for n in chains:
            # Modes interleaved round by round, so that load from elsewhere on
            # this shared machine falls on all of them alike.
            for _ in range(args.runs):
                got: dict[str, Window] = {}
                for m in modes:
                    sw = switches[n] if m == "pipeline-1core" else None
                    w = _window(rt, m, n, sched, args.packets, args.seconds, sw)
                    if w is not None:
                        samples[m][n].append(w)
                        got[m] = w
                paired[n].append(got["pipeline-1core"].pps_per_cpu / got["rtc-1core"].pps_per_cpu)
        for _ in range(args.runs if sweep else 0):
            for y in sweep:
                ysched = Scheduling(burst_size=32, yield_after_bursts=y, deadline_s=600)
                sw: list[float] = []
                p = _window(rt, "pipeline-1core", 4, ysched, args.packets, args.seconds, sw)
                r = _window(rt, "rtc-1core", 4, ysched, args.packets, args.seconds)
                if p is not None and r is not None and sw:
                    swept[y].append((p, sw[0], r))
    # Packets per CPU-second of the loops' processes: on this shared machine
    # the wall-clock rate mostly measures the CPU share the loops were given.
    res = {
        m: {n: spread([w.pps_per_cpu for w in v]) for n, v in samples[m].items() if v}
        for m in modes
    }
    wall = {m: {n: spread([w.pps for w in v]) for n, v in samples[m].items() if v} for m in modes}
    ratio = {n: statistics.median(paired[n]) for n in chains}
    sweep_rows, per_switch_ns = _sweep_table(swept)
    result = {
        "benchmark": "fig10_pipeline_vs_rtc",
        "machine": machine(),
        "load_average": load_average(),
        "method": f"closed loop of {TTL} (+{RESET} last), burst 32, yield when idle"
        + (f" and after {args.yield_after} bursts" if args.yield_after else " only")
        + f", {args.packets} packets of 64 B circulating; ratio: median over {args.runs} "
        "rounds of pipeline / rtc measured in the same round",
        "pipeline_over_rtc_1core_chain4": round(ratio[4], 3) if 4 in ratio else None,
        "goal": GOAL,
        "pipeline_over_rtc_1core": {str(n): round(r, 3) for n, r in ratio.items()},
        "pipeline_over_rtc_1core_spread": {
            str(n): {k: round(v, 3) for k, v in spread(paired[n]).items()} for n in chains
        },
        "pipeline_1core_switches_per_1000_packets": {
            str(n): round(1000 * statistics.median(v), 2) for n, v in switches.items() if v
        },
        "yield_sweep_chain4": sweep_rows,
        "ns_per_context_switch": per_switch_ns,
        "mpps_per_cpu_second": _mpps(res),
        "mpps_wall_clock": _mpps(wall),
    }
    print("Mpps per CPU-second of the chain's processes, median (min-max):\n")
    print(
        "| uNFs | pipeline 1 core | pipeline 2 cores | rtc 1 core | rtc 2 cores | "
        "pipeline/rtc (1 core) | switches per 1000 packets (pipeline 1 core) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in chains:
        cells = []
        for m in modes:
            s = res[m].get(n)
            cells.append(
                f"{s['median'] / 1e6:.2f} ({s['min'] / 1e6:.2f}-{s['max'] / 1e6:.2f})" if s else "-"
            )
        sw_cell = result["pipeline_1core_switches_per_1000_packets"].get(str(n), "-")
        print(f"| {n} | {' | '.join(cells)} | {ratio[n]:.2f} | {sw_cell} |")
    if sweep_rows:
        print("\nYield knob at N = 4 (pipeline on one core against run-to-completion):\n")
        print(
            "| yield after bursts | switches per 1000 packets | pipeline ns/packet (CPU) "
            "| rtc ns/packet (CPU) | pipeline/rtc |"
        )
        print("|---:|---:|---:|---:|---:|")
        for row in sweep_rows:
            print(
                f"| {row['yield_after'] or 'idle only'} | {row['switches_per_1000_packets']} | "
                f"{row['pipeline_ns_per_packet']} | {row['rtc_ns_per_packet']} | "
                f"{row['pipeline_over_rtc']} |"
            )
        if per_switch_ns is not None:
            print(
                f"\nleast-squares fit over the sweep's windows: one context switch between "
                f"uNF processes costs **{per_switch_ns:.0f} ns** of CPU on this machine"
            )
    if 4 in ratio:
        print(
            f"\npipeline / run-to-completion, one core, chain of 4: **{ratio[4]:.2f}** "
            f"(goal >= {GOAL})"
        )
    path = write("fig10_pipeline_vs_rtc", result, args.out)
    _plot(chains, res, args.out / "fig10_pipeline_vs_rtc.png")
    print(f"wrote {path}")
    return 0


def _sweep_table(
    swept: dict[int, list[tuple[Window, float, Window]]],
) -> tuple[list[dict[str, Any]], float | None]:
    """Rows of the yield sweep, and the fitted cost of one switch (ns)."""
    rows = []
    xs: list[float] = []
    ys: list[float] = []
    for y, windows in swept.items():
        if not windows:
            continue
        pipe_ns = [1e9 / p.pps_per_cpu for p, _, _ in windows]
        rtc_ns = [1e9 / r.pps_per_cpu for _, _, r in windows]
        xs += [sw for _, sw, _ in windows]
        ys += pipe_ns
        rows.append(
            {
                "yield_after": y,
                "switches_per_1000_packets": round(
                    1000 * statistics.median(sw for _, sw, _ in windows), 2
                ),
                "pipeline_ns_per_packet": round(statistics.median(pipe_ns), 1),
                "rtc_ns_per_packet": round(statistics.median(rtc_ns), 1),
                "pipeline_over_rtc": round(
                    statistics.median(r / p for p, r in zip(pipe_ns, rtc_ns, strict=True)), 3
                ),
            }
        )
    per_switch = None
    if len(set(xs)) > 1:
        per_switch = round(statistics.linear_regression(xs, ys).slope, 1)
    return rows, per_switch


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
