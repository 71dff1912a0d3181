"""Checks of a TOSCA document before tosca-parser sees it.

* :func:`shape_problems`: shapes tosca-parser crashes on instead of
  reporting them (a list where a map belongs, ...), and a
  ``tosca_definitions_version`` other than the NFV profile's;
* :func:`refused_constructs`: TOSCA constructs micronf has no meaning for,
  refused by name before tosca-parser's errors about them (missing required
  properties or requirements) could hide the point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from micronf.yang import Problem
from micronf.yang.budgets import over_budget

from .nfv import NFV_VERSION, unsupported_reason
from .source import Lines


def shape_problems(doc: dict[str, Any], source: str, lines: Lines) -> list[Problem]:
    """Shapes tosca-parser crashes on (instead of reporting); checked first for clear errors."""
    problems: list[Problem] = []

    def bad(message: str, line: int | None) -> None:
        problems.append(Problem(message, source=source, line=line))

    version = doc.get("tosca_definitions_version")
    if version != NFV_VERSION:
        what = "is missing" if version is None else f"{version!r} is not supported"
        bad(
            f"tosca_definitions_version {what}: micronf documents use the TOSCA NFV "
            f"profile, tosca_definitions_version: {NFV_VERSION}",
            lines.version,
        )
        return problems
    for key in ("tosca_definitions_version", "description"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            bad(f"'{key}' must be a string", None)
    imports = doc.get("imports")
    if imports is not None and not isinstance(imports, list | str):
        bad("'imports' must be a list of files", lines.imports[0] if lines.imports else None)
    topo = doc.get("topology_template")
    if topo is None:
        return problems
    if not isinstance(topo, dict):
        bad("'topology_template' must be a map", None)
        return problems
    templates = topo.get("node_templates")
    if templates is not None and not isinstance(templates, dict):
        bad("'node_templates' must be a map: name -> node template", None)
        templates = None
    for name, tpl in (templates or {}).items():
        line = lines.nodes.get(str(name))
        what = f"node template {str(name)!r}"
        if not isinstance(tpl, dict):
            bad(f"{what} must be a map (type, properties, requirements)", line)
            continue
        if not isinstance(tpl.get("type"), str):
            bad(f"{what}: 'type' must be a type name", line)
        for section in ("properties", "capabilities", "interfaces", "attributes"):
            if tpl.get(section) is not None and not isinstance(tpl[section], dict):
                bad(f"{what}: '{section}' must be a map", line)
        reqs = tpl.get("requirements")
        if reqs is None:
            continue
        if not isinstance(reqs, list):
            bad(f"{what}: 'requirements' must be a list", line)
            continue
        for i, req in enumerate(reqs):
            rline = lines.requirements.get((str(name), i), line)
            if not (isinstance(req, dict) and len(req) == 1):
                bad(
                    f"{what}: requirement {i + 1} must be a one-key map, e.g. forwarder: NODE",
                    rline,
                )
                continue
            ((rname, target),) = req.items()
            if isinstance(target, dict):
                if not isinstance(target.get("node"), str | None):
                    bad(
                        f"{what}: requirement {rname!r}: 'node' must be a node template name", rline
                    )
            elif not isinstance(target, str):
                bad(f"{what}: requirement {rname!r} must name a node template", rline)
    groups = topo.get("groups")
    if groups is not None and not isinstance(groups, dict):
        bad("'groups' must be a map: name -> group", None)
        groups = None
    for name, group in (groups or {}).items():
        line = lines.groups.get(str(name))
        what = f"group {str(name)!r}"
        if not isinstance(group, dict):
            bad(f"{what} must be a map (type, properties, members)", line)
            continue
        if not isinstance(group.get("type"), str):
            bad(f"{what}: 'type' must be a type name", line)
        if group.get("properties") is not None and not isinstance(group["properties"], dict):
            bad(f"{what}: 'properties' must be a map", line)
        members = group.get("members")
        if members is not None and not (
            isinstance(members, list) and all(isinstance(m, str) for m in members)
        ):
            bad(f"{what}: 'members' must be a list of node template names", line)
    for section in ("inputs", "outputs", "policies", "substitution_mappings"):
        value = topo.get(section)
        if value is not None and not isinstance(value, dict | list):
            bad(f"'{section}' must be a map", None)
    return problems


_FORWARDER = re.compile(r"\bforwarder\s*:")


def budget_problems(text: str, budgets: Mapping[str, int]) -> list[Problem]:
    """Shapes tosca-parser handles in time quadratic in their size, over their budget.

    tosca-parser's topology graph costs O(n^2) in the forwarders of a path
    (12,000 took 11 s), and composing the YAML of so many small nodes is
    itself slow in PyYAML, so forwarder requirements are counted in the raw
    text, before the YAML is parsed (a count of ``forwarder:`` keys, which
    can only over-count).
    """
    limit = budgets["forwarders"]
    for count, m in enumerate(_FORWARDER.finditer(text), 1):
        if count > limit:
            line = text.count("\n", 0, m.start()) + 1
            total = count + sum(1 for _ in _FORWARDER.finditer(text, m.end()))
            return [over_budget("forwarders", total, "the document", limit, line)]
    return []


def refused_constructs(doc: dict[str, Any], source: str, lines: Lines) -> list[Problem]:
    """NFV node types micronf does not have (VDU, CP, VL) and substitution mappings."""
    problems: list[Problem] = []
    topo = doc.get("topology_template")
    if not isinstance(topo, dict):
        return problems
    for name, tpl in (topo.get("node_templates") or {}).items():
        ntype = tpl.get("type") if isinstance(tpl, dict) else None
        reason = unsupported_reason(ntype) if isinstance(ntype, str) else None
        if reason is not None:
            problems.append(
                Problem(
                    f"node {str(name)!r}: {ntype} is not supported: {reason}",
                    source=source,
                    line=lines.nodes.get(str(name)),
                )
            )
    if topo.get("substitution_mappings") is not None:
        problems.append(
            Problem(
                "topology_template: substitution_mappings is not supported: a micronf "
                "document describes chains, not a node type that other templates substitute",
                source=source,
                line=lines.sections.get("substitution_mappings"),
            )
        )
    return problems
