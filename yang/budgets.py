"""Budgets: shapes of input whose parse cost grows faster than their size, refused first.

The size limit alone does not bound the work an input causes. libyang 2.1
hashes the values of a leaf-list (and of repeated leaves) to find
duplicates, and equal values all land in one bucket: 20,000 copies of one
value (100 KB) cost over 2 s, and the cost is paid at parse time, for every
such list, before the first duplicate is reported. It is also quadratic in
the namespace declarations of one element (20,000: 1 s), and tosca-parser
in the forwarders of one path. So, before the expensive parser runs, a
linear pre-pass (C-speed ``json`` / lxml parse, one walk) checks:

* no leaf-list holds a value twice, and no leaf is repeated with the same
  value: configuration data never may, and it is the quadratic case;
* at most ``list-entries`` siblings of one name (list entries, leaf-list
  values) under one parent;
* at most ``namespace-declarations`` ``xmlns`` declarations in an XML
  document;
* for TOSCA (:mod:`micronf.tosca`): at most ``forwarders`` forwarders on one
  path and ``imports`` import entries in all.

The pre-pass also makes XML well-formed by definition (a processing
instruction before the XML declaration, which libyang lets through, is
refused) and reports JSON and XML syntax errors with their line.

Each budget is named in the error with the way to raise it
(``micronf validate --budget NAME=N``); the defaults are far above what a
real intent needs and low enough that the worst shape under the 4 MiB
size limit stays within about half a second per MiB (``bench/hostile_cost.py``).
"""

from __future__ import annotations

import functools
import gc
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .checks import quote_key
from .errors import ErrorTag, Problem, ValidationFailed


@dataclass(frozen=True)
class Budget:
    name: str
    default: int
    what: str


#: Every budget, by name.
BUDGETS: dict[str, Budget] = {
    b.name: b
    for b in (
        Budget("list-entries", 100_000, "entries of one list or leaf-list"),
        Budget("namespace-declarations", 1_000, "XML namespace declarations in one document"),
        Budget("forwarders", 5_000, "TOSCA forwarder requirements in one document"),
        Budget("imports", 64, "TOSCA import entries of one document, nested ones included"),
    )
}

Budgets = Mapping[str, int]


def effective(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Every budget's value: the defaults, with ``overrides`` (unknown names: ValueError)."""
    values = {name: b.default for name, b in BUDGETS.items()}
    for name, value in (overrides or {}).items():
        if name not in BUDGETS:
            raise ValueError(f"no budget {name!r}; budgets: {', '.join(BUDGETS)}")
        values[name] = value
    return values


def parse_setting(text: str) -> tuple[str, int]:
    """``NAME=N`` (as given to ``--budget``) -> (name, N); ValueError if malformed."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[0-9]+", value.strip(), re.ASCII):
        raise ValueError(f"--budget takes NAME=N, e.g. list-entries=50000 (got {text!r})")
    if name not in BUDGETS:
        raise ValueError(f"no budget {name!r}; budgets: {', '.join(BUDGETS)}")
    return name, int(value)


def over_budget(
    name: str, count: int, where: str, limit: int | None = None, line: int | None = None
) -> Problem:
    """The problem for ``count`` items over the budget ``name`` (in force: ``limit``)."""
    budget = BUDGETS[name]
    limit = budget.default if limit is None else limit
    return Problem(
        f"{where}: {count} {budget.what}, more than the budget of {limit} "
        f"(budget '{name}'; raise it with --budget {name}=N)",
        app_tag="micronf-over-budget",
        line=line,
        error_tag=ErrorTag.too_big,
    )


def _over(budgets: Budgets, name: str, count: int, where: str, line: int | None = None) -> None:
    if count > budgets[name]:
        raise ValidationFailed([over_budget(name, count, where, budgets[name], line)])


def _duplicate(
    value: Any, where: str, line: int | None = None, path: str | None = None
) -> ValidationFailed:
    return ValidationFailed(
        [
            Problem(
                f"{where}the value {str(value)!r} is given more than once "
                "(configuration data holds each leaf-list value once)",
                path=path,
                app_tag="micronf-duplicate-value",
                line=line,
            )
        ]
    )


# ------------------------------------------------------------------------------ JSON


def _malformed(message: str, line: int | None) -> ValidationFailed:
    return ValidationFailed([Problem(message, line=line, error_tag=ErrorTag.malformed_message)])


def _schema_key(path: str) -> str:
    """``/m:a/m:b/n:c`` -> ``/m:a/b/c``: the module of the top node only, as JSON names it."""
    first, *rest = path.strip("/").split("/")
    return "/" + "/".join([first, *(step.split(":")[-1] for step in rest)])


@functools.lru_cache(maxsize=1)
def list_keys() -> dict[str, tuple[str, ...]]:
    """Schema path (``/module:top/local/...``) of every list of the loaded modules -> its keys."""
    import libyang

    from .context import MODULES
    from .validate import default_validator  # validate imports this module

    keys: dict[str, tuple[str, ...]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, libyang.SList):
            keys[_schema_key(node.schema_path())] = tuple(k.name() for k in node.keys())  # noqa: SIM118 - SList.keys()
        for child in node.children() if hasattr(node, "children") else ():
            walk(child)

    ctx = default_validator().context  # the schema only: read once, cached
    for name in MODULES:
        for node in ctx.get_module(name).children():
            walk(node)
    return keys


def _key_pred(
    entry: Mapping[str, Any], keys: tuple[str, ...]
) -> tuple[tuple[str, str], ...] | None:
    values = []
    for k in keys:
        value = entry.get(k)  # members inside a list are seldom prefixed
        if value is None:
            value = next((v for name, v in entry.items() if name.split(":")[-1] == k), None)
        if value is None or isinstance(value, dict | list):
            return None
        values.append((k, _canon(value)))
    return tuple(values)


def _canon(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _preds(key: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"[{k}={quote_key(v)}]" for k, v in key)


def _duplicate_entry(path: str, line: int | None = None) -> ValidationFailed:
    return ValidationFailed(
        [
            Problem(
                "the list entry is given more than once (its keys must be unique)",
                path=path,
                app_tag="micronf-duplicate-entry",
                line=line,
            )
        ]
    )


def check_json(raw: bytes, budgets: Budgets) -> None:
    """Syntax, duplicate list entries and leaf-list values, and list sizes of a JSON document."""
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise _malformed("the JSON document is nested too deeply", None) from None
    except json.JSONDecodeError as exc:
        raise _malformed(f"JSON syntax error: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except ValueError as exc:  # not UTF-8 text: check_text reports it first
        raise _malformed(f"not a JSON document: {exc}", None) from None
    keys_of = list_keys()
    # (node, schema path, data path): the data path is a linked (parent, step)
    # pair, made into text only for a message (most inputs need none)
    stack: list[tuple[Any, str, Any]] = [(doc, "", None)]
    while stack:
        node, schema, where = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict | list):
                    step = key if not schema else key.split(":")[-1]
                    stack.append((value, f"{schema}/{step}", (where, "/" + step)))
            continue
        if not isinstance(node, list):
            continue
        if len(node) > budgets["list-entries"]:
            _over(budgets, "list-entries", len(node), _text_path(where) or "/")
        keys = keys_of.get(schema)
        seen: set[Any] = set()
        for i, value in enumerate(node, 1):
            if isinstance(value, dict):
                pred = _key_pred(value, keys) if keys else None
                if pred is None:
                    stack.append((value, schema, (where, f"[{i}]")))
                    continue
                if pred in seen:
                    raise _duplicate_entry(_text_path(where) + _preds(pred))
                seen.add(pred)
                stack.append((value, schema, (where, pred)))
            elif isinstance(value, list):
                stack.append((value, schema, (where, f"[{i}]")))
            else:
                k = (type(value).__name__, value)
                if k in seen:
                    raise _duplicate(value, "", path=_text_path(where))
                seen.add(k)


def _text_path(where: Any) -> str:
    """A linked data path (see :func:`check_json`) as text."""
    parts: list[str] = []
    while where is not None:
        where, step = where
        parts.append(step if isinstance(step, str) else _preds(step))
    return "".join(reversed(parts))


# ------------------------------------------------------------------------------- XML

_XMLNS = re.compile(rb"xmlns(?::[^\s=>]*)?\s*=")
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)
_XML_DECL = re.compile(rb"\s*<\?xml[\s?][^>]*\?>")


def check_xml(raw: bytes, budgets: Budgets) -> None:
    """Well-formedness, namespace declarations, duplicate leaves and sibling counts of XML.

    An instance-data document may hold several top-level elements, so it
    is read as the content of one wrapping element; an XML declaration
    may only stand first.
    """
    _over(budgets, "namespace-declarations", len(_XMLNS.findall(raw)), "the document")
    decl = _XML_DECL.match(raw)
    body = raw[decl.end() :] if decl else raw
    lines_before = raw[: decl.end()].count(b"\n") if decl else 0
    if b"<!DOCTYPE" in body[:4096] or b"<!ENTITY" in body:
        return  # libyang refuses document type declarations with its own message
    try:
        root = etree.fromstring(b"<micronf-root>" + body + b"</micronf-root>", _PARSER)
    except etree.XMLSyntaxError as exc:
        msg = str(exc.msg or exc)
        line = exc.lineno + lines_before if exc.lineno else None
        msg = re.sub(r", line \d+, column \d+$", "", msg)
        if "Excessive depth" in msg:
            msg = "the XML document is nested more than 256 levels deep"
        elif "XML declaration allowed only at the start" in msg:
            msg = "the XML declaration (<?xml ...?>) may only stand at the very start"
        raise _malformed(f"not well-formed XML: {msg}", line) from None
    keys_of = list_keys()
    modules = _module_of_namespace()
    # (element, data path shown, schema path); the wrapper's children are top-level nodes
    stack: list[tuple[Any, str, str]] = [(root, "", "")]
    while stack:
        parent, where, schema = stack.pop()
        children = [c for c in parent if isinstance(c.tag, str)]
        if not children:
            continue
        counts = Counter(child.tag for child in children)
        tag, most = counts.most_common(1)[0]
        _over(
            budgets,
            "list-entries",
            most,
            f"element <{etree.QName(tag).localname}>",
            _line(parent, lines_before),
        )
        leaves: set[tuple[str, str]] = set()
        entries: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for child in children:
            qname = etree.QName(child)
            if schema:
                step = qname.localname
            else:
                step = f"{modules.get(qname.namespace or '', '?')}:{qname.localname}"
            child_schema = f"{schema}/{step}"
            if len(child) == 0:
                if counts[child.tag] > 1:
                    key = (child.tag, (child.text or "").strip())
                    if key in leaves:
                        raise _duplicate(key[1], "", _line(child, lines_before), f"{where}/{step}")
                    leaves.add(key)
                continue
            keys = keys_of.get(child_schema)
            pred = _xml_key(child, keys) if keys else None
            if pred is None:
                stack.append((child, f"{where}/{step}", child_schema))
                continue
            if (child.tag, pred) in entries:
                raise _duplicate_entry(f"{where}/{step}{_preds(pred)}", _line(child, lines_before))
            entries.add((child.tag, pred))
            stack.append((child, f"{where}/{step}{_preds(pred)}", child_schema))


def _xml_key(elem: Any, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
    values = []
    for k in keys:
        found = next(
            (c for c in elem if isinstance(c.tag, str) and etree.QName(c).localname == k), None
        )
        if found is None or len(found):
            return None
        values.append((k, (found.text or "").strip()))
    return tuple(values)


@functools.lru_cache(maxsize=1)
def _module_of_namespace() -> dict[str, str]:
    from _libyang import ffi

    from .context import MODULES
    from .validate import default_validator  # validate imports this module

    ctx = default_validator().context  # the schema only: read once, cached
    namespaces = {}
    for name in MODULES:
        module = ctx.get_module(name)
        namespaces[ffi.string(module.cdata.ns).decode()] = name
    return namespaces


def _line(elem: Any, offset: int) -> int | None:
    return int(elem.sourceline) + offset if elem.sourceline else None


def check(raw: bytes, fmt: str, budgets: Budgets | None = None) -> None:
    """The pre-pass for YANG instance data (``fmt``: ``"xml"`` or ``"json"``)."""
    values = effective(budgets)
    # The pre-pass allocates an object per JSON value or XML element and
    # creates no cycles: the cyclic collector would only rescan the growing heap.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if fmt == "json":
            check_json(raw, values)
        elif fmt == "xml":
            check_xml(raw, values)
    finally:
        if collecting:
            gc.enable()
