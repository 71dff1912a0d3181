"""Valid choices for problems that name something that does not exist ("did you mean").

libyang says *that* a leafref has no target, an enumeration value is not
one of the type's, or (through a YANG ``must``) that a node or parameter is
unknown; a user also wants to know *what* would be right. Given the
problems of one input and its data (the user's, with the built-in
catalog), :func:`add_choices` appends the valid names to such messages,
the closest first as "did you mean":

* a chain's VNF naming a template, a template node naming a uNF class;
* ``node-config`` naming a node its template lacks; a parameter its uNF
  class does not declare (in a chain or a template);
* an ingress or link naming a VNF the chain does not have;
* an enumeration value (the type's values, read from the schema).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from .checks import quote_key
from .errors import Problem
from .locate import parse_path

#: Most names listed after the closest ones.
MAX_LISTED = 12

Data = Mapping[str, Any]


def choices_text(wrong: str, valid: Iterable[str], what: str) -> str:
    """``did you mean 'x'? (what: a, b, c)``, or just the list when nothing is close."""
    names = sorted(set(valid))
    if not names:
        return f"there are no {what}"
    close = difflib.get_close_matches(wrong, names, n=3, cutoff=0.6)
    listed = ", ".join(names[:MAX_LISTED]) + (
        f", ... ({len(names)} in all)" if len(names) > MAX_LISTED else ""
    )
    if close:
        guess = " or ".join(f"'{c}'" for c in close)
        return f"did you mean {guess}? ({what}: {listed})"
    return f"{what}: {listed}"


def _catalog(data: Data) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    cat = data.get("micronf-catalog:catalog", {})
    descriptors = {d.get("class"): d for d in cat.get("unf-descriptor", [])}
    templates: dict[str, list[Any]] = {}
    for t in cat.get("vnf-template", []):
        templates.setdefault(t.get("name"), []).append(t)  # versions of one name
    return descriptors, templates


def _chain(data: Data, name: str) -> Data | None:
    for c in data.get("micronf-sfc:chains", {}).get("chain", []):
        if c.get("name") == name:
            found: Data = c
            return found
    return None


def _vnf(data: Data, chain: str, vnf: str) -> Data | None:
    c = _chain(data, chain)
    for v in (c or {}).get("vnf", []):
        if v.get("name") == vnf:
            found: Data = v
            return found
    return None


def _template_nodes(templates: dict[str, list[Any]], name: str) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for t in templates.get(name, []):
        for n in t.get("node", []):
            nodes.setdefault(n.get("id"), n)
    return nodes


def _declared(descriptors: dict[str, Any], unf_class: str | None) -> list[str]:
    d = descriptors.get(unf_class or "", {})
    return [p.get("name") for p in d.get("parameter", [])]


def _value_of(message: str) -> str | None:
    m = re.search(r'value "([^"]*)"', message)
    return m.group(1) if m else None


def _explain(p: Problem, data: Data, enums: Callable[[str], list[str]]) -> str | None:
    """The choices to append to *p*'s message, or None."""
    if not p.path:
        return None
    steps = parse_path(p.path)
    names = [s for s, _ in steps]
    keys = [dict(k) for _, k in steps]
    descriptors, templates = _catalog(data)
    leafref = p.message.startswith("Invalid leafref value")
    value = _value_of(p.message)
    if leafref and value is not None and names[-2:] == ["vnf", "template"] and names[0] == "chains":
        return choices_text(value, templates, "VNF templates")
    if leafref and value is not None and names[-1] == "unf-class":
        return choices_text(value, descriptors, "uNF classes")
    if (
        leafref
        and value is not None
        and names[0] == "chains"
        and names[-1] in ("vnf", "from", "to")
    ):
        chain = _chain(data, keys[1].get("name", ""))
        return choices_text(value, [v.get("name") for v in (chain or {}).get("vnf", [])], "VNFs")
    if p.app_tag == "micronf-unknown-node" and "node-config" in names:
        i = names.index("node-config")
        vnf = _vnf(data, keys[1].get("name", ""), keys[i - 1].get("name", ""))
        nodes = _template_nodes(templates, (vnf or {}).get("template", ""))
        return choices_text(keys[i].get("node", ""), nodes, "nodes of the template")
    if p.app_tag == "micronf-unknown-parameter" and "parameter" in names:
        wrong = keys[names.index("parameter")].get("name", "")
        if "node-config" in names:
            i = names.index("node-config")
            vnf = _vnf(data, keys[1].get("name", ""), keys[i - 1].get("name", ""))
            nodes = _template_nodes(templates, (vnf or {}).get("template", ""))
            node = nodes.get(keys[i].get("node", ""), {})
        else:
            i = names.index("node")
            node = _template_nodes(templates, keys[i - 1].get("name", "")).get(
                keys[i].get("id", ""), {}
            )
        unf_class = node.get("unf-class")
        return choices_text(wrong, _declared(descriptors, unf_class), f"{unf_class} parameters")
    if p.message.startswith("Invalid enumeration value") and value is not None:
        valid = enums(p.path)
        return choices_text(value, valid, "values") if valid else None
    return None


def add_choices(
    problems: list[Problem], data: Data, enums: Callable[[str], list[str]] = lambda _: []
) -> list[Problem]:
    """*problems*, with the valid choices appended where a name was wrong.

    ``data`` is the input's data with the built-in catalog (RFC 7951 JSON);
    ``enums`` gives the values of the enumeration at a data path.
    """
    out = []
    for p in problems:
        try:
            extra = _explain(p, data, enums)
        except (KeyError, ValueError, IndexError, AttributeError, TypeError):
            extra = None  # data of an unexpected shape: the message stays as it was
        if extra:
            message = p.message.rstrip().rstrip(".")
            p = replace(p, message=f"{message}; {extra}")
        out.append(p)
    return out


# ------------------------------------------------------------------ missing list keys


def _steps_schema(path: str) -> list[tuple[str, str, bool]]:
    """(step as written, schema path so far, has predicates) for each step of *path*."""
    out = []
    schema = ""
    for m in re.finditer(r"/(?P<name>[^/\[]+)(?P<preds>(?:\[[^\]]*\])*)", path):
        name = m.group("name")
        step = name if not schema else name.split(":")[-1]
        schema = f"{schema}/{step}"
        out.append((m.group(0), schema, bool(m.group("preds"))))
    return out


def _child(node: Any, step: str) -> Any:
    if not isinstance(node, Mapping):
        return None
    local = step.split(":")[-1]
    for key, value in node.items():
        if key.split(":")[-1] == local:
            return value
    return None


def _resolve(node: Any, steps: list[str]) -> Any:
    for step in steps:
        node = _child(node, step)
        if node is None:
            return None
        if isinstance(node, list):
            return node  # a further list: as far as this walk goes
    return node


def add_keys(
    problems: list[Problem], data: Data, list_keys: Mapping[str, tuple[str, ...]]
) -> list[Problem]:
    """Paths with a list step that lacks its key (libyang gives such paths for
    missing nodes), with the key of the entry meant: the only entry of that
    list, or the only one where the rest of the path is missing."""
    out = []
    for p in problems:
        if p.path:
            try:
                path = _keyed(p.path, data, list_keys)
            except (KeyError, ValueError, TypeError, AttributeError):
                path = None
            if path:
                p = replace(p, path=path)
        out.append(p)
    return out


def _keyed(path: str, data: Data, list_keys: Mapping[str, tuple[str, ...]]) -> str | None:
    steps = _steps_schema(path)
    node: Any = data
    written = ""
    changed = False
    for i, (text, schema, has_preds) in enumerate(steps):
        name = re.sub(r"\[.*$", "", text.lstrip("/"))
        value = _child(node, name)
        keys = list_keys.get(schema)
        if not isinstance(value, list) or not keys:
            written += text
            node = value
            if node is None:
                written += "".join(t for t, _, _ in steps[i + 1 :])
                return written if changed else None
            continue
        if has_preds:
            preds = dict(parse_path(text)[0][1])
            entry = next(
                (e for e in value if all(str(_child(e, k)) == preds.get(k) for k in keys)), None
            )
        else:
            rest = [re.sub(r"\[.*$", "", t.lstrip("/")) for t, _, _ in steps[i + 1 :]]
            candidates = (
                value if len(value) == 1 else [e for e in value if _resolve(e, rest) is None]
            )
            if len(candidates) != 1:
                return None
            entry = candidates[0]
            text = text + "".join(f"[{k}={quote_key(str(_child(entry, k)))}]" for k in keys)
            changed = True
        written += text
        node = entry
        if node is None:
            written += "".join(t for t, _, _ in steps[i + 1 :])
            return written if changed else None
    return written if changed else None
