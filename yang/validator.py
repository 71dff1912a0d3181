"""The one libyang adapter: a validator object with named phases and kept data trees.

A :class:`Validator` loads micronf's YANG modules into its own libyang
context once. It turns input into a :class:`DataTree` (phase ``parse``:
strict, configuration only), and validates a tree in three more named
phases (:class:`Phase`): ``catalog`` (refuse redefinitions of built-in
entries, merge the built-in catalog in), ``yang`` (libyang's validation of
the whole datastore: types, ``must``, ``when``, leafrefs, ``unique``) and
``graph`` (the checks of :mod:`micronf.yang.checks`).

A :class:`DataTree` is a libyang tree kept between calls, so that a
datastore (the intent store, NETCONF's candidate) can copy, merge, diff,
print and re-validate it without a round trip through JSON text. A tree
belongs to the validator that made it and must be used with that one.

libyang contexts are not thread-safe: every call into libyang on a
validator's context holds that validator's lock.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import libyang
from _libyang import ffi, lib

from . import checks
from .context import builtin_catalog_path, new_context, take_errors
from .errors import ErrorTag, Problem, ValidationFailed

Format = Literal["xml", "json"]

_FORMATS = {"xml": lib.LYD_XML, "json": lib.LYD_JSON}
_PARSE_FLAGS = lib.LYD_PARSE_STRICT | lib.LYD_PARSE_NO_STATE | lib.LYD_PARSE_ONLY
_VALIDATE_FLAGS = lib.LYD_VALIDATE_NO_STATE
_PRINT_ALL = lib.LYD_PRINT_WITHSIBLINGS | lib.LYD_PRINT_WD_ALL | lib.LYD_PRINT_SHRINK
_PRINT_USER = lib.LYD_PRINT_WITHSIBLINGS | lib.LYD_PRINT_SHRINK


class Phase(StrEnum):
    """The named phases of validation, in order."""

    parse = "parse"
    catalog = "catalog"
    yang = "yang"
    graph = "graph"


@dataclass(frozen=True)
class ValidatedIntent:
    """Intent data that passed libyang and the graph checks.

    ``data`` is RFC 7951 JSON (as a dict) of the whole datastore, built-in
    catalog included, with default values filled in; ``user_json`` is the
    canonical JSON of what the user supplied, without the built-in catalog,
    which is what the store keeps and what two equivalent inputs share
    (printed only when asked for).
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


@dataclass(frozen=True)
class Change:
    """One difference between two trees, at the top-most node that differs.

    ``op`` is ``create``, ``delete`` or ``replace`` (a leaf's value changed);
    ``path`` is the YANG data path with list keys; ``old`` and ``new`` are
    the leaf values where the node is a leaf.
    """

    op: Literal["create", "delete", "replace"]
    path: str
    old: str | None = None
    new: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"op": self.op, "path": self.path, "old": self.old, "new": self.new}


class DataTree:
    """A kept libyang data tree (all top-level siblings) of one validator.

    An empty tree holds no node. Trees are values to their users: every
    operation that would change a tree returns a new one, except
    :meth:`merge`, which changes this one.
    """

    def __init__(self, validator: Validator, node: Any) -> None:
        self._validator = validator
        self._node = node  # struct lyd_node * (first sibling) or NULL

    def __del__(self) -> None:
        # Never call into libyang from a finaliser: the garbage collector may run
        # it in the middle of another libyang call on the same context (even in
        # the same thread). The tree is freed by the validator's next operation.
        node, self._node = self._node, ffi.NULL
        if node is not None and node != ffi.NULL:
            self._validator._garbage.append(node)

    @property
    def empty(self) -> bool:
        return bool(self._node == ffi.NULL)

    def copy(self) -> DataTree:
        return DataTree(self._validator, self._validator._dup(self._node))

    def merge(self, other: DataTree) -> None:
        """Merge a copy of *other* into this tree (lists by key, leaves replaced)."""
        self._validator._check_owner(other)
        if other.empty:
            return
        with self._validator.lock:
            root = ffi.new("struct lyd_node **", self._node)
            ret = lib.lyd_merge_siblings(root, other._node, 0)
            if ret != lib.LY_SUCCESS:
                raise ValidationFailed(
                    take_errors(self._validator.context) or [Problem("cannot merge the data")]
                )
            self._node = root[0]

    def print(self, fmt: Format = "json", *, defaults: bool = False, pretty: bool = False) -> str:
        """The tree as RFC 7951 JSON or XML text (``{}`` / empty for an empty tree)."""
        if self.empty:
            return "{}" if fmt == "json" else ""
        flags = _PRINT_ALL if defaults else _PRINT_USER
        if pretty:
            flags &= ~lib.LYD_PRINT_SHRINK
        return self._validator._print(self._node, _FORMATS[fmt], flags)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.print("json"))
        return data

    def diff(self, other: DataTree) -> list[Change]:
        """What changes from this tree to *other*, top-most nodes first, in document order."""
        self._validator._check_owner(other)
        return self._validator._diff(self._node, other._node)

    def paths(self) -> Iterator[str]:
        """Data paths of the top-level nodes' children (list entries with their keys)."""
        with self._validator.lock:
            top = self._node
            while top != ffi.NULL:
                child = lib.lyd_child(top)
                while child != ffi.NULL:
                    yield _path(child)
                    child = child.next
                top = top.next


class Validator:
    """micronf's YANG schema, loaded once, and the phases that use it.

    ``builtin_catalog=False`` validates without merging the built-in catalog
    (for data that must stand alone, such as an agent's desired graph).
    """

    def __init__(self, *, builtin_catalog: bool = True) -> None:
        self.lock = threading.RLock()
        self._garbage: list[Any] = []  # trees whose DataTree was finalised
        self.context = new_context()
        self.builtin_catalog = builtin_catalog
        self._builtin_text = builtin_catalog_path().read_bytes() if builtin_catalog else b""
        self._builtin_keys = _builtin_keys(self._builtin_text) if builtin_catalog else None

    # ------------------------------------------------------------------ building trees

    def parse(self, raw: bytes | str, fmt: Format) -> DataTree:
        """Phase ``parse``: strict parse of configuration data (no state, no DTD)."""
        data = raw.encode() if isinstance(raw, str) else raw
        with self.lock:
            self._collect()
            return DataTree(self, self._parse(data, _FORMATS[fmt]))

    def from_dict(self, data: dict[str, Any]) -> DataTree:
        """A tree from RFC 7951 JSON given as a dict."""
        return self.parse(json.dumps(data).encode(), "json")

    def empty(self) -> DataTree:
        return DataTree(self, ffi.NULL)

    # ----------------------------------------------------------------------- validation

    def validate(
        self,
        tree: DataTree,
        *,
        keep_user_json: bool = False,
        timings: dict[str, float] | None = None,
    ) -> ValidatedIntent:
        """Phases ``catalog``, ``yang`` and ``graph`` on a copy of *tree*.

        *timings*, when given, receives the seconds each phase took (keyed by
        :class:`Phase` value), for benchmarks and progress reports.
        """
        self._check_owner(tree)
        if tree.empty:
            raise ValidationFailed(
                [Problem("input holds no data of a micronf module", app_tag="micronf-empty-input")]
            )
        clock = _Clock(timings)
        with self.lock:
            self._collect()
            root = ffi.new("struct lyd_node **", self._dup(tree._node))
            try:
                user_json = (
                    self._print(root[0], lib.LYD_JSON, _PRINT_USER) if keep_user_json else None
                )
                with clock(Phase.catalog):
                    if self.builtin_catalog:
                        redefined = self._redefinitions(root[0])
                        if redefined:
                            raise ValidationFailed(redefined)
                        cat = self._parse(self._builtin_text, lib.LYD_JSON)
                        if lib.lyd_merge_siblings(root, cat, lib.LYD_MERGE_DESTRUCT):
                            raise ValidationFailed(
                                take_errors(self.context) or [Problem("cannot merge catalog")]
                            )
                with clock(Phase.yang):
                    ret = lib.lyd_validate_all(root, self.context.cdata, _VALIDATE_FLAGS, ffi.NULL)
                    if ret != lib.LY_SUCCESS:
                        raise ValidationFailed(
                            _tagged(take_errors(self.context)) or [Problem("validation failed")]
                        )
                    take_errors(self.context)
                    full = json.loads(self._print(root[0], lib.LYD_JSON, _PRINT_ALL))
            finally:
                if root[0] != ffi.NULL:
                    lib.lyd_free_all(root[0])
        with clock(Phase.graph):
            problems = checks.run_all(full)
        if problems:
            raise ValidationFailed(problems)
        return ValidatedIntent(data=full, user_json=user_json)

    def list_keys(self) -> dict[str, tuple[str, ...]]:
        """Key leaf names of every list directly under a top-level container,
        keyed by ``module:container/list`` (as in RFC 7951 member names)."""
        keys: dict[str, tuple[str, ...]] = {}
        with self.lock:
            for module in self.context:
                if not module.implemented():
                    continue
                for top in module:
                    if not isinstance(top, libyang.SContainer):
                        continue
                    for child in top:
                        if isinstance(child, libyang.SList):
                            name = f"{module.name()}:{top.name()}/{child.name()}"
                            key_leaves = child.keys()  # noqa: SIM118 (the list's key leaves)
                            keys[name] = tuple(k.name() for k in key_leaves)
        return keys

    # ---------------------------------------------------------------- libyang helpers

    def _collect(self) -> None:
        """Free the trees of finalised DataTrees (called with the lock held)."""
        while self._garbage:
            lib.lyd_free_all(self._garbage.pop())

    def _check_owner(self, tree: DataTree) -> None:
        if tree._validator is not self:
            raise ValueError("the data tree belongs to another validator")

    def _parse(self, data: bytes, fmt: int) -> Any:
        tree = ffi.new("struct lyd_node **")
        ret = lib.lyd_parse_data_mem(
            self.context.cdata, data, fmt, _PARSE_FLAGS, _VALIDATE_FLAGS, tree
        )
        if ret != lib.LY_SUCCESS:
            problems = _tagged(take_errors(self.context)) or [Problem("cannot parse the input")]
            if tree[0] != ffi.NULL:
                lib.lyd_free_all(tree[0])
            raise ValidationFailed(problems)
        take_errors(self.context)
        return tree[0]

    def _dup(self, node: Any) -> Any:
        if node == ffi.NULL:
            return ffi.NULL
        with self.lock:
            out = ffi.new("struct lyd_node **")
            if lib.lyd_dup_siblings(node, ffi.NULL, lib.LYD_DUP_RECURSIVE, out):
                raise RuntimeError("libyang could not copy a data tree")
            return out[0]

    def _print(self, node: Any, fmt: int, flags: int) -> str:
        with self.lock:
            out = ffi.new("char **")
            ret = lib.lyd_print_mem(out, node, fmt, flags)
            if ret != lib.LY_SUCCESS:
                raise RuntimeError("libyang could not print data")
            if out[0] == ffi.NULL:
                return "{}" if fmt == lib.LYD_JSON else ""
            try:
                return str(ffi.string(out[0]).decode())
            finally:
                lib.free(out[0])

    def _diff(self, first: Any, second: Any) -> list[Change]:
        with self.lock:
            out = ffi.new("struct lyd_node **")
            if lib.lyd_diff_siblings(first, second, 0, out):
                raise RuntimeError("libyang could not compare data trees")
            try:
                changes: list[Change] = []
                _collect_changes(self.context, out[0], changes)
                return changes
            finally:
                if out[0] != ffi.NULL:
                    lib.lyd_free_all(out[0])

    def _redefinitions(self, user: Any) -> list[Problem]:
        """User catalog entries with the key of a built-in one.

        Merging would silently replace (descriptors) or mix node by node
        (templates) the user's entry with the built-in one, so it is refused.
        """
        assert self._builtin_keys is not None
        problems = []
        top = user
        while top != ffi.NULL:
            if _name(top) == "catalog" and _module(top) == "micronf-catalog":
                entry = lib.lyd_child(top)
                while entry != ffi.NULL:
                    name = _name(entry)
                    if name in _REDEFINABLE:
                        keys, kind = _REDEFINABLE[name]
                        values = tuple(_key_value(entry, key) or "" for key in keys)
                        if values in self._builtin_keys[name]:
                            shown = " version ".join(values)
                            predicates = "".join(
                                f"[{k}={checks.quote_key(v)}]"
                                for k, v in zip(keys, values, strict=True)
                            )
                            problems.append(
                                Problem(
                                    f"redefines the built-in {kind} {shown}; choose another "
                                    + ("name" if len(keys) == 1 else "name or version"),
                                    path=f"/micronf-catalog:catalog/{name}{predicates}",
                                    app_tag="micronf-builtin-redefined",
                                    error_tag=ErrorTag.data_exists,
                                )
                            )
                    entry = entry.next
            top = top.next
        return problems


# What a user catalog entry may not redefine: list name -> (keys, kind shown).
# A new version of a built-in template is not a redefinition.
_REDEFINABLE = {
    "unf-descriptor": (("class",), "uNF descriptor"),
    "vnf-template": (("name", "version"), "VNF template"),
}


def _builtin_keys(text: bytes) -> dict[str, frozenset[tuple[str, ...]]]:
    cat = json.loads(text).get("micronf-catalog:catalog", {})
    return {
        list_name: frozenset(tuple(str(entry[k]) for k in keys) for entry in cat.get(list_name, []))
        for list_name, (keys, _kind) in _REDEFINABLE.items()
    }


def _tagged(problems: list[Problem]) -> list[Problem]:
    """RFC 6241 error tags for libyang's errors, by what the message says."""
    out = []
    for p in problems:
        msg = p.message
        tag = ErrorTag.invalid_value
        if msg.startswith(("Invalid leafref value", "Invalid instance-identifier")):
            tag = ErrorTag.data_missing
        elif "Mandatory node" in msg or "is missing its key" in msg:
            tag = ErrorTag.missing_element
        elif msg.startswith(('Node "', "Unknown element", "Unknown XML")) and "not found" in msg:
            tag = ErrorTag.unknown_element
        elif msg.startswith("Duplicate instance"):
            tag = ErrorTag.data_exists
        if tag is not ErrorTag.invalid_value:
            p = Problem(
                message=p.message,
                path=p.path,
                app_tag=p.app_tag,
                source=p.source,
                line=p.line,
                error_type=p.error_type,
                error_tag=tag,
            )
        out.append(p)
    return out


class _Clock:
    """Times named phases into an optional dict."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.name = ""
        self.t0 = 0.0

    def __call__(self, phase: Phase) -> _Clock:
        self.name = phase.value
        return self

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        if self.into is not None:
            self.into[self.name] = time.perf_counter() - self.t0


def _name(node: Any) -> str:
    return ffi.string(node.schema.name).decode() if node.schema != ffi.NULL else ""


def _module(node: Any) -> str:
    return ffi.string(node.schema.module.name).decode() if node.schema != ffi.NULL else ""


def _value(node: Any) -> str | None:
    value = lib.lyd_get_value(node)
    return ffi.string(value).decode() if value != ffi.NULL else None


def _key_value(entry: Any, key: str) -> str | None:
    child = lib.lyd_child(entry)
    while child != ffi.NULL:
        if _name(child) == key:
            return _value(child)
        child = child.next
    return None


def _path(node: Any) -> str:
    raw = lib.lyd_path(node, lib.LYD_PATH_STD, ffi.NULL, 0)
    if raw == ffi.NULL:
        return ""
    try:
        return str(ffi.string(raw).decode())
    finally:
        lib.free(raw)


def _meta(context: Any, node: Any, name: str) -> str | None:
    item = node.meta
    while item != ffi.NULL:
        if ffi.string(item.name).decode() == name:
            value = lib.lyd_value_get_canonical(context.cdata, ffi.addressof(item.value))
            return ffi.string(value).decode() if value != ffi.NULL else None
        item = item.next
    return None


_LEAFY = (lib.LYS_LEAF, lib.LYS_LEAFLIST)


def _collect_changes(context: Any, node: Any, into: list[Change]) -> None:
    """Walk a libyang diff tree: report each created or deleted subtree once, at its
    top, and every replaced leaf; descend through nodes whose operation is ``none``."""
    while node != ffi.NULL:
        op = _meta(context, node, "operation")
        is_leaf = node.schema != ffi.NULL and node.schema.nodetype in _LEAFY
        if op in ("create", "delete") and node.parent == ffi.NULL and not is_leaf:
            # a whole top-level container: report its entries, not the container
            child = lib.lyd_child(node)
            kind: Literal["create", "delete"] = "create" if op == "create" else "delete"
            while child != ffi.NULL:
                into.append(Change(kind, _path(child)))
                child = child.next
        elif op == "create":
            into.append(Change("create", _path(node), new=_value(node) if is_leaf else None))
        elif op == "delete":
            into.append(Change("delete", _path(node), old=_value(node) if is_leaf else None))
        elif op == "replace" and is_leaf:
            old = _meta(context, node, "orig-value")
            if old is not None or node.schema.nodetype == lib.LYS_LEAF:
                into.append(Change("replace", _path(node), old=old, new=_value(node)))
        else:
            _collect_changes(context, lib.lyd_child(node), into)
        node = node.next
