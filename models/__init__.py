"""micronf.models: typed domain objects built from validated YANG data."""

from .catalog import Access, Catalog, Link, ParameterSpec, TemplateNode, UnfDescriptor, VnfTemplate
from .chain import Chain, ExpandedGraph, ExpandedUnf, Intent, Match, VnfInstance
from .graph import EdgeKind, GraphEdge, GraphNode, Origin, UnfGraph
from .placement import Agent, Pin, PlacementIntent, Port

__all__ = [
    "Access",
    "Agent",
    "EdgeKind",
    "GraphEdge",
    "GraphNode",
    "Origin",
    "Pin",
    "PlacementIntent",
    "Port",
    "UnfGraph",
    "Catalog",
    "Chain",
    "ExpandedGraph",
    "ExpandedUnf",
    "Intent",
    "Link",
    "Match",
    "ParameterSpec",
    "TemplateNode",
    "UnfDescriptor",
    "VnfInstance",
    "VnfTemplate",
]
