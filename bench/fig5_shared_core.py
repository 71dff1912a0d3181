#!/usr/bin/env python3
"""Benchmark (paper Fig. 5): uNF chains sharing one core, per scheduler and yield policy.

Closed loops (bench/dploop.py) of N = 1..6 MacSwapper uNFs, each its own DPDK
secondary process, all on one core (``--cpu``), 1,024 packets of 64 B
circulating, burst 32, under four combinations:

* ``cfs``: the default scheduler (CFS/EEVDF), busy polling, never yielding;
* ``cfs+yield``: CFS, yielding when the ingress is empty and after
  ``--yield-after`` bursts (the paper's voluntary yield);
* ``fifo``: SCHED_FIFO (priority 10), never yielding. The runtime's own
  ``sched_fifo`` always yields (a FIFO poller that never yields owns its
  core), so this benchmark starts the uNFs under CFS without yields and moves
  them to SCHED_FIFO itself (``sched_setscheduler``); RT throttling
  (``/proc/sys/kernel/sched_rt_runtime_us``, 0.95 s per 1 s) keeps the
  machine alive, and the configuration is skipped when throttling is off;
* ``fifo+yield``: the runtime's ``sched_fifo`` with voluntary yield.

Throughput is packets through the chain per CPU-second that the chain's
processes ran (the core is shared with other work; wall-clock rates are in
the JSON too). Every uNF is moved back to CFS before it is stopped, in a
``finally``, so that a FIFO poller cannot keep the others from their stop
flag, and every uNF has a deadline (it ends by itself after 30 s). Paper
Fig. 5(b) is the longest chain at 10 GbE line rate for 64 B (14.88 Mpps):
``max_chain_at_line_rate`` per combination. The headline
``fifo_yield_over_cfs_yield`` is fifo+yield / cfs+yield at the longest chain.
Writes bench/results/fig5_shared_core.json and .png.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from dploop import (
    RESULTS,
    Window,
    context_switches,
    control_off,
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

LINE_RATE_64B = 14.88e6
MODES = ("cfs", "cfs+yield", "fifo", "fifo+yield")
PRIORITY = 10
DEADLINE_S = 30.0


def rt_throttled() -> bool:
    try:
        return int(Path("/proc/sys/kernel/sched_rt_runtime_us").read_text()) >= 0
    except (OSError, ValueError):
        return False


def scheduling(mode: str, yield_after: int) -> Scheduling:
    if mode == "fifo+yield":
        return Scheduling(
            burst_size=32,
            yield_after_bursts=yield_after,
            sched_fifo=True,
            fifo_priority=PRIORITY,
            deadline_s=DEADLINE_S,
        )
    if mode == "cfs+yield":
        return Scheduling(burst_size=32, yield_after_bursts=yield_after, deadline_s=DEADLINE_S)
    # cfs and fifo: busy polling, no voluntary yield at all
    return Scheduling(
        burst_size=32, yield_after_bursts=0, yield_when_idle=False, deadline_s=DEADLINE_S
    )


def window(
    rt: Runtime, mode: str, n: int, cpu: int, yield_after: int, seconds: float
) -> tuple[Window, float, float]:
    """One window: its rates, and the chain's context switches and voluntary
    yields per thousand packets through the chain."""
    loop = start_loop(
        rt,
        f"{mode.replace('+', '')}{n}",
        [["MacSwapper"]] * n,
        [cpu] * n,
        packets=1024,
        scheduling=scheduling(mode, yield_after),
    )
    try:
        if mode == "fifo":
            for u in loop.unfs:
                os.sched_setscheduler(u.pid, os.SCHED_FIFO, os.sched_param(PRIORITY))
        measure(rt, [loop], 0.1)  # warm-up
        pids = [u.pid for u in loop.unfs]
        rx0 = rt.counters(loop.unfs[0]).rx
        y0 = sum(rt.counters(u).yields for u in loop.unfs)
        s0 = context_switches(pids)
        w = measure_some(rt, [loop], seconds)
        s1 = context_switches(pids)
        y1 = sum(rt.counters(u).yields for u in loop.unfs)
        pkts = rt.counters(loop.unfs[0]).rx - rx0
        if pkts == 0:  # nothing moved (fifo without yield): no rate per packet
            return w, float("nan"), float("nan")
        return w, (s1 - s0) * 1e3 / pkts, (y1 - y0) * 1e3 / pkts
    finally:
        stop_loop(rt, loop)  # back to CFS first, then the stop flags


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--chains", default="1,2,3,4,5,6")
    ap.add_argument("--runs", type=int, default=3, help="rounds (combinations interleaved)")
    ap.add_argument("--seconds", type=float, default=0.3, help="length of one window")
    ap.add_argument("--yield-after", type=int, default=16, help="bursts between yields")
    ap.add_argument("--cpu", type=int, default=1, help="the shared core")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--quick", action="store_true", help="a few seconds: the smoke test")
    args = ap.parse_args(argv)
    if args.quick:
        args.chains, args.runs, args.seconds = "1,3", 1, 0.1
    chains = [int(c) for c in args.chains.split(",")]
    modes = [m for m in MODES if m != "fifo" or rt_throttled()]
    if "fifo" not in modes:
        print("RT throttling is off (sched_rt_runtime_us = -1): fifo without yield skipped")
    load = load_average()
    samples: dict[str, dict[int, list[Window]]] = {m: {n: [] for n in chains} for m in modes}
    sw: dict[str, dict[int, list[float]]] = {m: {n: [] for n in chains} for m in modes}
    yl: dict[str, dict[int, list[float]]] = {m: {n: [] for n in chains} for m in modes}
    with Runtime(cpus=[0, 1], mbufs=4095) as rt:
        control_off(args.cpu)
        for _ in range(args.runs):
            for n in chains:
                for m in modes:
                    w, per_k, yields = window(rt, m, n, args.cpu, args.yield_after, args.seconds)
                    samples[m][n].append(w)
                    sw[m][n].append(per_k)
                    yl[m][n].append(yields)
    per_cpu = {
        m: {n: spread([w.pps_per_cpu for w in v]) for n, v in s.items()} for m, s in samples.items()
    }
    wall = {m: {n: spread([w.pps for w in v]) for n, v in s.items()} for m, s in samples.items()}
    longest = {
        m: max([n for n in chains if per_cpu[m][n]["median"] >= LINE_RATE_64B], default=0)
        for m in modes
    }
    top = chains[-1]
    headline = per_cpu["fifo+yield"][top]["median"] / per_cpu["cfs+yield"][top]["median"]
    result: dict[str, Any] = {
        "benchmark": "fig5_shared_core",
        "machine": machine(),
        "load_average": load,
        "rt_runtime_us": Path("/proc/sys/kernel/sched_rt_runtime_us").read_text().strip(),
        "method": f"closed loop of N MacSwapper uNFs on CPU {args.cpu}, burst 32, 1024 packets "
        f"of 64 B circulating; yield when idle and after {args.yield_after} bursts in the "
        f"+yield combinations; SCHED_FIFO priority {PRIORITY}",
        "fifo_yield_over_cfs_yield": round(headline, 3),
        "chain_for_headline": top,
        "max_chain_at_line_rate": longest,
        "line_rate_mpps": LINE_RATE_64B / 1e6,
        "mpps_per_cpu_second": _mpps(per_cpu),
        "mpps_wall_clock": _mpps(wall),
        "context_switches_per_1000_packets": {
            m: {str(n): round(spread(v)["median"], 2) for n, v in by_n.items()}
            for m, by_n in sw.items()
        },
        "yields_per_1000_packets": {
            m: {str(n): round(spread(v)["median"], 2) for n, v in by_n.items()}
            for m, by_n in yl.items()
        },
        "empty_polls_per_1000_packets": {
            m: {
                str(n): round(spread([w.empty_polls * 1e3 for w in v])["median"], 2)
                for n, v in by_n.items()
            }
            for m, by_n in samples.items()
        },
    }
    print("Mpps per CPU-second of the chain's processes, median (min-max):\n")
    print(f"| uNFs | {' | '.join(modes)} |")
    print("|---:|" + "---:|" * len(modes))
    for n in chains:
        cells = [_cell(per_cpu[m][n]) for m in modes]
        print(f"| {n} | {' | '.join(cells)} |")
    print(
        "\nlongest chain at >= 14.88 Mpps (10 GbE, 64 B): "
        + ", ".join(f"{m} {longest[m]}" for m in modes)
    )
    print(f"fifo+yield / cfs+yield at {top} uNFs: **{headline:.2f}**")
    print(
        "\nPer 1,000 packets through the chain, median: context switches / voluntary "
        "yields / polls of an empty ingress\n"
    )
    print(f"| uNFs | {' | '.join(modes)} |")
    print("|---:|" + "---:|" * len(modes))
    for n in chains:
        cells = [
            " / ".join(
                _num(v, digits)
                for v, digits in (
                    (spread(sw[m][n])["median"], 1),
                    (spread(yl[m][n])["median"], 1),
                    (spread([w.empty_polls * 1e3 for w in samples[m][n]])["median"], 0),
                )
            )
            for m in modes
        ]
        print(f"| {n} | {' | '.join(cells)} |")
    path = write("fig5_shared_core", result, args.out)
    _plot(chains, modes, per_cpu, longest, args.out / "fig5_shared_core.png")
    print(f"wrote {path}")
    return 0


def _num(v: float, digits: int) -> str:
    return f"{v:.{digits}f}" if math.isfinite(v) else "–"  # – : no packet moved


def _cell(s: dict[str, float]) -> str:
    def f(v: float) -> str:
        return f"{v / 1e6:.2f}" if v >= 1e4 else f"{v / 1e6:.4f}"

    return f"{f(s['median'])} ({f(s['min'])}-{f(s['max'])})"


def _mpps(table: dict[str, dict[int, dict[str, float]]]) -> dict[str, Any]:
    return {
        m: {
            str(n): {k: round(v / 1e6, 5) if k != "runs" else v for k, v in s.items()}
            for n, s in by_n.items()
        }
        for m, by_n in table.items()
    }


def _plot(
    chains: list[int],
    modes: list[str],
    res: dict[str, dict[int, dict[str, float]]],
    longest: dict[str, int],
    path: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]})
    floor = 1e-4  # Mpps: where a chain that moved (almost) nothing is drawn on the log axis
    for m, style in zip(modes, ("o--", "o-", "s--", "s-"), strict=False):
        ys = [res[m][n]["median"] / 1e6 for n in chains]
        label = m + (" (0 drawn at 1e-4)" if min(ys) <= 0 else "")
        a.plot(chains, [max(floor, y) for y in ys], style, label=label)
    a.axhline(LINE_RATE_64B / 1e6, color="grey", lw=0.8, ls=":", label="10 GbE, 64 B")
    a.set_yscale("log")
    a.set_xlabel("MacSwapper uNFs sharing one core")
    a.set_ylabel("Mpps per CPU-second")
    a.set_title("(a) throughput")
    a.set_xticks(chains)
    a.legend(fontsize=8)
    a.grid(alpha=0.3)
    b.bar(range(len(modes)), [longest[m] for m in modes])
    b.set_xticks(range(len(modes)), modes, fontsize=8)
    b.set_ylabel("longest chain at 14.88 Mpps")
    b.set_title("(b) chain at line rate")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
