"""Running tosca-parser: silenced, serialised, every failure a clean Problem.

tosca-parser logs and prints, keeps its errors in a process-global
collector, and raises AttributeError/TypeError/KeyError on some malformed
input. Here it runs under a lock with its logging and stdout silenced, on a
pre-parsed document whose imports are served from checked files
(:func:`micronf.tosca.imports.serving`); its collected errors become one
:class:`~micronf.yang.Problem` each, with tosca-parser's preamble removed and
the line of the template the message names. Errors that only follow from a
template whose type is invalid are dropped: the invalid type is the cause.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
from typing import Any

from micronf.yang import Problem, ValidationFailed
from micronf.yang.explain import choices_text

from .imports import serving
from .source import Lines

_lock = threading.Lock()

for _name in ("tosca", "toscaparser"):
    _logger = logging.getLogger(_name)
    _logger.setLevel(logging.CRITICAL + 1)
    _logger.propagate = False
    _logger.addHandler(logging.NullHandler())

_PREAMBLE = re.compile(
    r"^The (pre-parsed )?input( \"[^\"]*\")? failed validation with the following error\(s\):\s*"
)
_INVALID_TYPE = re.compile(r'^Type "([^"]+)" is not a valid type')


def message(exc: BaseException) -> str:
    """One line of text for an exception tosca-parser raised or collected."""
    # str(KeyError("x")) is "'x'": show the key itself
    raw = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    text = " ".join(str(raw).split()) or type(exc).__name__
    return _PREAMBLE.sub("", text)


_UNKNOWN_FIELD = re.compile(
    r'^(?:"(?P<section>properties|requirements|capabilities|interfaces)" of template '
    r'"(?P<t1>[^"]*)"|(?P<kind>Node template|Groups?) "(?P<t2>[^"]*)") '
    r'contains unknown field "(?P<field>[^"]*)"'
)


def _field_line(text: str, lines: Lines) -> int | None:
    """The line of the unknown field a tosca-parser message names (not of its template)."""
    m = _UNKNOWN_FIELD.match(text)
    if m is None:
        return None
    name, field = m.group("t1") or m.group("t2"), m.group("field")
    kind = "group" if (m.group("kind") or "").startswith("Group") else "node"
    if name in lines.groups and name not in lines.nodes:
        kind = "group"
    section = m.group("section")
    if section == "properties":
        return lines.props.get((kind, name, field))
    if section == "requirements":
        return lines.keys.get((kind, name, f"requirement {field}"))
    if section is None:
        return lines.keys.get((kind, name, field))
    return None


_NOT_A = re.compile(r'^"(?P<value>.*)" is not an? (?P<what>list|map|string|integer|float|boolean)')


def _holders(value: str, tpl: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, template, property) whose value holds the scalar *value* somewhere inside."""
    found: list[tuple[str, str, str]] = []
    topo = tpl.get("topology_template")
    if not isinstance(topo, dict):
        return found
    for kind, section in (("node", "node_templates"), ("group", "groups")):
        entries = topo.get(section)
        for name, entry in entries.items() if isinstance(entries, dict) else []:
            props = entry.get("properties") if isinstance(entry, dict) else None
            for prop, v in props.items() if isinstance(props, dict) else []:
                stack = [v]
                while stack:
                    item = stack.pop()
                    if isinstance(item, dict):
                        stack += list(item.values())
                    elif isinstance(item, list):
                        stack += item
                    elif str(item) == value:
                        found.append((kind, str(name), str(prop)))
                        break
    return found


def _with_holder(text: str, tpl: dict[str, Any], lines: Lines) -> tuple[str, int | None]:
    """tosca-parser's ``"x" is not a list`` with the property that holds ``x`` and its line."""
    m = _NOT_A.match(text)
    if m is None:
        return text, None
    holders = _holders(m.group("value"), tpl)
    if len(holders) != 1:
        return text, None
    kind, name, prop = holders[0]
    what = "node" if kind == "node" else "group"
    hint = " (write it as [ ... ])" if m.group("what") == "list" else ""
    line = lines.props.get((kind, name, prop))
    return f"{what} {name!r}: property {prop!r}: {text.rstrip('.')}{hint}", line


_IMPORTED_FIELD = re.compile(r'^Template (?P<path>/\S+) contains unknown field "(?P<field>[^"]*)"')


def _in_import(text: str, lines: Lines) -> tuple[str, int | None]:
    """A message about an imported file's content: named by its import, at the line of
    the document's import and with the line inside the file, its content unquoted."""
    m = _IMPORTED_FIELD.match(text)
    origin = lines.imported.get(m.group("path")) if m else None
    if m is None or origin is None:
        return text, None
    where, line, key_lines = origin
    inside = key_lines.get(m.group("field"))
    at = f"line {inside}: " if inside else ""
    return (
        f"{where}: {at}a top-level key that TOSCA definitions do not have (they hold "
        "tosca_definitions_version, imports, node_types, data_types, group_types, ...)",
        line,
    )


def _guess_line(text: str, lines: Lines) -> int | None:
    line = _field_line(text, lines)
    if line is not None:
        return line
    for quoted in re.findall(r"\"([^\"]+)\"|'([^']+)'", text):
        for token in quoted:
            for table in (lines.nodes, lines.groups, lines.types):
                if token in table:
                    return table[token]
    return None


def _templates_by_type(tpl: dict[str, Any]) -> dict[str, set[str]]:
    """type name -> names of the node templates and groups of that type."""
    by_type: dict[str, set[str]] = {}
    topo = tpl.get("topology_template")
    if not isinstance(topo, dict):
        return by_type
    for section in ("node_templates", "groups"):
        entries = topo.get(section)
        if isinstance(entries, dict):
            for name, entry in entries.items():
                if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                    by_type.setdefault(entry["type"], set()).add(str(name))
    return by_type


_MISSING_REQUIRED = re.compile(
    r'^"(?P<section>\w+)" of template "(?P<name>[^"]*)" is missing required'
)


def _drop_misspelling_follow_ons(messages: list[str]) -> list[str]:
    """A required field reported missing where an unknown one was given: one misspelling."""
    misspelt = set()
    for text in messages:
        m = _UNKNOWN_FIELD.match(text)
        if m and m.group("section"):
            misspelt.add((m.group("section"), m.group("t1")))
    return [
        text
        for text in messages
        if not (
            (m := _MISSING_REQUIRED.match(text))
            and (m.group("section"), m.group("name")) in misspelt
        )
    ]


def _drop_follow_ons(messages: list[str], tpl: dict[str, Any]) -> list[str]:
    """Drop errors about templates whose type is invalid (the invalid type is reported)."""
    messages = _drop_misspelling_follow_ons(messages)
    by_type = _templates_by_type(tpl)
    broken: set[str] = set()
    for text in messages:
        m = _INVALID_TYPE.match(text)
        if m:
            broken |= by_type.get(m.group(1), set())
    if not broken:
        return messages
    return [
        text
        for text in messages
        if _INVALID_TYPE.match(text) or not any(f'"{name}"' in text for name in broken)
    ]


def run(tpl: dict[str, Any], files: dict[str, Any], source: str, lines: Lines) -> Any:
    """A ToscaTemplate of the pre-parsed ``tpl``; every failure is a ValidationFailed."""
    from toscaparser.common.exception import ExceptionCollector
    from toscaparser.tosca_template import ToscaTemplate

    with _lock, contextlib.redirect_stdout(io.StringIO()), serving(files):
        try:
            return ToscaTemplate(yaml_dict_tpl=tpl, a_file=True)
        except Exception as exc:  # noqa: BLE001 - tosca-parser raises anything on bad input
            collected = list(ExceptionCollector.getExceptions())
            ExceptionCollector.stop()
            ExceptionCollector.clear()
            messages: list[str] = []
            for item in collected:
                text = message(item)
                if text not in messages:
                    messages.append(text)
            messages = _drop_follow_ons(messages, tpl)
            if not messages:
                messages.append(
                    f"tosca-parser cannot process the document ({type(exc).__name__}: "
                    f"{message(exc)})"
                )
            problems = []
            for m in messages:
                text, line = _in_import(m, lines)
                if line is None:
                    text, line = _with_holder(text, tpl, lines)
                line = line if line is not None else _guess_line(m, lines)
                problems.append(Problem(_with_choices(text, lines), source=source, line=line))
            raise ValidationFailed(problems) from None


_NOT_FOUND = re.compile(r'^Node template "(?P<name>[^"]*)" was not found')


def _with_choices(text: str, lines: Lines) -> str:
    """A message naming a node template that does not exist, with the names that do."""
    m = _NOT_FOUND.match(text)
    if m is None:
        return text
    return f"{text.rstrip('.')}; {choices_text(m.group('name'), lines.nodes, 'node templates')}"
