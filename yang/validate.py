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
from typing import Any

from . import locate
from .errors import Problem, ValidationFailed
from .validator import ValidatedIntent, Validator

#: Inputs larger than this are refused before parsing (override per call).
MAX_INPUT_BYTES = 4 * 1024 * 1024

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


def too_large(limit: int, size: int | None = None) -> ValidationFailed:
    """The error for an input over *limit* bytes (*size* bytes, if known)."""
    what = "input is" if size is None else f"input is {size} bytes,"
    return ValidationFailed(
        [Problem(f"{what} more than the limit of {limit} bytes", app_tag="micronf-input-too-large")]
    )


def check_size(data: bytes, max_bytes: int | None) -> None:
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    if len(data) > limit:
        raise too_large(limit, len(data))


_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_WIDE_ENCODINGS = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def _looks_wide(raw: bytes) -> bool:
    """UTF-16 or UTF-32 text: a byte-order mark, or ASCII padded with NULs."""
    if raw.startswith(_WIDE_BOMS):
        return True
    head = raw[:256]
    for enc in _WIDE_ENCODINGS:
        unit = 4 if "32" in enc else 2
        chunk = head[: len(head) // unit * unit]
        try:
            text = chunk.decode(enc)
        except UnicodeDecodeError:
            continue
        if text.strip() and all(c in "\t\n\r" or " " <= c <= "~" for c in text):
            return True
    return False


def check_text(raw: bytes) -> bytes:
    """*raw* without a UTF-8 byte-order mark; refuses what is not UTF-8 text.

    libyang reads UTF-8 only and, given other bytes, reports garbled
    characters; XML 1.0 requires accepting a leading byte-order mark.
    """
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    if _looks_wide(raw):
        raise ValidationFailed(
            [
                Problem(
                    "input is not UTF-8 (looks like UTF-16/32): micronf reads UTF-8 only",
                    app_tag="micronf-bad-encoding",
                )
            ]
        )
    if b"\x00" in raw:
        raise ValidationFailed(
            [Problem("input holds NUL bytes: not a text document", app_tag="malformed-message")]
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValidationFailed(
            [
                Problem(
                    f"input is not valid UTF-8 at byte {exc.start} (line {line})",
                    app_tag="micronf-bad-encoding",
                    line=line,
                )
            ]
        ) from None
    return raw


def validate_instance(
    data: bytes | str,
    fmt: str,
    *,
    max_bytes: int | None = None,
    builtin_catalog: bool = True,
    keep_user_json: bool = False,
    add_lines: bool = True,
) -> ValidatedIntent:
    """Validate YANG instance data (``fmt`` is ``"xml"`` or ``"json"``).

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
        return _validate(raw, fmt, keep_user_json, builtin_catalog)
    except ValidationFailed as failed:
        problems = cap_problems(failed.problems)
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
