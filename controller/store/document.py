"""An intent as a set of entries, and the deltas between two of them.

The store keeps a configuration (RFC 7951 JSON of the user's intent) as
*entries*: each element of a list directly under a top-level container
(a chain, a VNF template, a uNF descriptor...) is one entry, identified by
its list and key values; any other member of a top-level container is one
entry too. A revision stores either a snapshot (every entry) or a delta
(entries set and entries removed since its parent), so that its size grows
with the size of the change, not of the whole intent.

Pure functions on JSON values, and :class:`Texts`, a memo of each entry's
JSON text that makes the digest and the configuration text of a revision
cost the size of its change rather than of the whole intent; no SQL here.
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
        h.update(_digest_piece(eid, entries[eid]))
    return h.hexdigest()


def _digest_piece(eid: EntryId, value: Any) -> bytes:
    return json.dumps([list(map(str, eid)), value], sort_keys=True).encode()


def dumps(entries: Entries) -> str:
    """The configuration as compact JSON text: ``json.dumps(join(entries))``."""
    return json.dumps(join(entries), separators=(",", ":"))


class Texts:
    """Each entry's JSON text, remembered between revisions.

    Two revisions share most of their entries, so :meth:`digest` and
    :meth:`dumps` give exactly what :func:`digest` and :func:`dumps` do, but
    serialise only the entries not seen before (the same object under the
    same id). Entries are never modified in place by the
    store or its callers; that is what makes identity a valid shortcut.
    """

    def __init__(self) -> None:
        # entry id -> (value, compact JSON text, digest piece)
        self._memo: dict[EntryId, tuple[Any, str, bytes]] = {}

    def _get(self, eid: EntryId, value: Any) -> tuple[Any, str, bytes]:
        hit = self._memo.get(eid)
        # identity, not equality: 1 == 1.0 == True, but their texts differ
        if hit is None or hit[0] is not value:
            text = json.dumps(value, separators=(",", ":"))
            hit = (value, text, _digest_piece(eid, value))
            self._memo[eid] = hit
        return hit

    def digest(self, entries: Entries) -> str:
        return hashlib.sha256(
            b"".join(self._get(eid, entries[eid])[2] for eid in sorted(entries, key=_sort_key))
        ).hexdigest()

    def dumps(self, entries: Entries) -> str:
        # the same text json.dumps gives for join(entries): the same grouping
        # (tops and members in order of first appearance), compact separators
        tops: dict[str, dict[str, list[str] | str] | str] = {}
        for eid, value in entries.items():
            top, member, key = eid
            text = self._get(eid, value)[1]
            if member == "":
                tops[top] = text
                continue
            body = tops.setdefault(top, {})
            assert isinstance(body, dict)
            if key is None:
                body[member] = text
            else:
                items = body.setdefault(member, [])
                assert isinstance(items, list)
                items.append(text)
        parts = []
        for top, body in tops.items():
            if isinstance(body, str):
                parts.append(f"{json.dumps(top)}:{body}")
                continue
            members = [
                f"{json.dumps(m)}:{v if isinstance(v, str) else '[' + ','.join(v) + ']'}"
                for m, v in body.items()
            ]
            parts.append(f"{json.dumps(top)}:{{{','.join(members)}}}")
        return "{" + ",".join(parts) + "}"

    def keep_only(self, entries: Entries) -> None:
        """Forget the texts of entries no longer in *entries* (the latest revision)."""
        if len(self._memo) > len(entries):
            self._memo = {eid: m for eid, m in self._memo.items() if eid in entries}


def _sort_key(eid: EntryId) -> tuple[str, str, str]:
    return (eid[0], eid[1], eid[2] or "")


def changed(old: Mapping[EntryId, Any], new: Mapping[EntryId, Any]) -> list[EntryId]:
    """Ids of the entries of *new* that are not in *old* or differ from it, in order."""
    out = []
    for eid, value in new.items():
        was = old.get(eid, _MISSING)
        # an unchanged entry is usually the very same object: skip comparing it
        if was is not value and was != value:
            out.append(eid)
    return out


def delta(old: Mapping[EntryId, Any], new: Mapping[EntryId, Any]) -> dict[str, Any]:
    """What turns *old* into *new*: entries set (new or changed) and removed."""
    return {
        "set": [[*eid, new[eid]] for eid in changed(old, new)],
        "del": [list(eid) for eid in old if eid not in new],
    }


def apply(base: Mapping[EntryId, Any], change: Mapping[str, Any]) -> Entries:
    """*base* with *change* (from :func:`delta`) applied; *base* is not modified."""
    out = dict(base)
    for top, member, key in change.get("del", []):
        out.pop((top, member, key), None)
    for top, member, key, value in change.get("set", []):
        out[(top, member, key)] = value
    return out


def in_stored_order(old: Mapping[EntryId, Any], new: Mapping[EntryId, Any]) -> Entries:
    """*new* in the order a revision stored as a delta against *old* reads back:
    the entries kept from *old* where they were, the others after them."""
    return apply(old, delta(old, new))


def snapshot(entries: Entries) -> dict[str, Any]:
    return {"entries": [[*eid, value] for eid, value in entries.items()]}


def from_snapshot(data: Mapping[str, Any]) -> Entries:
    return {(t, m, k): v for t, m, k, v in data.get("entries", [])}


_MISSING = object()
