#!/usr/bin/env python3
"""Benchmark: how long auto-scaling actions take, and what they lose.

A feeder uNF (MacSwapper) hands packets to a ``Busy`` uNF that cannot keep up
(200,000 cycles per packet) through a 64-slot ring, while a thread of this
script keeps injecting; the agent's deployer (``micronf.agent.deployer``) then
scales the slow uNF out to two instances and back in, under that load. Per
run it measures:

* ``start_instance_ms``: starting the new worker process until it polls
  (Python, the cffi module, DPDK secondary initialisation);
* ``rewire_ms``: the live reconfiguration of the feeder's egress
  (point-to-point -> load-balanced, between two of its bursts);
* ``scale_out_ms``: the whole scale-out, from the decision until the feeder
  spreads over both instances (ring + start + rewire);
* ``first_packet_ms``: from the decision until the new instance's first packet;
* ``scale_in_ms``: the whole scale-in (rewire back, drain, stop, free the ring);
* ``lost_packets`` and ``duplicated_packets`` over all runs: sent - delivered -
  counted drops, and packets delivered twice (both must be 0).

Medians with min-max over R runs. Writes bench/results/autoscale.json and .png.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from dploop import RESULTS, frame, machine, spread, write

from micronf.agent.deployer import AGENT, Deployment, InstanceState, UnfPlan, plan
from micronf.dataplane import Runtime

PHASES = ("start_instance_ms", "rewire_ms", "scale_out_ms", "first_packet_ms", "scale_in_ms")


def graph(cycles: int) -> dict[str, Any]:
    ring = lambda name: {"kind": "ring", "ring": name}  # noqa: E731
    out = lambda name: [{"name": "out", "kind": "ring", "ring": [name]}]  # noqa: E731
    return {
        AGENT: {
            "desired": {
                "ring": [
                    {"name": "b-in", "size": 8192},
                    {"name": "b-work", "size": 64},
                    {"name": "b-out", "size": 8192},
                ],
                "unf": [
                    # Stands for this script (it injects into b-in and drains
                    # b-out); taken out of the plan before it is deployed.
                    {"id": "script", "class": "MacSwapper", "ingress": ring("b-out"),
                     "egress": out("b-in")},
                    {"id": "feed", "class": "MacSwapper", "core": 0, "ingress": ring("b-in"),
                     "egress": out("b-work")},
                    {"id": "work", "class": "Busy", "core": 1, "ingress": ring("b-work"),
                     "egress": out("b-out"),
                     "parameter": [{"name": "cycles", "value": [str(cycles)]}],
                     "autoscale": {"max-instances": 2}},
                ],
            }
        }
    }  # fmt: skip


class Timed(Deployment):
    """The deployer, with its two scale-out phases timed."""

    phases: dict[str, float]

    def _start_instance(self, u: UnfPlan, index: int, core: int) -> InstanceState:
        t0 = time.perf_counter()
        inst = super()._start_instance(u, index, core)
        self.phases["start_instance_ms"] = (time.perf_counter() - t0) * 1000
        return inst

    def _rewire(self, u: UnfPlan) -> None:
        t0 = time.perf_counter()
        super()._rewire(u)
        self.phases["rewire_ms"] = (time.perf_counter() - t0) * 1000


def one_run(rt: Runtime, cycles: int) -> tuple[dict[str, float], int, int]:
    p = plan(graph(cycles), [], cpus=rt.cpus, idle_sleep_us=50, deadline_s=120)
    dep = Timed(rt, dataclasses.replace(p, unfs=tuple(u for u in p.unfs if u.id != "script")))
    dep.phases = {}
    dep.start()
    sent, stop = [0], threading.Event()
    delivered: list[bytes] = []

    def feed() -> None:
        # The one producer of b-in and consumer of b-out while it runs: what
        # arrives is taken at once, so the mbuf pool never runs dry.
        while not stop.is_set():
            sent[0] += rt.inject("b-in", [frame(sent[0] + i) for i in range(64)])
            delivered.extend(pkt for pkt, _ in rt.drain("b-out", 4096))
            time.sleep(0.002)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        time.sleep(0.1)  # the ring overflows: the situation that triggers a scale-out
        t0 = time.perf_counter()
        new = dep.scale_out("work")
        dep.phases["scale_out_ms"] = (time.perf_counter() - t0) * 1000
        while rt.counters(new.process).rx == 0:
            if time.perf_counter() - t0 > 60:
                raise SystemExit("the new instance received nothing within 60 s")
            time.sleep(0.0002)
        dep.phases["first_packet_ms"] = (time.perf_counter() - t0) * 1000
        time.sleep(0.1)
        t0 = time.perf_counter()
        dep.scale_in("work")
        dep.phases["scale_in_ms"] = (time.perf_counter() - t0) * 1000
        time.sleep(0.05)
    finally:
        stop.set()
        feeder.join()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            delivered += [pkt for pkt, _ in rt.drain("b-out", 8192)]
            drops = sum(sum(dep.counters(i).egress_drops.values()) for i in dep.instances)
            if len(delivered) + drops >= sent[0] and rt.mempool().in_use == 0:
                break
            time.sleep(0.01)
        dep.stop()
        for r in list(rt.rings):
            rt.free_ring(r)
        rt.unfs.clear()
    lost = sent[0] - len(delivered) - drops
    return dep.phases, lost, len(delivered) - len(set(delivered))


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(PHASES)
    med = [result[n]["median"] for n in names]
    err = [
        [m - result[n]["min"] for n, m in zip(names, med, strict=True)],
        [result[n]["max"] - m for n, m in zip(names, med, strict=True)],
    ]
    ax.barh([n.removesuffix("_ms").replace("_", " ") for n in names], med, xerr=err)
    ax.set_xlabel("milliseconds (median, min-max)")
    ax.set_title(f"auto-scaling actions under overload, {result['runs']} runs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[1])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=200_000, help="Busy cycles per packet")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    samples: dict[str, list[float]] = {n: [] for n in PHASES}
    lost = duplicated = 0
    with Runtime(cpus=[0, 1], mbufs=8191) as rt:
        for _ in range(args.runs):
            phases, lo, dup = one_run(rt, args.cycles)
            lost += lo
            duplicated += dup
            for n in PHASES:
                samples[n].append(phases[n])
    result: dict[str, Any] = {
        "machine": machine(),
        "runs": args.runs,
        "busy_cycles_per_packet": args.cycles,
        **{n: spread(v) for n, v in samples.items()},
        # the headline: decision -> the feeder spreads over both instances
        "scale_out_ms_median": statistics.median(samples["scale_out_ms"]),
        "lost_packets": lost,
        "duplicated_packets": duplicated,
    }
    print(f"Auto-scaling under overload, {args.runs} runs (ms: median (min-max)):\n")
    print("| phase | median | min | max |\n|---|---:|---:|---:|")
    for n in PHASES:
        s = result[n]
        print(f"| {n.removesuffix('_ms')} | {s['median']:.1f} | {s['min']:.1f} | {s['max']:.1f} |")
    print(f"\npackets lost: **{lost}**, duplicated: **{duplicated}** (both must be 0)")
    path = write("autoscale", result, args.out)
    plot(result, path.with_suffix(".png"))
    print(f"wrote {path}")
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
