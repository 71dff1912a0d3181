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
  ``policy`` (ACL criteria) is the ingress match;
* ``micronf.nodes.VNF`` gives the catalog template and node configuration;
  a plain ``tosca.nodes.nfv.VNF`` names its template with ``id``.

tosca-parser is never allowed to reach the network: URL and repository
imports are refused before it runs.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.resources
import io
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from micronf.yang import MAX_INPUT_BYTES, Problem, ValidatedIntent, ValidationFailed, validate_dict

# libyaml's safe loader: the pure-Python one needs seconds per 10,000 levels of
# nesting (a cheap denial of service); libyaml rejects deep nesting at once.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = [
    "PROFILE_IMPORT_NAMES",
    "SUPPORTED_CRITERIA",
    "load_tosca",
    "load_tosca_text",
    "profile_path",
    "translate_file",
    "translate_text",
]

#: Import names that resolve to the packaged micronf profile.
PROFILE_IMPORT_NAMES = frozenset({"micronf", "micronf-profile", "micronf-profile.yaml"})

#: FP policy criteria keys the translator maps onto the ingress match.
SUPPORTED_CRITERIA = (
    "ip_dst_prefix",
    "ip_src_prefix",
    "ip_proto",
    "destination_port_range",
    "source_port_range",
)

NFV_VERSION = "tosca_simple_profile_for_nfv_1_0_0"
VNF_TYPE = "tosca.nodes.nfv.VNF"
MICRONF_VNF_TYPE = "micronf.nodes.VNF"
FP_TYPE = "tosca.nodes.nfv.FP"
MICRONF_FP_TYPE = "micronf.nodes.FP"
VNFFG_TYPE = "tosca.groups.nfv.VNFFG"
MICRONF_VNFFG_TYPE = "micronf.groups.VNFFG"

_UNSUPPORTED_NODE_TYPES: dict[str, str] = {
    "tosca.nodes.nfv.VDU": ("micronf composes VNFs from uNF templates, not virtual machines"),
    "tosca.nodes.nfv.CP": (
        "micronf VNFs have no connection points: traffic enters and leaves a chain "
        "through the VNFFG's ingress_port and egress_port"
    ),
    "tosca.nodes.nfv.VL": (
        "micronf links VNFs with forwarding paths (micronf.nodes.FP), not virtual links"
    ),
}

_CHAINS = "/micronf-sfc:chains"
_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}
_TRANSPORT = {6: "tcp", 17: "udp"}

_parser_lock = threading.Lock()

for _name in ("tosca", "toscaparser"):
    _logger = logging.getLogger(_name)
    _logger.setLevel(logging.CRITICAL + 1)
    _logger.propagate = False
    _logger.addHandler(logging.NullHandler())


def profile_path() -> Path:
    """The packaged ``micronf-profile.yaml``."""
    return Path(
        str(importlib.resources.files("micronf.tosca") / "profile" / "micronf-profile.yaml")
    )


# --------------------------------------------------------------------------- source positions


@dataclass
class _Lines:
    """YAML lines (1-based) of the parts of a TOSCA document."""

    nodes: dict[str, int] = field(default_factory=dict)
    #: node or group type name -> line of the first template using it
    types: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    imports: list[int] = field(default_factory=list)
    version: int | None = None
    #: (FP name, index of the requirement) -> line of that requirement entry
    requirements: dict[tuple[str, int], int] = field(default_factory=dict)


def _key(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _lineno(obj: Any) -> int:
    """1-based line of a YAML node, event or key (0 if PyYAML gave no mark)."""
    mark = getattr(obj, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if _key(k) == name:
                child: yaml.Node = v
                return child
    return None


def _line_map(root: yaml.Node | None) -> _Lines:
    lines = _Lines()
    if isinstance(root, yaml.MappingNode):
        for k, _v in root.value:
            if _key(k) == "tosca_definitions_version":
                lines.version = _lineno(k)
    imports = _child(root, "imports")
    if isinstance(imports, yaml.SequenceNode):
        lines.imports = [_lineno(item) for item in imports.value]
    topo = _child(root, "topology_template")
    templates = _child(topo, "node_templates")
    if isinstance(templates, yaml.MappingNode):
        for k, v in templates.value:
            name = _key(k)
            if name is None:
                continue
            lines.nodes[name] = _lineno(k)
            ntype = _child(v, "type")
            if ntype is not None and _key(ntype) is not None:
                lines.types.setdefault(str(_key(ntype)), _lineno(ntype))
            reqs = _child(v, "requirements")
            if isinstance(reqs, yaml.SequenceNode):
                for i, item in enumerate(reqs.value):
                    lines.requirements[(name, i)] = _lineno(item)
    groups = _child(topo, "groups")
    if isinstance(groups, yaml.MappingNode):
        for k, v in groups.value:
            name = _key(k)
            if name is not None:
                lines.groups[name] = _lineno(k)
            gtype = _child(v, "type")
            if gtype is not None and _key(gtype) is not None:
                lines.types.setdefault(str(_key(gtype)), _lineno(gtype))
    return lines


def _structure_problems(text: str, source: str) -> list[Problem]:
    """YAML aliases and duplicate mapping keys, which PyYAML accepts silently."""
    problems: list[Problem] = []
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            problems.append(
                Problem(
                    "YAML aliases (*name) are not supported in TOSCA input",
                    source=source,
                    line=_lineno(event),
                )
            )
            break
    if problems:
        return problems

    def walk(node: yaml.Node) -> Iterator[Problem]:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                name = _key(k)
                if name is not None:
                    if name in seen:
                        yield Problem(f"duplicate key {name!r}", source=source, line=_lineno(k))
                    seen.add(name)
                yield from walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item)

    root = yaml.compose(text, Loader=_LOADER)
    if root is not None:
        problems.extend(walk(root))
    return problems


def _shape_problems(doc: dict[str, Any], source: str, lines: _Lines) -> list[Problem]:
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


# --------------------------------------------------------------------------- imports


def _is_url(name: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", name)) or name.startswith("//")


def _url_problem(name: str, source: str, line: int | None) -> Problem:
    return Problem(
        f"import {name!r}: imports over the network are not supported "
        "(micronf never fetches URLs); copy the file next to the document",
        source=source,
        line=line,
    )


def _import_entries(imports: Any) -> list[tuple[str | None, Any]]:
    """``imports`` as (import name or None, file or import definition) pairs."""
    if isinstance(imports, str):
        return [(None, imports)]
    if isinstance(imports, dict):
        return list(imports.items())
    if not isinstance(imports, list):
        return [(None, imports)]
    entries: list[tuple[str | None, Any]] = []
    for item in imports:
        if isinstance(item, dict) and len(item) == 1 and "file" not in item:
            ((name, value),) = item.items()
            entries.append((str(name), value))
        else:
            entries.append((None, item))
    return entries


def _resolve_imports(
    imports: Any, base_dir: Path, source: str, lines: list[int]
) -> tuple[list[Any], list[Problem]]:
    """Rewrite ``imports`` so that every entry is an absolute local file."""
    problems: list[Problem] = []
    resolved: list[Any] = []
    seen: set[str] = set()
    for i, (name, definition) in enumerate(_import_entries(imports)):
        line = lines[i] if i < len(lines) else None
        label = name if name is not None else str(definition)
        if isinstance(definition, dict):
            if "repository" in definition:
                problems.append(
                    Problem(
                        f"import {label!r}: repository imports are not supported "
                        "(micronf never fetches URLs)",
                        source=source,
                        line=line,
                    )
                )
                continue
            file_name = definition.get("file")
        else:
            file_name = definition
        if not isinstance(file_name, str) or not file_name.strip():
            problems.append(
                Problem(f"import {label!r}: no file name given", source=source, line=line)
            )
            continue
        if _is_url(file_name):
            problems.append(_url_problem(file_name, source, line))
            continue
        if file_name in PROFILE_IMPORT_NAMES:
            target = profile_path()
            if isinstance(definition, dict) and definition.get("namespace_prefix"):
                problems.append(
                    Problem(
                        f"import {label!r}: the micronf profile cannot be imported with a "
                        "namespace_prefix (its types refer to each other by full name)",
                        source=source,
                        line=line,
                    )
                )
                continue
        else:
            target = Path(file_name)
            if not target.is_absolute():
                target = base_dir / target
            target = target.resolve()
            if not target.is_file():
                problems.append(
                    Problem(
                        f"import {file_name!r}: file not found ({target})",
                        source=source,
                        line=line,
                    )
                )
                continue
            problems.extend(_check_nested_imports(target, source, line, set()))
        key = str(target)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(definition, dict):
            new_def = dict(definition)
            new_def["file"] = key
            resolved.append({name or key: new_def})
        elif name is not None:
            resolved.append({name: key})
        else:
            resolved.append(key)
    return resolved, problems


def _check_nested_imports(
    path: Path, source: str, line: int | None, seen: set[Path]
) -> list[Problem]:
    """tosca-parser loads the imports of imported files itself: make sure they are local."""
    if path in seen or path == profile_path():
        return []
    seen.add(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Problem(f"import {path.name!r}: cannot read it: {first}", source=source, line=line)]
    if not isinstance(doc, dict) or not doc.get("imports"):
        return []
    problems: list[Problem] = []
    for _name, definition in _import_entries(doc["imports"]):
        file_name = definition.get("file") if isinstance(definition, dict) else definition
        if isinstance(definition, dict) and "repository" in definition:
            problems.append(
                Problem(
                    f"import {path.name!r} imports from a repository: not supported "
                    "(micronf never fetches URLs)",
                    source=source,
                    line=line,
                )
            )
        elif not isinstance(file_name, str):
            continue
        elif _is_url(file_name):
            problems.append(_url_problem(file_name, source, line))
        elif file_name in PROFILE_IMPORT_NAMES:
            problems.append(
                Problem(
                    f"import {path.name!r} imports {file_name!r}: import the micronf profile "
                    "from the main document only",
                    source=source,
                    line=line,
                )
            )
        else:
            nested = Path(file_name)
            if not nested.is_absolute():
                nested = path.parent / nested
            nested = nested.resolve()
            if nested.is_file():
                problems.extend(_check_nested_imports(nested, source, line, seen))
            else:
                problems.append(
                    Problem(
                        f"import {path.name!r} imports {file_name!r}: file not found ({nested})",
                        source=source,
                        line=line,
                    )
                )
    return problems


# --------------------------------------------------------------------------- tosca-parser


def _parser_message(exc: BaseException) -> str:
    raw = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    text = " ".join(str(raw).split()) or type(exc).__name__
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    text = re.sub(
        r"^The (pre-parsed )?input( \"[^\"]*\")? failed validation "
        r"with the following error\(s\):\s*",
        "",
        text,
    )
    return text


def _guess_line(message: str, lines: _Lines) -> int | None:
    for quoted in re.findall(r"\"([^\"]+)\"|'([^']+)'", message):
        for token in quoted:
            if token in lines.nodes:
                return lines.nodes[token]
            if token in lines.groups:
                return lines.groups[token]
            if token in lines.types:
                return lines.types[token]
    return None


def _run_parser(tpl: dict[str, Any], source: str, lines: _Lines) -> Any:
    """Run tosca-parser on a pre-parsed document; every failure is a ValidationFailed."""
    from toscaparser.common.exception import ExceptionCollector
    from toscaparser.tosca_template import ToscaTemplate

    with _parser_lock, contextlib.redirect_stdout(io.StringIO()):
        try:
            return ToscaTemplate(yaml_dict_tpl=tpl, a_file=True)
        except Exception as exc:  # noqa: BLE001 - tosca-parser raises anything on bad input
            collected = list(ExceptionCollector.getExceptions())
            ExceptionCollector.stop()
            ExceptionCollector.clear()
            messages: list[str] = []
            for item in collected:
                msg = _parser_message(item)
                if re.match(r'Type "micronf\.[^"]*" is not a valid type', msg) and not tpl.get(
                    "imports"
                ):
                    msg += " (import the micronf profile: imports: [ micronf ])"
                if msg not in messages:
                    messages.append(msg)
            if not messages:
                messages.append(
                    "tosca-parser cannot process the document "
                    f"({type(exc).__name__}: {_parser_message(exc)})"
                )
            raise ValidationFailed(
                [Problem(m, source=source, line=_guess_line(m, lines)) for m in messages]
            ) from None


# --------------------------------------------------------------------------- translation


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
    """A property value with TOSCA functions (get_input, ...) evaluated."""
    from toscaparser.functions import Function

    if isinstance(value, Function):
        value = value.result()
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


def _port_range(key: str, value: Any) -> dict[str, Any]:
    def port(text: str) -> int:
        if not re.fullmatch(r"\s*\d{1,5}\s*", text) or int(text) > 65535:
            raise ValueError(f"criteria {key}: {value!r} is not a port or a port range lo-hi")
        return int(text)

    if isinstance(value, bool):
        raise ValueError(f"criteria {key}: {value!r} is not a port or a port range lo-hi")
    if isinstance(value, int):
        lo = hi = port(str(value))
    elif isinstance(value, str) and "-" in value:
        a, _, b = value.partition("-")
        lo, hi = port(a), port(b)
    elif isinstance(value, str):
        lo = hi = port(value)
    else:
        raise ValueError(f"criteria {key}: {value!r} is not a port or a port range lo-hi")
    if lo > hi:
        raise ValueError(f"criteria {key}: {value!r}: the lower port is above the upper port")
    if lo == hi:
        return {"operator": "eq", "port": lo}
    return {"lower-port": lo, "upper-port": hi}


def _protocol(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in _PROTOCOLS:
        return _PROTOCOLS[value.strip().lower()]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
        return value
    raise ValueError(f"criteria ip_proto: {value!r} is not an IP protocol number (0..255)")


def _criteria(policy: Any) -> dict[str, Any]:
    """Flatten an ACL policy's criteria into one {key: value} dict."""
    if not isinstance(policy, dict):
        raise ValueError("policy must be a map {type: ACL, criteria: [...]}")
    if policy.get("type", "ACL") != "ACL":
        raise ValueError(f"policy type {policy.get('type')!r} is not supported (only ACL)")
    criteria = policy.get("criteria") or []
    if not isinstance(criteria, list):
        raise ValueError("policy criteria must be a list")
    entries: list[dict[str, Any]] = []
    classifiers = 0
    for entry in criteria:
        if not isinstance(entry, dict):
            raise ValueError(f"policy criteria entry {entry!r} is not a map")
        if "classifier" in entry:
            classifiers += 1
            if not isinstance(entry["classifier"], dict):
                raise ValueError("policy criteria classifier must be a map")
            entries.append(entry["classifier"])
        else:
            entries.append(entry)
    if classifiers > 1:
        raise ValueError(
            "policy has more than one named classifier; a micronf chain has one ingress match"
        )
    flat: dict[str, Any] = {}
    for entry in entries:
        for k, v in entry.items():
            if k in flat:
                raise ValueError(f"criteria {k} is given twice")
            flat[str(k)] = v
    unknown = [k for k in flat if k not in SUPPORTED_CRITERIA]
    if unknown:
        raise ValueError(
            "unsupported criteria key(s): "
            + ", ".join(unknown)
            + "; supported: "
            + ", ".join(SUPPORTED_CRITERIA)
        )
    return flat


def _match(policy: Any) -> dict[str, Any]:
    """The chain's ingress ``match`` container from an FP ACL policy."""
    crit = _criteria(policy)
    match: dict[str, Any] = {}
    ipv4: dict[str, Any] = {}
    if "ip_dst_prefix" in crit:
        ipv4["destination-ipv4-network"] = str(crit["ip_dst_prefix"])
    if "ip_src_prefix" in crit:
        ipv4["source-ipv4-network"] = str(crit["ip_src_prefix"])
    ports = {
        leaf: _port_range(key, crit[key])
        for key, leaf in (
            ("source_port_range", "source-port"),
            ("destination_port_range", "destination-port"),
        )
        if key in crit
    }
    proto = _protocol(crit["ip_proto"]) if "ip_proto" in crit else None
    if ports:
        if proto not in _TRANSPORT:
            raise ValueError(
                "criteria "
                + " and ".join(k for k in crit if k.endswith("port_range"))
                + " need ip_proto 6 (tcp) or 17 (udp)"
            )
        match[_TRANSPORT[proto]] = ports
    elif proto is not None:
        ipv4["protocol"] = proto
    if ipv4:
        match = {"ipv4": ipv4, **match}
    return match


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
    lines: _Lines
    #: YANG path prefix -> YAML line, longest prefix wins
    path_lines: dict[str, int]


def _q(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _translate(tosca: Any, source: str, lines: _Lines) -> _Translation:
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
        else:
            reason = next((r for t, r in _UNSUPPORTED_NODE_TYPES.items() if _is_a(names, t)), None)
            if reason is None:
                reason = (
                    "a micronf TOSCA document holds only VNFs (micronf.nodes.VNF) "
                    "and forwarding paths (micronf.nodes.FP)"
                )
            fail(f"node {name!r}: {node.type} is not supported: {reason}", line)

    policies = getattr(topo, "policies", None) or []
    for policy in policies:
        fail(
            f"policy {policy.name!r}: topology policies are not supported "
            "(a chain's traffic policy is the ACL policy of its forwarding path)",
            None,
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
            if props.get("node_config") is not None:
                configs[name] = _node_config(props["node_config"])
        except ValueError as exc:
            fail(f"node {name!r}: {exc}", line)

    chains: list[dict[str, Any]] = []
    for group in vnffgs:
        gline = lines.groups.get(group.name)
        base = f"{_CHAINS}/chain[name={_q(group.name)}]"
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
                            f"{base}/link[from={_q(pair[0])}][to={_q(pair[1])}]", rline
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
                        match = _match(policy)
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
                path_lines[f"{base}/vnf[name={_q(name)}]"] = vline
            if name not in templates:
                continue
            vnf: dict[str, Any] = {"name": name, "template": templates[name]}
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
        if gprops.get("egress_port") is not None:
            chain["egress"] = {"port": str(gprops["egress_port"])}
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

    if problems:
        raise ValidationFailed(problems)
    return _Translation({"micronf-sfc:chains": {"chain": chains}}, lines, path_lines)


# --------------------------------------------------------------------------- entry points


def _read(path: str | os.PathLike[str]) -> str:
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            [Problem(f"cannot read the file: {exc.strerror or exc}", source=source)]
        ) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise ValidationFailed(
            [
                Problem(
                    f"input is {len(raw)} bytes, more than the limit of {MAX_INPUT_BYTES} bytes",
                    app_tag="micronf-input-too-large",
                    source=source,
                )
            ]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            [Problem(f"the file is not UTF-8 text (byte {exc.start})", source=source)]
        ) from None


def _translate_text(
    text: str, source_name: str, base_dir: str | os.PathLike[str] | None
) -> _Translation:
    source = source_name
    if len(text.encode("utf-8", "replace")) > MAX_INPUT_BYTES:
        raise ValidationFailed(
            [
                Problem(
                    f"input is more than the limit of {MAX_INPUT_BYTES} bytes",
                    app_tag="micronf-input-too-large",
                    source=source,
                )
            ]
        )
    if "\x00" in text:
        raise ValidationFailed(
            [Problem("input holds NUL bytes: not a text document", source=source)]
        )
    if not text.strip():
        raise ValidationFailed([Problem("input is empty", source=source)])
    try:
        structure = _structure_problems(text, source)
        root = yaml.compose(text, Loader=_LOADER)
        doc = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}"
        if context:
            message += f" ({context})"
        raise ValidationFailed(
            [
                Problem(
                    message,
                    source=source,
                    line=mark.line + 1 if mark is not None else None,
                )
            ]
        ) from None
    except RecursionError:
        raise ValidationFailed(
            [Problem("the YAML document is nested too deeply", source=source)]
        ) from None
    if structure:
        raise ValidationFailed(structure)
    if not isinstance(doc, dict):
        raise ValidationFailed(
            [
                Problem(
                    "a TOSCA document is a YAML mapping (tosca_definitions_version, ...)",
                    source=source,
                    line=1,
                )
            ]
        )
    lines = _line_map(root)
    shape = _shape_problems(doc, source, lines)
    if shape:
        raise ValidationFailed(shape)

    # Refuse what micronf cannot express before tosca-parser sees it: its
    # errors on these (missing required properties, requirements) hide the point.
    early: list[Problem] = []
    topo = doc.get("topology_template")
    templates = topo.get("node_templates") if isinstance(topo, dict) else None
    if isinstance(templates, dict):
        for name, tpl in templates.items():
            ntype = tpl.get("type") if isinstance(tpl, dict) else None
            if not isinstance(ntype, str):
                continue
            for unsupported, reason in _UNSUPPORTED_NODE_TYPES.items():
                if ntype == unsupported or ntype.startswith(unsupported + "."):
                    early.append(
                        Problem(
                            f"node {name!r}: {ntype} is not supported: {reason}",
                            source=source,
                            line=lines.nodes.get(str(name)),
                        )
                    )

    tpl = copy.deepcopy(doc)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if "imports" in tpl and tpl["imports"] is not None:
        resolved, import_problems = _resolve_imports(
            tpl["imports"], base.resolve(), source, lines.imports
        )
        early.extend(import_problems)
        tpl["imports"] = resolved
    if early:
        raise ValidationFailed(early)

    tosca = _run_parser(tpl, source, lines)
    try:
        return _translate(tosca, source, lines)
    except ValidationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - tosca-parser objects can fail lazily
        raise ValidationFailed(
            [
                Problem(
                    f"cannot translate the document ({type(exc).__name__}: {_parser_message(exc)})",
                    source=source,
                )
            ]
        ) from None


def translate_text(
    text: str,
    source_name: str = "<input>",
    base_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Translate a TOSCA document to RFC 7951 JSON (a dict) of micronf-sfc.

    ``base_dir`` is where relative imports are looked up (default: the
    current directory). Raises :class:`ValidationFailed` on anything wrong.
    """
    return _translate_text(text, source_name, base_dir).data


def translate_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Translate a TOSCA file; relative imports are resolved next to it."""
    return translate_text(_read(path), str(path), Path(path).resolve().parent)


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
    return best[1] if best else None


def _validate(translation: _Translation, source: str, options: dict[str, Any]) -> ValidatedIntent:
    try:
        return validate_dict(translation.data, **options)
    except ValidationFailed as exc:
        # Lines libyang reports refer to the generated JSON, not to the user's
        # YAML: every problem gets the line of the TOSCA construct its path maps to.
        raise ValidationFailed(
            [
                replace(p, source=source, line=_line_for(p.path, translation.path_lines))
                for p in exc.problems
            ]
        ) from None


def load_tosca(path: str | os.PathLike[str], **options: Any) -> ValidatedIntent:
    """Translate a TOSCA file and validate it; problems carry the file and line.

    ``options`` go to :func:`micronf.yang.validate_dict` (e.g.
    ``keep_user_json=True``).
    """
    source = str(path)
    translation = _translate_text(_read(path), source, Path(path).resolve().parent)
    return _validate(translation, source, options)


def load_tosca_text(
    text: str,
    source_name: str = "<input>",
    base_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> ValidatedIntent:
    """:func:`load_tosca` for a document held in memory (e.g. the dry-run RPC)."""
    translation = _translate_text(text, source_name, base_dir)
    return _validate(translation, source_name, options)
