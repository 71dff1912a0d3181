"""The libyang context: micronf's YANG modules (one context per validator).

libyang is the only validator of micronf. This module owns the context and
turns libyang's stored errors into :class:`~micronf.yang.errors.Problem`
values that carry the data path, the line (where the parser knows it) and
the ``error-app-tag``. Python's libyang wrapper folds errors into an
exception string without the app-tag, so we read libyang's error list
ourselves right after each call.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

import libyang
from _libyang import ffi, lib

from .errors import Problem

#: Modules micronf implements, in load order.
MODULES = (
    "micronf-types",
    "micronf-catalog",
    "micronf-graph",
    "micronf-sfc",
    "micronf-agent",
)
#: IETF modules the NETCONF server needs in the same context: ``nc:operation``
#: annotations of edit-config, NACM rules kept in the running configuration,
#: with-defaults' ``wd:default`` annotation, and the state and notifications
#: (RFC 6022 monitoring, RFC 6470 change events) the server reports.
PROTOCOL_MODULES = (
    "ietf-netconf",
    "ietf-netconf-acm",
    "ietf-netconf-with-defaults",
    "ietf-netconf-monitoring",
    "ietf-netconf-notifications",
    "micronf-controller",
)

_LOCATION = re.compile(
    r'^(?:Data|Schema) location "(?P<path>[^"]*)"(?:, line number (?P<line>\d+))?\.?$'
)
_LINE_ONLY = re.compile(r"^Line number (?P<line>\d+)\.?$")


def modules_dir() -> Path:
    """Folder of micronf's YANG modules (IETF modules are in ``ietf/``)."""
    return Path(str(resources.files("micronf.yang").joinpath("modules")))


def builtin_catalog_path() -> Path:
    """The catalog of built-in uNF descriptors and VNF templates."""
    return Path(str(resources.files("micronf.yang").joinpath("catalog", "builtin.json")))


def _enable_error_paths() -> None:
    # With LY_LOLOG set, libyang also stores the data path and line number of
    # every error; the messages themselves go to the (silent) "libyang" logger.
    libyang.configure_logging(True, logging.ERROR)


def new_context() -> libyang.Context:
    """A fresh context with every micronf module loaded."""
    _enable_error_paths()
    search = f"{modules_dir()}:{modules_dir() / 'ietf'}"
    ctx = libyang.Context(search, disable_searchdir_cwd=True)
    for name in MODULES:
        ctx.load_module(name)
    for name in PROTOCOL_MODULES:
        ctx.load_module(name)
    return ctx


def take_errors(ctx: libyang.Context) -> list[Problem]:
    """Every error libyang stored in *ctx*, oldest first; clears them."""
    problems: list[Problem] = []
    item = lib.ly_err_first(ctx.cdata)
    while item:
        message = ffi.string(item.msg).decode(errors="replace") if item.msg else "error"
        raw_path = ffi.string(item.path).decode(errors="replace") if item.path else ""
        app_tag = ffi.string(item.apptag).decode(errors="replace") if item.apptag else None
        path, line = _split_location(raw_path)
        problems.append(Problem(message=message, path=path, app_tag=app_tag, line=line))
        item = item.next
    lib.ly_err_clean(ctx.cdata, ffi.NULL)
    return _dedupe(problems)


def _split_location(raw: str) -> tuple[str | None, int | None]:
    if not raw:
        return None, None
    m = _LOCATION.match(raw.strip())
    if m:
        line = int(m.group("line")) if m.group("line") else None
        return m.group("path") or None, line
    m = _LINE_ONLY.match(raw.strip())
    if m:
        return None, int(m.group("line"))
    return raw, None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        key = (p.message, p.path, p.app_tag, p.line)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
