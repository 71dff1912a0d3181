"""Changing the stored intent: read files, merge them over running, validate, diff, commit.

This is the path of every change made from files (``micronf apply``,
``rollback``): the new *full* intent is built, validated as a whole by the one
validator, compared with the running revision, and only then written as one
revision. NETCONF edits arrive as whole datastores instead of files: they are
validated by the same :class:`~micronf.yang.Validator` and written with the
same optimistic parent check by :mod:`micronf.controller.datastores`. An invalid result stores
nothing. Beyond that one validation, a change costs its size: the running
intent is taken from the store's cache as entries, only the changed entries
are passed through libyang alone (to store them as libyang prints them) and
diffed, and the store compares, digests and serialises only those.

A file adds or replaces whole entries (chains, VNF templates, uNF
descriptors) of the running intent; with ``replace=True`` the files are the
whole intent. A YANG XML file may be wrapped in NETCONF ``<config>`` (what an
OSS system sends in ``<edit-config>``), and its entries may carry an
``nc:operation`` attribute: ``merge``, ``replace`` (the default), ``create``
(the entry must not exist), ``delete`` (it must exist) or ``remove``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from micronf.tosca import translate_file
from micronf.yang import (
    Change,
    DataTree,
    ErrorTag,
    Problem,
    ValidatedIntent,
    ValidationFailed,
    Validator,
)
from micronf.yang import budgets as budgets_mod
from micronf.yang.inputs import limit_of, read_regular_file
from micronf.yang.locate import Locator
from micronf.yang.validate import cap_problems, check_text

from .store import Revision, Store, document

NETCONF_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
Operation = Literal["merge", "replace", "create", "delete", "remove"]
_OPERATIONS = ("merge", "replace", "create", "delete", "remove")


@dataclass
class IntentFile:
    """One input file read into RFC 7951 JSON, not yet validated."""

    source: str
    data: dict[str, Any]
    raw: bytes | None = None  # YANG XML/JSON text, to locate problems by line
    fmt: str = "json"
    #: entry id -> operation given with nc:operation (XML in <config> only)
    operations: dict[document.EntryId, Operation] = field(default_factory=dict)
    #: data path of an entry -> operation (for messages)
    op_paths: dict[document.EntryId, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A validated change, ready to commit (or to show, in a dry run)."""

    base: Revision | None
    tree: DataTree
    intent: ValidatedIntent
    changes: list[Change]
    config: str

    @property
    def base_number(self) -> int | None:
        return self.base.number if self.base is not None else None


class IntentService:
    """The stored intent and the one way to change it."""

    def __init__(self, store: Store, validator: Validator) -> None:
        self.store = store
        self.validator = validator
        # the last plan and the entries it was made of, for commit()
        self._planned: tuple[Plan, document.Entries] | None = None

    # ---------------------------------------------------------------------- reading

    def read(
        self,
        path: Path,
        fmt: str,
        max_bytes: int | None = None,
        budgets: Mapping[str, int] | None = None,
    ) -> IntentFile:
        """Read one file (format ``tosca``, ``xml`` or ``json``) into unvalidated data.

        ``budgets`` override the parse-cost budgets of :mod:`micronf.yang.budgets`.
        """
        source = str(path)
        limit = limit_of(max_bytes)
        try:
            if fmt == "tosca":
                return IntentFile(source, translate_file(path, max_bytes=limit, budgets=budgets))
            raw = check_text(read_regular_file(path, limit))
            # The same linear pre-pass as `micronf validate`: list sizes,
            # namespace declarations, duplicates, before libyang sees the text.
            budgets_mod.check(raw, fmt, budgets)
            operations: dict[document.EntryId, Operation] = {}
            if fmt == "xml":
                raw, ops = _unwrap_config(raw)
                tree = self.validator.parse(raw, "xml") if raw.strip() else self.validator.empty()
                data = tree.to_dict()
                operations, op_paths = self._entry_operations(data, ops)
                return IntentFile(source, data, raw, "xml", operations, op_paths)
            data = self.validator.parse(raw, "json").to_dict()
            return IntentFile(source, data, raw, "json")
        except ValidationFailed as failed:
            problems = failed.problems
            if fmt != "tosca":
                problems = _add_lines(problems, raw if "raw" in locals() else b"", fmt)
            raise ValidationFailed(cap_problems(problems)).located(source) from None

    def _entry_operations(
        self, data: dict[str, Any], ops: list[tuple[str, str, dict[str, str], str]]
    ) -> tuple[dict[document.EntryId, Operation], dict[document.EntryId, str]]:
        """Map the nc:operation attributes found in XML onto entry ids."""
        keys = self.validator.list_keys()
        out: dict[document.EntryId, Operation] = {}
        paths: dict[document.EntryId, str] = {}
        modules = {top.split(":", 1)[1]: top for top in data}
        for container, member, key_values, op in ops:
            top = modules.get(container)
            spec = keys.get(f"{top}/{member}") if top else None
            if top is None or spec is None:
                raise ValidationFailed(
                    [
                        Problem(
                            f"nc:operation is supported on chains, templates and descriptors "
                            f"(entries of a top-level list), not on {container}/{member}",
                            error_tag=ErrorTag.bad_attribute,
                            app_tag="micronf-unsupported-operation",
                        )
                    ]
                )
            key = json.dumps([key_values.get(k) for k in spec], separators=(",", ":"))
            out[(top, member, key)] = op  # type: ignore[assignment]
            preds = "".join(f"[{k}='{key_values.get(k)}']" for k in spec)
            paths[(top, member, key)] = f"/{top}/{member}{preds}"
        return out, paths

    def running(self) -> tuple[Revision | None, dict[str, Any]]:
        head = self.store.head()
        return head, (head.data if head is not None else {})

    # ------------------------------------------------------------------- planning

    def plan(self, files: Sequence[IntentFile], *, replace: bool = False) -> Plan:
        """Merge *files* over the running intent (or replace it), validate, diff."""
        base = self.store.head()
        running = self._entries_of(base)
        keys = self.validator.list_keys()
        entries: document.Entries = {} if replace else dict(running)
        for f in files:
            for eid, value in document.split(f.data, keys).items():
                op = f.operations.get(eid, "replace")
                if op == "create" and eid in entries:
                    raise ValidationFailed(
                        [
                            Problem(
                                "nc:operation create: the entry exists already",
                                path=f.op_paths.get(eid),
                                error_tag=ErrorTag.data_exists,
                                app_tag="micronf-data-exists",
                            ).located(f.source)
                        ]
                    )
                if op == "delete" and eid not in entries:
                    raise ValidationFailed(
                        [
                            Problem(
                                "nc:operation delete: there is no such entry to delete",
                                path=f.op_paths.get(eid),
                                error_tag=ErrorTag.data_missing,
                                app_tag="micronf-data-missing",
                            ).located(f.source)
                        ]
                    )
                if op in ("delete", "remove"):
                    entries.pop(eid, None)
                elif op == "merge" and eid in entries:
                    entries[eid] = self._merge_entry(eid, entries[eid], value)
                else:
                    entries[eid] = value
        return self._plan_entries(base, running, entries, files)

    def plan_config(self, base: Revision | None, config: dict[str, Any]) -> Plan:
        """A plan whose result is exactly *config* (a rollback, a NETCONF commit)."""
        new = document.split(config, self.validator.list_keys())
        return self._plan_entries(base, self._entries_of(base), new, ())

    def _entries_of(self, base: Revision | None) -> Mapping[document.EntryId, Any]:
        return self.store.entries(base.number, base.digest) if base is not None else {}

    def _merge_entry(self, eid: document.EntryId, old: Any, new: Any) -> Any:
        top, member, _key = eid
        a = self.validator.from_dict({top: {member: [old]}})
        a.merge(self.validator.from_dict({top: {member: [new]}}))
        merged: Any = a.to_dict()[top][member][0]
        return merged

    def _plan_entries(
        self,
        base: Revision | None,
        old: Mapping[document.EntryId, Any],
        new: document.Entries,
        files: Sequence[IntentFile],
    ) -> Plan:
        """Validate the configuration *new* (entries) and diff it against *old*, the base's.

        Costs one validation plus the size of the change: the entries *new*
        shares with the base (the same objects) are neither parsed to compare
        nor serialised again, and only the changed entries are diffed.
        """
        keys = self.validator.list_keys()
        new = document.in_stored_order(old, self._canonical(old, new, keys))
        config = self.store.config_text(new)
        tree = self.validator.parse(config, "json") if new else self.validator.empty()
        try:
            intent = (
                replace(self.validator.validate(tree), user_json=config)
                if not tree.empty
                else ValidatedIntent(data={}, user_json="{}")
            )
        except ValidationFailed as failed:
            raise ValidationFailed(_locate(cap_problems(failed.problems), files, base)) from None
        plan = Plan(base, tree, intent, self._diff(old, new), config)
        self._planned = (plan, new)
        return plan

    def _canonical(
        self,
        old: Mapping[document.EntryId, Any],
        new: document.Entries,
        keys: Mapping[str, tuple[str, ...]],
    ) -> document.Entries:
        """*new* with its changed entries as libyang prints them (what the store keeps).

        Entries taken from the base are canonical already; the others (from
        files, TOSCA, NETCONF) go through libyang once, alone.
        """
        changed = set(document.changed(old, new))
        if not changed:
            return new
        small = self.validator.from_dict(
            document.join({eid: v for eid, v in new.items() if eid in changed})
        )
        canon = document.split(small.to_dict(), keys)
        out: document.Entries = {}
        for eid, value in new.items():
            if eid not in canon and eid in changed:
                continue  # nothing libyang keeps (e.g. an empty container)
            out[eid] = canon.get(eid, value) if eid in changed else value
        for eid, value in canon.items():
            out.setdefault(eid, value)
        return out

    def _diff(self, old: Mapping[document.EntryId, Any], new: document.Entries) -> list[Change]:
        """What :meth:`DataTree.diff` of the whole old and new trees gives, from the changed
        entries only.

        Both small trees hold the entries that changed, were added or removed,
        plus one unchanged entry of every top-level container present before and
        after, so that libyang reports changes inside a kept container exactly as
        it would for the whole trees (and a container created or deleted as a
        whole, too).
        """
        changed = set(document.changed(old, new))
        removed = {eid for eid in old if eid not in new}
        if not changed and not removed:
            return []
        anchors: dict[str, document.EntryId] = {}
        tops_after = {eid[0] for eid in new}
        for eid in old:
            if eid[0] in tops_after and eid[0] not in anchors and eid in new and eid not in changed:
                anchors[eid[0]] = eid
        keep = changed | removed | set(anchors.values())
        before = {eid: v for eid, v in old.items() if eid in keep}
        after = {eid: v for eid, v in new.items() if eid in keep}
        a = self.validator.from_dict(document.join(before)) if before else self.validator.empty()
        b = self.validator.from_dict(document.join(after)) if after else self.validator.empty()
        return a.diff(b)

    # ---------------------------------------------------------------------- writing

    def commit(
        self,
        plan: Plan,
        *,
        author: str,
        channel: str,
        label: str | None = None,
        comment: str | None = None,
    ) -> Revision:
        """Write the plan as a new revision whose parent is the plan's base."""
        planned = self._planned
        if planned is not None and planned[0] is plan:
            # the entries the plan was made of: unchanged ones are the base's own
            # objects, so the store compares, digests and serialises the change only
            return self.store.commit_entries(
                planned[1],
                parent=plan.base_number,
                author=author,
                channel=channel,
                label=label,
                comment=comment,
            )
        return self.store.commit(
            plan.config,
            parent=plan.base_number,
            author=author,
            channel=channel,
            label=label,
            comment=comment,
        )

    def rollback_plan(self, number: int) -> Plan:
        """A plan whose result equals revision *number*."""
        target = self.store.revision(number)
        new = dict(self.store.entries(number, target.digest))
        base = self.store.head()
        return self._plan_entries(base, self._entries_of(base), new, ())


def default_author() -> str:
    """Who commits from this shell: ``MICRONF_AUTHOR``, else the login name."""
    import getpass

    return os.environ.get("MICRONF_AUTHOR") or getpass.getuser()


def _unwrap_config(raw: bytes) -> tuple[bytes, list[tuple[str, str, dict[str, str], str]]]:
    """Strip a NETCONF ``<config>`` wrapper and collect ``nc:operation`` attributes.

    Returns the XML of the wrapped data (several top-level elements, as
    libyang reads them) and, per attribute, (container, list, key values,
    operation) of the entry it is on. Parsing is safe against entity tricks:
    no DTD, no entity resolution, no network.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return raw, []  # libyang reports the syntax error with its line
    attr = f"{{{NETCONF_NS}}}operation"
    ops: list[tuple[str, str, dict[str, str], str]] = []
    tops = list(root) if root.tag == f"{{{NETCONF_NS}}}config" else [root]
    if root.tag != f"{{{NETCONF_NS}}}config" and not any(
        attr in el.attrib for el in root.iter() if isinstance(el.tag, str)
    ):
        return raw, []
    for top in tops:
        if not isinstance(top.tag, str):
            continue
        for el in top.iter():
            if not isinstance(el.tag, str) or attr not in el.attrib:
                continue
            op = el.attrib.pop(attr)
            if op not in _OPERATIONS:
                raise ValidationFailed(
                    [
                        Problem(
                            f"nc:operation {op!r} is not one of {', '.join(_OPERATIONS)}",
                            error_tag=ErrorTag.bad_attribute,
                            app_tag="micronf-bad-operation",
                            line=el.sourceline,
                        )
                    ]
                )
            parent = el.getparent()
            if parent is not top:
                raise ValidationFailed(
                    [
                        Problem(
                            "nc:operation is supported on chains, templates and descriptors "
                            "(entries of a top-level list) only",
                            error_tag=ErrorTag.bad_attribute,
                            app_tag="micronf-unsupported-operation",
                            line=el.sourceline,
                        )
                    ]
                )
            keys = {
                etree.QName(child).localname: (child.text or "").strip()
                for child in el
                if isinstance(child.tag, str)
            }
            ops.append((etree.QName(top).localname, etree.QName(el).localname, keys, op))
    parts = [etree.tostring(top) for top in tops if isinstance(top.tag, str)]
    return b"".join(parts), ops


def _add_lines(problems: list[Problem], raw: bytes, fmt: str) -> list[Problem]:
    if not raw:
        return problems
    locator = Locator(raw, fmt)
    return [
        p.located(line=locator.line(p.path)) if p.line is None and p.path else p for p in problems
    ]


def _locate(
    problems: list[Problem], files: Sequence[IntentFile], base: Revision | None
) -> list[Problem]:
    """Point each problem at the file (and line) that holds its node, else at running."""
    located = []
    locators = [(f, Locator(f.raw, f.fmt)) for f in files if f.raw]
    for p in problems:
        path = p.path
        if p.source is None and path:
            for f, loc in locators:
                line = loc.line(path)
                if line is not None:
                    p = p.located(f.source, line)
                    break
            else:
                owner = next((f for f in files if _holds(f.data, path)), None)
                if owner is not None:
                    p = p.located(owner.source)
                elif base is not None:
                    p = p.located(f"running (revision {base.number})")
        elif p.source is None and len(files) == 1:
            p = p.located(files[0].source)
        located.append(p)
    return located


def _holds(data: dict[str, Any], path: str) -> bool:
    """Does a file's data hold the top-level entry a data path points into?"""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[0] not in data:
        return False
    body = data[parts[0]]
    name = parts[1].split("[", 1)[0]
    if not isinstance(body, dict) or name not in body:
        return False
    if "[" not in parts[1]:
        return True
    wanted = parts[1].split("[", 1)[1]
    entries = body[name] if isinstance(body[name], list) else []
    return any(
        all(f"{k}='{v}'" in wanted for k, v in e.items() if isinstance(v, str) and k in wanted)
        and any(f"='{v}'" in wanted for v in e.values() if isinstance(v, str))
        for e in entries
        if isinstance(e, dict)
    )
