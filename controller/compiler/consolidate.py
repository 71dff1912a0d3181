"""Pass ``consolidate``: one instance of a uNF shared by several chains.

uNFs of different chains with the same class and configuration become one
instance (beyond the paper, which left this to future work). Each packet
carries its chain's tag; the shared uNF's out-edges carry the chains they are
for, which is its ingress -> egress mapping table, so every chain's packets
keep to their own path. A uNF is consolidated only when

* it is stateless: one instance would add up per-chain state (a CountUrl
  shared by two chains counts both);
* it is not packet I/O (each chain has its own ports), not a member of a
  parallel group and not the node after one;
* the micronf-agent model can express the merged routing: a result label
  goes to one egress only, so chains that route the same label to different
  uNFs keep their own instances;
* the merged graph stays acyclic;
* the chains enter at the same agent (the caller says which).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping

from micronf.models.graph import EdgeKind, GraphEdge, GraphNode, Parameters, UnfGraph, make_id

from .changes import Change, PassResult

PASS = "consolidate"

Group = tuple[GraphNode, ...]


def _candidate(g: UnfGraph, n: GraphNode, enabled: Collection[str]) -> bool:
    d = n.descriptor
    if d.is_io_service or d.stateful or not all(c in enabled for c in n.chains):
        return False
    # a member of a parallel group, or the node after one, stays with its chain;
    # the node before one may be shared (its branch egress is mapped per chain)
    ins_ok = all(e.kind is EdgeKind.RING for e in g.predecessors(n.id))
    return ins_ok and all(e.kind is not EdgeKind.SYNC for e in g.successors(n.id))


def _groups(
    g: UnfGraph, enabled: Collection[str], affinity: Mapping[str, str]
) -> tuple[list[Group], list[Change]]:
    by_key: dict[tuple[str, tuple[str, Parameters]], list[GraphNode]] = {}
    stateful: dict[tuple[str, Parameters], list[GraphNode]] = {}
    refused: list[Change] = []
    for n in g.nodes.values():
        if _candidate(g, n, enabled):
            by_key.setdefault((affinity.get(n.chains[0], ""), n.config_key), []).append(n)
        elif n.descriptor.stateful and not n.descriptor.is_io_service:
            stateful.setdefault(n.config_key, []).append(n)
    for nodes in stateful.values():
        if len({c for n in nodes for c in n.chains}) > 1:
            refused.append(
                Change(
                    PASS,
                    "kept",
                    tuple(n.id for n in nodes),
                    f"{nodes[0].unf_class} is stateful: one instance would mix the chains' state",
                    applied=False,
                )
            )
    groups: list[Group] = []
    for _, nodes in sorted(by_key.items()):
        pool = nodes
        while len(pool) > 1:
            group = [pool[0]]
            used = set(pool[0].chains)
            rest = []
            for n in pool[1:]:
                if used & set(n.chains):
                    rest.append(n)
                else:
                    group.append(n)
                    used |= set(n.chains)
            if len(group) > 1:
                groups.append(tuple(group))
            pool = rest
    return groups, refused


def _merged_id(group: Group) -> str:
    digest = hashlib.sha1("\n".join(sorted(n.id for n in group)).encode()).hexdigest()[:8]
    return make_id("shared", group[0].unf_class, digest)


def _merge(g: UnfGraph, groups: list[Group]) -> UnfGraph:
    rename: dict[str, str] = {}
    added: list[GraphNode] = []
    for group in groups:
        new_id = _merged_id(group)
        for n in group:
            rename[n.id] = new_id
        added.append(
            GraphNode(
                id=new_id,
                descriptor=group[0].descriptor,
                parameters=group[0].parameters,
                origins=tuple(sorted(o for n in group for o in n.origins)),
                chains=tuple(sorted({c for n in group for c in n.chains})),
            )
        )
    edges = []
    for e in g.edges:
        s, t = rename.get(e.source, e.source), rename.get(e.target, e.target)
        chains = e.chains
        if not chains and (s != e.source or t != e.target):
            chains = g.nodes[e.source].chains
        edges.append(GraphEdge(s, t, e.labels, chains, e.kind))
    entries = {c: rename.get(n, n) for c, n in g.entries.items()}
    return g.with_changes(remove=rename, add=added, edges=edges, entries=entries)


def _label_conflict(g: UnfGraph, group: Group, rename: Mapping[str, str]) -> str | None:
    """Why the merged node could not route by label in micronf-agent, or None."""
    where: dict[str, set[str]] = {}
    for n in group:
        for e in g.successors(n.id):
            for label in e.labels:
                where.setdefault(label, set()).add(rename.get(e.target, e.target))
    for label, targets in sorted(where.items()):
        if len(targets) > 1:
            return (
                f"the chains send result '{label}' to different uNFs "
                f"({', '.join(sorted(targets))}); micronf-agent routes a label to one egress"
            )
    return None


def _cycles(g: UnfGraph, rename: Mapping[str, str]) -> list[set[str]]:
    """The strongly connected components (of more than one node) after renaming."""
    succ: dict[str, list[str]] = {}
    for e in g.edges:
        s, t = rename.get(e.source, e.source), rename.get(e.target, e.target)
        succ.setdefault(s, []).append(t)
        succ.setdefault(t, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            if i < len(succ[node]):
                work[-1] = (node, i + 1)
                nxt = succ[node][i]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.add(x)
                    if x == node:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def consolidate(
    g: UnfGraph,
    chains: Collection[str] | None = None,
    affinity: Mapping[str, str] | None = None,
) -> PassResult:
    """Share identical stateless uNFs between *chains* (default: every chain), to a fixed point.

    Only chains with the same *affinity* (chain -> the agent its traffic
    enters at) share: an instance serving chains that enter elsewhere would
    cost every packet a tunnel. A round that gives merges up to break cycles
    may give up more than it must; the next round takes what is left.
    """
    applied: list[Change] = []
    while True:
        res = _round(g, chains, affinity)
        if not res.applied:
            return PassResult(g, tuple(applied) + res.refused)
        g = res.graph
        applied += res.applied


def _round(
    g: UnfGraph,
    chains: Collection[str] | None = None,
    affinity: Mapping[str, str] | None = None,
) -> PassResult:
    """One round of merges."""
    enabled = set(g.entries) if chains is None else set(chains)
    found, refused = _groups(g, enabled, affinity or {})
    groups = {_merged_id(gr): gr for gr in found}
    while groups:
        rename = {n.id: mid for mid, gr in groups.items() for n in gr}
        bad = [(mid, why) for mid, gr in groups.items() if (why := _label_conflict(g, gr, rename))]
        if not bad:
            # on each cycle, the smaller half of the merges on it is given up; repeat
            for comp in _cycles(g, rename):
                on_it = sorted((m for m in comp if m in groups), key=lambda m: (len(groups[m]), m))
                why = "sharing one instance would close a cycle between the chains"
                bad += [(m, why) for m in on_it[: max(1, len(on_it) // 2)]]
        if not bad:
            break
        for mid, why in bad:
            group = groups.pop(mid)
            refused.append(Change(PASS, "kept", tuple(n.id for n in group), why, applied=False))
    if not groups:
        return PassResult(g, tuple(refused))
    changes = [
        Change(
            PASS,
            "shared",
            (mid, *(n.id for n in gr)),
            f"same stateless {gr[0].unf_class} and configuration in chains "
            f"{', '.join(c for n in gr for c in n.chains)}: one instance, packets keep "
            "their chain's path by tag",
        )
        for mid, gr in groups.items()
    ]
    return PassResult(_merge(g, list(groups.values())), tuple(changes) + tuple(refused))
