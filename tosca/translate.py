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
from micronf.yang.checks import chain_path
from micronf.yang.inputs import limit_of, read_regular_file

from . import criteria, imports, parser, shape, source
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
    "load_tosca_text",
    "translate_file",
    "translate_text",
]

#: The generated JSON may be larger than the YAML it comes from (quotes,
#: YANG names); it is checked against this multiple of the input limit.
_JSON_GROWTH = 8


def _pred(key: str, value: str) -> str:
    """A YANG path predicate ``[key='value']``."""
    quoted = f"'{value}'" if "'" not in value else f'"{value}"'
    return f"[{key}={quoted}]"


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


def _plain(value: Any) -> Any:
    """A property value with ``get_input`` evaluated (ValueError for other functions)."""
    from toscaparser.functions import Function, GetInput

    if isinstance(value, GetInput):
        result = value.result()
        if result is None:
            raise ValueError(f"input {value.input_name!r} has no value and no default")
        value = result
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
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(f"expected_rate {value!r} is not a decimal number of Mpps")
    return text


@dataclass
class _Translation:
    data: dict[str, Any]
    lines: Lines
    #: YANG path prefix -> YAML line, longest prefix wins
    path_lines: dict[str, int]


def _translate(tosca: Any, source: str, lines: Lines) -> _Translation:
    problems: list[Problem] = []
    path_lines: dict[str, int] = {}

    def fail(message: str, line: int | None) -> None:
        problems.append(Problem(message, source=source, line=line))

    topo = getattr(tosca, "topology_template", None)
    nodes: dict[str, Any] = {n.name: n for n in (getattr(tosca, "nodetemplates", None) or [])}
    kinds: dict[str, str] = {}
    for name, node in nodes.items():
        names = _type_names(node)
        line = lines.nodes.get(name)
        if _is_a(names, VNF_TYPE):
            kinds[name] = "vnf"
        elif _is_a(names, FP_TYPE):
            kinds[name] = "fp"
        elif _is_a(names, AGENT_TYPE):
            kinds[name] = "agent"
        else:
            reason = next((r for t, r in UNSUPPORTED_NODE_TYPES.items() if _is_a(names, t)), None)
            if reason is None:
                reason = ONLY_VNFS_AND_PATHS
            fail(f"node {name!r}: {node.type} is not supported: {reason}", line)

    policies = getattr(topo, "policies", None) or []
    for policy in policies:
        fail(
            f"policy {policy.name!r}: topology policies are not supported "
            "(a chain's traffic policy is the ACL policy of its forwarding path)",
            lines.sections.get("policies"),
        )

    groups = list(getattr(topo, "groups", None) or [])
    vnffgs = []
    for group in groups:
        if _is_a(_type_names(group), VNFFG_TYPE):
            vnffgs.append(group)
        else:
            fail(
                f"group {group.name!r}: {group.type} is not supported: "
                f"micronf chains are {VNFFG_TYPE} groups",
                lines.groups.get(group.name),
            )
    if not vnffgs and not problems:
        fail(f"no {VNFFG_TYPE} group: nothing to translate", None)

    # template name of every VNF
    templates: dict[str, str] = {}
    versions: dict[str, str] = {}
    configs: dict[str, list[dict[str, Any]]] = {}
    for name, kind in kinds.items():
        if kind != "vnf":
            continue
        node = nodes[name]
        line = lines.nodes.get(name)
        try:
            props = _properties(node)
            # micronf.nodes.VNF: "template"; a plain NFV VNF: "id"
            template = props.get("template") or props.get("id")
            if not isinstance(template, str) or not template:
                fail(
                    f"node {name!r}: {node.type} names no micronf VNF template: use "
                    f"{MICRONF_VNF_TYPE} with property 'template', or set property 'id' "
                    "to a catalog vnf-template name",
                    line,
                )
                continue
            templates[name] = template
            version = props.get("template_version")
            if version is not None:
                versions[name] = str(version)
            if props.get("node_config") is not None:
                configs[name] = _node_config(props["node_config"])
        except ValueError as exc:
            fail(f"node {name!r}: {exc}", line)

    chains: list[dict[str, Any]] = []
    for group in vnffgs:
        gline = lines.groups.get(group.name)
        base = chain_path(group.name)
        if gline is not None:
            path_lines[base] = gline
        try:
            gprops = _properties(group)
        except ValueError as exc:
            fail(f"group {group.name!r}: {exc}", gline)
            continue
        members = list(group.get_member_nodes() or [])
        if not members:
            fail(f"group {group.name!r}: a VNFFG needs forwarding paths (FP) as members", gline)
            continue
        vnf_order: list[str] = []
        links: dict[tuple[str, str], list[str] | None] = {}
        ingress: dict[str, Any] = {}
        ok = True
        for index, fp in enumerate(members):
            fline = lines.nodes.get(fp.name)
            if kinds.get(fp.name) != "fp":
                if fp.name in kinds:
                    fail(
                        f"group {group.name!r}: member {fp.name!r} is not a forwarding path "
                        f"({FP_TYPE}); VNFFG members are paths",
                        gline,
                    )
                ok = False
                continue
            forwarders = _forwarders(fp)
            if not forwarders:
                fail(f"node {fp.name!r}: a forwarding path needs 'forwarder' requirements", fline)
                ok = False
                continue
            path: list[str] = []
            for req_index, target in forwarders:
                if kinds.get(target) != "vnf":
                    what = nodes[target].type if target in nodes else "not a node template"
                    fail(
                        f"node {fp.name!r}: forwarder {target!r} is not a VNF ({what})",
                        lines.requirements.get((fp.name, req_index), fline),
                    )
                    ok = False
                    continue
                path.append(target)
                if target not in vnf_order:
                    vnf_order.append(target)
                if len(path) > 1:
                    pair = (path[-2], target)
                    rline = lines.requirements.get((fp.name, req_index), fline)
                    if rline is not None:
                        path_lines.setdefault(
                            f"{base}/link{_pred('from', pair[0])}{_pred('to', pair[1])}", rline
                        )
            try:
                fprops = _properties(fp)
            except ValueError as exc:
                fail(f"node {fp.name!r}: {exc}", fline)
                ok = False
                continue
            label = fprops.get("label")
            if len(path) > 1:
                first = (path[0], path[1])
                for pair in zip(path, path[1:], strict=False):
                    labels = [str(x) for x in label] if pair == first and label else None
                    if pair in links:
                        old = links[pair]
                        links[pair] = (
                            None
                            if old is None or labels is None
                            else old + [x for x in labels if x not in old]
                        )
                    else:
                        links[pair] = labels
            elif label:
                fail(
                    f"node {fp.name!r}: 'label' applies to the first link of the path, "
                    "and this path has none",
                    fline,
                )
            policy = fprops.get("policy")
            if policy is not None and not _is_a(_type_names(fp), MICRONF_FP_TYPE):
                fail(
                    f"node {fp.name!r}: the policy of a plain {FP_TYPE} is a string; use "
                    f"{MICRONF_FP_TYPE} for an ACL policy",
                    fline,
                )
                ok = False
                continue
            if index == 0 and path:
                ingress["vnf"] = path[0]
                if fline is not None:
                    path_lines[f"{base}/ingress"] = fline
                if policy is not None:
                    try:
                        match = criteria.match(policy)
                    except ValueError as exc:
                        fail(f"node {fp.name!r}: {exc}", fline)
                        ok = False
                        continue
                    if match:
                        ingress["match"] = match
            elif policy is not None:
                fail(
                    f"node {fp.name!r}: only the first forwarding path of VNFFG "
                    f"{group.name!r} may carry a policy (a chain has one ingress match)",
                    fline,
                )
                ok = False
        if not ok:
            continue

        chain: dict[str, Any] = {"name": group.name}
        description = gprops.get("description") or getattr(group, "description", None)
        if description:
            chain["description"] = str(description)
        vnfs = []
        for name in vnf_order:
            vline = lines.nodes.get(name)
            if vline is not None:
                path_lines[f"{base}/vnf{_pred('name', name)}"] = vline
            if name not in templates:
                continue
            vnf: dict[str, Any] = {"name": name, "template": templates[name]}
            if name in versions:
                vnf["template-version"] = versions[name]
            if name in configs:
                vnf["node-config"] = configs[name]
            vnfs.append(vnf)
        chain["vnf"] = vnfs
        if links:
            chain["link"] = [
                {"from": a, "to": b, **({"label": lab} if lab else {})}
                for (a, b), lab in links.items()
            ]
        if gprops.get("ingress_port") is not None:
            ingress["port"] = str(gprops["ingress_port"])
        if ingress:
            chain["ingress"] = {k: ingress[k] for k in ("vnf", "port", "match") if k in ingress}
        if gprops.get("ingress_agent") is not None and "ingress" in chain:
            chain["ingress"]["agent"] = str(gprops["ingress_agent"])
        egress = {
            key: str(gprops[prop])
            for key, prop in (("agent", "egress_agent"), ("port", "egress_port"))
            if gprops.get(prop) is not None
        }
        if egress:
            chain["egress"] = egress
        placement: dict[str, Any] = {}
        try:
            if gprops.get("expected_rate") is not None:
                placement["expected-rate"] = _rate(gprops["expected_rate"])
        except ValueError as exc:
            fail(f"group {group.name!r}: {exc}", gline)
            continue
        if gprops.get("allowed_agents"):
            placement["allowed-agent"] = [str(a) for a in gprops["allowed_agents"]]
        if placement:
            chain["placement"] = placement
        chains.append(chain)

    agents = []
    for name, kind in kinds.items():
        if kind != "agent":
            continue
        try:
            agents.append(_agent(name, _properties(nodes[name])))
        except (TypeError, ValueError, AttributeError) as exc:
            fail(f"node {name!r}: {exc}", lines.nodes.get(name))
    if problems:
        raise ValidationFailed(problems)
    data: dict[str, Any] = {"micronf-sfc:chains": {"chain": chains}}
    if agents:
        data = {"micronf-sfc:agents": {"agent": agents}, **data}
    return _Translation(data, lines, path_lines)


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
) -> _Translation:
    """Parse, check and translate; ``checked``: size, NUL and emptiness were checked."""
    try:
        if not checked:
            source.check_document(text, limit_of(max_bytes))
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
    problems = shape.shape_problems(doc, source_name, lines)
    if problems:
        raise ValidationFailed(problems)

    refused = shape.refused_constructs(doc, source_name, lines)
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    loaded = imports.resolve(doc.get("imports"), folder, source_name, lines.imports, max_bytes)
    if refused or loaded.problems:
        raise ValidationFailed(refused + loaded.problems)
    # ``doc`` was built for this call alone: tosca-parser may have it
    doc["imports"] = loaded.entries

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


def translate_file(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> dict[str, Any]:
    """Translate a TOSCA file; relative imports are resolved next to it."""
    text = _read(path, max_bytes)
    folder = Path(path).resolve().parent
    return _translate_text(text, str(path), folder, max_bytes, checked=True).data


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
