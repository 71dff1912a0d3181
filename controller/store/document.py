"""An intent as a set of entries, and the deltas between two of them.

The store keeps a configuration (RFC 7951 JSON of the user's intent) as
*entries*: each element of a list directly under a top-level container
(a chain, a VNF template, a uNF descriptor...) is one entry, identified by
its list and key values; any other member of a top-level container is one
entry too. A revision stores either a snapshot (every entry) or a delta
(entries set and entries removed since its parent), so that its size grows
with the size of the change, not of the whole intent.

Pure functions on JSON values; no SQL here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: (top-level member, container member, key values as JSON text or None)
EntryId = tuple[str, str, str | None]
Entries = dict[EntryId, Any]


def split(config: Mapping[str, Any], list_keys: Mapping[str, tuple[str, ...]]) -> Entries:
    """The entries of a configuration, in document order.

    *list_keys* maps ``module:container/list`` to the list's key leaf names
    (:meth:`micronf.yang.Validator.list_keys`).
    """
    entries: Entries = {}
    for top, body in config.items():
        if not isinstance(body, dict):
            entries[(top, "", None)] = body
            continue
        for member, value in body.items():
            keys = list_keys.get(f"{top}/{member}")
            if keys and isinstance(value, list) and all(isinstance(e, dict) for e in value):
                for item in value:
                    key = json.dumps([item.get(k) for k in keys], separators=(",", ":"))
                    entries[(top, member, key)] = item
            else:
                entries[(top, member, None)] = value
    return entries


def join(entries: Entries) -> dict[str, Any]:
    """The configuration the entries make up (inverse of :func:`split`)."""
    config: dict[str, Any] = {}
    for (top, member, key), value in entries.items():
        if member == "":
            config[top] = value
            continue
        body = config.setdefault(top, {})
        if key is None:
            body[member] = value
        else:
            body.setdefault(member, []).append(value)
    return config


def digest(entries: Entries) -> str:
    """A digest of the content, independent of entry order."""
    h = hashlib.sha256()
    for eid in sorted(entries, key=_sort_key):
        h.update(json.dumps([list(map(str, eid)), entries[eid]], sort_keys=True).encode())
    return h.hexdigest()


def _sort_key(eid: EntryId) -> tuple[str, str, str]:
    return (eid[0], eid[1], eid[2] or "")


def delta(old: Entries, new: Entries) -> dict[str, Any]:
    """What turns *old* into *new*: entries set (new or changed) and removed."""
    return {
        "set": [[*eid, value] for eid, value in new.items() if old.get(eid, _MISSING) != value],
        "del": [list(eid) for eid in old if eid not in new],
    }


def apply(base: Entries, change: Mapping[str, Any]) -> Entries:
    """*base* with *change* (from :func:`delta`) applied; *base* is not modified."""
    out = dict(base)
    for top, member, key in change.get("del", []):
        out.pop((top, member, key), None)
    for top, member, key, value in change.get("set", []):
        out[(top, member, key)] = value
    return out


def snapshot(entries: Entries) -> dict[str, Any]:
    return {"entries": [[*eid, value] for eid, value in entries.items()]}


def from_snapshot(data: Mapping[str, Any]) -> Entries:
    return {(t, m, k): v for t, m, k, v in data.get("entries", [])}


_MISSING = object()
