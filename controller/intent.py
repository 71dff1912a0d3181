"""Changing the stored intent: read files, merge them over running, validate, diff, commit.

This is the path every change takes (``micronf apply``, ``rollback``; NETCONF
commits reuse :meth:`IntentService.commit_tree`): the new *full* intent is
built, validated as a whole by the one validator, compared with the running
revision, and only then written as one revision. An invalid result stores
nothing.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
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

    # ---------------------------------------------------------------------- reading

    def read(self, path: Path, fmt: str, max_bytes: int | None = None) -> IntentFile:
        """Read one file (format ``tosca``, ``xml`` or ``json``) into unvalidated data."""
        source = str(path)
        limit = limit_of(max_bytes)
        try:
            if fmt == "tosca":
                return IntentFile(source, translate_file(path, max_bytes=limit))
            raw = check_text(read_regular_file(path, limit))
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
        base, running = self.running()
        keys = self.validator.list_keys()
        entries: document.Entries = {} if replace else document.split(running, keys)
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
        return self._plan_config(base, document.join(entries), files)

    def plan_config(self, base: Revision | None, config: dict[str, Any]) -> Plan:
        """A plan whose result is exactly *config* (a rollback, a NETCONF commit)."""
        return self._plan_config(base, config, ())

    def _merge_entry(self, eid: document.EntryId, old: Any, new: Any) -> Any:
        top, member, _key = eid
        a = self.validator.from_dict({top: {member: [old]}})
        a.merge(self.validator.from_dict({top: {member: [new]}}))
        merged: Any = a.to_dict()[top][member][0]
        return merged

    def _plan_config(
        self, base: Revision | None, config: dict[str, Any], files: Sequence[IntentFile]
    ) -> Plan:
        tree = self.validator.from_dict(config) if config else self.validator.empty()
        try:
            intent = (
                self.validator.validate(tree, keep_user_json=True)
                if not tree.empty
                else ValidatedIntent(data={}, user_json="{}")
            )
        except ValidationFailed as failed:
            raise ValidationFailed(_locate(cap_problems(failed.problems), files, base)) from None
        old = self.validator.from_dict(base.data) if base and base.data else self.validator.empty()
        return Plan(base, tree, intent, old.diff(tree), intent.user_json or "{}")

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
        base = self.store.head()
        return self.plan_config(base, target.data)


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
