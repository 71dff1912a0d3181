"""Typed catalog objects: uNF descriptors and VNF templates.

Built only from data that passed :mod:`micronf.yang` (RFC 7951 JSON with
defaults filled in), so constructors trust keys and types and never
re-validate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Access(StrEnum):
    """Access a packet processor makes to one part of a packet."""

    NOP = "nop"
    READ_ONLY = "read-only"
    READ_WRITE = "read-write"

    @property
    def writes(self) -> bool:
        return self is Access.READ_WRITE

    @property
    def touches(self) -> bool:
        return self is not Access.NOP


LAYERS = ("l2-header", "l3-header", "l4-header", "payload")


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str
    mandatory: bool = False
    multi_valued: bool = False
    default: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()
    description: str = ""

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> ParameterSpec:
        return cls(
            name=d["name"],
            type=d["type"],
            mandatory=bool(d.get("mandatory", False)),
            multi_valued=bool(d.get("multi-valued", False)),
            default=tuple(d.get("default", [])),
            allowed_values=tuple(d.get("allowed-value", [])),
            description=d.get("description", ""),
        )


@dataclass(frozen=True)
class UnfDescriptor:
    """What a packet processor class touches (paper §IV-D)."""

    unf_class: str
    role: str
    stateful: bool
    access: Mapping[str, Access]
    may_drop: bool
    result_labels: tuple[str, ...]
    cost: int
    parameters: Mapping[str, ParameterSpec]
    description: str = ""
    can_scale: bool = False
    counters: tuple[str, ...] = ()

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> UnfDescriptor:
        acc = d.get("access", {})
        return cls(
            unf_class=d["class"],
            role=d.get("role", "packet-processor"),
            stateful=bool(d["stateful"]),
            access={layer: Access(acc.get(layer, "nop")) for layer in LAYERS},
            may_drop=bool(d.get("may-drop", False)),
            result_labels=tuple(d.get("result-label", [])),
            cost=int(d["cost"]),
            parameters={p["name"]: ParameterSpec.from_yang(p) for p in d.get("parameter", [])},
            description=d.get("description", ""),
            can_scale=bool(d.get("can-scale", False)),
            counters=tuple(d.get("counter", [])),
        )

    @property
    def is_io_service(self) -> bool:
        return self.role in ("rx-service", "tx-service")


def parameter_values(items: Any) -> dict[str, tuple[str, ...]]:
    return {p["name"]: tuple(p.get("value", [])) for p in items or []}


@dataclass(frozen=True)
class TemplateNode:
    id: str
    unf_class: str
    parameters: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Link:
    """A directed, optionally labelled edge; no labels means every packet."""

    source: str
    target: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class VnfTemplate:
    name: str
    nodes: Mapping[str, TemplateNode]
    links: tuple[Link, ...]
    entry: str
    exits: Mapping[str, str]
    description: str = ""
    vendor: str = ""
    version: str = ""

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> VnfTemplate:
        return cls(
            name=d["name"],
            nodes={
                n["id"]: TemplateNode(n["id"], n["unf-class"], parameter_values(n.get("parameter")))
                for n in d.get("node", [])
            },
            links=tuple(
                Link(lk["from"], lk["to"], tuple(lk.get("label", []))) for lk in d.get("link", [])
            ),
            entry=d["entry"],
            exits={e["name"]: e["node"] for e in d.get("exit", [])},
            description=d.get("description", ""),
            vendor=d.get("vendor", ""),
            version=d.get("version", ""),
        )

    def successors(self, node_id: str) -> list[Link]:
        return [lk for lk in self.links if lk.source == node_id]

    def topological_order(self) -> list[str]:
        """Nodes in processing order (templates are acyclic once validated)."""
        indeg = dict.fromkeys(self.nodes, 0)
        for lk in self.links:
            indeg[lk.target] += 1
        order: list[str] = []
        ready = [n for n in self.nodes if indeg[n] == 0]
        while ready:
            n = ready.pop(0)
            order.append(n)
            for lk in self.successors(n):
                indeg[lk.target] -= 1
                if indeg[lk.target] == 0:
                    ready.append(lk.target)
        return order


@dataclass(frozen=True)
class Catalog:
    descriptors: Mapping[str, UnfDescriptor] = field(default_factory=dict)
    #: keyed by (name, version)
    templates: Mapping[tuple[str, str], VnfTemplate] = field(default_factory=dict)

    @classmethod
    def from_yang(cls, d: Mapping[str, Any]) -> Catalog:
        return cls(
            descriptors={
                x["class"]: UnfDescriptor.from_yang(x) for x in d.get("unf-descriptor", [])
            },
            templates={
                (t["name"], t["version"]): VnfTemplate.from_yang(t)
                for t in d.get("vnf-template", [])
            },
        )

    def template(self, name: str, version: str | None = None) -> VnfTemplate:
        """The template *name* at *version*, or its only version when *version* is None
        (validated intent guarantees there is exactly one)."""
        if version is not None:
            return self.templates[(name, version)]
        (found,) = [t for (n, _), t in self.templates.items() if n == name]
        return found
