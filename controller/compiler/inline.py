"""Pass ``inline``: chains and VNF templates -> the naive uNF graph.

Each VNF of each chain keeps all of its template's uNFs, its own packet I/O,
header checks and classifiers: the configuration of chained monolithic VNFs
that the paper measures against (configuration (i) of its Table I). Node
identifiers are ``<chain>.<vnf>.<node>``; a chain's packets enter at its
first VNF's entry uNF.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace

from micronf.models import Chain, ExpandedUnf, Intent
from micronf.models.graph import (
    GraphEdge,
    GraphNode,
    Origin,
    Parameters,
    UnfGraph,
    freeze_parameters,
    make_id,
)

from .changes import Change, PassResult


@dataclass(frozen=True)
class ChainShape:
    """A chain's naive graph in local identifiers (``vnf.node``), without its name and ports.

    Chains built from the same VNF instances, templates, configuration and
    links have one shape; it is expanded once and instantiated per chain.
    """

    nodes: tuple[tuple[str, ExpandedUnf, Parameters], ...]
    edges: tuple[tuple[str, str, tuple[str, ...]], ...]
    entry: str
    exits: tuple[str, ...]


def shape_key(chain: Chain) -> Hashable:
    """What a chain's naive graph depends on, apart from its name and ports."""
    vnfs = tuple(
        (
            v.name,
            v.template,
            v.template_version,
            tuple(sorted((node, freeze_parameters(p)) for node, p in v.node_config.items())),
        )
        for v in sorted(chain.vnfs.values(), key=lambda v: v.name)
    )
    links = tuple(sorted((lk.source, lk.target, lk.labels) for lk in chain.links))
    return (vnfs, links, chain.ingress_vnf)


def chain_shape(chain: Chain, intent: Intent) -> ChainShape:
    expanded = replace(chain, ingress_port="", egress_port="").expand(intent.catalog)
    fed = {lk.target for lk in expanded.links}
    return ChainShape(
        nodes=tuple(
            (uid, unf, freeze_parameters(_inner_io(unf, uid in fed)))
            for uid, unf in expanded.unfs.items()
        ),
        edges=tuple((lk.source, lk.target, lk.labels) for lk in expanded.links),
        entry=expanded.entry,
        exits=expanded.exits,
    )


def _with_port(params: Parameters, port: str) -> Parameters:
    return tuple((k, (port,) if k == "port" else v) for k, v in params)


def instantiate(shape: ChainShape, chain: Chain) -> tuple[list[GraphNode], list[GraphEdge], str]:
    """The naive graph of *chain* from its shape: ids, origins and the chain's ports."""
    ids = {uid: make_id(chain.name, uid) for uid, _, _ in shape.nodes}
    exits = set(shape.exits)
    nodes = []
    for uid, unf, params in shape.nodes:
        if "port" in unf.descriptor.parameters:
            # the chain's own ports reach the Rx service of its entry and its exit Tx services
            if uid == shape.entry and chain.ingress_port:
                params = _with_port(params, chain.ingress_port)
            elif uid in exits and chain.egress_port:
                params = _with_port(params, chain.egress_port)
        nodes.append(
            GraphNode(
                id=ids[uid],
                descriptor=unf.descriptor,
                parameters=params,
                origins=(Origin(chain.name, unf.vnf, unf.node),),
                chains=(chain.name,),
            )
        )
    edges = [GraphEdge(ids[a], ids[b], labels) for a, b, labels in shape.edges]
    return nodes, edges, ids[shape.entry]


def inline_chain(
    chain: Chain, intent: Intent, shapes: dict[Hashable, ChainShape] | None = None
) -> tuple[list[GraphNode], list[GraphEdge], str]:
    """The naive graph of one chain (*shapes* caches expansions between chains)."""
    if shapes is None:
        return instantiate(chain_shape(chain, intent), chain)
    key = shape_key(chain)
    shape = shapes.get(key)
    if shape is None:
        shape = shapes[key] = chain_shape(chain, intent)
    return instantiate(shape, chain)


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
