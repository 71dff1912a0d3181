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

import json
import threading
from dataclasses import dataclass
from typing import Any

import libyang
from _libyang import ffi, lib

from . import checks, locate
from .context import builtin_catalog_path, shared_context, take_errors
from .errors import Problem, ValidationFailed

#: Inputs larger than this are refused before parsing (override per call).
MAX_INPUT_BYTES = 4 * 1024 * 1024

FORMATS = {"xml": lib.LYD_XML, "json": lib.LYD_JSON}

_PARSE_FLAGS = lib.LYD_PARSE_STRICT | lib.LYD_PARSE_NO_STATE | lib.LYD_PARSE_ONLY
_VALIDATE_FLAGS = lib.LYD_VALIDATE_NO_STATE
_PRINT_FLAGS = lib.LYD_PRINT_WITHSIBLINGS | lib.LYD_PRINT_WD_ALL | lib.LYD_PRINT_SHRINK

# libyang contexts are not thread-safe; every use of the shared one is serialised.
_ctx_lock = threading.RLock()
_builtin_text: bytes | None = None
_builtin_key_sets: tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]] | None = None

#: At most this many problems are reported per input, then a count of the rest.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class ValidatedIntent:
    """Intent data that passed libyang and the graph checks.

    ``data`` is RFC 7951 JSON (as a dict) of the whole datastore, built-in
    catalog included, with default values filled in; ``user_json`` is the
    canonical JSON of what the user supplied, without the built-in catalog,
    which is what the store keeps and what two equivalent inputs share
    (printed only when asked for with ``keep_user_json=True``).
    """

    data: dict[str, Any]
    user_json: str | None = None

    @property
    def catalog(self) -> dict[str, Any]:
        cat: dict[str, Any] = self.data.get("micronf-catalog:catalog", {})
        return cat

    @property
    def chains(self) -> list[dict[str, Any]]:
        chains: list[dict[str, Any]] = self.data.get("micronf-sfc:chains", {}).get("chain", [])
        return chains


def _builtin_catalog() -> bytes:
    global _builtin_text
    if _builtin_text is None:
        _builtin_text = builtin_catalog_path().read_bytes()
    return _builtin_text


def _parse(ctx: libyang.Context, data: bytes, fmt: int) -> Any:
    """Parse without validating; returns the first top-level node (cdata)."""
    tree = ffi.new("struct lyd_node **")
    ret = lib.lyd_parse_data_mem(ctx.cdata, data, fmt, _PARSE_FLAGS, _VALIDATE_FLAGS, tree)
    if ret != lib.LY_SUCCESS:
        problems = take_errors(ctx) or [Problem("cannot parse the input")]
        if tree[0] != ffi.NULL:
            lib.lyd_free_all(tree[0])
        raise ValidationFailed(problems)
    take_errors(ctx)
    return tree[0]


def _print_json(node: Any) -> str:
    out = ffi.new("char **")
    ret = lib.lyd_print_mem(out, node, lib.LYD_JSON, _PRINT_FLAGS)
    if ret != lib.LY_SUCCESS or out[0] == ffi.NULL:
        raise RuntimeError("libyang could not print validated data")
    try:
        return str(ffi.string(out[0]).decode())
    finally:
        lib.free(out[0])


def _print_user_json(node: Any) -> str:
    out = ffi.new("char **")
    ret = lib.lyd_print_mem(
        out, node, lib.LYD_JSON, lib.LYD_PRINT_WITHSIBLINGS | lib.LYD_PRINT_SHRINK
    )
    if ret != lib.LY_SUCCESS:
        raise RuntimeError("libyang could not print data")
    if out[0] == ffi.NULL:
        return "{}"
    try:
        return str(ffi.string(out[0]).decode())
    finally:
        lib.free(out[0])


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


def _builtin_keys() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """Keys of the built-in uNF descriptors (class) and templates (name, version)."""
    global _builtin_key_sets
    if _builtin_key_sets is None:
        cat = json.loads(_builtin_catalog()).get("micronf-catalog:catalog", {})
        _builtin_key_sets = (
            frozenset((d["class"],) for d in cat.get("unf-descriptor", [])),
            frozenset((t["name"], t["version"]) for t in cat.get("vnf-template", [])),
        )
    return _builtin_key_sets


def _name(node: Any) -> bytes:
    return bytes(ffi.string(node.schema.name)) if node.schema != ffi.NULL else b""


def _key_value(entry: Any, key: bytes) -> str | None:
    child = lib.lyd_child(entry)
    while child != ffi.NULL:
        if _name(child) == key:
            value = lib.lyd_get_value(child)
            return ffi.string(value).decode() if value != ffi.NULL else None
        child = child.next
    return None


# What a user catalog entry may not redefine: list name -> (keys, kind shown).
# A new version of a built-in template is not a redefinition.
_REDEFINABLE = {
    b"unf-descriptor": ((b"class",), "uNF descriptor"),
    b"vnf-template": ((b"name", b"version"), "VNF template"),
}


def _redefinitions(user: Any) -> list[Problem]:
    """User catalog entries whose key is that of a built-in one.

    Merging would silently replace (descriptors) or mix node by node
    (templates) the user's entry with the built-in one, so it is refused.
    Walks only the user's top-level nodes and the children of its catalog.
    """
    descriptors, templates = _builtin_keys()
    builtin = {b"unf-descriptor": descriptors, b"vnf-template": templates}
    problems = []
    top = user
    while top != ffi.NULL:
        if _name(top) == b"catalog" and ffi.string(top.schema.module.name) == b"micronf-catalog":
            entry = lib.lyd_child(top)
            while entry != ffi.NULL:
                name = _name(entry)
                if name in _REDEFINABLE:
                    keys, kind = _REDEFINABLE[name]
                    values = tuple(_key_value(entry, key) or "" for key in keys)
                    if values in builtin[name]:
                        shown = " version ".join(values)
                        predicates = "".join(
                            f"[{k.decode()}={checks.quote_key(v)}]"
                            for k, v in zip(keys, values, strict=True)
                        )
                        problems.append(
                            Problem(
                                f"redefines the built-in {kind} {shown}; choose another "
                                + ("name" if len(keys) == 1 else "name or version"),
                                path=f"/micronf-catalog:catalog/{name.decode()}{predicates}",
                                app_tag="micronf-builtin-redefined",
                            )
                        )
                entry = entry.next
        top = top.next
    return problems


def _validate(raw: bytes, fmt: str, keep_user_json: bool, builtin_catalog: bool) -> ValidatedIntent:
    with _ctx_lock:
        ctx = shared_context()
        user = _parse(ctx, raw, FORMATS[fmt])
        if user == ffi.NULL:
            raise ValidationFailed(
                [Problem("input holds no data of a micronf module", app_tag="micronf-empty-input")]
            )
        root = ffi.new("struct lyd_node **", user)
        try:
            user_json = _print_user_json(root[0]) if keep_user_json else None
            if builtin_catalog:
                redefined = _redefinitions(user)
                if redefined:
                    raise ValidationFailed(redefined)
                cat = _parse(ctx, _builtin_catalog(), lib.LYD_JSON)
                if lib.lyd_merge_siblings(root, cat, lib.LYD_MERGE_DESTRUCT) != lib.LY_SUCCESS:
                    raise ValidationFailed(take_errors(ctx) or [Problem("cannot merge catalog")])
            if lib.lyd_validate_all(root, ctx.cdata, _VALIDATE_FLAGS, ffi.NULL) != lib.LY_SUCCESS:
                raise ValidationFailed(take_errors(ctx) or [Problem("validation failed")])
            take_errors(ctx)
            full = json.loads(_print_json(root[0]))
        finally:
            lib.lyd_free_all(root[0])

    problems = checks.run_all(full)
    if problems:
        raise ValidationFailed(problems)
    return ValidatedIntent(data=full, user_json=user_json)


def validate_dict(data: dict[str, Any], **kwargs: Any) -> ValidatedIntent:
    """Validate RFC 7951 JSON given as a dict (the TOSCA translator's output).

    The JSON text is made here, so its line numbers mean nothing to the user:
    problems carry data paths only, and the caller maps them to its source.
    """
    kwargs.setdefault("add_lines", False)
    return validate_instance(json.dumps(data).encode(), "json", **kwargs)
