"""Datastore content as NETCONF replies print it: XPath selection and with-defaults.

A datastore's content (RFC 7951 JSON) becomes the XML of a ``<data>``
reply here: defaults are added the way RFC 6243 asks for the requested
mode (``explicit``, the server's basic mode, ``trim``, ``report-all``,
``report-all-tagged``), and an XPath filter (RFC 6241 section 8.9) is
evaluated by libyang on the tree, keeping each selected node with its
ancestors (and list keys). Subtree filters are schema-agnostic and are
applied by the NETCONF layer on this XML.
"""

from __future__ import annotations

from enum import StrEnum

from _libyang import ffi, lib

from .context import builtin_catalog_path, take_errors
from .edit import Tree, from_json, parse
from .errors import ErrorTag, ErrorType, Problem, ValidationFailed
from .validator import Validator


class WithDefaults(StrEnum):
    report_all = "report-all"
    report_all_tagged = "report-all-tagged"
    trim = "trim"
    explicit = "explicit"


#: The basic mode of the server (what it does without a with-defaults parameter).
BASIC_MODE = WithDefaults.explicit

_WD_FLAGS = {
    WithDefaults.report_all: lib.LYD_PRINT_WD_ALL,
    WithDefaults.report_all_tagged: lib.LYD_PRINT_WD_ALL_TAG,
    WithDefaults.trim: lib.LYD_PRINT_WD_TRIM,
    WithDefaults.explicit: lib.LYD_PRINT_WD_EXPLICIT,
}


def builtin_catalog_json() -> str:
    """The built-in catalog (read-only system configuration) as RFC 7951 JSON."""
    return builtin_catalog_path().read_text(encoding="utf-8")


def _select(tree: Tree, xpath: str) -> Tree:
    """A new tree with the nodes *xpath* selects, with their ancestors."""
    ctx = tree.ctx
    out = Tree(ctx)
    if tree.first == ffi.NULL:
        return out
    found = ffi.new("struct ly_set **")
    if lib.lyd_find_xpath(tree.first, xpath.encode(), found) != lib.LY_SUCCESS:
        problems = take_errors(ctx) or [Problem(f"invalid XPath {xpath!r}")]
        raise ValidationFailed(
            [
                Problem(
                    f"XPath filter: {p.message}",
                    error_type=ErrorType.protocol,
                    error_tag=ErrorTag.invalid_value,
                )
                for p in problems
            ]
        )
    try:
        for i in range(found[0].count):
            node = found[0].dnodes[i]
            dup = ffi.new("struct lyd_node **")
            flags = lib.LYD_DUP_RECURSIVE | lib.LYD_DUP_WITH_PARENTS | lib.LYD_DUP_WITH_FLAGS
            if lib.lyd_dup_single(node, ffi.NULL, flags, dup) != lib.LY_SUCCESS:
                continue
            top = dup[0]
            while top.parent != ffi.NULL:
                top = ffi.cast("struct lyd_node *", top.parent)
            out.merge(top)
    finally:
        lib.ly_set_free(found[0], ffi.NULL)
    return out


def render_xml(
    validator: Validator,
    content_json: str | None,
    *,
    with_defaults: WithDefaults | None = None,
    xpath: str | None = None,
    system_json: str | None = None,
    state_xml: str | None = None,
) -> str:
    """The XML of *content_json* for a reply.

    *system_json* is read-only configuration shown beside it (the built-in
    catalog), *state_xml* state data (YANG library, NETCONF monitoring),
    both within reach of the XPath filter.
    """
    mode = with_defaults or BASIC_MODE
    ctx = validator.context
    with validator.lock, from_json(ctx, content_json) as tree:
        if system_json:
            with from_json(ctx, system_json) as system:
                tree.merge_siblings(system)
        if state_xml:
            with parse(ctx, state_xml.encode(), lib.LYD_XML, strict=False, state=True) as state:
                tree.merge_siblings(state)
        # Default nodes exist (flagged as defaults) for every mode but explicit.
        if tree.first != ffi.NULL and mode is not WithDefaults.explicit:
            lib.lyd_new_implicit_all(tree.root, ctx.cdata, lib.LYD_IMPLICIT_NO_STATE, ffi.NULL)
            take_errors(ctx)
        if xpath:
            with _select(tree, xpath) as selected:
                return selected.print(lib.LYD_XML, lib.LYD_PRINT_WITHSIBLINGS | _WD_FLAGS[mode])
        return tree.print(lib.LYD_XML, lib.LYD_PRINT_WITHSIBLINGS | _WD_FLAGS[mode])
