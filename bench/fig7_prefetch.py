#!/usr/bin/env python3
"""Benchmark (paper Fig. 7): pipelined prefetch distance, working set beyond L2.

A chain of two MacSwapper uNFs (as in the paper), each its own DPDK secondary
process, burst 64 (the paper's batch), yield when idle and after 16 bursts,
in a closed loop (bench/dploop.py) with K frames of 64 B circulating. The
prefetch distance k (the ``prefetch`` scheduling knob: 0 = off; otherwise the
worker prefetches the burst's mbuf headers and the processor prefetches the
data of packet i + k while it works on packet i) goes from 0 to 32, half the
batch, as in the paper.

Three working sets (``--sets``), each packet touching two cache lines per
pass (its mbuf header and its frame data): 512 frames (64 KB: within L2),
65,536 (8 MB: beyond L2) and 262,144 (32 MB: the size of the L3; 680 MB of
mbufs). Each packet is touched again only after every other one went round,
so in the large sets the first uNF's accesses to a packet's mbuf header and
data are cache misses (the second uNF, on the same core, finds them warm: the
busy cycles of each uNF are in the JSON). The paper's packets came from another NUMA node; this
machine has one, so misses to L3 and DRAM stand in for remote memory. Rates
are packets through the chain per CPU-second of the two processes (the core
is shared; wall-clock rates and busy cycles per packet are in the JSON). The
headline
``best_over_off_large`` is the largest set's best rate over its rate with
prefetch off. Writes bench/results/fig7_prefetch.json and .png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dploop import (
    RESULTS,
    Window,
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

BURST = 64


def window(
    rt: Runtime, k: int, packets: int, cpus: list[int], seconds: float
) -> tuple[Window, list[float]]:
    """One window: its rates, and each uNF's busy cycles per packet."""
    sched = Scheduling(burst_size=BURST, prefetch=k, yield_after_bursts=16, deadline_s=600)
    ring = 1 << (packets * 2 - 1).bit_length()
    loop = start_loop(
        rt,
        f"pf{k}n{packets}",
        [["MacSwapper"]] * 2,
        cpus,
        packets=packets,
        scheduling=sched,
        ring_size=ring,
    )
    try:
        measure(rt, [loop], 0.1)
        before = [rt.counters(u) for u in loop.unfs]
        w = measure_some(rt, [loop], seconds)
        after = [rt.counters(u) for u in loop.unfs]
        per_unf = [
            (a.busy_cycles - b.busy_cycles) / (a.rx - b.rx) if a.rx > b.rx else float("nan")
            for a, b in zip(after, before, strict=True)
        ]
        return w, per_unf
    finally:
        stop_loop(rt, loop)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--distances", default="0,1,2,4,8,16,32", help="prefetch distances")
    ap.add_argument("--sets", default="512,65536,262144", help="working sets: frames circulating")
    ap.add_argument("--cpus", default="1,1", help="CPUs of the two uNFs")
    ap.add_argument("--runs", type=int, default=3, help="rounds (distances interleaved)")
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one window")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--quick", action="store_true", help="a few seconds: the smoke test")
    args = ap.parse_args(argv)
    if args.quick:
        args.distances, args.sets, args.runs, args.seconds = "0,8", "512,4096", 1, 0.1
    dists = [int(d) for d in args.distances.split(",")]
    cpus = [int(c) for c in args.cpus.split(",")]
    sets = {f"{n}": n for n in sorted(int(x) for x in args.sets.split(","))}
    largest = max(sets, key=lambda s: sets[s])
    load = load_average()
    samples: dict[str, dict[int, list[Window]]] = {s: {k: [] for k in dists} for s in sets}
    per_unf: dict[str, dict[int, list[list[float]]]] = {s: {k: [] for k in dists} for s in sets}
    mbufs = max(sets.values()) + 4095
    with Runtime(cpus=[0, 1], mbufs=mbufs) as rt:
        for c in set(cpus):
            control_off(c)
        for _ in range(args.runs):
            for name, packets in sets.items():
                for k in dists:
                    w, cycles = window(rt, k, packets, cpus, args.seconds)
                    samples[name][k].append(w)
                    per_unf[name][k].append(cycles)
    table: dict[str, dict[str, Any]] = {s: {} for s in sets}
    for s in sets:
        for k in dists:
            w = samples[s][k]
            cpu = spread([x.pps_per_cpu for x in w])
            table[s][str(k)] = {
                "mpps_per_cpu_second": {
                    a: round(v / 1e6, 3) if a != "runs" else v for a, v in cpu.items()
                },
                "mpps_wall_clock": round(spread([x.pps for x in w])["median"] / 1e6, 3),
                "cycles_per_packet": round(spread([x.cycles for x in w])["median"], 1),
                "cycles_per_packet_by_unf": [
                    round(spread([c[i] for c in per_unf[s][k]])["median"], 1)
                    for i in range(len(cpus))
                ],
            }
    rel = {
        s: {
            str(k): round(
                table[s][str(k)]["mpps_per_cpu_second"]["median"]
                / table[s][str(dists[0])]["mpps_per_cpu_second"]["median"],
                3,
            )
            for k in dists
        }
        for s in sets
    }
    best = max(rel[largest].values())
    result = {
        "benchmark": "fig7_prefetch",
        "machine": machine(),
        "load_average": load,
        "method": f"closed loop of 2 MacSwapper uNFs on CPUs {cpus}, burst {BURST}, 64 B "
        "frames, yield when idle and after 16 bursts; working sets of "
        f"{', '.join(sets)} frames",
        "best_over_off_large": best,
        "largest_set": int(largest),
        "working_set_frames": sets,
        "relative_to_distance_0": rel,
        "by_set": table,
    }
    print("Mpps per CPU-second of the two uNFs, median (min-max); busy cycles per packet\n")
    head = " | ".join(f"{n} frames: Mpps | cycles/pkt | vs k=0" for n in sets)
    print(f"| prefetch k | {head} |")
    print("|---:|" + "---:|---:|---:|" * len(sets))
    for k in dists:
        cells = " | ".join(
            f"{_c(table[s][str(k)])} | {table[s][str(k)]['cycles_per_packet']:.0f} | "
            f"{rel[s][str(k)]:.2f}"
            for s in sets
        )
        print(f"| {k} | {cells} |")
    print(f"\n{largest} frames, best prefetch distance over none: **{best:.2f}**")
    path = write("fig7_prefetch", result, args.out)
    _plot(dists, sets, table, args.out / "fig7_prefetch.png")
    print(f"wrote {path}")
    return 0


def _c(t: dict[str, Any]) -> str:
    m = t["mpps_per_cpu_second"]
    return f"{m['median']:.1f} ({m['min']:.1f}-{m['max']:.1f})"


def _plot(
    dists: list[int], sets: dict[str, int], table: dict[str, dict[str, Any]], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for (s, n), style in zip(sets.items(), ("o-", "s--", "^-.", "v:"), strict=False):
        ax.plot(
            dists,
            [table[s][str(k)]["mpps_per_cpu_second"]["median"] for k in dists],
            style,
            label=f"{n} frames",
        )
    ax.set_xlabel(f"prefetch distance (packets ahead, burst {BURST})")
    ax.set_ylabel("Mpps per CPU-second")
    ax.set_xticks(dists)
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
