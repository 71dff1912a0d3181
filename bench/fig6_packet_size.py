#!/usr/bin/env python3
"""Benchmark (paper Fig. 6): one MacSwapper uNF, frames of 64 to 1500 bytes.

One MacSwapper uNF (a DPDK secondary process on ``--cpu``) on two paths:

* ``ring``: a closed loop (bench/dploop.py), the uNF reads a ring and writes
  it back, 1,024 frames of the size circulating: the uNF's own cost;
* ``net_null``: the uNF reads a ``net_null`` ethdev (``size=S,copy=1``: the
  driver allocates each mbuf and writes S bytes into it, as a NIC's DMA would)
  and transmits back to it (the driver reads S bytes and frees the mbuf): the
  nearest this machine, which has no NIC, comes to the paper's Rx -> uNF ->
  Tx path. Here the one core does the driver's work too.

Rates are frames per CPU-second of the uNF process (the core is shared; the
wall-clock rates are in the JSON), in Mpps and in Gbit/s of frame bytes, and
as a fraction of 10 GbE line rate at that size (preamble and gap: 20 B per
frame), which is where the paper's Fig. 6 is capped. The headline
``line_rate_fraction_64b`` is the net_null path at 64 B over 14.88 Mpps.
Writes bench/results/fig6_packet_size.json and .png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dploop import (
    RESULTS,
    Loop,
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

from micronf.dataplane import Egress, Ingress, Runtime, Scheduling, Stage, UnfSpec

PATHS = ("ring", "net_null")
SCHED = Scheduling(burst_size=32, yield_after_bursts=16, deadline_s=600)


def line_rate_pps(size: int) -> float:
    return 10e9 / ((size + 20) * 8)


def window(rt: Runtime, path: str, size: int, cpu: int, seconds: float) -> Window:
    if path == "ring":
        loop = start_loop(rt, f"ring{size}", [["MacSwapper"]], [cpu], scheduling=SCHED)
        try:
            measure(rt, [loop], 0.1)
            return measure_some(rt, [loop], seconds)
        finally:
            stop_loop(rt, loop)
    name = f"net_null_s{size}"
    port = rt.add_port(name, f"size={size},copy=1")
    try:
        unf = rt.start_unf(
            UnfSpec(
                f"null{size}",
                (Stage("MacSwapper"),),
                Ingress.from_port(port),
                (Egress.to_port("out", port),),
                cpu=cpu,
                scheduling=SCHED,
            )
        )
        loop = Loop([unf], [])
        try:
            measure(rt, [loop], 0.1)
            return measure_some(rt, [loop], seconds)
        finally:
            stop_loop(rt, loop)
    finally:
        rt.remove_port(name)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--sizes", default="64,128,256,512,1024,1500", help="frame sizes, bytes")
    ap.add_argument("--runs", type=int, default=5, help="rounds (paths interleaved)")
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one window")
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--quick", action="store_true", help="a few seconds: the smoke test")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.runs, args.seconds = "64,1500", 1, 0.1
    sizes = [int(s) for s in args.sizes.split(",")]
    load = load_average()
    samples: dict[str, dict[int, list[Window]]] = {p: {s: [] for s in sizes} for p in PATHS}
    with Runtime(cpus=[0, 1], mbufs=4095) as rt:
        control_off(args.cpu)
        for _ in range(args.runs):
            for s in sizes:
                for p in PATHS:
                    samples[p][s].append(window(rt, p, s, args.cpu, args.seconds))
    table: dict[str, dict[str, Any]] = {p: {} for p in PATHS}
    for p in PATHS:
        for s in sizes:
            cpu = spread([w.pps_per_cpu for w in samples[p][s]])
            med = cpu["median"]
            table[p][str(s)] = {
                "mpps_per_cpu_second": {
                    k: round(v / 1e6, 3) if k != "runs" else v for k, v in cpu.items()
                },
                "gbps_per_cpu_second": round(med * s * 8 / 1e9, 2),
                "line_rate_fraction": round(med / line_rate_pps(s), 2),
                "mpps_wall_clock": round(spread([w.pps for w in samples[p][s]])["median"] / 1e6, 3),
            }
    first = str(sizes[0])
    result = {
        "benchmark": "fig6_packet_size",
        "machine": machine(),
        "load_average": load,
        "method": f"one MacSwapper uNF on CPU {args.cpu}, burst 32; ring: closed loop of 1024 "
        "frames; net_null: size=S,copy=1 port as ingress and egress",
        "line_rate_fraction_64b": table["net_null"][first]["line_rate_fraction"],
        "size_for_headline": sizes[0],
        "by_path": table,
    }
    print("Per CPU-second of the uNF process, median of the rounds:\n")
    print(
        "| frame B | ring Mpps (min-max) | ring Gbit/s | net_null Mpps (min-max) | "
        "net_null Gbit/s | 10 GbE line rate Mpps | net_null / line rate |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for s in sizes:
        r, n = table["ring"][str(s)], table["net_null"][str(s)]
        print(
            f"| {s} | {_c(r)} | {r['gbps_per_cpu_second']:.1f} | {_c(n)} | "
            f"{n['gbps_per_cpu_second']:.1f} | {line_rate_pps(s) / 1e6:.2f} | "
            f"{n['line_rate_fraction']:.1f} |"
        )
    print(
        f"\nnet_null path at {sizes[0]} B over 10 GbE line rate: "
        f"**{result['line_rate_fraction_64b']:.2f}**"
    )
    path = write("fig6_packet_size", result, args.out)
    _plot(sizes, table, args.out / "fig6_packet_size.png")
    print(f"wrote {path}")
    return 0


def _c(t: dict[str, Any]) -> str:
    m = t["mpps_per_cpu_second"]
    return f"{m['median']:.1f} ({m['min']:.1f}-{m['max']:.1f})"


def _plot(sizes: list[int], table: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for p, style in zip(PATHS, ("o-", "s--"), strict=True):
        a.plot(
            sizes,
            [table[p][str(s)]["mpps_per_cpu_second"]["median"] for s in sizes],
            style,
            label=p,
        )
        b.plot(sizes, [table[p][str(s)]["gbps_per_cpu_second"] for s in sizes], style, label=p)
    a.plot(sizes, [line_rate_pps(s) / 1e6 for s in sizes], ":", color="grey", label="10 GbE")
    b.axhline(10, color="grey", ls=":", label="10 GbE")
    a.set_yscale("log")
    a.set_ylabel("Mpps per CPU-second")
    b.set_ylabel("Gbit/s per CPU-second (frame bytes)")
    for ax in (a, b):
        ax.set_xlabel("frame size, bytes")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
