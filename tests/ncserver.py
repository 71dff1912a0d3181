"""Test helpers for NETCONF: real servers on loopback, real clients.

A server runs on its own asyncio loop in a background thread (so that the
synchronous clients, ncclient and netconf-console2, can talk to it from the
test), listens on 127.0.0.1 with a free port, and is stopped at the end of
the test. :class:`RawSession` is a bare SSH ``netconf`` subsystem channel
(asyncssh client) for what a well-behaved client never sends: broken
framing, lying chunk headers, XML bombs, many RPCs without ncclient's
0.1 s polling.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from lxml import etree

from micronf.netconf import (
    BASE_1_0,
    BASE_1_1,
    LockTable,
    NetconfServer,
    OperationTable,
    ServerConfig,
    UserDb,
    ensure_host_key,
)
from micronf.netconf import base as base_ops
from micronf.netconf.framing import EOM, Deframer, Framing, frame
from micronf.yang import Validator
from micronf.yang.schema import Schema

T = TypeVar("T")
NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
PASSWORD = "s3cret-pw"

_validator: Validator | None = None


def shared_validator() -> Validator:
    """One validator for the protocol tests (building one costs ~0.2 s)."""
    global _validator
    if _validator is None:
        _validator = Validator()
    return _validator


class Loop:
    """An asyncio loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def make_state(tmp: Path, users: dict[str, dict[str, Any]] | None = None) -> tuple[Path, Path]:
    """A host key and a users file under *tmp*; *users*: name -> UserDb.add options."""
    key = tmp / "ssh_host_ed25519_key"
    ensure_host_key(key)
    users_file = tmp / "users.toml"
    db = UserDb(users_file)
    for name, options in (users or {"admin": {"recovery": True}}).items():
        options = dict(options)
        if "password" not in options and "keys" not in options:
            options["password"] = PASSWORD
        db.add(name, **options)
    return key, users_file


class Server:
    """A NetconfServer with the given table, running in the background."""

    def __init__(
        self,
        tmp: Path,
        table: OperationTable | None = None,
        users: dict[str, dict[str, Any]] | None = None,
        locks: LockTable | None = None,
        **config: Any,
    ) -> None:
        key, users_file = make_state(tmp, users)
        if table is None:
            table = OperationTable()
            table.register(base_ops.operations())
        self.loop = Loop()
        self.server = NetconfServer(
            ServerConfig(host_key=key, users=users_file, port=0, **config),
            table,
            locks or LockTable(("running", "candidate")),
            Schema(shared_validator()),
        )
        self.loop.run(self.server.start())
        self.port = self.server.port

    def stop(self) -> None:
        self.loop.run(self.server.stop())
        self.loop.close()


class RawSession:
    """A raw NETCONF session: bytes in, bytes out, no client-side checks."""

    def __init__(self, port: int, user: str = "admin", password: str = PASSWORD) -> None:
        self.loop = asyncio.new_event_loop()
        self.deframer = Deframer(64 * 1024 * 1024)
        self.framing = Framing.end_of_message
        self.conn, self.proc = self.loop.run_until_complete(self._open(port, user, password))
        self.server_hello = self.read()

    async def _open(self, port: int, user: str, password: str) -> tuple[Any, Any]:
        conn = await asyncssh.connect(
            "127.0.0.1",
            port,
            username=user,
            password=password,
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
        proc = await conn.create_process(subsystem="netconf", encoding=None)
        return conn, proc

    @property
    def session_id(self) -> int:
        found = self.server_hello.find(f"{{{NS}}}session-id")
        return int(found.text)

    def hello(self, caps: tuple[str, ...] = (BASE_1_0, BASE_1_1)) -> None:
        body = "".join(f"<capability>{c}</capability>" for c in caps)
        self.send_raw(
            f'<hello xmlns="{NS}"><capabilities>{body}</capabilities></hello>'.encode() + EOM
        )
        if BASE_1_1 in caps:
            self.framing = Framing.chunked
            self.deframer.switch(Framing.chunked)

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.loop.run_until_complete(self.proc.stdin.drain())

    def send(self, message: str | bytes) -> None:
        data = message.encode() if isinstance(message, str) else message
        self.send_raw(frame(data, self.framing))

    def read(self, timeout: float = 20) -> Any:
        """The next message as an lxml element; None when the server closed."""
        raw = self.read_bytes(timeout)
        return None if raw is None else etree.fromstring(raw)

    def read_bytes(self, timeout: float = 20) -> bytes | None:
        while True:
            msg = self.deframer.next_message()
            if msg is not None:
                return msg
            data = self.loop.run_until_complete(
                asyncio.wait_for(self.proc.stdout.read(65536), timeout)
            )
            if not data:
                return None
            self.deframer.feed(data)

    def rpc(self, body: str, message_id: str = "1") -> Any:
        self.send(f'<rpc xmlns="{NS}" message-id="{message_id}">{body}</rpc>')
        return self.read()

    def closed(self, timeout: float = 20) -> bool:
        """True once the server has closed the channel (reads return EOF)."""
        try:
            while True:
                data = self.loop.run_until_complete(
                    asyncio.wait_for(self.proc.stdout.read(65536), timeout)
                )
                if not data:
                    return True
        except (asyncssh.Error, ConnectionError, BrokenPipeError):
            return True

    def close(self) -> None:
        try:
            self.conn.close()
            self.loop.run_until_complete(self.conn.wait_closed())
        except Exception:
            pass
        self.loop.close()


def errors(reply: Any) -> list[dict[str, str]]:
    """Each ``rpc-error`` of *reply* as {element name: text} (error-info flattened)."""
    out = []
    for err in reply.iterfind(f"{{{NS}}}rpc-error"):
        entry: dict[str, str] = {}
        for child in err.iter():
            if child is err or not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if child.text and child.text.strip():
                entry[name] = child.text.strip()
        out.append(entry)
    return out


def is_ok(reply: Any) -> bool:
    return reply is not None and reply.find(f"{{{NS}}}ok") is not None


def ncclient_connect(port: int, user: str = "admin", password: str = PASSWORD, **kw: Any) -> Any:
    from ncclient import manager

    return manager.connect(
        host="127.0.0.1",
        port=port,
        username=user,
        password=password,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
        **kw,
    )


def strip_ws(text: str) -> str:
    return re.sub(r">\s+<", "><", text)


class ControllerServer:
    """The controller's NETCONF northbound on a real store (SQLite file under *tmp*)."""

    def __init__(
        self,
        tmp: Path,
        users: dict[str, dict[str, Any]] | None = None,
        db: Path | None = None,
        **config: Any,
    ) -> None:
        from micronf.controller.datastores import Datastores
        from micronf.controller.northbound import build_server
        from micronf.controller.store import Store

        self.tmp = tmp
        self.db = db or tmp / "micronf.db"
        key, users_file = make_state(tmp, users)
        self.loop = Loop()
        self.store = Store.open(str(self.db))
        self.datastores = Datastores(self.store, shared_validator())
        self.server, self.controller = build_server(
            self.datastores, ServerConfig(host_key=key, users=users_file, port=0, **config)
        )
        self.loop.run(self.server.start())

        async def arm() -> None:
            self.datastores.start()

        self.loop.run(arm())
        self.port = self.server.port

    def stop(self) -> None:
        async def down() -> None:
            self.datastores.stop()
            await self.server.stop()

        self.loop.run(down())
        self.loop.close()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def restart(self) -> ControllerServer:
        """Stop, then start a new controller on the same store and state."""
        self.stop()
        return ControllerServer(self.tmp, users=None, db=self.db)


SFC = "urn:micronf:yang:micronf-sfc"


def example_chain_xml(name: str = "paper-sfc") -> str:
    """The paper's chain from examples/, renamed to *name*."""
    text = (Path(__file__).resolve().parents[1] / "examples" / "paper-sfc.xml").read_text()
    body = text.split("-->", 1)[1]
    return body.replace("<name>paper-sfc</name>", f"<name>{name}</name>", 1)
