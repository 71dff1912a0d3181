"""Pass ``inline``: chains and VNF templates -> the naive uNF graph.

Each VNF of each chain keeps all of its template's uNFs, its own packet I/O,
header checks and classifiers: the configuration of chained monolithic VNFs
that the paper measures against (configuration (i) of its Table I). Node
identifiers are ``<chain>.<vnf>.<node>``; a chain's packets enter at its
first VNF's entry uNF.
"""

from __future__ import annotations

from collections.abc import Iterable

from micronf.models import Chain, ExpandedUnf, Intent
from micronf.models.graph import GraphEdge, GraphNode, Origin, UnfGraph, freeze_parameters, make_id

from .changes import Change, PassResult


def inline_chain(chain: Chain, intent: Intent) -> tuple[list[GraphNode], list[GraphEdge], str]:
    expanded = chain.expand(intent.catalog)
    ids = {uid: make_id(chain.name, uid) for uid in expanded.unfs}
    fed = {lk.target for lk in expanded.links}
    nodes = [
        GraphNode(
            id=ids[uid],
            descriptor=unf.descriptor,
            parameters=freeze_parameters(_inner_io(unf, uid in fed)),
            origins=(Origin(chain.name, unf.vnf, unf.node),),
            chains=(chain.name,),
        )
        for uid, unf in expanded.unfs.items()
    ]
    edges = [GraphEdge(ids[lk.source], ids[lk.target], lk.labels) for lk in expanded.links]
    return nodes, edges, ids[expanded.entry]


def _inner_io(unf: ExpandedUnf, fed: bool) -> dict[str, tuple[str, ...]]:
    """Parameters of a uNF; an Rx service fed by the previous VNF reads a ring, not a wire.

    Between chained VNFs there is no tunnel: such an Rx does not decapsulate
    unless its template or the chain says so explicitly (a value other than
    the descriptor's default).
    """
    params = dict(unf.parameters)
    spec = unf.descriptor.parameters.get("decapsulate")
    if (
        fed
        and unf.descriptor.role == "rx-service"
        and spec is not None
        and params.get("decapsulate") == spec.default
    ):
        params["decapsulate"] = ("false",)
    return params


def inline(intent: Intent, chains: Iterable[str] | None = None) -> PassResult:
    """The naive graph of *chains* (default: every chain of the intent)."""
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    entries: dict[str, str] = {}
    changes = []
    for name in sorted(intent.chains if chains is None else chains):
        chain = intent.chains[name]
        n, e, entry = inline_chain(chain, intent)
        nodes += n
        edges += e
        entries[name] = entry
        changes.append(
            Change(
                "inline",
                "inlined",
                (entry,),
                f"chain {name}: {len(chain.vnfs)} VNFs -> {len(n)} uNFs",
            )
        )
    return PassResult(UnfGraph.build(nodes, edges, entries), tuple(changes))
