#!/usr/bin/env python3
"""Benchmark: estimated cycles per packet of the paper's SFC, naive vs compiled.

The paper's chain (Edge Firewall -> Monitoring Function -> Application
Firewall, ``examples/paper-sfc.json``) is compiled by micronf; the cost
model prices every uNF at its measured cycles per packet
(``bench/results/processor_cycles.json``, when the data plane has written
it) or else at its descriptor's cost, and weighs it by the share of packets
that reach it. Two traffic mixes are shown:

* ``http`` (the headline): every packet an HTTP request with a valid URL,
  like the paper's trace of a web service's access log;
* ``uniform``: each classifier result equally likely.

Like the paper's Table I it prints, per class, the cycles per packet in the
naive graph (chained monolithic VNFs) and in the compiled one, the saving
and the class's weight in the naive graph. It is an estimate from the cost
model; the live system measures it for real later. Results go to
``<out>/sfc_savings.json`` (``saving_percent``, ``unfs_naive``,
``unfs_compiled``) and ``<out>/sfc_savings.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from micronf.controller.compiler import CostModel, compile_intent
from micronf.controller.compiler.cost import flows
from micronf.models import Intent
from micronf.models.graph import UnfGraph
from micronf.yang import validate_instance

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results"
MEASURED = ROOT / "bench" / "results" / "processor_cycles.json"
MIXES = {"http": {"http": 1.0, "non-http": 0.0, "valid": 1.0, "attack": 0.0}, "uniform": {}}
#: The paper's Table I: overall saving of configuration (ii) over (i).
PAPER_SAVING = 29.5


def measured_cycles(path: Path) -> dict[str, float]:
    if not path.is_file():
        return {}
    data: Any = json.loads(path.read_text())
    if isinstance(data, dict) and isinstance(data.get("processors"), dict):
        data = data["processors"]
    out: dict[str, float] = {}
    for cls, value in (data or {}).items():
        if isinstance(value, dict):
            value = value.get("cycles_per_packet", value.get("cycles"))
        if isinstance(value, int | float) and value > 0 and cls[:1].isupper():
            out[cls] = float(value)
    return out


def per_class(graph: UnfGraph, chain: str, model: CostModel) -> dict[str, float]:
    out: dict[str, float] = {}
    for nid, share in flows(graph, chain, model).items():
        node = graph.nodes[nid]
        out[node.unf_class] = out.get(node.unf_class, 0.0) + share * model.cycles(node)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--intent", type=Path, default=ROOT / "examples" / "paper-sfc.json")
    ap.add_argument("--cycles", type=Path, default=MEASURED, help="measured cycles (JSON)")
    ap.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    args = ap.parse_args(argv)

    intent = Intent.from_validated(validate_instance(args.intent.read_bytes(), "json"))
    comp = compile_intent(intent)
    (chain,) = comp.graph.entries
    measured = measured_cycles(args.cycles)
    mixes: dict[str, Any] = {}
    for mix, shares in MIXES.items():
        model = CostModel(measured=measured, label_share=shares)
        report = comp.report(model)
        naive_c, comp_c = per_class(comp.naive, chain, model), per_class(comp.graph, chain, model)
        total = sum(naive_c.values())
        mixes[mix] = {
            "cycles_naive": report["cycles_naive"],
            "cycles_compiled": report["cycles_compiled"],
            "saving_percent": report["saving_percent"],
            "classes": {
                cls: {
                    "naive": round(naive_c[cls], 1),
                    "compiled": round(comp_c.get(cls, 0.0), 1),
                    "saved_percent": round(100 * (1 - comp_c.get(cls, 0.0) / naive_c[cls]), 1)
                    if naive_c[cls]
                    else 0.0,
                    "weight_percent": round(100 * naive_c[cls] / total, 1) if total else 0.0,
                }
                for cls in sorted(naive_c, key=lambda c: -naive_c[c])
            },
        }
    head = mixes["http"]
    report = comp.report(CostModel(measured=measured, label_share=MIXES["http"]))
    print(f"paper's SFC ({args.intent.name}), traffic: HTTP requests with valid URLs")
    print()
    print("| uNF class | cycles/pkt naive | cycles/pkt compiled | saved | weight in naive |")
    print("|---|---:|---:|---:|---:|")
    for cls, row in head["classes"].items():
        print(
            f"| {cls} | {row['naive']} | {row['compiled']} | {row['saved_percent']}% "
            f"| {row['weight_percent']}% |"
        )
    print(
        f"| **overall** | **{head['cycles_naive']}** | **{head['cycles_compiled']}** "
        f"| **{head['saving_percent']}%** | |"
    )
    uni = mixes["uniform"]
    print(
        f"\nuNFs: {report['unfs_naive']} naive -> {report['unfs_compiled']} compiled "
        f"({len(report['removed'])} removed, {len(report['shared'])} shared, "
        f"{len(report['parallelised'])} parallelised)"
    )
    print(
        f"uniform results instead: {uni['cycles_naive']} -> {uni['cycles_compiled']} "
        f"({uni['saving_percent']}% saved); the paper measured {PAPER_SAVING}% (Table I)"
    )
    print(
        f"costs: {'measured' if measured else 'descriptor'} ({', '.join(sorted(measured)) or '-'})"
    )
    result = {
        "benchmark": "sfc_savings",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "intent": str(
            args.intent.relative_to(ROOT) if args.intent.is_relative_to(ROOT) else args.intent
        ),
        "traffic": "http",
        "saving_percent": head["saving_percent"],
        "cycles_naive": head["cycles_naive"],
        "cycles_compiled": head["cycles_compiled"],
        "unfs_naive": report["unfs_naive"],
        "unfs_compiled": report["unfs_compiled"],
        "removed": report["removed"],
        "shared": report["shared"],
        "parallelised": report["parallelised"],
        "not_proven_safe": report["not_proven_safe"],
        "cost_source": "measured" if measured else "descriptor",
        "measured_classes": sorted(measured),
        "paper_saving_percent": PAPER_SAVING,
        "mixes": mixes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sfc_savings.json").write_text(json.dumps(result, indent=1) + "\n")
    if not args.no_plot:
        plot(head, args.out / "sfc_savings.png")
    print(f"results: {args.out / 'sfc_savings.json'}")
    return 0


def plot(head: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = list(head["classes"])
    naive = [head["classes"][c]["naive"] for c in classes]
    compiled = [head["classes"][c]["compiled"] for c in classes]
    fig, ax = plt.subplots(figsize=(8, 4))
    x = range(len(classes))
    ax.bar([i - 0.2 for i in x], naive, width=0.4, label="naive (chained VNFs)")
    ax.bar([i + 0.2 for i in x], compiled, width=0.4, label="compiled")
    ax.set_xticks(list(x))
    ax.set_xticklabels(classes, rotation=30, ha="right")
    ax.set_ylabel("estimated cycles per packet")
    ax.set_title(
        f"paper's SFC: {head['cycles_naive']} -> {head['cycles_compiled']} cycles/packet "
        f"({head['saving_percent']}% saved)"
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
