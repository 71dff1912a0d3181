"""micronf.models: typed domain objects built from validated YANG data."""

from .catalog import Access, Catalog, Link, ParameterSpec, TemplateNode, UnfDescriptor, VnfTemplate
from .chain import Chain, ExpandedGraph, ExpandedUnf, Intent, Match, VnfInstance

__all__ = [
    "Access",
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
