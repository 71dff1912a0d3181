"""Session and lock operations of RFC 6241: close-session, kill-session, lock, unlock.

They concern the protocol only (sessions and the lock table), so they live
here rather than with the datastores. :func:`datastore_param` reads the
``<target>`` / ``<source>`` parameters every datastore operation takes.
"""

from __future__ import annotations

from micronf.yang import ErrorTag, ErrorType

from . import xml
from .errors import RpcError
from .operations import Operation, Reply
from .session import Session
from .xml import BASE_NS, Element

MODULE = "ietf-netconf"


def param(op: Element, name: str, *, required: bool = False) -> Element | None:
    """The child *name* (base namespace) of *op*; missing-element if required.

    A parameter without a namespace is taken too: clients commonly write
    ``<config>`` bare inside ``<edit-config>`` (ncclient's own examples do).
    """
    found = op.find(xml.qname(BASE_NS, name))
    if found is None:
        found = op.find(name)
    if found is None and required:
        raise RpcError.of(
            ErrorTag.missing_element,
            f"<{xml.split(op.tag)[1]}> needs a <{name}> parameter",
            error_type=ErrorType.protocol,
            info={"bad-element": name},
        )
    return found


def need(op: Element, name: str) -> Element:
    """The child *name* of *op*; ``missing-element`` when it is not there."""
    found = param(op, name, required=True)
    assert found is not None
    return found


def datastore_param(op: Element, name: str) -> str:
    """The datastore named in ``<target>`` / ``<source>`` (``<running/>`` -> ``running``)."""
    holder = need(op, name)
    inner = xml.children(holder)
    if len(inner) != 1 or xml.split(inner[0].tag)[0] not in (BASE_NS, ""):
        raise RpcError.of(
            ErrorTag.bad_element,
            f"<{name}> must name one datastore, such as <running/>",
            error_type=ErrorType.protocol,
            info={"bad-element": name},
        )
    return str(xml.split(inner[0].tag)[1])


async def _close_session(session: Session, op: Element) -> Reply:
    session.closing = True  # the loop stops after this reply
    return None


async def _kill_session(session: Session, op: Element) -> Reply:
    holder = need(op, "session-id")
    text = (holder.text or "").strip()
    if not text.isdigit():
        raise RpcError.of(
            ErrorTag.invalid_value,
            f"session-id {text!r} is not a number",
            info={"bad-element": "session-id"},
        )
    target_id = int(text)
    if target_id == session.id:
        raise RpcError.of(
            ErrorTag.invalid_value,
            "a session cannot kill itself (use close-session)",
            info={"bad-element": "session-id"},
        )
    target = session.server.sessions.get(target_id)
    if target is None:
        raise RpcError.of(
            ErrorTag.invalid_value,
            f"no session {target_id}",
            info={"bad-element": "session-id"},
        )
    target.kill()  # releases its locks (RFC 6241 7.9) before this reply
    return None


async def _lock(session: Session, op: Element) -> Reply:
    session.server.locks.lock(datastore_param(op, "target"), session.id)
    return None


async def _unlock(session: Session, op: Element) -> Reply:
    session.server.locks.unlock(datastore_param(op, "target"), session.id)
    return None


def operations() -> list[Operation]:
    return [
        Operation(BASE_NS, "close-session", _close_session, MODULE, always_permitted=True),
        Operation(BASE_NS, "kill-session", _kill_session, MODULE),
        Operation(BASE_NS, "lock", _lock, MODULE),
        Operation(BASE_NS, "unlock", _unlock, MODULE),
    ]
