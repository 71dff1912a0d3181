"""What the NETCONF server needs to know of the schema, without touching data.

Module names and namespaces (for ``error-path`` prefixes and for dispatch),
the module files served by ``<get-schema>`` (RFC 6022), the module
capabilities of the hello, the YANG library (RFC 8525) as libyang builds it,
and the schema nodes that carry the NACM extensions ``default-deny-write``
and ``default-deny-all`` (RFC 8341 section 3.2.6), and list keys. Everything
comes from one validator's libyang context, computed once per
:class:`Schema`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import libyang
from _libyang import ffi, lib

from .validator import Validator

NACM_MODULE = "ietf-netconf-acm"


@dataclass(frozen=True)
class ModuleInfo:
    """One YANG module of the context: what a hello and get-schema tell of it."""

    name: str
    revision: str | None
    namespace: str
    implemented: bool
    features: tuple[str, ...]
    path: Path | None

    @property
    def capability(self) -> str:
        """The RFC 6020 module capability URI of the hello."""
        uri = f"{self.namespace}?module={self.name}"
        if self.revision:
            uri += f"&revision={self.revision}"
        if self.features:
            uri += "&features=" + ",".join(self.features)
        return uri


def _modules(ctx: libyang.Context) -> list[ModuleInfo]:
    out = []
    idx = ffi.new("uint32_t *", 0)
    while True:
        mod = lib.ly_ctx_get_module_iter(ctx.cdata, idx)
        if mod == ffi.NULL:
            break
        wrapped = libyang.Module(ctx, mod)
        revision = ffi.string(mod.revision).decode() if mod.revision != ffi.NULL else None
        filepath = ffi.string(mod.filepath).decode() if mod.filepath != ffi.NULL else None
        features = tuple(f.name() for f in wrapped.features() if wrapped.feature_state(f.name()))
        out.append(
            ModuleInfo(
                name=ffi.string(mod.name).decode(),
                revision=revision,
                namespace=ffi.string(mod.ns).decode(),
                implemented=bool(mod.implemented),
                features=features,
                path=Path(filepath) if filepath else None,
            )
        )
    return out


class Schema:
    """Schema facts of one validator's context, each computed on first use."""

    def __init__(self, validator: Validator) -> None:
        self.validator = validator

    @functools.cached_property
    def modules(self) -> tuple[ModuleInfo, ...]:
        """Every module of the context, in load order."""
        with self.validator.lock:
            return tuple(_modules(self.validator.context))

    @functools.cached_property
    def module_namespaces(self) -> dict[str, str]:
        """Module name -> XML namespace."""
        return {m.name: m.namespace for m in self.modules}

    @functools.cached_property
    def namespace_modules(self) -> dict[str, str]:
        """XML namespace -> module name."""
        return {m.namespace: m.name for m in self.modules}

    def schema_source(self, name: str, revision: str | None = None) -> str | None:
        """The YANG text of module *name* (at *revision*, when given), or None."""
        for m in self.modules:
            if m.name != name or (revision and m.revision != revision):
                continue
            if m.path is not None and m.path.is_file():
                return m.path.read_text(encoding="utf-8")
            # Modules built into libyang have no file: libyang prints them.
            with self.validator.lock:
                mod = self.validator.context.get_module(name)
                return str(mod.print_mem("yang"))
        return None

    def yang_library_xml(self) -> str:
        """The ``ietf-yang-library`` state data (RFC 8525) of the context, as XML."""
        ctx = self.validator.context
        with self.validator.lock:
            tree = ffi.new("struct lyd_node **")
            if lib.ly_ctx_get_yanglib_data(ctx.cdata, tree, b"%u", ffi.cast("uint32_t", 1)):
                raise RuntimeError("libyang could not build the YANG library")
            out = ffi.new("char **")
            try:
                lib.lyd_print_mem(out, tree[0], lib.LYD_XML, lib.LYD_PRINT_WITHSIBLINGS)
                return ffi.string(out[0]).decode() if out[0] != ffi.NULL else ""
            finally:
                if out[0] != ffi.NULL:
                    lib.free(out[0])
                lib.lyd_free_all(tree[0])

    @functools.cached_property
    def nacm_default_deny(self) -> dict[str, str]:
        """Schema path -> ``"write"`` or ``"all"`` for nodes with a NACM extension.

        Paths are in RFC 7951 form (module prefix where it changes); an RPC's
        path is ``/module:rpc``. Descendants inherit their ancestor's mark.
        """
        out: dict[str, str] = {}
        with self.validator.lock:
            for m in self.modules:
                if m.implemented:
                    for node in self.validator.context.get_module(m.name).children():
                        _walk(node, out, None)
        return out

    @functools.cached_property
    def list_keys(self) -> dict[tuple[str, ...], frozenset[str]]:
        """Local-name path of each list (``("chains", "chain")``) -> its key leaves."""
        out: dict[tuple[str, ...], frozenset[str]] = {}
        with self.validator.lock:
            for m in self.modules:
                if m.implemented:
                    for node in self.validator.context.get_module(m.name).children():
                        _keys_walk(node, (), out)
        return out


def _walk(node: libyang.SNode, out: dict[str, str], inherited: str | None) -> None:
    mark = inherited
    for ext in node.extensions():
        if ext.module().name() == NACM_MODULE and ext.name() in (
            "default-deny-write",
            "default-deny-all",
        ):
            mark = "all" if ext.name() == "default-deny-all" else (mark or "write")
    if mark and mark != inherited:
        out[_schema_path(node)] = mark
    if isinstance(node, libyang.SContainer | libyang.SList | libyang.SRpc):
        for child in node.children():
            _walk(child, out, mark)


def _schema_path(node: libyang.SNode) -> str:
    """``/module:a/b/c``: the prefix only where the module changes, like RFC 7951."""
    parts = []
    cur = node.cdata
    while cur != ffi.NULL:
        name = ffi.string(cur.name).decode()
        module = ffi.string(cur.module.name).decode()
        parent = cur.parent
        while parent != ffi.NULL and parent.nodetype in (lib.LYS_CHOICE, lib.LYS_CASE):
            parent = parent.parent
        if parent == ffi.NULL or ffi.string(parent.module.name).decode() != module:
            name = f"{module}:{name}"
        if cur.nodetype not in (lib.LYS_CHOICE, lib.LYS_CASE, lib.LYS_INPUT, lib.LYS_OUTPUT):
            parts.append(name)
        cur = cur.parent
    return "/" + "/".join(reversed(parts))


def _keys_walk(
    node: libyang.SNode, prefix: tuple[str, ...], out: dict[tuple[str, ...], frozenset[str]]
) -> None:
    path = (*prefix, node.name())
    if isinstance(node, libyang.SList):
        out[path] = frozenset(k.name() for k in node.keys())  # noqa: SIM118 (key leaves)
    if isinstance(node, libyang.SContainer | libyang.SList):
        for child in node.children():
            _keys_walk(child, path, out)
