"""Graph and configuration checks that YANG cannot express.

They run right after libyang, on data libyang already accepted, and report
:class:`~micronf.yang.errors.Problem` values with a YANG data path and an
``error-app-tag``, exactly like libyang's own errors:

* a VNF template's uNF graph and a chain's VNF graph are acyclic;
* every node is reachable from the entry (template) or ingress (chain);
* every label a template node emits is taken by one of its links, unless an
  unlabelled link takes everything or the node is an exit;
* the labels of a template link are labels its source uNF can emit, and the
  labels of a chain link are exits of its source VNF's template (kept here
  rather than in a ``must`` so that the message can list the labels that
  would be right);
* parameter values have the type their descriptor declares (the type is
  data, not schema);
* every mandatory parameter of every uNF of a chain ends up set, by the
  template or by the chain's ``node-config`` (XPath 1.0 cannot quantify
  over the template's nodes and their descriptors at once).

Everything YANG can say is in the modules instead: a ``node-config`` naming
a node the template lacks, undeclared parameters, several values for a
single-valued parameter, template nodes that lead nowhere.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import Problem

CATALOG = "/micronf-catalog:catalog"
CHAINS = "/micronf-sfc:chains"

Data = Mapping[str, Any]


def quote_key(value: str) -> str:
    """Quote a key value for a YANG data path."""
    return f"'{value}'" if "'" not in value else f'"{value}"'


def template_path(name: str, version: str) -> str:
    return f"{CATALOG}/vnf-template[name={quote_key(name)}][version={quote_key(version)}]"


TemplateKey = tuple[str, str]


def resolve_template(
    templates: Mapping[TemplateKey, Data], name: str, version: str | None
) -> Data | None:
    """The template a chain's VNF names: by name and version, or by name alone
    while the catalog holds one version of it (None when there is no such one)."""
    if version is not None:
        return templates.get((name, version))
    found = [t for (n, _), t in templates.items() if n == name]
    return found[0] if len(found) == 1 else None


def chain_path(name: str) -> str:
    return f"{CHAINS}/chain[name={quote_key(name)}]"


# --------------------------------------------------------------------------- graphs


def find_cycle(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle as a node list (first node repeated at the end), or None."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(succ, white)
    for start in succ:
        if colour[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        colour[start] = grey
        while stack:
            node, i = stack[-1]
            if i < len(succ[node]):
                stack[-1] = (node, i + 1)
                nxt = succ[node][i]
                if colour[nxt] == grey:
                    return path[path.index(nxt) :] + [nxt]
                if colour[nxt] == white:
                    colour[nxt] = grey
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return None


def show_path(nodes: list[str], limit: int = 12) -> str:
    """A node path for a message, shortened in the middle when long."""
    if len(nodes) > limit:
        half = limit // 2
        skipped = len(nodes) - 2 * half
        nodes = nodes[:half] + [f"... {skipped} more ..."] + nodes[-half:]
    return " -> ".join(nodes)


def reachable(start: str, edges: Iterable[tuple[str, str]]) -> set[str]:
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    seen = {start}
    todo = [start]
    while todo:
        for nxt in succ.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# ------------------------------------------------------------------- parameter types

# [0-9], never \d or str.isdigit(): those accept Arabic-Indic digits, superscripts and
# the like, which YANG numbers are not.
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
_PORT_RANGE = re.compile(rf"^{_PORT}(?:-{_PORT})?$", re.ASCII)
_RULE_WORDS = {"src", "dst", "proto", "sport", "dport"}
_PROTOS = {"tcp", "udp", "icmp"}


def is_ascii_number(text: str) -> bool:
    """Digits 0-9 only (``str.isdigit`` also takes e.g. Arabic-Indic digits and superscripts)."""
    return bool(text) and text.isascii() and text.isdigit()


def _check_port_range(value: str) -> str | None:
    if not _PORT_RANGE.match(value):
        return "expected a port (0-65535) or a range 'LOW-HIGH'"
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 2 and parts[0] > parts[1]:
        return "range bounds are reversed"
    return None


def _check_prefix(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError as exc:
        return f"expected an IPv4 prefix: {exc}"
    return None


def _check_rule(value: str) -> str | None:
    words = value.split()
    if not words or words[0] not in ("allow", "deny"):
        return "a rule starts with 'allow' or 'deny'"
    rest = words[1:]
    if len(rest) % 2:
        return f"'{rest[-1]}' needs a value"
    seen: set[str] = set()
    for key, val in zip(rest[::2], rest[1::2], strict=True):
        if key not in _RULE_WORDS:
            return f"unknown rule field '{key}' (expected src, dst, proto, sport or dport)"
        if key in seen:
            return f"rule field '{key}' appears twice"
        seen.add(key)
        if key in ("src", "dst") and (err := _check_prefix(val)):
            return err
        if key in ("sport", "dport") and (err := _check_port_range(val)):
            return err
        if key == "proto" and val not in _PROTOS and not (is_ascii_number(val) and int(val) < 256):
            return f"unknown protocol '{val}' (expected tcp, udp, icmp or 0-255)"
    return None


def _check_uint32(value: str) -> str | None:
    if not is_ascii_number(value) or int(value) > 0xFFFFFFFF:
        return "expected an unsigned 32-bit integer"
    return None


def _check_boolean(value: str) -> str | None:
    return None if value in ("true", "false") else "expected 'true' or 'false'"


_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$", re.ASCII)


def _check_mac(value: str) -> str | None:
    return None if _MAC.match(value) else "expected a MAC address such as 02:00:00:00:00:01"


def _check_regex(value: str) -> str | None:
    if not value:
        return "a pattern cannot be empty"
    try:
        re.compile(value)
    except re.error as exc:
        return f"not a regular expression: {exc}"
    return None


# Values repeat across chains (the same rules, ports and patterns), so each
# distinct value is parsed once per process.
TYPE_CHECKS: dict[str, Callable[[str], str | None]] = {
    "string": lambda v: None,
    "uint32": _check_uint32,
    "boolean": _check_boolean,
    "mac-address": _check_mac,
    "ipv4-prefix": functools.lru_cache(maxsize=4096)(_check_prefix),
    "port-range": functools.lru_cache(maxsize=4096)(_check_port_range),
    "regex": functools.lru_cache(maxsize=4096)(_check_regex),
    "rule": functools.lru_cache(maxsize=4096)(_check_rule),
}


def check_parameters(
    base: str, unf_class: str, params: Iterable[Data], descriptors: Mapping[str, Data]
) -> list[Problem]:
    """Values of one uNF's parameters against the types its descriptor declares.

    That the parameter is declared and how many values it takes are YANG
    ``must`` constraints; libyang has checked them already.
    """
    problems: list[Problem] = []
    declared = {p["name"]: p for p in descriptors.get(unf_class, {}).get("parameter", [])}
    for param in params:
        name = param["name"]
        spec = declared.get(name)
        if spec is None:
            continue
        allowed: list[str] = spec.get("allowed-value", [])
        for value in param.get("value", []):
            if spec["type"] == "enumeration":
                err = None if value in allowed else f"expected one of: {', '.join(allowed)}"
            else:
                err = TYPE_CHECKS[spec["type"]](value)
            if err:
                problems.append(
                    Problem(
                        f"bad {spec['type']} value {value!r} for parameter '{name}': {err}",
                        f"{base}/parameter[name={quote_key(name)}]/value",
                        "micronf-bad-parameter-value",
                    )
                )
    return problems


# ----------------------------------------------------------------------- templates


def check_template(tpl: Data, descriptors: Mapping[str, Data]) -> list[Problem]:
    base = template_path(tpl["name"], tpl["version"])
    problems: list[Problem] = []
    nodes = {n["id"]: n for n in tpl.get("node", [])}
    links = tpl.get("link", [])
    edges = [(lk["from"], lk["to"]) for lk in links]

    cycle = find_cycle(nodes, edges)
    if cycle:
        problems.append(
            Problem(
                "the uNF graph has a cycle: " + show_path(cycle),
                f"{base}/link",
                "micronf-cycle",
            )
        )
    seen = reachable(tpl["entry"], edges)
    for nid in nodes:
        if nid not in seen:
            problems.append(
                Problem(
                    f"node '{nid}' cannot be reached from the entry node '{tpl['entry']}'",
                    f"{base}/node[id={quote_key(nid)}]",
                    "micronf-unreachable",
                )
            )
    for lk in links:
        src_class = nodes[lk["from"]]["unf-class"]
        emits = set(descriptors.get(src_class, {}).get("result-label", []))
        for label in lk.get("label", []):
            if label not in emits:
                can = ", ".join(sorted(emits)) or "no labels"
                problems.append(
                    Problem(
                        f"label '{label}' is never emitted by node '{lk['from']}' "
                        f"({src_class} emits {can})",
                        f"{base}/link[from={quote_key(lk['from'])}][to={quote_key(lk['to'])}]/label",
                        "micronf-unknown-label",
                    )
                )
    exits = {e["node"] for e in tpl.get("exit", [])}
    for nid, node in nodes.items():
        out = [lk for lk in links if lk["from"] == nid]
        if nid in exits or not out or any(not lk.get("label") for lk in out):
            continue  # leaves the VNF, dead end (a YANG must), or an unlabelled link takes all
        taken = {label for lk in out for label in lk["label"]}
        emitted = descriptors.get(node["unf-class"], {}).get("result-label", [])
        for label in emitted:
            if label not in taken:
                problems.append(
                    Problem(
                        f"node '{nid}' ({node['unf-class']}) emits label '{label}' but no link "
                        "takes it: those packets would be lost",
                        f"{base}/node[id={quote_key(nid)}]",
                        "micronf-unrouted-label",
                    )
                )
    for nid, node in nodes.items():
        problems += check_parameters(
            f"{base}/node[id={quote_key(nid)}]",
            node["unf-class"],
            node.get("parameter", []),
            descriptors,
        )
    return problems


# -------------------------------------------------------------------------- chains


def unset_mandatory(tpl: Data, descriptors: Mapping[str, Data]) -> list[tuple[str, str]]:
    """(node, parameter) pairs that are mandatory and that the template leaves unset."""
    unset = []
    for node in tpl.get("node", []):
        have = {p["name"] for p in node.get("parameter", [])}
        for spec in descriptors.get(node["unf-class"], {}).get("parameter", []):
            if spec.get("mandatory") and spec["name"] not in have:
                unset.append((node["id"], spec["name"]))
    return unset


def check_chain(
    chain: Data,
    templates: Mapping[TemplateKey, Data],
    descriptors: Mapping[str, Data],
    unset: Mapping[TemplateKey, list[tuple[str, str]]] | None = None,
) -> list[Problem]:
    base = chain_path(chain["name"])
    problems: list[Problem] = []
    vnfs = {v["name"]: v for v in chain.get("vnf", [])}
    links = chain.get("link", [])
    edges = [(lk["from"], lk["to"]) for lk in links]

    cycle = find_cycle(vnfs, edges)
    if cycle:
        problems.append(
            Problem("the chain has a cycle: " + show_path(cycle), f"{base}/link", "micronf-cycle")
        )
    entry = chain.get("ingress", {}).get("vnf")
    if entry:
        seen = reachable(entry, edges)
        for name in vnfs:
            if name not in seen:
                problems.append(
                    Problem(
                        f"VNF '{name}' cannot be reached from the ingress VNF '{entry}'",
                        f"{base}/vnf[name={quote_key(name)}]",
                        "micronf-unreachable",
                    )
                )
    for lk in links:
        src = vnfs[lk["from"]]
        tpl = resolve_template(templates, src["template"], src.get("template-version")) or {}
        exits = {e["name"] for e in tpl.get("exit", [])}
        for label in lk.get("label", []):
            if label not in exits:
                can = ", ".join(sorted(exits)) or "none"
                problems.append(
                    Problem(
                        f"label '{label}' is not an exit of VNF '{lk['from']}' "
                        f"(template {tpl.get('name')} has exits: {can})",
                        f"{base}/link[from={quote_key(lk['from'])}][to={quote_key(lk['to'])}]/label",
                        "micronf-unknown-label",
                    )
                )
    for name, vnf in vnfs.items():
        found = resolve_template(templates, vnf["template"], vnf.get("template-version"))
        if found is None:  # libyang's leafref or must check already reported it
            continue
        tpl = found
        vpath = f"{base}/vnf[name={quote_key(name)}]"
        nodes = {n["id"]: n for n in tpl.get("node", [])}
        overrides: dict[str, dict[str, Data]] = {}
        for cfg in vnf.get("node-config", []):
            npath = f"{vpath}/node-config[node={quote_key(cfg['node'])}]"
            node = nodes.get(cfg["node"])
            if node is None:  # a YANG must reported it
                continue
            params = cfg.get("parameter", [])
            problems += check_parameters(npath, node["unf-class"], params, descriptors)
            overrides[cfg["node"]] = {p["name"]: p for p in params}
        key = (tpl["name"], tpl["version"])
        missing = unset[key] if unset else unset_mandatory(tpl, descriptors)
        for nid, pname in missing:
            if pname not in overrides.get(nid, {}):
                problems.append(
                    Problem(
                        f"node '{nid}' ({nodes[nid]['unf-class']}) of VNF '{name}' needs "
                        f"parameter '{pname}'; set it in the template or in a node-config",
                        vpath,
                        "micronf-missing-parameter",
                    )
                )
    return problems


def run_all(data: Data) -> list[Problem]:
    """Every check on a whole validated datastore (RFC 7951 JSON as a dict)."""
    catalog = data.get("micronf-catalog:catalog", {})
    descriptors = {d["class"]: d for d in catalog.get("unf-descriptor", [])}
    templates = {(t["name"], t["version"]): t for t in catalog.get("vnf-template", [])}
    problems: list[Problem] = []
    for tpl in templates.values():
        problems += check_template(tpl, descriptors)
    unset = {key: unset_mandatory(tpl, descriptors) for key, tpl in templates.items()}
    for chain in data.get("micronf-sfc:chains", {}).get("chain", []):
        problems += check_chain(chain, templates, descriptors, unset)
    return problems
