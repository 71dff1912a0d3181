"""Pass ``parallelize``: run consecutive uNFs side by side (paper §V-B).

Two consecutive uNFs *X* -> *Y* of one chain become a parallel group (a
``branch`` egress before them, a ``sync`` ingress after them) when the
descriptors show that the order cannot matter:

* neither may drop (a dropped packet must not reach the other: a counter
  beside a filter would count what the filter drops);
* neither emits result labels (the node after a sync ingress is one node, so
  nothing can be routed by a member's result);
* no layer of the packet is written by one and touched by the other
  (read-only or disjoint access);
* neither is a packet I/O service or shared by several chains.

A node right after a group joins it when it meets the same conditions with
every member, so groups grow to a fixed point.
"""

from __future__ import annotations

from collections.abc import Collection

from micronf.models.catalog import LAYERS
from micronf.models.graph import EdgeKind, GraphEdge, GraphNode, UnfGraph

from .changes import Change, PassResult

PASS = "parallelize"


def unsafe(node: GraphNode) -> str | None:
    """Why *node* cannot run beside another, or None."""
    d = node.descriptor
    if d.is_io_service:
        return f"{node.id} is a packet I/O service"
    if d.may_drop:
        return f"{node.id} ({d.unf_class}) may drop packets"
    if d.result_labels:
        return (
            f"{node.id} ({d.unf_class}) routes by result ({', '.join(d.result_labels)}); "
            "a sync ingress cannot"
        )
    if node.shared:
        return f"{node.id} is shared by several chains"
    return None


def conflict(x: GraphNode, y: GraphNode) -> str | None:
    """The first layer one of them writes and the other touches, as a reason."""
    for layer in LAYERS:
        ax, ay = x.descriptor.access[layer], y.descriptor.access[layer]
        if (ax.writes and ay.touches) or (ay.writes and ax.touches):
            w, o = (x, y) if ax.writes else (y, x)
            return f"{w.id} ({w.unf_class}) writes {layer}, which {o.id} ({o.unf_class}) reads"
    return None


def _single_ring(edges: list[GraphEdge], unlabelled: bool = True) -> GraphEdge | None:
    if len(edges) != 1 or edges[0].kind is not EdgeKind.RING:
        return None
    if unlabelled and edges[0].labels:
        return None
    return edges[0]


def _group_of(g: UnfGraph, node: str) -> tuple[str, list[GraphEdge], list[GraphEdge]] | None:
    """If *node* is the sync target of a group: (before, branch edges, sync edges)."""
    ins = g.predecessors(node)
    if not ins or any(e.kind is not EdgeKind.SYNC for e in ins):
        return None
    members = [e.source for e in ins]
    branch = [e for m in members for e in g.predecessors(m)]
    if any(e.kind is not EdgeKind.BRANCH for e in branch) or len({e.source for e in branch}) != 1:
        return None
    return branch[0].source, branch, ins


def _step(g: UnfGraph, chains: Collection[str]) -> tuple[UnfGraph, Change] | list[Change]:
    refused: list[Change] = []
    for nid in g.topological_order():
        x = g.nodes[nid]
        if x.shared or x.chains[0] not in chains:
            continue
        group = _group_of(g, nid)
        out = _single_ring(g.successors(nid))
        if group is not None:
            before, branch, sync = group
            members = [g.nodes[e.source] for e in sync]
            why = unsafe(x) or next((c for m in members if (c := conflict(m, x)) is not None), None)
            if why is None and out is None:
                why = f"{nid} has more than one way out"
            if why is None and out is not None and len(g.predecessors(out.target)) != 1:
                why = f"{out.target} has other inputs"
            if why is not None:
                refused.append(
                    Change(PASS, "kept", (*(m.id for m in members), nid), why, applied=False)
                )
                continue
            assert out is not None
            edges = [e for e in g.edges if e not in sync and e != out]
            edges += [GraphEdge(m.id, out.target, (), (), EdgeKind.SYNC) for m in members]
            edges.append(
                GraphEdge(before, nid, branch[0].labels, branch[0].chains, EdgeKind.BRANCH)
            )
            edges.append(GraphEdge(nid, out.target, (), (), EdgeKind.SYNC))
            names = ", ".join(m.id for m in members)
            return g.with_changes(edges=edges), Change(
                PASS,
                "parallelised",
                (*(m.id for m in members), nid),
                f"{nid} joins {names}: no drops, no labels, no conflicting access",
            )
        e_in = _single_ring(g.predecessors(nid), unlabelled=False)
        if e_in is None or out is None:
            continue
        y = g.nodes[out.target]
        if y.shared or len(g.predecessors(y.id)) != 1:
            continue
        if x.descriptor.is_io_service or y.descriptor.is_io_service:
            continue
        why = unsafe(x) or unsafe(y) or conflict(x, y)
        after = _single_ring(g.successors(y.id))
        if why is None and after is None:
            why = f"{y.id} has more than one way out"
        if why is None and after is not None and len(g.predecessors(after.target)) != 1:
            why = f"{after.target} has other inputs"
        if why is not None:
            refused.append(Change(PASS, "kept", (x.id, y.id), why, applied=False))
            continue
        assert after is not None
        edges = [e for e in g.edges if e not in (e_in, out, after)]
        for m in (x, y):
            edges.append(GraphEdge(e_in.source, m.id, e_in.labels, e_in.chains, EdgeKind.BRANCH))
            edges.append(GraphEdge(m.id, after.target, (), (), EdgeKind.SYNC))
        return g.with_changes(edges=edges), Change(
            PASS,
            "parallelised",
            (x.id, y.id),
            "neither drops nor routes by label, and no layer is written by one and read "
            "by the other",
        )
    return refused


def parallelize(g: UnfGraph, chains: Collection[str] | None = None) -> PassResult:
    """Parallel groups in *chains* (default: every chain), grown to a fixed point."""
    enabled = set(g.entries) if chains is None else set(chains)
    applied: list[Change] = []
    while True:
        step = _step(g, enabled)
        if isinstance(step, list):
            return PassResult(g, tuple(applied) + tuple(step))
        g = step[0]
        applied.append(step[1])
