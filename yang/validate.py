"""The one validation path of micronf.

Every intent (a TOSCA file after translation, a YANG XML or JSON file, a
NETCONF ``<edit-config>``) ends here:

1. libyang parses the instance data strictly (unknown nodes are errors, no
   state data, no DTDs: libyang's XML parser refuses ``<!DOCTYPE`` so
   entity expansion and external entities cannot happen);
2. the built-in catalog (uNF descriptors and VNF templates) is merged in;
3. libyang validates the whole datastore (types, ranges, patterns,
   ``must``, ``when``, leafrefs, ``unique``, ``min-elements``);
4. the graph checks of :mod:`micronf.yang.checks`, which YANG cannot
   express, run on the validated data and report in the same form.

The result is a :class:`ValidatedIntent`; anything wrong raises
:class:`~micronf.yang.errors.ValidationFailed` with the problems found: the
first one of a failed parse or libyang validation (libyang 2.1 stops there),
every one of the graph checks, at most :data:`MAX_PROBLEMS` in all.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import libyang

from . import budgets as budgets_mod
from . import explain, locate
from .context import builtin_catalog_path
from .errors import Problem, ValidationFailed
from .inputs import check_size
from .inputs import check_text as check_text  # re-exported: the store reads with it
from .validator import ValidatedIntent, Validator

FORMATS = ("xml", "json")

#: At most this many problems are reported per input, then a count of the rest.
MAX_PROBLEMS = 50


@functools.cache
def default_validator(builtin_catalog: bool = True) -> Validator:
    """The validator of the one-shot functions below, built on first use.

    Long-lived users (the store, NETCONF datastores) hold a
    :class:`~micronf.yang.validator.Validator` of their own.
    """
    return Validator(builtin_catalog=builtin_catalog)


def validate_instance(
    data: bytes | str,
    fmt: str,
    *,
    max_bytes: int | None = None,
    builtin_catalog: bool = True,
    keep_user_json: bool = False,
    add_lines: bool = True,
    budgets: Mapping[str, int] | None = None,
) -> ValidatedIntent:
    """Validate YANG instance data (``fmt`` is ``"xml"`` or ``"json"``).

    ``budgets`` override those of :mod:`micronf.yang.budgets`, checked
    before libyang parses anything.

    At most :data:`MAX_PROBLEMS` problems are reported, then one that says
    how many more there were (``micronf-too-many-errors``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown instance-data format {fmt!r}")
    raw = data.encode() if isinstance(data, str) else data
    check_size(raw, max_bytes)
    raw = check_text(raw)
    if not raw.strip():
        raise ValidationFailed([Problem("input is empty", app_tag="micronf-empty-input")])

    try:
        budgets_mod.check(raw, fmt, budgets)
        return _validate(raw, fmt, keep_user_json, builtin_catalog)
    except ValidationFailed as failed:
        problems = cap_problems(_with_choices(failed.problems, raw, fmt, builtin_catalog))
        if add_lines:
            problems = _add_lines(problems, raw, fmt)
        raise ValidationFailed(problems) from None


def cap_problems(problems: list[Problem], limit: int | None = None) -> list[Problem]:
    """The first *limit* problems and, if there were more, one that counts them."""
    limit = MAX_PROBLEMS if limit is None else limit
    if len(problems) <= limit or problems[-1].app_tag == "micronf-too-many-errors":
        return problems  # short enough, or capped already
    more = len(problems) - limit
    return [
        *problems[:limit],
        Problem(
            f"... and {more} more problem{'s' if more != 1 else ''} (first {limit} shown)",
            app_tag="micronf-too-many-errors",
        ),
    ]


def _needs_choices(p: Problem) -> bool:
    return p.app_tag in ("micronf-unknown-node", "micronf-unknown-parameter") or (
        p.message.startswith(("Invalid leafref value", "Invalid enumeration value"))
    )


def _needs_key(p: Problem) -> bool:
    """A data path with a list step that lacks its key predicate."""
    if not p.path:
        return False
    keys = budgets_mod.list_keys()
    schema = ""
    for m in re.finditer(r"/([^/\[]+)(\[)?", p.path):
        step = m.group(1) if not schema else m.group(1).split(":")[-1]
        schema = f"{schema}/{step}"
        if schema in keys and not m.group(2):
            return True
    return False


def _with_choices(
    problems: list[Problem], raw: bytes, fmt: str, builtin_catalog: bool
) -> list[Problem]:
    """Problems naming something unknown, with the valid choices (see :mod:`.explain`).

    Only on failure, and only when a problem needs it: the input is parsed
    again (it parsed before, or there would be no such problem) and the
    built-in catalog added, as the validator saw them.
    """
    if not any(_needs_choices(p) or _needs_key(p) for p in problems):
        return problems
    validator = default_validator(builtin_catalog)
    try:
        data = validator.parse(raw, "xml" if fmt == "xml" else "json").to_dict()
    except ValidationFailed:
        data = {}  # a parse error (a bad enumeration value): the schema still knows
    if builtin_catalog:
        builtin = json.loads(builtin_catalog_path().read_bytes()).get("micronf-catalog:catalog", {})
        cat = data.setdefault("micronf-catalog:catalog", {})
        for name, entries in builtin.items():
            if isinstance(entries, list):
                cat[name] = [*cat.get(name, []), *entries]

    def enums(path: str) -> list[str]:
        schema = re.sub(r"\[[^\]]*\]", "", path)
        try:
            with validator.lock:
                node = next(validator.context.find_path(schema), None)
                if not isinstance(node, libyang.SLeaf | libyang.SLeafList):
                    return []
                values = [e.name() for e in node.type().enums()]
        except Exception:  # noqa: BLE001 - no such schema node, or not an enumeration
            return []
        return values

    problems = explain.add_keys(problems, data, budgets_mod.list_keys())
    return explain.add_choices(problems, data, enums)


def _add_lines(problems: list[Problem], raw: bytes, fmt: str) -> list[Problem]:
    """Give a line to problems that have a data path but no line."""
    locator = locate.Locator(raw, fmt)  # parses the document once, on first use
    out = []
    for p in problems:
        if p.line is None and p.path:
            p = p.located(line=locator.line(p.path))
        out.append(p)
    return out


def _validate(raw: bytes, fmt: str, keep_user_json: bool, builtin_catalog: bool) -> ValidatedIntent:
    validator = default_validator(builtin_catalog)
    tree = validator.parse(raw, "xml" if fmt == "xml" else "json")
    return validator.validate(tree, keep_user_json=keep_user_json)


def validate_dict(data: dict[str, Any], **kwargs: Any) -> ValidatedIntent:
    """Validate RFC 7951 JSON given as a dict (the TOSCA translator's output).

    The JSON text is made here, so its line numbers mean nothing to the user:
    problems carry data paths only, and the caller maps them to its source.
    """
    kwargs.setdefault("add_lines", False)
    return validate_instance(json.dumps(data).encode(), "json", **kwargs)
