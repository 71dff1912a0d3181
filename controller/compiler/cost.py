"""Cost model: estimated CPU cycles per packet of a uNF graph.

The cost of a uNF class is the measured figure when the data plane has
measured it (``bench/results/processor_cycles.json``, read by the caller and
passed in), else the descriptor's ``cost``. A graph's cycles per packet are
the sum over its uNFs of their cost times the share of a chain's packets that
reach them: results split packets by the given label shares (uniform where
none is given), parallel members each see the whole stream, drops are not
subtracted (an upper bound). Edges can be charged a ring-hop cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from micronf.models.graph import EdgeKind, GraphNode, UnfGraph


@dataclass(frozen=True)
class CostModel:
    measured: Mapping[str, float] = field(default_factory=dict)
    ring_hop: float = 0.0
    label_share: Mapping[str, float] = field(default_factory=dict)

    def cycles(self, node: GraphNode) -> float:
        return float(self.measured.get(node.unf_class, node.descriptor.cost))

    def source(self, node: GraphNode) -> str:
        return "measured" if node.unf_class in self.measured else "descriptor"

    def shares(self, node: GraphNode) -> dict[str | None, float]:
        labels = node.labels
        if not labels:
            return {None: 1.0}
        given = {lb: self.label_share.get(lb) for lb in labels}
        if all(v is None for v in given.values()):
            return {lb: 1.0 / len(labels) for lb in labels}
        weights = {lb: float(v or 0.0) for lb, v in given.items()}
        total = sum(weights.values()) or 1.0
        return {lb: w / total for lb, w in weights.items()}


def flows(graph: UnfGraph, chain: str, model: CostModel) -> dict[str, float]:
    """Share of *chain*'s packets that reach each uNF."""
    reach: dict[str, float] = {graph.entries[chain]: 1.0}
    for nid in graph.chain_order(chain):
        w = reach.get(nid, 0.0)
        if w == 0.0:
            continue
        node = graph.nodes[nid]
        out = graph.successors_of_chain(nid, chain)
        for label, share in model.shares(node).items():
            for e in out:
                if not e.takes(label, chain):
                    continue
                part = w * share
                if e.kind is EdgeKind.SYNC:
                    part /= sum(1 for p in graph.predecessors(e.target) if p.kind is EdgeKind.SYNC)
                reach[e.target] = reach.get(e.target, 0.0) + part
    return reach


def cycles_per_packet(graph: UnfGraph, chain: str, model: CostModel) -> float:
    reach = flows(graph, chain, model)
    total = 0.0
    for nid, w in reach.items():
        total += w * model.cycles(graph.nodes[nid])
        hops = [e for e in graph.successors_of_chain(nid, chain) if e.kind is not EdgeKind.SYNC]
        total += w * model.ring_hop * (1 if hops else 0)
    return total
