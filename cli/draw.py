"""Graphviz pictures of the naive and the compiled uNF graph (``dry-run --graph``).

Two clusters side by side: the naive graph (every VNF with its own uNFs;
those the compiler removed are dashed and grey) and the compiled one. A uNF
is filled with the colour of the VNF it comes from (a compiled one also
shows its agent and core); a shared uNF is striped
with the colours of its VNFs and drawn with a double border; parallel groups
are boxed, with dashed branch edges and dotted sync edges. Edge labels are
the results that take the edge, and the chains for a shared uNF.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from micronf.models.graph import EdgeKind, GraphNode, UnfGraph

PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
)  # fmt: skip


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _colours(graphs: list[UnfGraph]) -> dict[str, str]:
    vnfs = sorted({v for g in graphs for n in g.nodes.values() for v in n.vnfs})
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(vnfs)}


def _node(
    prefix: str,
    n: GraphNode,
    colours: dict[str, str],
    extra: str = "",
    chains: int = 1,
    where: str = "",
) -> str:
    fill = ":".join(colours[v] for v in n.vnfs)
    style = "striped" if len(n.vnfs) > 1 else "filled"
    vnfs = ", ".join(v if chains > 1 else v.split("/", 1)[1] for v in n.vnfs)
    label = f"{n.unf_class}\\n{vnfs}"
    if n.shared:
        label += f"\\nshared: {', '.join(n.chains)}"
    if where:
        label += f"\\n@ {where}"
    attrs = f'label="{label}" style="{style}{extra}" fillcolor="{fill}"'
    if n.shared:
        attrs += " peripheries=2"
    return f"    {_q(prefix + n.id)} [{attrs}];"


def _edges(prefix: str, g: UnfGraph) -> list[str]:
    lines = []
    for e in g.edges:
        label = ",".join(e.labels)
        if e.chains and any(g.nodes[x].shared for x in (e.source, e.target)):
            label = (label + " " if label else "") + f"[{','.join(e.chains)}]"
        style = {EdgeKind.BRANCH: "dashed", EdgeKind.SYNC: "dotted"}.get(e.kind, "solid")
        lines.append(
            f"    {_q(prefix + e.source)} -> {_q(prefix + e.target)} "
            f"[label={_q(label)} style={style}];"
        )
    return lines


def to_dot(naive: UnfGraph, compiled: UnfGraph, where: Mapping[str, str] | None = None) -> str:
    """DOT text of both graphs; *where* gives a compiled uNF's placement (``agent/core``)."""
    where = where or {}
    colours = _colours([naive, compiled])
    kept = {o for n in compiled.nodes.values() for o in n.origins}
    lines = [
        "digraph micronf {",
        '  rankdir=LR; newrank=true; fontname="Helvetica";',
        '  node [shape=box fontname="Helvetica" fontsize=10];',
        '  edge [fontname="Helvetica" fontsize=9];',
        "  subgraph cluster_naive {",
        f'    label="naive: {len(naive.nodes)} uNFs (chained monolithic VNFs)";',
    ]
    for n in naive.nodes.values():
        removed = not (set(n.origins) & kept)
        lines.append(_node("n:", n, colours, ",dashed" if removed else "", len(naive.entries)))
        if removed:
            lines[-1] = lines[-1].replace("];", ' color="#888888" fontcolor="#666666"];')
    lines += _edges("n:", naive)
    lines += ["  }", "  subgraph cluster_compiled {"]
    lines.append(f'    label="compiled: {len(compiled.nodes)} uNFs";')
    grouped: set[str] = set()
    for i, (_, members, _) in enumerate(compiled.parallel_groups()):
        lines.append(f"    subgraph cluster_par{i} {{")
        lines.append('      label="parallel"; style=rounded; color="#555555";')
        for m in members:
            node = compiled.nodes[m]
            lines.append(
                "  " + _node("c:", node, colours, "", len(compiled.entries), where.get(m, ""))
            )
            grouped.add(m)
        lines.append("    }")
    for n in compiled.nodes.values():
        if n.id not in grouped:
            lines.append(_node("c:", n, colours, "", len(compiled.entries), where.get(n.id, "")))
    lines += _edges("c:", compiled)
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


class DrawError(RuntimeError):
    """Graphviz is missing or failed."""


def write_picture(dot: str, path: Path) -> None:
    """Write *dot* to *path*: DOT text for ``.dot``/``.gv``, else rendered by Graphviz."""
    fmt = path.suffix.lower().lstrip(".") or "svg"
    if fmt in ("dot", "gv"):
        path.write_text(dot)
        return
    exe = shutil.which("dot")
    if exe is None:
        raise DrawError("Graphviz 'dot' is not installed (apt-get install graphviz)")
    run = subprocess.run(
        [exe, f"-T{fmt}", "-o", str(path)],
        input=dot,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if run.returncode != 0:
        raise DrawError(f"Graphviz failed: {' '.join(run.stderr.split())[:300]}")
