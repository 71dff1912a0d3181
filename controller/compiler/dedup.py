"""Pass ``dedup``: remove uNFs a chain repeats across VNF boundaries.

Two rules, both proved from the descriptors alone:

* **packet I/O between VNFs.** A Tx service whose one edge leads to the Rx
  service of the next VNF (and nothing else reaches that Rx) is the veth hop
  of chained monolithic VNFs. When neither descriptor writes, drops or emits
  labels, the pair is removed and its neighbours joined.
* **a repeated uNF.** A uNF *B* is removed when an earlier *A* of the same
  chain has the same class and configuration and
  (1) the class is stateless (its verdict is a function of the bytes it
  reads), (2) it writes nothing (the catalog declares no idempotence, so a
  writer is never assumed to be one), (3) every path from the chain's entry
  to *B* passes through *A*, (4) nothing between them writes a part of the
  packet *B* reads, so *B* would return what *A* returned: a packet *A*
  passed, *B* passes, and (5) for a classifier, every edge into *B* carries
  packets whose result at *A* sends them on to the same place after *B*, so
  the edge can be retargeted there.

Only uNFs of one chain are touched; shared and parallel uNFs are left alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from micronf.models.catalog import LAYERS
from micronf.models.graph import EdgeKind, GraphEdge, GraphNode, Parameters, UnfGraph

from .changes import Change, PassResult

PASS = "dedup"


def _writes(node: GraphNode) -> list[str]:
    return [layer for layer in LAYERS if node.descriptor.access[layer].writes]


def _reads(node: GraphNode) -> list[str]:
    return [layer for layer in LAYERS if node.descriptor.access[layer].touches]


def _io_effect(node: GraphNode) -> str | None:
    """What a packet I/O service does to packets as configured, or None for nothing.

    The role of an I/O service fixes what its writes can be: tunnel tags and
    MAC addresses on Tx, decapsulation and the chain classifier on Rx, each
    switched by a parameter. Its drops are frames too short for Ethernet,
    which the chain's entry Rx service has already dropped.
    """
    d = node.descriptor
    if d.result_labels:
        return f"{node.unf_class} emits results"
    if not _writes(node):
        return None
    p = dict(node.parameters)
    if d.role == "tx-service":
        if p.get("encapsulation", ("none",))[0] != "none":
            return f"{node.id} encapsulates ({p['encapsulation'][0]})"
        if p.get("src-mac") or p.get("dst-mac"):
            return f"{node.id} rewrites MAC addresses"
        return None if {"encapsulation", "src-mac", "dst-mac"} & set(p) else "writes l2-header"
    if p.get("decapsulate", ("false",))[0] == "true":
        return f"{node.id} decapsulates tunnel tags"
    if p.get("classifier"):
        return f"{node.id} classifies packets into chains"
    return None if {"decapsulate", "classifier"} & set(p) else "writes l2-header"


def _own(g: UnfGraph, node: GraphNode, chains: Collection[str]) -> bool:
    return not node.shared and node.chains[0] in chains


def _io_hop(
    g: UnfGraph, tx: GraphNode, chains: Collection[str]
) -> tuple[UnfGraph, Change] | Change | None:
    if tx.descriptor.role != "tx-service" or not _own(g, tx, chains):
        return None
    out = g.successors(tx.id)
    if len(out) != 1 or out[0].kind is not EdgeKind.RING:
        return None
    rx = g.nodes[out[0].target]
    if rx.descriptor.role != "rx-service" or len(g.predecessors(rx.id)) != 1:
        return None
    if not _own(g, rx, chains):
        return None
    for n in (tx, rx):
        effect = _io_effect(n)
        if effect is not None:
            return Change(
                PASS,
                "kept",
                (tx.id, rx.id),
                f"the packet I/O hop is not a no-op: {effect}",
                applied=False,
            )
    edges = [e for e in g.edges if tx.id not in (e.source, e.target) and e.source != rx.id]
    for e_in in g.predecessors(tx.id):
        for e_out in g.successors(rx.id):
            edges.append(GraphEdge(e_in.source, e_out.target, e_in.labels, e_in.chains, e_in.kind))
    entries = dict(g.entries)
    new = g.with_changes(remove=(tx.id, rx.id), edges=edges, entries=entries)
    return new, Change(
        PASS,
        "removed",
        (tx.id, rx.id),
        "packet I/O between two VNFs: Tx then Rx service configured to change nothing "
        "(no tags, no MAC rewrite, no classifier); their short-frame drops repeat the "
        "entry Rx's",
    )


def _between(g: UnfGraph, a: str, b: str) -> set[str]:
    return (g.reachable_from(a) & g.reaching(b)) - {a, b}


def _retarget(g: UnfGraph, a: GraphNode, b: GraphNode, between: set[str]) -> list[GraphEdge] | str:
    """New edges that bypass *b*, or why its results cannot be predicted per edge."""
    chain = b.chains[0]
    out = g.successors(b.id)
    new: list[GraphEdge] = []
    if not b.labels:
        for e_in in g.predecessors(b.id):
            new += [GraphEdge(e_in.source, f.target, e_in.labels, e_in.chains) for f in out]
        return new
    # Which results of A reach each node between A and B.
    reach: dict[str, set[str]] = {}
    for label in a.labels:
        todo = [e.target for e in g.successors(a.id) if e.takes(label, chain)]
        seen: set[str] = set()
        while todo:
            n = todo.pop()
            if n in seen or n == b.id:
                continue
            seen.add(n)
            reach.setdefault(n, set()).add(label)
            todo += [e.target for e in g.successors(n) if n in between]
    for e_in in g.predecessors(b.id):
        if e_in.source == a.id:
            results = set(e_in.labels or a.labels)
        else:
            results = reach.get(e_in.source, set())
        targets = {
            label: tuple(sorted(f.target for f in out if f.takes(label, chain)))
            for label in results
        }
        distinct = set(targets.values())
        if len(distinct) > 1:
            return (
                f"packets on {e_in.source} -> {b.id} carry results "
                f"{', '.join(sorted(results))} of {a.id}, which {b.id} sends apart"
            )
        for tgt in distinct.pop() if distinct else ():
            new.append(GraphEdge(e_in.source, tgt, e_in.labels, e_in.chains))
    return new


def _repeat(
    g: UnfGraph,
    b: GraphNode,
    chains: Collection[str],
    order: dict[str, int],
    same: Mapping[tuple[str, Parameters], list[GraphNode]],
) -> tuple[UnfGraph, Change] | list[Change]:
    if b.descriptor.is_io_service or not _own(g, b, chains):
        return []
    chain = b.chains[0]
    earlier = [
        n
        for n in same.get(b.config_key, ())
        if n.id != b.id and not n.shared and n.chains == b.chains and order[n.id] < order[b.id]
    ]
    if not earlier:
        return []
    if b.descriptor.stateful:
        return [
            Change(
                PASS,
                "kept",
                (earlier[0].id, b.id),
                f"{b.unf_class} is stateful: removing a repeat would change its counters",
                applied=False,
            )
        ]
    if _writes(b):
        return [
            Change(
                PASS,
                "kept",
                (earlier[0].id, b.id),
                f"{b.unf_class} writes {', '.join(_writes(b))}; its descriptor does not "
                "declare it idempotent",
                applied=False,
            )
        ]
    refusals: list[Change] = []
    entry = g.entries[chain]
    for a in sorted(earlier, key=lambda n: order[n.id]):
        if a.id != entry and b.id in g.reachable_from(entry, avoid=a.id):
            refusals.append(
                Change(
                    PASS,
                    "kept",
                    (a.id, b.id),
                    f"a path reaches {b.id} without passing {a.id}",
                    applied=False,
                )
            )
            continue
        between = _between(g, a.id, b.id)
        region = between | {a.id, b.id}
        if any(g.nodes[n].shared for n in between) or any(
            e.kind is not EdgeKind.RING
            for n in region
            for e in g.successors(n)
            if e.target in region
        ):
            refusals.append(
                Change(
                    PASS,
                    "kept",
                    (a.id, b.id),
                    "shared or parallel uNFs lie between them",
                    applied=False,
                )
            )
            continue
        reads = set(_reads(b))
        writers = [
            (n, sorted(set(_writes(g.nodes[n])) & reads))
            for n in sorted(between)
            if set(_writes(g.nodes[n])) & reads
        ]
        if writers:
            who, what = writers[0]
            refusals.append(
                Change(
                    PASS,
                    "kept",
                    (a.id, b.id),
                    f"{who} ({g.nodes[who].unf_class}) writes {', '.join(what)}, which "
                    f"{b.unf_class} reads",
                    applied=False,
                )
            )
            continue
        new_edges = _retarget(g, a, b, between)
        if isinstance(new_edges, str):
            refusals.append(Change(PASS, "kept", (a.id, b.id), new_edges, applied=False))
            continue
        edges = [e for e in g.edges if b.id not in (e.source, e.target)] + new_edges
        why = (
            f"same {b.unf_class} and configuration as {a.id}, stateless, writes nothing; "
            f"{a.id} is on every path to it and nothing between writes what it reads"
        )
        return g.with_changes(remove=(b.id,), edges=edges), Change(PASS, "removed", (b.id,), why)
    return refusals


def dedup(g: UnfGraph, chains: Collection[str] | None = None) -> PassResult:
    """Remove repeated uNFs of *chains* (default: every chain) to a fixed point."""
    enabled = set(g.entries) if chains is None else set(chains)
    applied: list[Change] = []
    while True:
        order = {n: i for i, n in enumerate(g.topological_order())}
        same: dict[tuple[str, Parameters], list[GraphNode]] = {}
        for n in g.nodes.values():
            same.setdefault(n.config_key, []).append(n)
        refused: list[Change] = []
        step: tuple[UnfGraph, Change] | None = None
        for nid in order:
            node = g.nodes[nid]
            hop = _io_hop(g, node, enabled)
            if isinstance(hop, tuple):
                step = hop
                break
            if hop is not None:
                refused.append(hop)
            rep = _repeat(g, node, enabled, order, same)
            if isinstance(rep, tuple):
                step = rep
                break
            refused += rep
        if step is None:
            return PassResult(g, tuple(applied) + tuple(refused))
        g = step[0]
        applied.append(step[1])
