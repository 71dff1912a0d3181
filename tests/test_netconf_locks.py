"""Locks (RFC 6241 7.5, 7.6): contention, unlock by others, release when a holder goes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ncserver import RawSession, Server, errors, is_ok

LOCK = "<lock><target><{ds}/></target></lock>"
UNLOCK = "<unlock><target><{ds}/></target></unlock>"


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.stop()


def _session(server: Server) -> RawSession:
    r = RawSession(server.port)
    r.hello()
    return r


def test_lock_contention_and_unlock(server: Server) -> None:
    a, b = _session(server), _session(server)
    try:
        assert is_ok(a.rpc(LOCK.format(ds="running")))
        (err,) = errors(b.rpc(LOCK.format(ds="running")))
        assert err["error-tag"] == "lock-denied" and err["session-id"] == str(a.session_id)
        (err,) = errors(b.rpc(UNLOCK.format(ds="running")))
        assert err["error-tag"] == "operation-failed"
        (err,) = errors(a.rpc(LOCK.format(ds="running")))  # twice, even by the holder
        assert err["error-tag"] == "lock-denied"
        assert is_ok(b.rpc(LOCK.format(ds="candidate")))  # locks are per datastore
        assert is_ok(a.rpc(UNLOCK.format(ds="running")))
        assert is_ok(b.rpc(LOCK.format(ds="running")))
    finally:
        a.close()
        b.close()


def test_vanished_holder_releases(server: Server) -> None:
    a, b = _session(server), _session(server)
    try:
        assert is_ok(a.rpc(LOCK.format(ds="running")))
        a.close()  # no close-session: the TCP connection just goes
        deadline = time.monotonic() + 30  # a bound, not a timing: the server notices EOF
        while a.session_id in server.server.sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert is_ok(b.rpc(LOCK.format(ds="running")))
    finally:
        b.close()


def test_kill_session_releases(server: Server) -> None:
    a, b = _session(server), _session(server)
    try:
        assert is_ok(a.rpc(LOCK.format(ds="candidate")))
        assert is_ok(b.rpc(f"<kill-session><session-id>{a.session_id}</session-id></kill-session>"))
        assert is_ok(b.rpc(LOCK.format(ds="candidate")))
        assert a.closed()
    finally:
        a.close()
        b.close()
