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
:class:`~micronf.yang.errors.ValidationFailed` with every problem found.
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


def check_size(data: bytes, max_bytes: int | None) -> None:
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    if len(data) > limit:
        raise ValidationFailed(
            [
                Problem(
                    f"input is {len(data)} bytes, more than the limit of {limit} bytes",
                    app_tag="micronf-input-too-large",
                )
            ]
        )


def validate_instance(
    data: bytes | str,
    fmt: str,
    *,
    max_bytes: int | None = None,
    builtin_catalog: bool = True,
    keep_user_json: bool = False,
    add_lines: bool = True,
) -> ValidatedIntent:
    """Validate YANG instance data (``fmt`` is ``"xml"`` or ``"json"``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown instance-data format {fmt!r}")
    raw = data.encode() if isinstance(data, str) else data
    check_size(raw, max_bytes)
    if b"\x00" in raw:
        raise ValidationFailed(
            [Problem("input holds NUL bytes: not a text document", app_tag="malformed-message")]
        )
    if not raw.strip():
        raise ValidationFailed([Problem("input is empty", app_tag="micronf-empty-input")])

    try:
        return _validate(raw, fmt, keep_user_json, builtin_catalog)
    except ValidationFailed as failed:
        if not add_lines:
            raise
        raise ValidationFailed(_add_lines(failed.problems, raw, fmt)) from None


def _add_lines(problems: list[Problem], raw: bytes, fmt: str) -> list[Problem]:
    """Give a line to problems that have a data path but no line."""
    out = []
    for p in problems:
        if p.line is None and p.path:
            p = p.located(line=locate.line_of(raw, fmt, p.path))
        out.append(p)
    return out


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
