"""``:candidate``, ``:confirmed-commit:1.1`` and ``:validate:1.1``: commit,
discard-changes, cancel-commit, validate (RFC 6241 8.3, 8.4, 8.6).

The state machine is :class:`micronf.controller.datastores.Datastores`;
this module reads the parameters and answers.
"""

from __future__ import annotations

from micronf.netconf import BASE_NS, Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.netconf.base import param
from micronf.yang import ErrorTag

from ..datastores import DEFAULT_CONFIRM_TIMEOUT
from .common import NC_CAP, Controller, failing
from .editing import _inline_or_datastore

CANDIDATE = f"{NC_CAP}:candidate:1.0"
CONFIRMED_COMMIT = f"{NC_CAP}:confirmed-commit:1.1"
VALIDATE = f"{NC_CAP}:validate:1.1"


def _text(op: nx.Element, name: str) -> str | None:
    el = param(op, name)
    return None if el is None else (el.text or "").strip()


def operations(ctl: Controller) -> list[Operation]:
    ds = ctl.datastores

    async def commit(session: Session, op: nx.Element) -> Reply:
        session.server.locks.check_write("running", session.id)
        confirmed = param(op, "confirmed") is not None
        timeout_text = _text(op, "confirm-timeout")
        timeout = DEFAULT_CONFIRM_TIMEOUT
        if timeout_text is not None:
            if not timeout_text.isdigit() or int(timeout_text) < 1:
                raise RpcError.of(
                    ErrorTag.invalid_value,
                    f"confirm-timeout {timeout_text!r}: a whole number of seconds, at least 1",
                    info={"bad-element": "confirm-timeout"},
                )
            timeout = int(timeout_text)
        persist = _text(op, "persist")
        persist_id = _text(op, "persist-id")
        if not confirmed and (timeout_text is not None or persist is not None):
            raise RpcError.of(
                ErrorTag.invalid_value,
                "confirm-timeout and persist need <confirmed/>",
                info={"bad-element": "confirm-timeout" if timeout_text else "persist"},
            )
        with failing():
            ds.commit(
                session.username,
                session.id,
                confirmed=confirmed,
                timeout=timeout,
                persist=persist,
                persist_id=persist_id,
            )
        return None

    async def discard_changes(session: Session, op: nx.Element) -> Reply:
        session.server.locks.check_write("candidate", session.id)
        ds.discard_changes()
        return None

    async def cancel_commit(session: Session, op: nx.Element) -> Reply:
        with failing():
            ds.cancel_commit(session.id, _text(op, "persist-id"))
        return None

    async def validate_op(session: Session, op: nx.Element) -> Reply:
        content = _inline_or_datastore(ctl, op, "source")
        with failing():
            ds.validate(content)
        return None

    return [
        Operation(BASE_NS, "commit", commit, "ietf-netconf", (CANDIDATE, CONFIRMED_COMMIT)),
        Operation(BASE_NS, "discard-changes", discard_changes, "ietf-netconf", (CANDIDATE,)),
        Operation(BASE_NS, "cancel-commit", cancel_commit, "ietf-netconf", (CONFIRMED_COMMIT,)),
        Operation(BASE_NS, "validate", validate_op, "ietf-netconf", (VALIDATE,)),
    ]
