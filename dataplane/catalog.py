"""The built-in uNF descriptors of the catalog, generated from the C registry.

``dataplane/processors/registry.c`` is the single source of truth for what
each built-in packet processor is (class, role, access per layer, drops,
labels, cost, counters, parameters). This module renders it as the
``unf-descriptor`` list of ``yang/catalog/builtin.json`` (RFC 7951 JSON of
the micronf-catalog module), leaving the file's VNF templates as they are::

    python -m micronf.dataplane.catalog yang/catalog/builtin.json          # rewrite
    python -m micronf.dataplane.catalog --check yang/catalog/builtin.json  # exit 1 if stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._unf import ffi, lib

LAYERS = ("l2-header", "l3-header", "l4-header", "payload")
ACCESS = ("nop", "read-only", "read-write")
ROOT = "micronf-catalog:catalog"


def _s(p: Any) -> str:
    return "" if p == ffi.NULL else str(ffi.string(p).decode())


def _list(arr: Any, n: int | None = None) -> list[str]:
    """A counted array, or a NULL-terminated one when n is None."""
    if arr == ffi.NULL:
        return []
    out, i = [], 0
    while (n is None and arr[i] != ffi.NULL) or (n is not None and i < n):
        out.append(_s(arr[i]))
        i += 1
    return out


def _parameter(p: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"name": _s(p.name), "type": _s(p.type)}
    if p.mandatory:
        d["mandatory"] = True
    if p.multi:
        d["multi-valued"] = True
    if allowed := _list(p.allowed):
        d["allowed-value"] = allowed
    if default := _list(p.dflt):
        d["default"] = default
    d["description"] = _s(p.help)
    return d


def descriptor(d: Any) -> dict[str, Any]:
    """One C descriptor as a catalog ``unf-descriptor`` entry."""
    out: dict[str, Any] = {"class": _s(d.unf_class), "description": _s(d.help)}
    if d.role != ffi.NULL:
        out["role"] = _s(d.role)
    out["stateful"] = bool(d.stateful)
    out["can-scale"] = bool(d.can_scale)
    access = {LAYERS[i]: ACCESS[d.access[i]] for i in range(4) if d.access[i]}
    if access:
        out["access"] = access
    if d.may_drop:
        out["may-drop"] = True
    if d.n_labels:
        out["result-label"] = _list(d.labels, d.n_labels)
    out["cost"] = int(d.cost)
    if d.n_counters:
        out["counter"] = _list(d.counter_names, d.n_counters)
    if d.n_params:
        out["parameter"] = [_parameter(d.params[i]) for i in range(d.n_params)]
    return out


def descriptors() -> list[dict[str, Any]]:
    """Every registry descriptor, in registry order."""
    n = lib.unf_harness_registry_size()
    return [descriptor(lib.unf_harness_registry_at(i)) for i in range(n)]


def render(current: dict[str, Any]) -> str:
    """``current`` (a builtin.json document) with its descriptors replaced by the registry's."""
    doc = dict(current)
    catalog = dict(doc.get(ROOT, {}))
    templates = catalog.pop("vnf-template", None)
    catalog = {"unf-descriptor": descriptors()}
    if templates is not None:
        catalog["vnf-template"] = templates
    doc[ROOT] = catalog
    return json.dumps(doc, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m micronf.dataplane.catalog", description=__doc__)
    ap.add_argument("path", type=Path, help="the catalog file (yang/catalog/builtin.json)")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when it differs")
    args = ap.parse_args(argv)
    try:
        text = args.path.read_text()
        new = render(json.loads(text))
    except (OSError, ValueError) as exc:
        print(f"{args.path}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if new != text:
            print(
                f"{args.path}: the built-in descriptors differ from the C registry; run "
                f"python -m micronf.dataplane.catalog {args.path}",
                file=sys.stderr,
            )
            return 1
        return 0
    args.path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
