#!/usr/bin/env python3
"""Benchmark: compile and place N chains over 10 agents (the controller's pure path).

It generates a deterministic intent (seeded): 10 agents with 32 cores and 4
ports each, N chains of 1 to 4 VNFs drawn from the built-in templates with
edge-firewall rules drawn from a few rule sets, each chain entering and
leaving at one agent, at 0.005 to 0.05 Mpps. The intent is validated once
(not timed). Then, R times each, interleaved:

* ``compile``: :func:`micronf.controller.compiler.compile_intent` (inline,
  dedup, parallelize, consolidate);
* ``place``: :func:`micronf.controller.placement.place` on the result;
* ``plan``: :func:`micronf.controller.plan.desired_graphs` and the action list
  against an empty current state (reported, not part of the headline).

Times are CPU seconds of the process (``time.process_time``): the machines
are shared, and wall-clock time there measures the neighbours as much as
micronf (the wall-clock median is reported beside it). The headline is the
median CPU seconds of compile + place for 1,000 chains
(goal: at most 1 s here) and for 10,000 chains, and their ratio against
10 x log(10000)/log(1000) = 13.3, the growth n log n allows. Results go to
``<out>/compile.json`` (``seconds_1000``, ``seconds_10000``, ``growth``) and
``<out>/compile.png``. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from micronf.controller.compiler import CostModel, compile_intent
from micronf.controller.placement import place
from micronf.controller.plan import actions, desired_graphs
from micronf.models import Intent
from micronf.yang import validate_dict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results"
TEMPLATES = ("edge-firewall", "monitoring-function", "application-firewall", "load-balancer")
RULES = (
    ["deny proto udp dport 53", "allow proto tcp dport 80", "allow proto tcp dport 443"],
    ["allow proto tcp"],
    ["deny src 198.51.100.0/24"],
)
AGENTS = 10


def make_intent(chains: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    agents = [
        {
            "name": f"agent-{a:02d}",
            "address": f"198.51.100.{a + 1}",
            "numa-node": [
                {"id": 0, "core": list(range(1, 17))},
                {"id": 1, "core": list(range(17, 33))},
            ],
            "port": [
                {
                    "name": f"p{k}",
                    "numa-node": k // 2,
                    "mac-address": f"02:00:00:00:{a:02x}:{k:02x}",
                }
                for k in range(4)
            ],
        }
        for a in range(AGENTS)
    ]
    out = []
    for i in range(chains):
        n = rng.randint(1, 4)
        vnfs = []
        for j in range(n):
            tpl = rng.choice(TEMPLATES)
            vnf: dict[str, Any] = {"name": f"v{j}", "template": tpl}
            if tpl == "edge-firewall":
                rules = rng.choice(RULES)
                vnf["node-config"] = [
                    {"node": "filter", "parameter": [{"name": "rule", "value": rules}]}
                ]
            vnfs.append(vnf)
        agent = f"agent-{rng.randrange(AGENTS):02d}"
        port = rng.randrange(2)
        chain: dict[str, Any] = {
            "name": f"chain-{i:05d}",
            "vnf": vnfs,
            "ingress": {"vnf": "v0", "agent": agent, "port": f"p{2 * port}"},
            "egress": {"agent": agent, "port": f"p{2 * port + 1}"},
            "placement": {"expected-rate": f"{rng.randint(5, 50) / 1000:.3f}"},
        }
        if n > 1:
            chain["link"] = [{"from": f"v{j}", "to": f"v{j + 1}"} for j in range(n - 1)]
        out.append(chain)
    return {"micronf-sfc:agents": {"agent": agents}, "micronf-sfc:chains": {"chain": out}}


def measure(intent: Intent, repeat: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {"compile": [], "place": [], "plan": [], "wall": []}
    last: dict[str, Any] = {}
    model = CostModel()
    for _ in range(repeat):
        w0 = time.perf_counter()
        t0 = time.process_time()
        comp = compile_intent(intent)
        t1 = time.process_time()
        placement = place(comp.graph, intent, model)
        t2 = time.process_time()
        w2 = time.perf_counter()
        desired = desired_graphs(comp.graph, placement, intent)
        acts = actions({}, desired)
        t3 = time.process_time()
        samples["compile"].append(t1 - t0)
        samples["place"].append(t2 - t1)
        samples["plan"].append(t3 - t2)
        samples["wall"].append(w2 - w0)
        report = comp.report(model)
        last = {
            "unfs_naive": report["unfs_naive"],
            "unfs_compiled": report["unfs_compiled"],
            "removed": len(report["removed"]),
            "shared": len(report["shared"]),
            "parallelised": len(report["parallelised"]),
            "cores": round(sum(placement.loads.values()), 2),
            "tunnels": len(placement.tunnels),
            "actions": len(acts),
        }
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "compile_s": med["compile"],
        "place_s": med["place"],
        "plan_s": med["plan"],
        "seconds": med["compile"] + med["place"],
        "wall_s": med["wall"],
        "samples": samples,
        **last,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--sizes", default="1000,10000", help="chain counts (1000,10000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each size (3)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the generated intents (7)")
    ap.add_argument("--quick", action="store_true", help="100 and 300 chains, 1 run (tests)")
    ap.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    args = ap.parse_args(argv)
    sizes = [100, 300] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat

    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        data = make_intent(n, args.seed)
        intent = Intent.from_validated(validate_dict(data, max_bytes=256 * 1024 * 1024))
        validate_s = time.perf_counter() - t0
        row = {"chains": n, "validate_s": validate_s, **measure(intent, repeat)}
        rows.append(row)
        print(f"# {n} chains: compile+place {row['seconds']:.3f} s", file=sys.stderr)

    print(
        "| chains | uNFs naive | uNFs compiled | compile s | place s | compile+place s "
        "| µs per chain | wall s | plan s | cores | validate s (not timed above) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['chains']} | {r['unfs_naive']} | {r['unfs_compiled']} | {r['compile_s']:.3f} "
            f"| {r['place_s']:.3f} | {r['seconds']:.3f} | {1e6 * r['seconds'] / r['chains']:.0f} "
            f"| {r['wall_s']:.3f} | {r['plan_s']:.3f} | {r['cores']} | {r['validate_s']:.2f} |"
        )
    by = {r["chains"]: r for r in rows}
    result: dict[str, Any] = {
        "benchmark": "compile",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "agents": AGENTS,
        "repeat": repeat,
        "seed": args.seed,
        "rows": rows,
    }
    small, large = sizes[0], sizes[-1]
    if 1000 in by:
        result["seconds_1000"] = by[1000]["seconds"]
    if 10000 in by:
        result["seconds_10000"] = by[10000]["seconds"]
    if large > small:
        growth = by[large]["seconds"] / by[small]["seconds"]
        bound = (large * math.log(large)) / (small * math.log(small))
        result.update(growth=growth, nlogn_bound=bound, growth_sizes=[small, large])
        print(
            f"\ngrowth {small} -> {large} chains: x{growth:.1f} "
            f"(n log n allows x{bound:.1f}, linear x{large / small:.0f})"
        )
    if 1000 in by:
        print(
            f"1,000 chains compile and place in {by[1000]['seconds']:.3f} CPU s "
            f"({by[1000]['wall_s']:.3f} s wall; goal <= 1 s)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compile.json").write_text(json.dumps(result, indent=1) + "\n")
    if not args.no_plot:
        plot(rows, args.out / "compile.png")
    print(f"results: {args.out / 'compile.json'}")
    return 0


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["chains"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(n, [r["compile_s"] for r in rows], "o-", label="compile")
    ax.plot(n, [r["place_s"] for r in rows], "s-", label="place")
    ax.plot(n, [r["seconds"] for r in rows], "^-", label="compile + place")
    base = rows[0]
    ax.plot(
        n,
        [base["seconds"] * (x * math.log(x)) / (n[0] * math.log(n[0])) for x in n],
        "k--",
        label="n log n from the first size",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chains")
    ax.set_ylabel("CPU seconds (median)")
    ax.set_title(f"compile and place over {AGENTS} agents")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
