"""Typed service function chains and their expansion into uNFs.

A :class:`Chain` is a directed graph of VNF instances; :meth:`Chain.expand`
inlines every instance's template into one graph of uNFs with the
instance's configuration merged over the template's (descriptor default,
then template value, then chain ``node-config``). No optimisation happens
here: removing redundant uNFs is the compiler's job. The expansion is what
``micronf validate --show`` prints and what the compiler starts from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from micronf.yang import ValidatedIntent

from .catalog import Catalog, Link, UnfDescriptor, parameter_values
from .placement import Agent, PlacementIntent

#: Compiler passes a chain (or the whole intent) can switch off.
PASS_SWITCHES = ("dedup", "parallelize", "consolidate")


@dataclass(frozen=True)
class VnfInstance:
    name: str
    template: str
    node_config: Mapping[str, Mapping[str, tuple[str, ...]]]
    #: None when the chain leaves it to the catalog's only version of the template
    template_version: str | None = None


@dataclass(frozen=True)
class Match:
    """Ingress traffic match; empty fields match everything."""

    fields: Mapping[str, Any]

    def describe(self) -> str:
        if not self.fields:
            return "all traffic"
        parts = []
        for key, val in self.fields.items():
            parts.append(f"{key}={val}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ExpandedUnf:
    """One uNF of an expanded chain: ``id`` is ``<vnf>.<node>``."""

    id: str
    vnf: str
    node: str
    descriptor: UnfDescriptor
    parameters: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class ExpandedGraph:
    unfs: Mapping[str, ExpandedUnf]
    links: tuple[Link, ...]
    entry: str
    exits: tuple[str, ...]


def _flatten_match(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in d.items():
        name = key.split(":")[-1]
        if isinstance(val, Mapping):
            out.update(_flatten_match(val, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = val
    return out


@dataclass(frozen=True)
class Chain:
    name: str
    description: str
    vnfs: Mapping[str, VnfInstance]
    links: tuple[Link, ...]
    ingress_vnf: str
    ingress_port: str  # "" when the chain names no port yet
    egress_port: str
    match: Match
    expected_rate: float | None
    allowed_agents: tuple[str, ...]
    ingress_agent: str | None = None
    egress_agent: str | None = None
    placement: PlacementIntent = PlacementIntent()
    passes: Mapping[str, bool] = field(default_factory=dict)

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> Chain:
        ingress = d.get("ingress", {})
        placement = d.get("placement", {})
        rate = placement.get("expected-rate")
        compiler = d.get("compiler", {})
        return cls(
            name=d["name"],
            description=d.get("description", ""),
            vnfs={
                v["name"]: VnfInstance(
                    v["name"],
                    v["template"],
                    {
                        c["node"]: parameter_values(c.get("parameter"))
                        for c in v.get("node-config", [])
                    },
                    v.get("template-version"),
                )
                for v in d.get("vnf", [])
            },
            links=tuple(
                Link(lk["from"], lk["to"], tuple(lk.get("label", []))) for lk in d.get("link", [])
            ),
            ingress_vnf=ingress["vnf"],
            ingress_port=ingress.get("port", ""),
            egress_port=d.get("egress", {}).get("port", ""),
            match=Match(_flatten_match(ingress.get("match", {}))),
            expected_rate=float(rate) if rate is not None else None,
            allowed_agents=tuple(placement.get("allowed-agent", [])),
            ingress_agent=ingress.get("agent"),
            egress_agent=d.get("egress", {}).get("agent"),
            placement=PlacementIntent.from_yang(placement),
            passes={p: bool(compiler[p]) for p in PASS_SWITCHES if p in compiler},
        )

    def vnf_order(self) -> list[str]:
        """VNF instances in traffic order (breadth-first from the ingress)."""
        order = [self.ingress_vnf]
        for name in order:
            for lk in self.links:
                if lk.source == name and lk.target not in order:
                    order.append(lk.target)
        return order

    def expand(self, catalog: Catalog) -> ExpandedGraph:
        """Inline every VNF template into one uNF graph."""
        unfs: dict[str, ExpandedUnf] = {}
        links: list[Link] = []
        exits_of: dict[str, dict[str, str]] = {}
        for vname in self.vnf_order():
            inst = self.vnfs[vname]
            tpl = catalog.template(inst.template, inst.template_version)
            for nid, node in tpl.nodes.items():
                desc = catalog.descriptors[node.unf_class]
                params = {n: p.default for n, p in desc.parameters.items()}
                params.update(node.parameters)
                params.update(inst.node_config.get(nid, {}))
                uid = f"{vname}.{nid}"
                unfs[uid] = ExpandedUnf(uid, vname, nid, desc, params)
            links += [
                Link(f"{vname}.{lk.source}", f"{vname}.{lk.target}", lk.labels) for lk in tpl.links
            ]
            exits_of[vname] = {label: f"{vname}.{node}" for label, node in tpl.exits.items()}
        entry_vnf = self.vnfs[self.ingress_vnf]
        entry_tpl = catalog.template(entry_vnf.template, entry_vnf.template_version)
        entry = f"{self.ingress_vnf}.{entry_tpl.entry}"
        linked: set[tuple[str, str]] = set()  # (vnf, exit) pairs a chain link takes
        for lk in self.links:
            target = self.vnfs[lk.target]
            target_tpl = catalog.template(target.template, target.template_version)
            labels = lk.labels or tuple(exits_of[lk.source])
            for label in labels:
                linked.add((lk.source, label))
                links.append(Link(exits_of[lk.source][label], f"{lk.target}.{target_tpl.entry}"))
        # An exit no chain link takes leaves the chain by its egress port: a
        # VNF whose labelled link takes one exit still sends the others out.
        chain_exits = tuple(
            node
            for vname, ex in exits_of.items()
            for label, node in ex.items()
            if (vname, label) not in linked
        )
        # The chain's own ports reach the Rx service of its entry and the Tx
        # services of its exits; inner Rx/Tx pairs are left to the compiler.
        for uid, port in [(entry, self.ingress_port)] + [
            (x, self.egress_port) for x in chain_exits
        ]:
            unf = unfs[uid]
            if port and "port" in unf.descriptor.parameters:
                unfs[uid] = replace(unf, parameters={**unf.parameters, "port": (port,)})
        return ExpandedGraph(unfs=unfs, links=tuple(links), entry=entry, exits=chain_exits)


@dataclass(frozen=True)
class Intent:
    """The whole validated intent: catalog and chains."""

    catalog: Catalog
    chains: Mapping[str, Chain]
    agents: Mapping[str, Agent] = field(default_factory=dict)
    passes: Mapping[str, bool] = field(default_factory=dict)

    @classmethod
    def from_validated(cls, v: ValidatedIntent) -> Intent:
        return cls.from_data(v.data)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Intent:
        """From RFC 7951 JSON of a validated datastore (defaults filled in)."""
        chains = data.get("micronf-sfc:chains", {})
        compiler = chains.get("compiler", {})
        return cls(
            catalog=Catalog.from_yang(data.get("micronf-catalog:catalog", {})),
            chains={c["name"]: Chain.from_yang(c) for c in chains.get("chain", [])},
            agents={
                a["name"]: Agent.from_yang(a)
                for a in sorted(
                    data.get("micronf-sfc:agents", {}).get("agent", []), key=lambda a: a["name"]
                )
            },
            passes={p: bool(compiler[p]) for p in PASS_SWITCHES if p in compiler},
        )
