"""``<edit-config>`` on libyang data trees (RFC 6241 section 7.2), and diffs.

The target is a datastore's content as RFC 7951 JSON (what the store keeps);
the edit is the content of ``<config>`` as XML, whose nodes may carry the
``nc:operation`` attribute (libyang parses it as metadata of the
``ietf-netconf`` module). The edit is parsed strictly (unknown elements
and namespaces are errors) but not validated: a ``delete`` names a list
entry by its keys alone. Operations apply node by node on a copy of the
target, by data path:

* ``merge`` (and any subtree without nested operations) is a libyang merge
  of the node and its ancestors;
* ``replace`` frees the existing node first, ``create`` refuses an existing
  one (``data-exists``), ``delete`` a missing one (``data-missing``),
  ``remove`` frees it if it is there;
* ``none`` changes nothing at its level and descends.

The result is JSON again; validating it is the caller's business. Errors
are :class:`~micronf.yang.errors.Problem` values with NETCONF error tags.
:func:`changes` lists what differs between two contents (for NACM write
checks and change notifications).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from _libyang import ffi, lib

from .context import take_errors
from .errors import ErrorTag, ErrorType, Problem, ValidationFailed
from .validator import Validator

_PARSE_EDIT = lib.LYD_PARSE_STRICT | lib.LYD_PARSE_ONLY | lib.LYD_PARSE_NO_STATE
_PRINT = lib.LYD_PRINT_WITHSIBLINGS | lib.LYD_PRINT_SHRINK


class EditOp(Enum):
    merge = "merge"
    replace = "replace"
    create = "create"
    delete = "delete"
    remove = "remove"
    none = "none"


@dataclass(frozen=True)
class EditChange:
    """One node that differs: its data path, schema path and ``create|update|delete``."""

    path: str
    schema_path: str
    operation: str


# -- trees -----------------------------------------------------------------------------


class Tree:
    """An owned libyang data tree (top-level siblings), freed by :meth:`free`."""

    def __init__(self, ctx: Any, first: Any = None) -> None:
        self.ctx = ctx
        self.root = ffi.new("struct lyd_node **", first if first is not None else ffi.NULL)

    @property
    def first(self) -> Any:
        return self.root[0]

    def free(self) -> None:
        if self.root[0] != ffi.NULL:
            lib.lyd_free_all(self.root[0])
            self.root[0] = ffi.NULL

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def print(self, fmt: int = lib.LYD_JSON, flags: int = _PRINT) -> str:
        if self.root[0] == ffi.NULL:
            return "{}" if fmt == lib.LYD_JSON else ""
        out = ffi.new("char **")
        if lib.lyd_print_mem(out, self.root[0], fmt, flags) != lib.LY_SUCCESS:
            raise RuntimeError("libyang could not print data")
        if out[0] == ffi.NULL:
            return "{}" if fmt == lib.LYD_JSON else ""
        try:
            return str(ffi.string(out[0]).decode())
        finally:
            lib.free(out[0])

    def json(self) -> str:
        return self.print()

    def find(self, path: str) -> Any:
        if self.root[0] == ffi.NULL:
            return ffi.NULL
        match = ffi.new("struct lyd_node **")
        ret = lib.lyd_find_path(self.root[0], path.encode(), 0, match)
        take_errors(self.ctx)  # "not found" is an answer, not an error
        return match[0] if ret == lib.LY_SUCCESS else ffi.NULL

    def remove(self, node: Any) -> None:
        if node == self.root[0]:
            self.root[0] = node.next
        lib.lyd_free_tree(node)

    def merge(self, source_top: Any) -> None:
        """Merge *source_top* (a tree, consumed) into this one."""
        if lib.lyd_merge_tree(self.root, source_top, lib.LYD_MERGE_DESTRUCT) != lib.LY_SUCCESS:
            raise ValidationFailed(take_errors(self.ctx) or [Problem("cannot merge data")])

    def merge_siblings(self, other: Tree) -> None:
        """Merge every top-level tree of *other* (consumed, left empty) into this one."""
        first = other.root[0]
        other.root[0] = ffi.NULL
        if first == ffi.NULL:
            return
        ret = lib.lyd_merge_siblings(self.root, first, lib.LYD_MERGE_DESTRUCT)
        if ret != lib.LY_SUCCESS:
            raise ValidationFailed(take_errors(self.ctx) or [Problem("cannot merge data")])


def parse(ctx: Any, data: bytes, fmt: int, *, strict: bool = True, state: bool = False) -> Tree:
    """A tree of *ctx* (a libyang context) from JSON (``lib.LYD_JSON``) or
    XML, not validated (configuration only unless *state*)."""
    tree = ffi.new("struct lyd_node **")
    flags = _PARSE_EDIT if strict else lib.LYD_PARSE_ONLY | lib.LYD_PARSE_NO_STATE
    if state:
        flags &= ~lib.LYD_PARSE_NO_STATE
    if data.strip() in (b"", b"{}"):
        return Tree(ctx)
    ret = lib.lyd_parse_data_mem(ctx.cdata, data, fmt, flags, 0, tree)
    if ret != lib.LY_SUCCESS:
        problems = take_errors(ctx) or [Problem("cannot parse the data")]
        if tree[0] != ffi.NULL:
            lib.lyd_free_all(tree[0])
        raise ValidationFailed([_tag_parse_problem(p) for p in problems])
    take_errors(ctx)
    return Tree(ctx, tree[0])


def from_json(ctx: Any, text: str | None) -> Tree:
    return parse(ctx, (text or "{}").encode(), lib.LYD_JSON, strict=False)


def _tag_parse_problem(p: Problem) -> Problem:
    """A parse error as NETCONF says it: unknown element or namespace, bad value."""
    msg = p.message
    if "No module with namespace" in msg or "namespace" in msg and "unknown" in msg.lower():
        return Problem(
            msg,
            p.path,
            p.app_tag,
            line=p.line,
            error_type=ErrorType.protocol,
            error_tag=ErrorTag.unknown_namespace,
        )
    if "not found" in msg or "Unknown element" in msg or "unknown element" in msg:
        return Problem(
            msg,
            p.path,
            p.app_tag,
            line=p.line,
            error_type=ErrorType.protocol,
            error_tag=ErrorTag.unknown_element,
        )
    return Problem(
        msg,
        p.path,
        p.app_tag,
        line=p.line,
        error_type=ErrorType.application,
        error_tag=ErrorTag.invalid_value,
    )


# -- node helpers ----------------------------------------------------------------------


def _str(ptr: Any) -> str:
    return str(ffi.string(ptr).decode()) if ptr != ffi.NULL else ""


def _children(node: Any) -> Iterator[Any]:
    child = lib.lyd_child(node)
    while child != ffi.NULL:
        nxt = child.next
        yield child
        child = nxt


def _siblings(first: Any) -> Iterator[Any]:
    node = first
    while node != ffi.NULL:
        nxt = node.next
        yield node
        node = nxt


def data_path(node: Any) -> str:
    raw = lib.lyd_path(node, lib.LYD_PATH_STD, ffi.NULL, 0)
    try:
        return _str(raw)
    finally:
        lib.free(raw)


def schema_path(node: Any) -> str:
    """RFC 7951 schema path of a data node: module prefix where the module changes."""
    parts: list[str] = []
    cur = node
    while cur != ffi.NULL:
        name = _str(cur.schema.name)
        module = _str(cur.schema.module.name)
        parent = _parent(cur)
        if parent == ffi.NULL or _str(parent.schema.module.name) != module:
            name = f"{module}:{name}"
        parts.append(name)
        cur = parent
    return "/" + "/".join(reversed(parts))


def _parent(node: Any) -> Any:
    parent = node.parent
    return ffi.cast("struct lyd_node *", parent) if parent != ffi.NULL else ffi.NULL


def _meta(ctx: Any, node: Any, module: str, name: str) -> str | None:
    meta = node.meta
    while meta != ffi.NULL:
        if _str(meta.name) == name and _str(meta.annotation.module.name) == module:
            return _str(lib.lyd_value_get_canonical(ctx.cdata, ffi.addressof(meta.value)))
        meta = meta.next
    return None


def _is_key(node: Any) -> bool:
    return bool(node.schema.flags & lib.LYS_KEY)


def _is_term(node: Any) -> bool:
    return bool(node.schema.nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST | lib.LYS_ANYDATA))


# -- edit-config -----------------------------------------------------------------------


def _operation(ctx: Any, node: Any) -> EditOp | None:
    value = _meta(ctx, node, "ietf-netconf", "operation")
    if value is None:
        return None
    try:
        return EditOp(value)
    except ValueError:
        raise ValidationFailed(
            [
                Problem(
                    f"unknown operation {value!r}",
                    data_path(node),
                    error_type=ErrorType.protocol,
                    error_tag=ErrorTag.bad_attribute,
                )
            ]
        ) from None


def _with_ops(ctx: Any, first: Any) -> set[int]:
    """Addresses of edit nodes that have a descendant with its own operation."""
    marked: set[int] = set()

    def visit(node: Any) -> bool:
        below = False
        for child in _children(node):
            if visit(child) or _operation(ctx, child) is not None:
                below = True
        if below:
            marked.add(int(ffi.cast("uintptr_t", node)))
        return below

    for top in _siblings(first):
        visit(top)
    return marked


class _Editor:
    def __init__(self, target: Tree, nested: set[int], continue_on_error: bool) -> None:
        self.target = target
        self.nested = nested
        self.continue_on_error = continue_on_error
        self.problems: list[Problem] = []

    def fail(self, tag: ErrorTag, message: str, node: Any) -> None:
        problem = Problem(message, data_path(node), error_type=ErrorType.application, error_tag=tag)
        if not self.continue_on_error:
            raise ValidationFailed([problem])
        self.problems.append(problem)

    def insert(self, node: Any, recursive: bool) -> None:
        flags = lib.LYD_DUP_NO_META | lib.LYD_DUP_WITH_PARENTS
        if recursive:
            flags |= lib.LYD_DUP_RECURSIVE
        dup = ffi.new("struct lyd_node **")
        if lib.lyd_dup_single(node, ffi.NULL, flags, dup) != lib.LY_SUCCESS:
            raise ValidationFailed(take_errors(self.target.ctx) or [Problem("cannot copy")])
        top = dup[0]
        while _parent(top) != ffi.NULL:
            top = _parent(top)
        self.target.merge(top)

    def apply(self, node: Any, inherited: EditOp) -> None:
        op = _operation(self.target.ctx, node) or inherited
        path = data_path(node)
        match = self.target.find(path)
        if op is EditOp.delete:
            if match == ffi.NULL:
                self.fail(ErrorTag.data_missing, "delete: there is no such node", node)
            else:
                self.target.remove(match)
            return
        if op is EditOp.remove:
            if match != ffi.NULL:
                self.target.remove(match)
            return
        if op is EditOp.create and match != ffi.NULL:
            self.fail(ErrorTag.data_exists, "create: the node exists already", node)
            return
        if op is EditOp.replace and match != ffi.NULL:
            self.target.remove(match)
        if op is EditOp.none:
            if _is_term(node):
                if match == ffi.NULL and not _is_key(node):
                    self.fail(ErrorTag.data_missing, "no such node (default-operation none)", node)
                return
            self._descend(node, op)
            return
        nested = int(ffi.cast("uintptr_t", node)) in self.nested
        if not nested or _is_term(node):
            self.insert(node, recursive=True)
            return
        # Make this level exist (a list entry gets its keys), then the children.
        self.insert(node, recursive=False)
        self._descend(node, op)

    def _descend(self, node: Any, op: EditOp) -> None:
        for child in _children(node):
            if _is_key(child):
                continue
            self.apply(child, op)


def apply_edit(
    validator: Validator,
    target_json: str | None,
    config_xml: bytes,
    default_operation: EditOp = EditOp.merge,
    *,
    continue_on_error: bool = False,
) -> tuple[str, list[Problem]]:
    """The target after the edit, as JSON, and the problems (continue-on-error only).

    Raises :class:`ValidationFailed` on the first problem otherwise, with
    the target unchanged (the edit works on a copy).
    """
    ctx = validator.context
    with validator.lock, parse(ctx, config_xml, lib.LYD_XML) as edit:
        replace_all = default_operation is EditOp.replace
        with Tree(ctx) if replace_all else from_json(ctx, target_json) as target:
            editor = _Editor(target, _with_ops(ctx, edit.first), continue_on_error)
            for top in _siblings(edit.first):
                editor.apply(top, default_operation)
            return target.json(), editor.problems


# -- diffs -----------------------------------------------------------------------------


def changes(validator: Validator, old_json: str | None, new_json: str | None) -> list[EditChange]:
    """Nodes created, updated or deleted from *old_json* to *new_json*.

    Unlike :meth:`DataTree.diff`, which names the top-most node of a change,
    every node of a created or deleted subtree is listed (NACM checks each).
    """
    ctx = validator.context
    with validator.lock, from_json(ctx, old_json) as old, from_json(ctx, new_json) as new:
        diff = ffi.new("struct lyd_node **")
        if lib.lyd_diff_siblings(old.first, new.first, 0, diff) != lib.LY_SUCCESS:
            raise ValidationFailed(take_errors(ctx) or [Problem("cannot diff")])
        with Tree(ctx, diff[0]) as d:
            out: list[EditChange] = []
            for top in _siblings(d.first):
                _collect(ctx, top, None, out)
            return out


_DIFF_OPS = {"create": "create", "delete": "delete", "replace": "update"}


def _collect(ctx: Any, node: Any, inherited: str | None, out: list[EditChange]) -> None:
    op = _meta(ctx, node, "yang", "operation") or inherited
    if op in _DIFF_OPS and not _is_key(node):
        out.append(EditChange(data_path(node), schema_path(node), _DIFF_OPS[op]))
    for child in _children(node):
        _collect(ctx, child, op if op in ("create", "delete") else None, out)
