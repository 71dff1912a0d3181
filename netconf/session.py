"""One NETCONF session: hello exchange, framing, and the RPC loop.

A session reads framed messages from its SSH channel, parses each one
safely (:mod:`.xml`), checks the ``<rpc>`` envelope, asks NACM whether the
user may run the operation, dispatches it through the
:class:`~.operations.OperationTable` and writes the ``<rpc-reply>``, one RPC
at a time and in order (RFC 6241 section 4.1). Framing errors close the
session (RFC 6242 section 4.2); a message that is well framed but not
acceptable gets an ``<rpc-error>`` and the session goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from micronf.yang import ErrorTag, ErrorType

from . import xml
from .errors import RpcError, render
from .framing import Deframer, Framing, FramingError, MessageTooBig, frame
from .nacm import Access, Nacm
from .operations import BASE_1_0, BASE_1_1, Reply
from .xml import BASE_NS, NOTIF_NS, Element

if TYPE_CHECKING:
    from .server import NetconfServer
    from .users import User

log = logging.getLogger("micronf.netconf")

_READ_SIZE = 65536


class Session:
    """The server side of one NETCONF session over one SSH channel."""

    def __init__(
        self,
        server: NetconfServer,
        session_id: int,
        user: User,
        write: Callable[[bytes], None],
        close: Callable[[], None],
        drain: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.server = server
        self.id = session_id
        self.user = user
        self._write = write
        self._close = close
        self._drain = drain
        self.framing = Framing.end_of_message
        self.deframer = Deframer(server.config.max_message)
        self.closing = False
        self.closed = False
        self.ended = False  # set once the server has released what it held
        self.client_capabilities: list[str] = []
        self.login_time = datetime.now(UTC)
        self.in_rpcs = 0
        self.in_bad_rpcs = 0
        self.out_rpc_errors = 0
        self.out_notifications = 0
        #: Set by create-subscription: an event filter (None: everything).
        self.subscription: Any = None
        self.subscribed = False

    # -- what operations use ---------------------------------------------------------

    @property
    def username(self) -> str:
        return self.user.name

    def nacm(self) -> Nacm | None:
        """The access-control engine for this session, None for a recovery session."""
        if self.user.recovery:
            return None
        return self.server.nacm()

    def may_access(self, access: Access, path: str) -> bool:
        engine = self.nacm()
        return engine is None or engine.may_access(self.user.name, self.user.groups, access, path)

    def readable(self, data: dict[str, Any]) -> dict[str, Any]:
        """*data* (RFC 7951 JSON) pruned to what this session's user may read."""
        engine = self.nacm()
        return data if engine is None else engine.prune(self.user.name, self.user.groups, data)

    def notify(self, payload: Element, event_time: datetime | None = None) -> None:
        """Send a notification (RFC 5277) if this session is subscribed."""
        if not self.subscribed or self.closed:
            return
        note = xml.element(NOTIF_NS, "notification", nsmap={None: NOTIF_NS})
        when = (event_time or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
        xml.sub(note, NOTIF_NS, "eventTime", when)
        note.append(payload)
        self.out_notifications += 1
        self.send(xml.to_bytes(note))

    def send(self, message: bytes) -> None:
        if not self.closed:
            self._write(frame(message, self.framing))

    def kill(self) -> None:
        """End the session now (``kill-session``, or a framing error)."""
        if not self.closed:
            self.closed = True
            self._close()
        self.server.session_ended(self)

    # -- the protocol ----------------------------------------------------------------

    def hello(self) -> bytes:
        root = xml.element(BASE_NS, "hello", nsmap={None: BASE_NS})
        caps = xml.sub(root, BASE_NS, "capabilities")
        for cap in self.server.capabilities():
            xml.sub(caps, BASE_NS, "capability", cap)
        xml.sub(root, BASE_NS, "session-id", str(self.id))
        return xml.to_bytes(root)

    async def run(self, read: Callable[[int], Any]) -> None:
        """Serve until the peer leaves, closes the session, or breaks the framing."""
        self.send(self.hello())
        try:
            await asyncio.wait_for(self._client_hello(read), self.server.config.hello_timeout)
            while not self.closing and not self.closed:
                message = self.deframer.next_message()
                if message is None:
                    data = await read(_READ_SIZE)
                    if not data:
                        return
                    self.deframer.feed(data)
                    continue
                await self._handle(message)
                if self._drain is not None:
                    # A client that sends RPCs but never reads its replies would
                    # make the server buffer them without bound: wait for it.
                    await self._drain()
        except MessageTooBig as exc:
            self._reply_error(
                None, RpcError.of(ErrorTag.too_big, str(exc), error_type=ErrorType.rpc)
            )
            log.info("session %d: %s; closing", self.id, exc)
        except FramingError as exc:
            log.info("session %d: framing error: %s; closing", self.id, exc)
        except TimeoutError:
            log.info("session %d: no hello in time; closing", self.id)
        except _BadHello as exc:
            log.info("session %d: bad hello: %s; closing", self.id, exc)

    async def _client_hello(self, read: Callable[[int], Any]) -> None:
        while True:
            message = self.deframer.next_message()
            if message is not None:
                break
            data = await read(_READ_SIZE)
            if not data:
                raise _BadHello("the client left before its hello")
            self.deframer.feed(data)
        try:
            root = xml.parse(message)
        except xml.XmlError as exc:
            raise _BadHello(str(exc)) from None
        if root.tag != xml.qname(BASE_NS, "hello"):
            raise _BadHello(f"expected <hello>, got <{etree.QName(root).localname}>")
        if root.find(xml.qname(BASE_NS, "session-id")) is not None:
            raise _BadHello("a client hello must not carry a session-id (RFC 6241 8.1)")
        caps = [
            (c.text or "").strip()
            for c in root.iterfind(f"{{{BASE_NS}}}capabilities/{{{BASE_NS}}}capability")
        ]
        self.client_capabilities = caps
        if BASE_1_1 in caps:
            self.framing = Framing.chunked
            self.deframer.switch(Framing.chunked)
        elif BASE_1_0 not in caps:
            raise _BadHello("no common base capability (base:1.0 or base:1.1)")

    async def _handle(self, message: bytes) -> None:
        self.in_rpcs += 1
        try:
            root = xml.parse(message)
        except xml.XmlError as exc:
            self.in_bad_rpcs += 1
            self._reply_error(None, self._malformed(str(exc)))
            return
        if root.tag != xml.qname(BASE_NS, "rpc"):
            self.in_bad_rpcs += 1
            ns, name = xml.split(root.tag)
            what = f"<{name}> in namespace {ns!r}" if ns else f"<{name}> without a namespace"
            self._reply_error(None, self._malformed(f"expected an <rpc> of {BASE_NS}, got {what}"))
            return
        if root.get("message-id") is None:
            self.in_bad_rpcs += 1
            self._reply_error(
                root,
                RpcError.of(
                    ErrorTag.missing_attribute,
                    "<rpc> has no message-id attribute",
                    error_type=ErrorType.rpc,
                    info={"bad-attribute": "message-id", "bad-element": "rpc"},
                ),
            )
            return
        ops = xml.children(root)
        try:
            if len(ops) != 1:
                raise RpcError.of(
                    ErrorTag.missing_element if not ops else ErrorTag.unknown_element,
                    "an <rpc> holds exactly one operation",
                    error_type=ErrorType.rpc,
                    info={"bad-element": "rpc" if not ops else etree.QName(ops[1]).localname},
                )
            reply = await self._dispatch(ops[0])
        except RpcError as exc:
            self.in_bad_rpcs += 1
            self._reply_error(root, exc)
            return
        except Exception:  # a bug of ours: the client gets an error, the server goes on
            log.exception("session %d: operation failed", self.id)
            self._reply_error(
                root,
                RpcError.of(
                    ErrorTag.operation_failed,
                    "internal error in the server (see its log)",
                    error_type=ErrorType.application,
                ),
            )
            return
        self._reply(root, reply)

    async def _dispatch(self, op: Element) -> Reply:
        ns, name = xml.split(op.tag)
        table = self.server.table
        operation = table.lookup(ns, name)
        if operation is None:
            if not table.knows_namespace(ns):
                raise RpcError.of(
                    ErrorTag.unknown_namespace,
                    f"no operation of namespace {ns!r}" if ns else f"<{name}> has no namespace",
                    error_type=ErrorType.protocol,
                    info={"bad-element": name, "bad-namespace": ns},
                )
            raise RpcError.of(
                ErrorTag.operation_not_supported,
                f"operation <{name}> is not supported",
                error_type=ErrorType.protocol,
                info={"bad-element": name},
            )
        engine = self.nacm()
        if (
            engine is not None
            and not operation.always_permitted
            and not engine.may_exec(self.user.name, self.user.groups, operation.module, name)
        ):
            raise RpcError.of(
                ErrorTag.access_denied,
                f"access denied: user {self.user.name!r} may not execute <{name}>",
                error_type=ErrorType.protocol,
            )
        return await operation.handler(self, op)

    def _malformed(self, message: str) -> RpcError:
        # malformed-message is new in base:1.1 and must not be sent to 1.0 clients.
        tag = (
            ErrorTag.malformed_message
            if self.framing is Framing.chunked
            else ErrorTag.operation_failed
        )
        return RpcError.of(tag, message, error_type=ErrorType.rpc)

    def _reply_root(self, rpc: Element | None) -> Element:
        reply = xml.element(BASE_NS, "rpc-reply", nsmap={None: BASE_NS})
        if rpc is not None:
            # RFC 6241 4.2: every attribute of <rpc> comes back unchanged.
            for key, value in rpc.attrib.items():
                reply.set(key, value)
        return reply

    def _reply(self, rpc: Element, children: Reply) -> None:
        reply = self._reply_root(rpc)
        if children is None:
            xml.sub(reply, BASE_NS, "ok")
        else:
            for child in children:
                reply.append(child)
        self.send(xml.to_bytes(reply))

    def _reply_error(self, rpc: Element | None, error: RpcError) -> None:
        self.out_rpc_errors += 1
        reply = self._reply_root(rpc)
        render(reply, error, self.server.schema.module_namespaces)
        self.send(xml.to_bytes(reply))


class _BadHello(Exception):
    pass
