"""``<edit-config>``, ``<copy-config>``, ``<delete-config>`` (RFC 6241 7.2-7.4).

Targets: ``running`` (``:writable-running``; every write is validated and
stored as a revision) and ``candidate``. An edit is computed on a copy
(:func:`micronf.yang.edit.apply_edit`), checked against NACM node by node,
validated as a whole datastore when the test-option asks for it, and only
then stored, so an error of any kind leaves every datastore unchanged
(``rollback-on-error`` is what ``stop-on-error`` does here too; with
``continue-on-error`` the parts that applied are kept and the errors
reported).
"""

from __future__ import annotations

from lxml import etree

from micronf.netconf import BASE_NS, Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.netconf.base import datastore_param, need, param
from micronf.yang import ErrorTag
from micronf.yang.edit import EditOp, apply_edit

from .common import NC_CAP, Controller, check_writes, failing

WRITABLE_RUNNING = f"{NC_CAP}:writable-running:1.0"
ROLLBACK_ON_ERROR = f"{NC_CAP}:rollback-on-error:1.0"

_TEST_OPTIONS = ("test-then-set", "set", "test-only")
_ERROR_OPTIONS = ("stop-on-error", "continue-on-error", "rollback-on-error")


def _choice(op: nx.Element, name: str, allowed: tuple[str, ...], default: str) -> str:
    el = param(op, name)
    if el is None:
        return default
    value = (el.text or "").strip()
    if value not in allowed:
        raise RpcError.of(
            ErrorTag.invalid_value,
            f"{name} {value!r}: one of {', '.join(allowed)}",
            info={"bad-element": name},
        )
    return value


def config_xml(holder: nx.Element) -> bytes:
    """The children of a ``<config>`` element as one XML document fragment."""
    return b"".join(etree.tostring(child) for child in nx.children(holder))


def _inline_or_datastore(ctl: Controller, op: nx.Element, name: str) -> str:
    """Content of ``<source>``: a datastore, or inline ``<config>`` (as JSON)."""
    holder = need(op, name)
    inline = holder.find(nx.qname(BASE_NS, "config"))
    if inline is not None:
        with failing():
            content, _ = apply_edit(ctl.validator, None, config_xml(inline), EditOp.replace)
        return content
    if holder.find(nx.qname(BASE_NS, "url")) is not None:
        raise RpcError.of(ErrorTag.operation_not_supported, "<url> is not supported (no :url)")
    return ctl.datastore(datastore_param(op, name))


def _store(ctl: Controller, session: Session, target: str, old: str, new: str) -> None:
    check_writes(ctl, session, old, new)
    with failing():
        if target == "running":
            ctl.datastores.write_running(new, session.username, session.id)
        else:
            ctl.datastores.write_candidate(new, session.id)


def operations(ctl: Controller) -> list[Operation]:
    async def edit_config(session: Session, op: nx.Element) -> Reply:
        target = datastore_param(op, "target")
        old = ctl.datastore(target)
        session.server.locks.check_write(target, session.id)
        default = EditOp(_choice(op, "default-operation", ("merge", "replace", "none"), "merge"))
        test = _choice(op, "test-option", _TEST_OPTIONS, "test-then-set")
        errors = _choice(op, "error-option", _ERROR_OPTIONS, "stop-on-error")
        if param(op, "config") is None and param(op, "url") is not None:
            raise RpcError.of(ErrorTag.operation_not_supported, "<url> is not supported (no :url)")
        holder = need(op, "config")
        with failing():
            new, problems = apply_edit(
                ctl.validator,
                old,
                config_xml(holder),
                default,
                continue_on_error=errors == "continue-on-error",
            )
        check_writes(ctl, session, old, new)
        if test != "set" or target == "running":
            with failing():
                ctl.datastores.validate(new)  # the whole datastore after the edit, leafrefs and all
        if test == "test-only":
            return None
        _store(ctl, session, target, old, new)
        if problems:
            raise RpcError(problems)
        return None

    async def copy_config(session: Session, op: nx.Element) -> Reply:
        target = datastore_param(op, "target")
        old = ctl.datastore(target)
        session.server.locks.check_write(target, session.id)
        new = _inline_or_datastore(ctl, op, "source")
        _store(ctl, session, target, old, new)
        return None

    async def delete_config(session: Session, op: nx.Element) -> Reply:
        target = datastore_param(op, "target")
        ctl.datastore(target)
        raise RpcError.of(
            ErrorTag.operation_not_supported,
            f"{target} cannot be deleted (RFC 6241 7.4; this server has no startup datastore)",
        )

    return [
        Operation(
            BASE_NS,
            "edit-config",
            edit_config,
            "ietf-netconf",
            (WRITABLE_RUNNING, ROLLBACK_ON_ERROR),
        ),
        Operation(BASE_NS, "copy-config", copy_config, "ietf-netconf"),
        Operation(BASE_NS, "delete-config", delete_config, "ietf-netconf"),
    ]
