"""TOSCA (NFV profile + micronf profile) to micronf-sfc YANG instance data.

A TOSCA document is parsed by ``tosca-parser`` and translated into RFC 7951
JSON of ``micronf-sfc``; :func:`load_tosca` then sends it down the one
validation path (:func:`micronf.yang.validate_dict`). The translator checks
only what YANG cannot see (TOSCA constructs micronf does not have, criteria
it cannot express); everything else is left to libyang, whose problems are
mapped back to the YAML line of the node template or group that produced
them.

Mapping (see ``docs/tosca-profile.md``):

* each ``tosca.groups.nfv.VNFFG`` group is one chain, named after the group;
* its members are forwarding paths (``tosca.nodes.nfv.FP``); the ordered
  ``forwarder`` requirements of a path give the chain's links (consecutive
  pairs) and its VNFs (in order of first appearance);
* the first forwarder of the first path is the ingress VNF and that path's
  ``policy`` (ACL criteria, :mod:`.criteria`) is the ingress match;
* ``micronf.nodes.VNF`` gives the catalog template and node configuration;
  a plain ``tosca.nodes.nfv.VNF`` names its template with ``id``.

The steps: :mod:`.source` reads and parses the YAML once, :mod:`.shape`
refuses what tosca-parser would crash on or micronf cannot express,
:mod:`.imports` checks and loads the imports (adding the micronf profile),
:mod:`.parser` runs tosca-parser, and this module turns its node templates
and groups into chains.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from micronf.yang import Problem, ValidatedIntent, ValidationFailed, validate_dict
from micronf.yang.budgets import effective as effective_budgets
from micronf.yang.checks import chain_path, quote_key
from micronf.yang.explain import choices_text
from micronf.yang.inputs import limit_of, read_regular_file

from . import criteria, foreign, imports, parser, shape, source
from .nfv import (
    AGENT_TYPE,
    FP_TYPE,
    MICRONF_FP_TYPE,
    MICRONF_VNF_TYPE,
    ONLY_VNFS_AND_PATHS,
    UNSUPPORTED_NODE_TYPES,
    VNF_TYPE,
    VNFFG_TYPE,
)
from .source import Lines

__all__ = [
    "load_tosca",
    "read_tosca",
    "load_tosca_text",
    "translate_file",
    "translate_text",
]

#: The generated JSON may be larger than the YAML it comes from (quotes,
#: YANG names); it is checked against this multiple of the input limit.
_JSON_GROWTH = 8


def _pred(key: str, value: str) -> str:
    """A YANG path predicate ``[key='value']``."""
    return f"[{key}={quote_key(value)}]"


# --------------------------------------------------------------------------- tosca-parser objects


def _type_names(entity: Any) -> list[str]:
    """The type of a tosca-parser node or group template and all its ancestors."""
    names: list[str] = []
    tdef = getattr(entity, "type_definition", None)
    depth = 0
    while tdef is not None and depth < 64:
        name = getattr(tdef, "type", None)
        if isinstance(name, str):
            names.append(name)
        try:
            tdef = tdef.parent_type
        except Exception:  # noqa: BLE001 - a broken type hierarchy ends the walk
            break
        depth += 1
    return names


def _is_a(names: list[str], wanted: str) -> bool:
    return any(n == wanted or n.endswith("." + wanted) for n in names)


def _input_value(function: Any) -> Any:
    """The value of a ``get_input``, following defaults that are ``get_input`` themselves
    (tosca-parser does not), and naming a cycle as one."""
    inputs = {i.name: i for i in (getattr(function.tosca_tpl, "inputs", None) or [])}
    seen = [function.input_name]
    result = function.result()
    while isinstance(result, dict) and set(result) == {"get_input"}:
        name = str(result["get_input"])
        if name in seen:
            raise ValueError(
                "get_input cycle: the inputs' defaults refer back to each other: "
                + " -> ".join([*seen, name])
            )
        seen.append(name)
        if name not in inputs:
            raise ValueError(f"input {seen[-2]!r} refers to input {name!r}, which does not exist")
        result = inputs[name].default
    if result is None:
        raise ValueError(f"input {seen[-1]!r} has no value and no default")
    return result


def _plain(value: Any) -> Any:
    """A property value with ``get_input`` evaluated (ValueError for other functions)."""
    from toscaparser.functions import Function, GetInput

    if isinstance(value, GetInput):
        value = _input_value(value)
    if isinstance(value, Function):
        raise ValueError("TOSCA functions other than get_input are not supported")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _properties(entity: Any) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, prop in entity.get_properties().items():
        props[name] = _plain(prop.value)
    return props


def _forwarders(fp: Any) -> list[tuple[int, str]]:
    """(requirement index, node template name) of the ``forwarder`` requirements, in order."""
    out: list[tuple[int, str]] = []
    for i, req in enumerate(fp.requirements or []):
        if not isinstance(req, dict):
            continue
        for key, value in req.items():
            if key != "forwarder":
                continue
            target = value.get("node") if isinstance(value, dict) else value
            if isinstance(target, str):
                out.append((i, target))
    return out


def _node_config(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        raise ValueError("node_config must be a map: node -> parameter -> list of values")
    out: list[dict[str, Any]] = []
    for node, params in value.items():
        if not isinstance(params, dict):
            raise ValueError(f"node_config of node {node!r} must be a map: parameter -> values")
        plist = []
        for pname, values in params.items():
            vals = values if isinstance(values, list) else [values]
            plist.append({"name": str(pname), "value": [str(v) for v in vals]})
        entry: dict[str, Any] = {"node": str(node)}
        if plist:
            entry["parameter"] = plist
        out.append(entry)
    return out


def _rate(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected_rate {value!r} is not a number")
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text, re.ASCII):
        raise ValueError(f"expected_rate {value!r} is not a decimal number of Mpps")
    return text


@dataclass
class _Translation:
    data: dict[str, Any]
    lines: Lines
    #: YANG path prefix -> YAML line, longest prefix wins
    path_lines: dict[str, int]


class _PropertyError(ValueError):
    """A bad value of the property ``prop``."""

    def __init__(self, prop: str, message: str) -> None:
        super().__init__(message)
        self.prop = prop


def _text(value: Any, what: str) -> str:
    """A scalar property as a string; a map or list (e.g. an unsupported TOSCA
    function such as ``get_attribute``) is refused instead of becoming the
    text of a Python dict."""
    if isinstance(value, dict | list):
        function = str(next(iter(value))) if isinstance(value, dict) and len(value) == 1 else ""
        if function.startswith("get_"):
            raise _PropertyError(
                what,
                f"property {what!r}: the TOSCA function {function} has no meaning "
                "here; give the value itself",
            )
        raise _PropertyError(
            what, f"property {what!r} must be a single value, not a {type(value).__name__}"
        )
    return str(value)


@dataclass
class _Path:
    """What one forwarding path contributes to its chain."""

    vnfs: list[str]
    label: Any
    policy: Any
    match: dict[str, Any]


class _Translator:
    """Node templates and groups of one parsed document -> chains, step by step.

    Each step records problems (one per root cause, at the line of the
    property or template concerned) and goes on, so that one run reports
    every independent problem; YANG paths of what is generated are mapped to
    YAML lines in ``path_lines`` for libyang's later problems.
    """

    def __init__(self, tosca: Any, source: str, lines: Lines) -> None:
        self.tosca = tosca
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []
        self.path_lines: dict[str, int] = {}
        self.nodes: dict[str, Any] = {
            n.name: n for n in (getattr(tosca, "nodetemplates", None) or [])
        }
        self.kinds: dict[str, str] = {}
        self.vnfs: dict[str, dict[str, Any]] = {}  # node name -> YANG vnf entry (no name)

    def fail(self, message: str, line: int | None) -> None:
        self.problems.append(Problem(message, source=self.source, line=line))

    def prop_line(self, kind: str, name: str, prop: str) -> int | None:
        """The line of property *prop* of node template or group *name* (else of the template)."""
        table = self.lines.nodes if kind == "node" else self.lines.groups
        return self.lines.props.get((kind, name, prop), table.get(name))

    def run(self) -> _Translation:
        self.classify_nodes()
        self.refuse_policies()
        vnffgs = self.vnffg_groups()
        self.vnf_templates()
        chains = [c for c in (self.chain(group) for group in vnffgs) if c is not None]
        agents = self.agents()
        if self.problems:
            raise ValidationFailed(self.problems)
        data: dict[str, Any] = {"micronf-sfc:chains": {"chain": chains}}
        if agents:
            data = {"micronf-sfc:agents": {"agent": agents}, **data}
        return _Translation(data, self.lines, self.path_lines)

    def agents(self) -> list[dict[str, Any]]:
        """The agents registry, from micronf.nodes.Agent nodes."""
        agents = []
        for name, kind in self.kinds.items():
            if kind != "agent":
                continue
            try:
                agents.append(_agent(name, _properties(self.nodes[name])))
            except (TypeError, ValueError, AttributeError) as exc:
                self.fail(f"node {name!r}: {exc}", self.lines.nodes.get(name))
        return agents

    # ------------------------------------------------------------------ steps

    def classify_nodes(self) -> None:
        """Every node template is a VNF or a forwarding path; anything else is refused."""
        for name, node in self.nodes.items():
            names = _type_names(node)
            if _is_a(names, VNF_TYPE):
                self.kinds[name] = "vnf"
            elif _is_a(names, FP_TYPE):
                self.kinds[name] = "fp"
            elif _is_a(names, AGENT_TYPE):
                self.kinds[name] = "agent"
            else:
                reason = next(
                    (r for t, r in UNSUPPORTED_NODE_TYPES.items() if _is_a(names, t)),
                    ONLY_VNFS_AND_PATHS,
                )
                self.fail(
                    f"node {name!r}: {node.type} is not supported: {reason}",
                    self.lines.nodes.get(name),
                )

    def refuse_policies(self) -> None:
        topo = getattr(self.tosca, "topology_template", None)
        for policy in getattr(topo, "policies", None) or []:
            self.fail(
                f"policy {policy.name!r}: topology policies are not supported "
                "(a chain's traffic policy is the ACL policy of its forwarding path)",
                self.lines.sections.get("policies"),
            )

    def vnffg_groups(self) -> list[Any]:
        """The VNFFG groups (one chain each); other groups are refused."""
        topo = getattr(self.tosca, "topology_template", None)
        vnffgs = []
        for group in getattr(topo, "groups", None) or []:
            if _is_a(_type_names(group), VNFFG_TYPE):
                vnffgs.append(group)
                self.unknown_properties(group)
            else:
                self.fail(
                    f"group {group.name!r}: {group.type} is not supported: "
                    f"micronf chains are {VNFFG_TYPE} groups",
                    self.lines.groups.get(group.name),
                )
        if not vnffgs and not self.problems:
            self.fail(f"no {VNFFG_TYPE} group: nothing to translate", None)
        return vnffgs

    def unknown_properties(self, group: Any) -> None:
        """Properties a group's type does not define (tosca-parser checks only node templates)."""
        given = (getattr(group, "entity_tpl", None) or {}).get("properties") or {}
        try:
            defined = set(group.type_definition.get_properties_def() or {})
        except Exception:  # noqa: BLE001 - a broken type: tosca-parser reported it
            return
        if not isinstance(given, dict):
            return
        for prop in given:
            if prop not in defined:
                self.fail(
                    f"group {group.name!r}: unknown property {str(prop)!r}; "
                    + choices_text(str(prop), defined, f"properties of {group.type}"),
                    self.prop_line("group", group.name, str(prop)),
                )

    def vnf_templates(self) -> None:
        """The catalog template (name, version) and node configuration of every VNF."""
        for name, kind in self.kinds.items():
            if kind != "vnf":
                continue
            node = self.nodes[name]
            try:
                props = _properties(node)
                # micronf.nodes.VNF: "template"; a plain NFV VNF: "id"
                key = "template" if props.get("template") is not None else "id"
                template = props.get(key)
                if template is None or template == "":
                    self.fail(
                        f"node {name!r}: {node.type} names no micronf VNF template: use "
                        f"{MICRONF_VNF_TYPE} with property 'template', or set property 'id' "
                        "to a catalog vnf-template name",
                        self.lines.nodes.get(name),
                    )
                    continue
                vnf: dict[str, Any] = {"template": _text(template, key)}
                if props.get("template_version") is not None:
                    vnf["template-version"] = _text(props["template_version"], "template_version")
                if props.get("node_config") is not None:
                    try:
                        vnf["node-config"] = _node_config(props["node_config"])
                    except ValueError as exc:
                        raise _PropertyError("node_config", str(exc)) from None
                self.vnfs[name] = vnf
            except ValueError as exc:
                prop = getattr(exc, "prop", None)
                line = self.prop_line("node", name, prop) if prop else self.lines.nodes.get(name)
                self.fail(f"node {name!r}: {exc}", line)

    def chain(self, group: Any) -> dict[str, Any] | None:
        """The chain of one VNFFG group, or None (problems recorded)."""
        gline = self.lines.groups.get(group.name)
        base = chain_path(group.name)
        if gline is not None:
            self.path_lines[base] = gline
        try:
            gprops = _properties(group)
        except ValueError as exc:
            self.fail(f"group {group.name!r}: {exc}", gline)
            return None
        members = list(group.get_member_nodes() or [])
        if not members:
            self.fail(
                f"group {group.name!r}: a VNFFG needs forwarding paths (FP) as members", gline
            )
            return None
        paths = [self.path(group, fp, base, first=i == 0) for i, fp in enumerate(members)]
        if any(p is None for p in paths):
            return None
        chain: dict[str, Any] = {"name": group.name}
        try:
            self.chain_body(chain, group, gprops, [p for p in paths if p is not None], base)
        except ValueError as exc:
            prop = getattr(exc, "prop", None)
            line = self.prop_line("group", group.name, prop) if prop else gline
            self.fail(f"group {group.name!r}: {exc}", line)
            return None
        return chain

    def path(self, group: Any, fp: Any, base: str, *, first: bool) -> _Path | None:
        """The VNFs, label and policy of one forwarding path, or None (problems recorded)."""
        fline = self.lines.nodes.get(fp.name)
        if self.kinds.get(fp.name) != "fp":
            if fp.name in self.kinds:
                self.fail(
                    f"group {group.name!r}: member {fp.name!r} is not a forwarding path "
                    f"({FP_TYPE}); VNFFG members are paths",
                    self.lines.groups.get(group.name),
                )
            return None
        forwarders = _forwarders(fp)
        if not forwarders:
            self.fail(f"node {fp.name!r}: a forwarding path needs 'forwarder' requirements", fline)
            return None
        vnfs: list[str] = []
        ok = True
        for req_index, target in forwarders:
            rline = self.lines.requirements.get((fp.name, req_index), fline)
            if self.kinds.get(target) != "vnf":
                what = self.nodes[target].type if target in self.nodes else "not a node template"
                self.fail(f"node {fp.name!r}: forwarder {target!r} is not a VNF ({what})", rline)
                ok = False
                continue
            vnfs.append(target)
            if len(vnfs) > 1 and rline is not None:
                link = f"{base}/link{_pred('from', vnfs[-2])}{_pred('to', target)}"
                self.path_lines.setdefault(link, rline)
        try:
            fprops = _properties(fp)
        except ValueError as exc:
            self.fail(f"node {fp.name!r}: {exc}", fline)
            return None
        label, policy = fprops.get("label"), fprops.get("policy")
        if label and len(vnfs) < 2:
            self.fail(
                f"node {fp.name!r}: 'label' applies to the first link of the path, "
                "and this path has none",
                self.prop_line("node", fp.name, "label"),
            )
        if policy is not None and not _is_a(_type_names(fp), MICRONF_FP_TYPE):
            self.fail(
                f"node {fp.name!r}: the policy of a plain {FP_TYPE} is a string; use "
                f"{MICRONF_FP_TYPE} for an ACL policy",
                self.prop_line("node", fp.name, "policy"),
            )
            return None
        if policy is not None and not first:
            self.fail(
                f"node {fp.name!r}: only the first forwarding path of VNFFG "
                f"{group.name!r} may carry a policy (a chain has one ingress match)",
                self.prop_line("node", fp.name, "policy"),
            )
            return None
        match: dict[str, Any] = {}
        if first and vnfs:
            if fline is not None:
                self.path_lines[f"{base}/ingress"] = fline
            pline = self.lines.props.get(("node", fp.name, "policy"))
            if pline is not None:
                self.path_lines[f"{base}/ingress/match"] = pline
            if policy is not None:
                try:
                    match = criteria.match(policy)
                except ValueError as exc:
                    self.fail(f"node {fp.name!r}: {exc}", pline or fline)
                    return None
        return _Path(vnfs, label, policy, match) if ok else None

    def chain_body(
        self,
        chain: dict[str, Any],
        group: Any,
        gprops: dict[str, Any],
        paths: list[_Path],
        base: str,
    ) -> None:
        """VNFs, links, ingress, egress and placement of a chain (ValueError: a bad property)."""
        order: list[str] = []
        links: dict[tuple[str, str], list[str] | None] = {}
        for p in paths:
            for v in p.vnfs:
                if v not in order:
                    order.append(v)
            for pair in zip(p.vnfs, p.vnfs[1:], strict=False):
                first = pair == (p.vnfs[0], p.vnfs[1])
                labels = [str(x) for x in p.label] if first and p.label else None
                if pair in links:
                    old = links[pair]
                    links[pair] = (
                        None
                        if old is None or labels is None
                        else old + [x for x in labels if x not in old]
                    )
                else:
                    links[pair] = labels
        description = gprops.get("description") or getattr(group, "description", None)
        if description:
            chain["description"] = _text(description, "description")
        vnfs = []
        for name in order:
            vpath = f"{base}/vnf{_pred('name', name)}"
            for path_suffix, prop in (
                ("", None),
                ("/template", "template"),
                ("/template-version", "template_version"),
                ("/node-config", "node_config"),
            ):
                line = (
                    self.lines.nodes.get(name)
                    if prop is None
                    else self.lines.props.get(("node", name, prop))
                )
                if line is not None:
                    self.path_lines[vpath + path_suffix] = line
            if name in self.vnfs:
                vnfs.append({"name": name, **self.vnfs[name]})
        chain["vnf"] = vnfs
        if links:
            chain["link"] = [
                {"from": a, "to": b, **({"label": lab} if lab else {})}
                for (a, b), lab in links.items()
            ]
        ingress: dict[str, Any] = {}
        if paths and paths[0].vnfs:
            ingress["vnf"] = paths[0].vnfs[0]
        if gprops.get("ingress_port") is not None:
            ingress["port"] = _text(gprops["ingress_port"], "ingress_port")
        if paths and paths[0].match:
            ingress["match"] = paths[0].match
        if gprops.get("ingress_agent") is not None and ingress:
            ingress["agent"] = _text(gprops["ingress_agent"], "ingress_agent")
        if ingress:
            chain["ingress"] = {
                k: ingress[k] for k in ("vnf", "port", "match", "agent") if k in ingress
            }
        egress = {
            key: _text(gprops[prop], prop)
            for key, prop in (("agent", "egress_agent"), ("port", "egress_port"))
            if gprops.get(prop) is not None
        }
        if egress:
            chain["egress"] = egress
        placement: dict[str, Any] = {}
        if gprops.get("expected_rate") is not None:
            try:
                placement["expected-rate"] = _rate(gprops["expected_rate"])
            except ValueError as exc:
                raise _PropertyError("expected_rate", str(exc)) from None
        agents = gprops.get("allowed_agents")
        if agents:
            if not isinstance(agents, list):
                raise _PropertyError(
                    "allowed_agents",
                    f"property 'allowed_agents' must be a list of agent names, not {agents!r}",
                )
            placement["allowed-agent"] = [_text(a, "allowed_agents") for a in agents]
        if placement:
            chain["placement"] = placement
        for prop, suffix in (
            ("ingress_port", "/ingress/port"),
            ("ingress_agent", "/ingress/agent"),
            ("egress_port", "/egress/port"),
            ("egress_agent", "/egress/agent"),
            ("expected_rate", "/placement/expected-rate"),
            ("allowed_agents", "/placement/allowed-agent"),
            ("description", "/description"),
        ):
            line = self.lines.props.get(("group", group.name, prop))
            if line is not None:
                self.path_lines[base + suffix] = line


def _translate(tosca: Any, source: str, lines: Lines) -> _Translation:
    return _Translator(tosca, source, lines).run()


def _agent(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """A micronf.nodes.Agent node as an entry of the agents registry."""
    agent: dict[str, Any] = {"name": name}
    if props.get("address") is not None:
        agent["address"] = str(props["address"])
    if props.get("core_frequency") is not None:
        agent["core-frequency"] = int(props["core_frequency"])
    numa = props.get("numa_nodes") or {}
    if numa:
        agent["numa-node"] = [
            {"id": int(k), "core": [int(c) for c in (v or [])]} for k, v in numa.items()
        ]
    ports = []
    for pname, pprops in (props.get("ports") or {}).items():
        port: dict[str, Any] = {"name": str(pname)}
        pprops = pprops or {}
        if pprops.get("numa_node") is not None:
            port["numa-node"] = int(pprops["numa_node"])
        if pprops.get("mac_address") is not None:
            port["mac-address"] = str(pprops["mac_address"])
        ports.append(port)
    if ports:
        agent["port"] = ports
    if props.get("tunnel_port") is not None:
        agent["tunnel-port"] = str(props["tunnel_port"])
    return agent


# --------------------------------------------------------------------------- entry points


def _read(path: str | os.PathLike[str], max_bytes: int | None) -> str:
    """The text of a TOSCA file: a regular file, read bounded, size and encoding checked."""
    try:
        return source.decode(read_regular_file(path, limit_of(max_bytes)))
    except ValidationFailed as exc:
        raise exc.located(str(path)) from None


def _translate_text(
    text: str,
    source_name: str,
    base_dir: str | os.PathLike[str] | None,
    max_bytes: int | None,
    *,
    checked: bool = False,
    budgets: Mapping[str, int] | None = None,
    no_base_dir: bool = False,
    templates: Mapping[str, str] | None = None,
) -> _Translation:
    """Parse, check and translate; ``checked``: size, NUL and emptiness were checked.

    ``no_base_dir``: there is no folder for relative imports (standard
    input read from a working directory that no longer exists).
    ``templates``: micronf templates for the VNFD names of a foreign
    document (:mod:`.foreign`).
    """
    limits = effective_budgets(budgets)
    try:
        if not checked:
            source.check_document(text, limit_of(max_bytes))
        over = shape.budget_problems(text, limits)
        if over:
            raise ValidationFailed(over)
        parsed = source.parse_yaml(text)
    except ValidationFailed as exc:
        raise exc.located(source_name) from None
    doc = parsed.data
    if not isinstance(doc, dict):
        raise ValidationFailed(
            [
                Problem(
                    "a TOSCA document is a YAML mapping (tosca_definitions_version, ...)",
                    source=source_name,
                    line=1,
                )
            ]
        )
    lines = source.line_map(parsed.root)
    problems = foreign.explain(doc, source_name, lines, templates)
    if problems:
        raise ValidationFailed(problems)
    if foreign.family(doc) == "tacker-vnffgd":
        doc = foreign.translate_tacker(doc, templates or {})
    problems = shape.shape_problems(doc, source_name, lines)
    if problems:
        raise ValidationFailed(problems)

    refused = shape.refused_constructs(doc, source_name, lines)
    folder = None if no_base_dir else Path(base_dir) if base_dir is not None else Path.cwd()
    loaded = imports.resolve(
        doc.get("imports"),
        folder,
        source_name,
        lines.imports,
        max_bytes,
        max_entries=limits["imports"],
    )
    if refused or loaded.problems:
        raise ValidationFailed(refused + loaded.problems)
    # ``doc`` was built for this call alone: tosca-parser may have it
    doc["imports"] = loaded.entries
    lines.imported = {k: (o.where, o.line, o.key_lines) for k, o in loaded.origins.items()}

    tosca = parser.run(doc, loaded.files, source_name, lines)
    try:
        return _translate(tosca, source_name, lines)
    except ValidationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - tosca-parser objects can fail lazily
        raise ValidationFailed(
            [
                Problem(
                    f"cannot translate the document ({type(exc).__name__}: {parser.message(exc)})",
                    source=source_name,
                )
            ]
        ) from None


def translate_text(
    text: str,
    source_name: str = "<input>",
    base_dir: str | os.PathLike[str] | None = None,
    *,
    max_bytes: int | None = None,
) -> dict[str, Any]:
    """Translate a TOSCA document to RFC 7951 JSON (a dict) of micronf-sfc.

    ``base_dir`` is the folder relative imports are looked up in, and must
    stay inside (default: the current directory). ``max_bytes`` limits the
    document and each imported file (default
    :data:`micronf.yang.MAX_INPUT_BYTES`). Raises :class:`ValidationFailed`
    on anything wrong.
    """
    return _translate_text(text, source_name, base_dir, max_bytes).data


def translate_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    budgets: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Translate a TOSCA file; relative imports are resolved next to it.

    ``budgets`` override the parse-cost budgets (forwarders, imports).
    """
    text = _read(path, max_bytes)
    folder = Path(path).resolve().parent
    return _translate_text(text, str(path), folder, max_bytes, checked=True, budgets=budgets).data


def _line_for(path: str | None, path_lines: Mapping[str, int]) -> int | None:
    if not path:
        return None
    normal = path.replace('"', "'")
    best: tuple[int, int] | None = None
    for prefix, line in path_lines.items():
        p = prefix.replace('"', "'")
        if (normal == p or normal.startswith(p + "/") or normal.startswith(p + "[")) and (
            best is None or len(p) > best[0]
        ):
            best = (len(p), line)
    if best is None:
        # libyang may print the module prefix on every step; compare without prefixes
        bare = re.sub(r"/[A-Za-z0-9_.-]+:", "/", normal)
        for prefix, line in path_lines.items():
            p = re.sub(r"/[A-Za-z0-9_.-]+:", "/", prefix.replace('"', "'"))
            if (bare == p or bare.startswith(p + "/")) and (best is None or len(p) > best[0]):
                best = (len(p), line)
    if best is None:
        # A key libyang refused (a bad chain or VNF name) leaves no key in the
        # path: compare without keys, and take the line if it is unambiguous.
        keyless = re.sub(r"\[[^\]]*\]", "", re.sub(r"/[A-Za-z0-9_.-]+:", "/", normal))
        found: dict[int, set[int]] = {}
        for prefix, line in path_lines.items():
            p = re.sub(r"\[[^\]]*\]", "", re.sub(r"/[A-Za-z0-9_.-]+:", "/", prefix))
            if keyless == p or keyless.startswith(p + "/"):
                found.setdefault(len(p), set()).add(line)
        for length in sorted(found, reverse=True):
            if len(found[length]) == 1:
                return next(iter(found[length]))
    return best[1] if best else None


def _validate(
    translation: _Translation, source_name: str, max_bytes: int | None, options: dict[str, Any]
) -> ValidatedIntent:
    options.setdefault("max_bytes", _JSON_GROWTH * limit_of(max_bytes))
    try:
        return validate_dict(translation.data, **options)
    except ValidationFailed as exc:
        # Lines libyang reports refer to the generated JSON, not to the user's
        # YAML: every problem gets the line of the TOSCA construct its path maps to.
        raise ValidationFailed(
            [
                replace(p, source=source_name, line=_line_for(p.path, translation.path_lines))
                for p in exc.problems
            ]
        ) from None


def load_tosca(
    path: str | os.PathLike[str], *, max_bytes: int | None = None, **options: Any
) -> ValidatedIntent:
    """Translate a TOSCA file and validate it; problems carry the file and line.

    ``max_bytes`` limits the file and each file it imports (default
    :data:`micronf.yang.MAX_INPUT_BYTES`). ``options`` go to
    :func:`micronf.yang.validate_dict` (e.g. ``keep_user_json=True``).
    """
    text = _read(path, max_bytes)
    folder = Path(path).resolve().parent
    translation = _translate_text(text, str(path), folder, max_bytes, checked=True)
    return _validate(translation, str(path), max_bytes, options)


def read_tosca(
    data: bytes,
    source_name: str,
    base_dir: Path | None,
    limit: int,
    budgets: Mapping[str, int] | None = None,
    templates: Mapping[str, str] | None = None,
) -> ValidatedIntent:
    """The TOSCA reader of the intake table (:data:`micronf.yang.inputs.FORMATS`).

    ``data`` was read (and its size checked) by the intake layer; relative
    imports are looked up in ``base_dir`` (None: there is no such folder).
    """
    text = source.decode(data)
    translation = _translate_text(
        text,
        source_name,
        base_dir,
        limit,
        checked=True,
        budgets=budgets,
        no_base_dir=base_dir is None,
        templates=templates,
    )
    return _validate(translation, source_name, limit, {})


def load_tosca_text(
    text: str,
    source_name: str = "<input>",
    base_dir: str | os.PathLike[str] | None = None,
    max_bytes: int | None = None,
    **options: Any,
) -> ValidatedIntent:
    """:func:`load_tosca` for a document held in memory (e.g. the dry-run RPC)."""
    translation = _translate_text(text, source_name, base_dir, max_bytes)
    return _validate(translation, source_name, max_bytes, options)
