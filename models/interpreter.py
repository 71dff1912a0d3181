"""Run packets through a uNF graph with the reference models of its processors.

This is the meaning of a :class:`~micronf.models.graph.UnfGraph` in plain
Python: each node is a reference model (:func:`micronf.models.reference.make`)
and a packet of a chain walks the graph from the chain's entry as the data
plane would move it (see the graph module for the edge semantics). The
compiler's equivalence tests run the naive and the compiled graph side by
side and compare, for every packet, the verdict (output port and final
bytes, or drop, and the labels it was given) and the counters of stateful
uNFs.

``order="reverse"`` runs the members of parallel groups in the reverse
order, so a test can show that their order does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .graph import EdgeKind, GraphEdge, UnfGraph
from .reference import Processor, make

#: How deep a packet may go: a bound against a malformed (cyclic) graph.
MAX_HOPS = 10_000


@dataclass(frozen=True, order=True)
class Outcome:
    """Where one copy of a packet ended: a port (with its bytes) or a drop."""

    port: str | None  # None: dropped
    data: bytes
    labels: tuple[str, ...]


Verdict = tuple[Outcome, ...]


class GraphInterpreter:
    def __init__(self, graph: UnfGraph) -> None:
        self.graph = graph
        self.processors: dict[str, Processor] = {
            nid: make(n.unf_class, dict(n.parameters)) for nid, n in graph.nodes.items()
        }

    def run(
        self, chain: str, frame: bytes, order: Literal["forward", "reverse"] = "forward"
    ) -> Verdict:
        """Every copy of *frame* entering *chain*, where it ended."""
        outcomes: list[Outcome] = []
        self._walk(self.graph.entries[chain], chain, bytearray(frame), set(), order, outcomes, 0)
        return tuple(sorted(outcomes))

    def _walk(
        self,
        nid: str,
        chain: str,
        pkt: bytearray,
        labels: set[str],
        order: str,
        out: list[Outcome],
        hops: int,
    ) -> None:
        if hops > MAX_HOPS:
            raise RuntimeError(f"packet loops in the graph at {nid}")
        result = self.processors[nid].process(pkt)
        if result is None:
            out.append(Outcome(None, b"", ()))
            return
        if result:
            labels = labels | {result}
        edges = [e for e in self.graph.successors(nid) if e.takes(result or None, chain)]
        if not edges:
            node = self.graph.nodes[nid]
            if node.descriptor.role == "tx-service":
                port = node.parameter("port")
                out.append(Outcome(port[0] if port else "", bytes(pkt), tuple(sorted(labels))))
            else:
                out.append(Outcome(None, b"", ()))
            return
        branch = [e for e in edges if e.kind is EdgeKind.BRANCH]
        if branch:
            self._parallel(branch, chain, pkt, labels, order, out, hops)
            edges = [e for e in edges if e.kind is not EdgeKind.BRANCH]
        for i, e in enumerate(edges):
            # every further edge gets its own copy (a packet taken by several edges)
            copy = pkt if i == len(edges) - 1 and not branch else bytearray(pkt)
            self._walk(e.target, chain, copy, labels, order, out, hops + 1)

    def _parallel(
        self,
        branch: list[GraphEdge],
        chain: str,
        pkt: bytearray,
        labels: set[str],
        order: str,
        out: list[Outcome],
        hops: int,
    ) -> None:
        members = [e.target for e in branch]
        if order == "reverse":
            members.reverse()
        dropped = False
        for m in members:  # one mbuf, every member sees it
            result = self.processors[m].process(pkt)
            if result is None:
                dropped = True
            elif result:
                labels = labels | {result}
        if dropped:
            out.append(Outcome(None, b"", ()))
            return
        after = {
            e.target for m in members for e in self.graph.successors(m) if e.kind is EdgeKind.SYNC
        }
        for target in sorted(after):
            self._walk(target, chain, bytearray(pkt), labels, order, out, hops + 1)

    def stateful_counters(self) -> dict[str, dict[str, int]]:
        """Counters of stateful uNFs, keyed by the intent node(s) they stand for."""
        out: dict[str, dict[str, int]] = {}
        for nid, node in self.graph.nodes.items():
            if node.descriptor.stateful:
                key = ",".join(str(o) for o in node.origins)
                out[key] = dict(self.processors[nid].counters)
        return out


def run_all(
    graph: UnfGraph,
    packets: Iterable[tuple[str, bytes]],
    order: Literal["forward", "reverse"] = "forward",
) -> tuple[list[Verdict], Mapping[str, dict[str, int]]]:
    """Verdicts of (chain, frame) pairs in order, and the stateful counters after them."""
    it = GraphInterpreter(graph)
    verdicts = [it.run(chain, frame, order) for chain, frame in packets]
    return verdicts, it.stateful_counters()
