"""The uNF forwarding graph: one typed graph for the compiler, dry-run and agents.

Nodes are uNF instances (class, configuration, the VNF nodes of the intent
they stand for, the chains whose packets they see); edges are labelled,
optionally chain-filtered links of one of a few kinds:

* ``ring``: point to point; a packet takes every edge whose labels hold the
  result of its source (no labels: every result) and whose chains hold the
  packet's chain (no chains: every chain);
* ``branch`` / ``sync``: a parallel group. The source of ``branch`` edges
  hands the same packet to every member; each member's ``sync`` edge leads to
  the one node that takes the packet once every member is done (the paper's
  BranchEgressPort, MarkerEgressPort and SyncIngressPort). A packet one
  member drops is dropped;
* a node serving several chains (``chains`` has more than one) is shared:
  its out-edges carry the chains they are for, which is the per-chain
  ingress -> egress mapping table of a consolidated uNF.

A packet stops at a node no out-edge of which it can take; it leaves the
graph there by the node's ``port`` parameter if the node is a Tx service, and
is dropped otherwise. The graph is immutable and printed in a canonical
order, so the same intent always gives byte-identical output.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from .catalog import UnfDescriptor

#: Longest identifier the YANG ``name`` type allows.
MAX_ID = 63


class EdgeKind(StrEnum):
    RING = "ring"
    BRANCH = "branch"
    SYNC = "sync"


@dataclass(frozen=True, order=True)
class Origin:
    """One node of the intent a graph node stands for: chain, VNF, template node."""

    chain: str
    vnf: str
    node: str

    def __str__(self) -> str:
        return f"{self.chain}/{self.vnf}.{self.node}"

    @classmethod
    def parse(cls, text: str) -> Origin:
        chain, rest = text.split("/", 1)
        vnf, node = rest.rsplit(".", 1)
        return cls(chain, vnf, node)


Parameters = tuple[tuple[str, tuple[str, ...]], ...]


def freeze_parameters(params: Mapping[str, Iterable[str]]) -> Parameters:
    """Parameters in canonical form: sorted by name, values kept in order."""
    return tuple((name, tuple(params[name])) for name in sorted(params))


def make_id(*parts: str) -> str:
    """A node identifier from *parts*, shortened with a hash past :data:`MAX_ID`."""
    text = ".".join(parts)
    if len(text) <= MAX_ID:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{text[: MAX_ID - 9]}-{digest}"


@dataclass(frozen=True)
class GraphNode:
    id: str
    descriptor: UnfDescriptor
    parameters: Parameters
    origins: tuple[Origin, ...]
    chains: tuple[str, ...]

    @property
    def unf_class(self) -> str:
        return self.descriptor.unf_class

    @property
    def labels(self) -> tuple[str, ...]:
        return self.descriptor.result_labels

    @property
    def shared(self) -> bool:
        return len(self.chains) > 1

    @property
    def config_key(self) -> tuple[str, Parameters]:
        """Two nodes with the same key do the same thing to the same packet."""
        return (self.unf_class, self.parameters)

    def parameter(self, name: str) -> tuple[str, ...]:
        return dict(self.parameters).get(name, ())

    @property
    def vnfs(self) -> tuple[str, ...]:
        return tuple(sorted({f"{o.chain}/{o.vnf}" for o in self.origins}))


@dataclass(frozen=True, order=True)
class GraphEdge:
    source: str
    target: str
    labels: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    kind: EdgeKind = EdgeKind.RING

    def takes(self, label: str | None, chain: str) -> bool:
        """Whether a packet of *chain* whose source returned *label* takes this edge."""
        if self.chains and chain not in self.chains:
            return False
        return not self.labels or (label is not None and label in self.labels)


@dataclass(frozen=True)
class ChainEnds:
    """Where a chain's packets enter the graph."""

    chain: str
    entry: str


@dataclass(frozen=True)
class UnfGraph:
    nodes: Mapping[str, GraphNode]
    edges: tuple[GraphEdge, ...]
    entries: Mapping[str, str]  # chain -> entry node
    _succ: dict[str, list[GraphEdge]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )
    _pred: dict[str, list[GraphEdge]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )
    # (node, chain) -> out-edges only that chain takes; edges without chains are in _succ_all
    _succ_chain: dict[tuple[str, str], list[GraphEdge]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )
    _succ_all: dict[str, list[GraphEdge]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    @classmethod
    def build(
        cls,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        entries: Mapping[str, str],
    ) -> UnfGraph:
        """A graph in canonical order, with parallel duplicate edges merged."""
        node_map = {n.id: n for n in sorted(nodes, key=lambda n: n.id)}
        merged: dict[tuple[str, str, tuple[str, ...], EdgeKind], set[str] | None] = {}
        for e in edges:
            key = (e.source, e.target, e.chains, e.kind)
            if key in merged:
                have = merged[key]
                merged[key] = None if have is None or not e.labels else have | set(e.labels)
            else:
                merged[key] = set(e.labels) if e.labels else None
        edge_list = sorted(
            GraphEdge(s, t, tuple(sorted(labels)) if labels else (), chains, kind)
            for (s, t, chains, kind), labels in merged.items()
        )
        succ: dict[str, list[GraphEdge]] = {n: [] for n in node_map}
        pred: dict[str, list[GraphEdge]] = {n: [] for n in node_map}
        by_chain: dict[tuple[str, str], list[GraphEdge]] = {}
        unfiltered: dict[str, list[GraphEdge]] = {}
        for e in edge_list:
            succ[e.source].append(e)
            pred[e.target].append(e)
            if e.chains:
                for c in e.chains:
                    by_chain.setdefault((e.source, c), []).append(e)
            else:
                unfiltered.setdefault(e.source, []).append(e)
        return cls(
            node_map,
            tuple(edge_list),
            dict(sorted(entries.items())),
            succ,
            pred,
            by_chain,
            unfiltered,
        )

    def successors(self, node_id: str) -> list[GraphEdge]:
        return self._succ.get(node_id, [])

    def predecessors(self, node_id: str) -> list[GraphEdge]:
        return self._pred.get(node_id, [])

    def successors_of_chain(self, node_id: str, chain: str) -> list[GraphEdge]:
        """Out-edges of *node_id* that packets of *chain* may take (in canonical order)."""
        mine = self._succ_chain.get((node_id, chain))
        every = self._succ_all.get(node_id, [])
        if not mine:
            return every
        return sorted(every + mine) if every else mine

    def with_changes(
        self,
        *,
        remove: Iterable[str] = (),
        add: Iterable[GraphNode] = (),
        edges: Iterable[GraphEdge] | None = None,
        entries: Mapping[str, str] | None = None,
    ) -> UnfGraph:
        gone = set(remove)
        nodes = [n for n in self.nodes.values() if n.id not in gone]
        added = list(add)
        ids = {n.id for n in added}
        nodes = [n for n in nodes if n.id not in ids] + added
        edge_list = self.edges if edges is None else tuple(edges)
        keep = {n.id for n in nodes}
        edge_list = tuple(e for e in edge_list if e.source in keep and e.target in keep)
        return UnfGraph.build(nodes, edge_list, self.entries if entries is None else entries)

    def topological_order(self) -> list[str]:
        """Nodes in processing order; raises ValueError naming a node on a cycle."""
        indeg = {n: 0 for n in self.nodes}
        for e in self.edges:
            indeg[e.target] += 1
        ready = [n for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            n = heapq.heappop(ready)
            order.append(n)
            for e in self.successors(n):
                indeg[e.target] -= 1
                if indeg[e.target] == 0:
                    heapq.heappush(ready, e.target)
        if len(order) != len(self.nodes):
            stuck = sorted(n for n, d in indeg.items() if d > 0)
            raise ValueError(stuck[0])
        return order

    def reachable_from(self, start: str, *, avoid: str | None = None) -> set[str]:
        seen = {start}
        todo = [start]
        while todo:
            n = todo.pop()
            for e in self.successors(n):
                if e.target != avoid and e.target not in seen:
                    seen.add(e.target)
                    todo.append(e.target)
        return seen

    def reaching(self, end: str) -> set[str]:
        seen = {end}
        todo = [end]
        while todo:
            n = todo.pop()
            for e in self.predecessors(n):
                if e.source not in seen:
                    seen.add(e.source)
                    todo.append(e.source)
        return seen

    def chain_order(self, chain: str) -> list[str]:
        """The nodes *chain*'s packets can reach, in processing order (by id among equals)."""
        seen = {self.entries[chain]}
        todo = [self.entries[chain]]
        while todo:
            n = todo.pop()
            for e in self.successors_of_chain(n, chain):
                if e.target not in seen:
                    seen.add(e.target)
                    todo.append(e.target)
        indeg = dict.fromkeys(seen, 0)
        for n in seen:
            for e in self.successors_of_chain(n, chain):
                if e.target in seen:
                    indeg[e.target] += 1
        ready = [n for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            n = heapq.heappop(ready)
            order.append(n)
            for e in self.successors_of_chain(n, chain):
                if e.target in indeg:
                    indeg[e.target] -= 1
                    if indeg[e.target] == 0:
                        heapq.heappush(ready, e.target)
        if len(order) != len(seen):
            raise ValueError(min(n for n, d in indeg.items() if d > 0))
        return order

    def parallel_groups(self) -> list[tuple[str, tuple[str, ...], str]]:
        """Every parallel group as (node before, members, node after)."""
        groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for n in self.nodes:
            branch = [e for e in self.successors(n) if e.kind is EdgeKind.BRANCH]
            by_labels: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
            for e in branch:
                by_labels.setdefault((e.labels, e.chains), []).append(e.target)
            for members in by_labels.values():
                groups[(n, tuple(sorted(members)))] = members
        out: list[tuple[str, tuple[str, ...], str]] = []
        for before, group in sorted(groups):
            after = [e.target for e in self.successors(group[0]) if e.kind is EdgeKind.SYNC]
            out.append((before, group, after[0] if after else ""))
        return out

    # ------------------------------------------------------------------ output

    def to_data(self) -> dict[str, Any]:
        """The graph as plain data in canonical order (the JSON of ``dry-run``)."""
        return {
            "unf": [
                {
                    "id": n.id,
                    "class": n.unf_class,
                    **(
                        {"parameter": [{"name": k, "value": list(v)} for k, v in n.parameters if v]}
                        if any(v for _, v in n.parameters)
                        else {}
                    ),
                    "origin": [str(o) for o in n.origins],
                    "chain": list(n.chains),
                    **({"result-label": list(n.labels)} if n.labels else {}),
                }
                for n in self.nodes.values()
            ],
            "edge": [
                {
                    "seq": i,
                    "from": e.source,
                    "to": e.target,
                    "kind": e.kind.value,
                    **({"label": list(e.labels)} if e.labels else {}),
                    **({"chain": list(e.chains)} if e.chains else {}),
                }
                for i, e in enumerate(self.edges, start=1)
            ],
            "entry": [{"chain": c, "unf": n} for c, n in self.entries.items()],
        }

    def canonical_json(self) -> str:
        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))


def relabel(node: GraphNode, **changes: Any) -> GraphNode:
    return replace(node, **changes)
