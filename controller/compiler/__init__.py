"""The compiler: validated intent -> optimised uNF forwarding graph (pure).

Named passes, each switchable globally and per chain (YANG leaves under
``/chains/compiler`` and ``chain/compiler``, CLI flags over both):

1. ``inline`` builds the naive graph: every VNF with its own packet I/O,
   header checks and classifiers (always on: it is the input of the rest);
2. ``dedup`` and ``parallelize`` rewrite each chain's own part of the graph,
   repeated until neither changes anything;
3. ``consolidate`` then shares identical stateless uNFs between chains.

Shared uNFs are left alone by ``dedup`` and ``parallelize``, and merging
removes no order between a chain's own uNFs, so one such round reaches the
fixed point (a test runs every pass again on the output and sees no change).
The output is deterministic: nodes and edges are kept in canonical order and
identifiers derive from the intent only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from micronf.models import Intent
from micronf.models.graph import EdgeKind, GraphEdge, GraphNode, UnfGraph

from .changes import Change, PassResult
from .consolidate import consolidate
from .cost import CostModel, cycles_per_packet
from .dedup import dedup
from .inline import ChainShape, inline, inline_chain, shape_key
from .parallelize import parallelize

#: Passes that can be switched off, in the order they run.
SWITCHABLE = ("dedup", "parallelize", "consolidate")

__all__ = [
    "SWITCHABLE",
    "Change",
    "Compilation",
    "CostModel",
    "PassResult",
    "compile_intent",
    "consolidate",
    "cycles_per_packet",
    "dedup",
    "ingress_agents",
    "inline",
    "parallelize",
    "switches",
]


def switches(
    intent: Intent, overrides: Mapping[str, bool] | None = None
) -> dict[str, dict[str, bool]]:
    """Per chain, whether each pass runs: CLI override, else chain leaf, else global leaf."""
    out: dict[str, dict[str, bool]] = {}
    for name, chain in intent.chains.items():
        s = {}
        for p in SWITCHABLE:
            value = intent.passes.get(p, True)
            value = chain.passes.get(p, value)
            if overrides and p in overrides:
                value = overrides[p]
            s[p] = value
        out[name] = s
    return out


@dataclass(frozen=True)
class Compilation:
    naive: UnfGraph
    graph: UnfGraph
    changes: tuple[Change, ...]
    switches: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    @property
    def applied(self) -> list[Change]:
        return [c for c in self.changes if c.applied]

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if not c.applied]

    def report(self, model: CostModel, rates: Mapping[str, float] | None = None) -> dict[str, Any]:
        """The optimisation report: uNFs removed / shared / parallelised, cycles per packet."""
        per_chain = []
        total_naive = total_compiled = weight_sum = 0.0
        for chain in self.graph.entries:
            naive = cycles_per_packet(self.naive, chain, model)
            compiled = cycles_per_packet(self.graph, chain, model)
            w = (rates or {}).get(chain) or 1.0
            total_naive += w * naive
            total_compiled += w * compiled
            weight_sum += w
            per_chain.append(
                {
                    "chain": chain,
                    "cycles_naive": round(naive, 1),
                    "cycles_compiled": round(compiled, 1),
                    "saving_percent": round(100.0 * (naive - compiled) / naive, 1)
                    if naive
                    else 0.0,
                }
            )
        naive_avg = total_naive / weight_sum if weight_sum else 0.0
        compiled_avg = total_compiled / weight_sum if weight_sum else 0.0
        removed = [n for c in self.applied if c.action == "removed" for n in c.nodes]
        shared = [c.nodes[0] for c in self.applied if c.action == "shared"]
        parallel = sorted({n for c in self.applied if c.action == "parallelised" for n in c.nodes})
        return {
            "unfs_naive": len(self.naive.nodes),
            "unfs_compiled": len(self.graph.nodes),
            "removed": removed,
            "shared": shared,
            "parallelised": parallel,
            "cycles_naive": round(naive_avg, 1),
            "cycles_compiled": round(compiled_avg, 1),
            "saving_percent": round(100.0 * (naive_avg - compiled_avg) / naive_avg, 1)
            if naive_avg
            else 0.0,
            "chains": per_chain,
            "cost_source": sorted(
                {f"{n.unf_class}: {model.source(n)}" for n in self.naive.nodes.values()}
            ),
            "not_proven_safe": [c.as_dict() for c in self.refused],
        }


def ingress_agents(intent: Intent) -> dict[str, str]:
    """Chain -> the agent its traffic enters at ("" when the intent does not say)."""
    out = {}
    for name, chain in intent.chains.items():
        agent = chain.ingress_agent
        if agent is None and chain.ingress_port:
            owners = [a.name for a in intent.agents.values() if chain.ingress_port in a.ports]
            agent = owners[0] if len(owners) == 1 else None
        out[name] = agent or ""
    return out


def _chain_round(g: UnfGraph, sw: Mapping[str, bool]) -> tuple[UnfGraph, list[Change]]:
    """dedup and parallelize on one chain's graph until neither changes it."""
    changes: list[Change] = []
    refused: tuple[Change, ...] = ()
    while True:
        progress = False
        refused = ()
        for name, fn in (("dedup", dedup), ("parallelize", parallelize)):
            if not sw.get(name, True):
                continue
            res = fn(g)
            if res.applied:
                progress = True
                changes += res.applied
            refused += res.refused
            g = res.graph
        if not progress:
            return g, changes + list(refused)


@dataclass(frozen=True)
class _Compiled:
    """One chain's compiled graph in local ids, reusable for chains of the same shape."""

    chain: str
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str, tuple[str, ...], EdgeKind], ...]
    changes: tuple[Change, ...]


def _localise(name: str, g: UnfGraph, changes: list[Change]) -> _Compiled | None:
    prefix = name + "."
    if any(not n.startswith(prefix) for n in g.nodes):
        return None  # a shortened identifier: not reusable under another name
    cut = len(prefix)
    return _Compiled(
        name,
        tuple(n[cut:] for n in g.nodes),
        tuple((e.source[cut:], e.target[cut:], e.labels, e.kind) for e in g.edges),
        tuple(changes),
    )


def _rename_change(ch: Change, old: str, new: str, ids: list[str]) -> Change:
    reason = ch.reason
    if old + "." in reason:
        for local in ids:
            reason = reason.replace(f"{old}.{local}", f"{new}.{local}")
    nodes = tuple(new + n[len(old) :] if n.startswith(old + ".") else n for n in ch.nodes)
    return replace(ch, nodes=nodes, reason=reason)


def compile_intent(
    intent: Intent,
    overrides: Mapping[str, bool] | None = None,
    chains: Iterable[str] | None = None,
) -> Compilation:
    """Compile *chains* (default: all) of a validated intent.

    Chains of one shape (same VNFs, templates, configuration, links and
    switches) are compiled once; the others reuse the result under their
    own names and ports, which is what keeps thousands of chains cheap.
    """
    sw = switches(intent, overrides)
    names = sorted(intent.chains if chains is None else chains)
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    naive_nodes: list[GraphNode] = []
    naive_edges: list[GraphEdge] = []
    entries: dict[str, str] = {}
    changes: list[Change] = []
    shapes: dict[Hashable, ChainShape] = {}
    compiled: dict[Hashable, _Compiled | None] = {}
    for name in names:
        chain = intent.chains[name]
        n, e, entry = inline_chain(chain, intent, shapes)
        naive_nodes += n
        naive_edges += e
        entries[name] = entry
        key = (shape_key(chain), tuple(sorted(sw[name].items())))
        done = compiled.get(key)
        prefix = name + "."
        if done is not None and all(x.id.startswith(prefix) for x in n):
            by_local = {x.id[len(prefix) :]: x for x in n}
            nodes += [by_local[local] for local in done.nodes]
            edges += [
                GraphEdge(prefix + a, prefix + b, labels, (), kind)
                for a, b, labels, kind in done.edges
            ]
            ids = list(by_local)
            changes += [_rename_change(c, done.chain, name, ids) for c in done.changes]
            continue
        g, ch = _chain_round(UnfGraph.build(n, e, {name: entry}), sw[name])
        if key not in compiled:
            compiled[key] = _localise(name, g, ch)
        nodes += g.nodes.values()
        edges += g.edges
        changes += ch
    naive = UnfGraph.build(naive_nodes, naive_edges, entries)
    graph = UnfGraph.build(nodes, edges, entries)
    merge_on = [c for c in names if sw[c]["consolidate"]]
    if len(merge_on) > 1:
        res: PassResult = consolidate(graph, merge_on, ingress_agents(intent))
        graph = res.graph
        changes += res.changes
    return Compilation(naive, graph, tuple(changes), sw)
