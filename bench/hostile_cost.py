#!/usr/bin/env python3
"""Benchmark: the cost of hostile input shapes, at 1, 2 and 4 MiB.

Each shape is one a parser handles in time that grows faster than the
input (libyang 2.1: equal leaf-list values, duplicate list entries,
namespace declarations; tosca-parser: forwarders of one path; imports that
fail), or a big but ordinary intent for comparison. Each is generated at
about 1, 2 and 4 MiB (the default size limit) and fed to the intake layer
(:func:`micronf.yang.inputs.load`, what ``micronf validate`` runs, in
process), timed once per size, interleaved. Whether the input is refused
(and by what) is shown next to its time.

The headline is ``worst_seconds_per_mib``: the largest time per MiB over
every shape and size (goal: at most 0.5 s per MiB on this machine), and
each shape's growth from 1 to 4 MiB (linear is 4x). Results go to
``<out>/hostile_cost.json`` and ``<out>/hostile_cost.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from micronf.yang import ValidationFailed
from micronf.yang.inputs import load

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results"
MIB = 1024 * 1024
GOAL = 0.5  # seconds per MiB
_PAPER = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())
EXAMPLE = _PAPER["micronf-sfc:chains"]["chain"][0]
#: The agents registry the chains' ingress and egress name (an intent without
#: it is refused early, and would not be the ordinary case this shape stands for).
AGENTS = json.dumps(_PAPER["micronf-sfc:agents"])


def _fill(target: int, head: str, item: Callable[[int], str], sep: str, tail: str) -> str:
    """``head + item(0) + sep + item(1) ... + tail``, about ``target`` bytes long."""
    size = len(head) + len(tail)
    one = len(item(0)) + len(sep)
    n = max(1, (target - size) // one)
    parts = [item(i) for i in range(n)]
    text = head + sep.join(parts) + tail
    while len(text.encode()) > target and len(parts) > 1:
        parts = parts[: int(len(parts) * 0.98)]
        text = head + sep.join(parts) + tail
    return text


def _chain_json(extra: dict[str, Any]) -> str:
    chain = dict(EXAMPLE, **extra)
    return json.dumps({"micronf-sfc:chains": {"chain": [chain]}})


def json_equal_leaf_list(target: int) -> tuple[str, str]:
    head, tail = _chain_json({"placement": {"allowed-agent": ["@@"]}}).split('"@@"')
    return "json", _fill(target, head, lambda i: '"a"', ",", tail)


def json_distinct_leaf_list(target: int) -> tuple[str, str]:
    head, tail = _chain_json({"placement": {"allowed-agent": ["@@"]}}).split('"@@"')
    return "json", _fill(target, head, lambda i: f'"a{i}"', ",", tail)


def json_many_chains(target: int) -> tuple[str, str]:
    one = json.dumps(EXAMPLE)
    return "json", _fill(
        target,
        '{"micronf-sfc:agents": ' + AGENTS + ', "micronf-sfc:chains": {"chain": [',
        lambda i: one.replace('"paper-sfc"', f'"c{i}"', 1),
        ",",
        "]}}",
    )


def json_duplicate_chains(target: int) -> tuple[str, str]:
    one = json.dumps(EXAMPLE)
    return "json", _fill(target, '{"micronf-sfc:chains": {"chain": [', lambda i: one, ",", "]}}")


def xml_namespaces_one_element(target: int) -> tuple[str, str]:
    return "xml", _fill(
        target,
        '<chains xmlns="urn:micronf:yang:micronf-sfc"><chain ',
        lambda i: f'xmlns:p{i}="urn:x:{i}"',
        " ",
        "><name>c</name></chain></chains>",
    )


def xml_namespaces_spread(target: int) -> tuple[str, str]:
    return "xml", _fill(
        target,
        '<chains xmlns="urn:micronf:yang:micronf-sfc">',
        lambda i: f'<chain xmlns:p="urn:x:{i}"><name>c{i}</name></chain>',
        "",
        "</chains>",
    )


def xml_equal_leaf_list(target: int) -> tuple[str, str]:
    return "xml", _fill(
        target,
        '<chains xmlns="urn:micronf:yang:micronf-sfc"><chain><name>c</name><placement>',
        lambda i: "<allowed-agent>a</allowed-agent>",
        "",
        "</placement></chain></chains>",
    )


def xml_duplicate_entries(target: int) -> tuple[str, str]:
    return "xml", _fill(
        target,
        '<chains xmlns="urn:micronf:yang:micronf-sfc">',
        lambda i: "<chain><name>c</name></chain>",
        "",
        "</chains>",
    )


_TOSCA_HEAD = (
    "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n"
    "imports: [micronf]\n"
    "topology_template:\n"
    "  node_templates:\n"
    "    v0: {type: micronf.nodes.VNF, properties: {template: load-balancer}}\n"
    "    v1: {type: micronf.nodes.VNF, properties: {template: load-balancer}}\n"
    "    path:\n"
    "      type: micronf.nodes.FP\n"
    "      requirements:\n"
)


def tosca_forwarders(target: int) -> tuple[str, str]:
    tail = "  groups:\n    chain:\n      type: micronf.groups.VNFFG\n      members: [path]\n"
    return "tosca", _fill(
        target, _TOSCA_HEAD, lambda i: f"        - forwarder: v{i % 2}", "\n", "\n" + tail
    )


def tosca_failing_imports(target: int) -> tuple[str, str]:
    return "tosca", _fill(
        target,
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\nimports:\n",
        lambda i: f"  - missing-{i}.yaml",
        "\n",
        "\ntopology_template: {}\n",
    )


SHAPES: dict[str, Callable[[int], tuple[str, str]]] = {
    "json: one value repeated in a leaf-list": json_equal_leaf_list,
    "json: distinct leaf-list values": json_distinct_leaf_list,
    "json: many valid chains (ordinary)": json_many_chains,
    "json: one chain entry repeated": json_duplicate_chains,
    "xml: namespace declarations on one element": xml_namespaces_one_element,
    "xml: a namespace declaration per element": xml_namespaces_spread,
    "xml: one value repeated in a leaf-list": xml_equal_leaf_list,
    "xml: one chain entry repeated": xml_duplicate_entries,
    "tosca: forwarders of one path": tosca_forwarders,
    "tosca: imports that fail": tosca_failing_imports,
}


def measure(data: bytes, fmt: str, folder: Path) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        load(data, fmt, "<bench>", base_dir=folder, max_bytes=4 * MIB)
        outcome = "valid"
    except ValidationFailed as failed:
        p = failed.problems[0]
        outcome = p.app_tag or p.error_tag.value
    return time.perf_counter() - start, outcome


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,2,4", help="sizes in MiB, comma-separated (1,2,4)")
    ap.add_argument("--quick", action="store_true", help="sizes 0.25,0.5,1 (the smoke test)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    sizes = [0.25, 0.5, 1.0] if args.quick else [float(s) for s in args.sizes.split(",")]

    # warm up: the libyang context, the TOSCA profile and tosca-parser's import
    with tempfile.TemporaryDirectory() as tmp:
        for gen in SHAPES.values():
            fmt, text = gen(4096)
            measure(text.encode(), fmt, Path(tmp))
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SHAPES}
        for mib in sizes:  # interleaved: each size of every shape, then the next size
            target = int(mib * MIB) - 1024  # under the default 4 MiB limit
            for name, gen in SHAPES.items():
                fmt, text = gen(target)
                data = text.encode()
                secs, outcome = measure(data, fmt, Path(tmp))
                size = len(data) / MIB
                rows[name].append(
                    {"mib": round(size, 3), "seconds": round(secs, 4), "outcome": outcome}
                )

    worst = 0.0
    lines = [
        "| shape | "
        + " | ".join(f"{s:g} MiB" for s in sizes)
        + " | s/MiB (max) | growth | outcome |",
        "|---|" + "---:|" * len(sizes) + "---:|---:|---|",
    ]
    summary: dict[str, Any] = {}
    for name, results in rows.items():
        per_mib = max(r["seconds"] / r["mib"] for r in results)
        worst = max(worst, per_mib)
        growth = results[-1]["seconds"] / max(results[0]["seconds"], 1e-6)
        outcomes = sorted({r["outcome"] for r in results})
        lines.append(
            f"| {name} | "
            + " | ".join(f"{r['seconds']:.3f} s" for r in results)
            + f" | {per_mib:.3f} | {growth:.1f}x | {', '.join(outcomes)} |"
        )
        summary[name] = {
            "runs": results,
            "seconds_per_mib": round(per_mib, 4),
            "growth": round(growth, 2),
        }
    print("\n".join(lines))
    print(
        f"\nworst_seconds_per_mib = {worst:.3f} (goal <= {GOAL}; "
        f"size growth {sizes[-1] / sizes[0]:g}x, linear time grows as much; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )

    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "hostile_cost",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            # the machine is shared: a load above the CPU count inflates every time
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
        "sizes_mib": sizes,
        "worst_seconds_per_mib": round(worst, 4),
        "goal_seconds_per_mib": GOAL,
        "shapes": summary,
    }
    (args.out / "hostile_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_plot:
        _plot(rows, args.out / "hostile_cost.png")
    return 0


def _plot(rows: dict[str, list[dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for name, results in rows.items():
        ax.plot(
            [r["mib"] for r in results], [r["seconds"] for r in results], marker="o", label=name
        )
    xs = [r["mib"] for r in next(iter(rows.values()))]
    ax.plot(xs, [GOAL * x for x in xs], "k--", label=f"goal: {GOAL} s per MiB")
    ax.set_xlabel("input size (MiB)")
    ax.set_ylabel("seconds (intake + validation)")
    ax.set_title("micronf validate: cost of hostile input shapes")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
