"""The NETCONF server: SSH (asyncssh), subsystem ``netconf``, sessions and limits.

It authenticates users from the users file (public key or password; there
are no default credentials), accepts only the ``netconf`` subsystem, gives
each session an id, and refuses a session above the configured limit. What
the server can do is the :class:`~.operations.OperationTable` it is given;
the datastores behind the operations are someone else's (the controller's,
or later the agent's). Everything runs on one asyncio loop, so operations
never run concurrently with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from micronf.yang.schema import Schema

from .locks import LockTable
from .nacm import Counters, Nacm
from .operations import OperationTable
from .session import Session
from .users import User, UserDb

log = logging.getLogger("micronf.netconf")

DEFAULT_PORT = 830


@dataclass
class ServerConfig:
    host_key: Path
    users: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    #: Largest message accepted, in bytes (RFC 6242 framing included).
    max_message: int = 16 * 1024 * 1024
    #: Most sessions at once; the next one is refused before its hello.
    max_sessions: int = 64
    #: Seconds a client has to send its hello.
    hello_timeout: float = 60.0


@dataclass
class NetconfServer:
    config: ServerConfig
    table: OperationTable
    locks: LockTable
    #: Module names, namespaces and NACM marks of the schema served.
    schema: Schema
    #: The running configuration's ``ietf-netconf-acm:nacm`` value (or None).
    nacm_config: Callable[[], Mapping[str, Any] | None] = lambda: None
    #: Extra capability URIs (module capabilities of the schema).
    extra_capabilities: Callable[[], list[str]] = lambda: []
    sessions: dict[int, Session] = field(default_factory=dict)
    nacm_counters: Counters = field(default_factory=Counters)
    _session_end_hooks: list[Callable[[Session], None]] = field(default_factory=list)
    _next_id: int = 1
    _acceptor: asyncssh.SSHAcceptor | None = None
    _users: UserDb | None = None
    _reserved: int = 0

    @property
    def users(self) -> UserDb:
        if self._users is None:
            self._users = UserDb(self.config.users)
        return self._users

    def capabilities(self) -> list[str]:
        return [*self.table.capabilities(), *self.extra_capabilities()]

    def nacm(self) -> Nacm:
        return Nacm(self.nacm_config(), self.schema.nacm_default_deny, self.nacm_counters)

    def on_session_end(self, hook: Callable[[Session], None]) -> None:
        self._session_end_hooks.append(hook)

    def session_ended(self, session: Session) -> None:
        """Release what *session* held; idempotent (kill, EOF and errors all end here).

        The session leaves the table last, so whoever sees it gone sees its
        locks released and its hooks run.
        """
        if session.ended:
            return
        session.ended = True
        self.locks.release_all(session.id)
        for hook in self._session_end_hooks:
            try:
                hook(session)
            except Exception:
                log.exception("session-end hook failed for session %d", session.id)
        self.sessions.pop(session.id, None)

    @property
    def port(self) -> int:
        if self._acceptor is None:
            raise RuntimeError("server not started")
        port: int = self._acceptor.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        key = asyncssh.read_private_key(self.config.host_key)
        self._acceptor = await asyncssh.create_server(
            lambda: _SshServer(self),
            self.config.host,
            self.config.port,
            server_host_keys=[key],
            process_factory=self._process,
            encoding=None,
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            line_editor=False,
            keepalive_interval=30,
            # An unauthenticated connection holds no session slot: keep it short.
            login_timeout=30,
        )

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            session.kill()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None

    async def _process(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        if process.subsystem != "netconf":
            process.stderr.write(b"micronf: only the 'netconf' subsystem is served\n")
            process.exit(1)
            return
        if len(self.sessions) >= self.config.max_sessions:
            log.warning("session refused: %d sessions open", len(self.sessions))
            process.stderr.write(b"micronf: too many NETCONF sessions\n")
            process.exit(1)
            return
        name = process.get_extra_info("username")
        user = self.users.get(name)
        if user is None:  # removed from the file since it logged in
            process.exit(1)
            return
        session_id = self._next_id
        self._next_id += 1

        def write(data: bytes) -> None:
            if not process.stdout.is_closing():
                process.stdout.write(data)

        session = Session(
            self, session_id, user, write, lambda: process.close(), process.stdout.drain
        )
        self.sessions[session_id] = session
        log.info("session %d opened by %s", session_id, name)
        try:
            await session.run(process.stdin.read)
        except (asyncssh.Error, BrokenPipeError, ConnectionError) as exc:
            log.info("session %d: connection lost: %s", session_id, exc)
        finally:
            self.session_ended(session)
            log.info("session %d closed", session_id)
            if not session.closed:
                session.closed = True
                with contextlib.suppress(OSError, asyncssh.Error):
                    process.exit(0)


class _SshServer(asyncssh.SSHServer):  # type: ignore[misc]
    def __init__(self, server: NetconfServer) -> None:
        self._server = server

    def begin_auth(self, username: str) -> bool:
        return True  # always authenticate; unknown users simply fail

    def password_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def _user(self, username: str) -> User | None:
        try:
            return self._server.users.get(username)
        except ValueError as exc:  # a broken users file lets nobody in, and says why
            log.error("%s", exc)
            return None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        user = self._user(username)
        return user is not None and user.accepts_key(key)

    async def validate_password(self, username: str, password: str) -> bool:
        user = self._user(username)
        if user is None or user.password is None:
            return False
        loop = asyncio.get_running_loop()
        # scrypt is deliberately slow; keep it off the loop that serves sessions.
        ok: bool = await loop.run_in_executor(None, user.accepts_password, password)
        return ok
