"""Sessions: hello, ids, close-session, kill-session, limits, and bad messages.

Each bad message gets the rpc-error RFC 6241 Appendix A names, and the
session (and the server) go on serving.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ncclient.operations import RPCError
from ncserver import NS, RawSession, Server, errors, is_ok, ncclient_connect

from micronf.netconf import BASE_1_0, BASE_1_1

LOCK = "<lock><target><running/></target></lock>"


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path, max_sessions=3)
    yield s
    s.stop()


@pytest.fixture()
def raw(server: Server) -> Iterator[RawSession]:
    r = RawSession(server.port)
    r.hello()
    yield r
    r.close()


def test_hello_capabilities_and_session_ids(server: Server) -> None:
    a, b = RawSession(server.port), RawSession(server.port)
    try:
        caps = [c.text for c in a.server_hello.iter(f"{{{NS}}}capability")]
        assert caps[:2] == [BASE_1_0, BASE_1_1]
        assert a.session_id > 0 and b.session_id == a.session_id + 1
    finally:
        a.close()
        b.close()


def test_client_hello_with_session_id_is_refused(server: Server) -> None:
    r = RawSession(server.port)
    try:
        r.send_raw(
            f'<hello xmlns="{NS}"><capabilities><capability>{BASE_1_0}</capability>'
            "</capabilities><session-id>7</session-id></hello>]]>]]>".encode()
        )
        assert r.closed()
    finally:
        r.close()


def test_close_session(raw: RawSession) -> None:
    assert is_ok(raw.rpc("<close-session/>"))
    assert raw.closed()


def test_rpc_attributes_echoed(raw: RawSession) -> None:
    raw.send(f'<rpc xmlns="{NS}" xmlns:x="urn:x" message-id="42" x:tag="t">{LOCK}</rpc>')
    reply = raw.read()
    assert reply.get("message-id") == "42" and reply.get("{urn:x}tag") == "t"


@pytest.mark.parametrize(
    ("body", "tag", "info"),
    [
        (f'<rpc xmlns="{NS}">{LOCK}</rpc>', "missing-attribute", "message-id"),
        (f'<rpc xmlns="{NS}" message-id="1"><frobnicate/></rpc>', "operation-not-supported", None),
        (
            f'<rpc xmlns="{NS}" message-id="1"><lock xmlns="urn:nope"/></rpc>',
            "unknown-namespace",
            "urn:nope",
        ),
        (f'<rpc xmlns="{NS}" message-id="1"/>', "missing-element", "rpc"),
        ('<rpc xmlns="urn:wrong" message-id="1"/>', "malformed-message", None),
        ("<rpc message-id='1'><unclosed></rpc>", "malformed-message", None),
        (
            f'<rpc xmlns="{NS}" message-id="1"><lock><target><nowhere/></target></lock></rpc>',
            "invalid-value",
            None,
        ),
    ],
)
def test_bad_messages(raw: RawSession, body: str, tag: str, info: str | None) -> None:
    raw.send(body)
    (err,) = errors(raw.read())
    assert err["error-tag"] == tag
    assert err["error-severity"] == "error"
    if info:
        assert info in err.values()
    assert is_ok(raw.rpc(LOCK))  # the session goes on


@pytest.mark.parametrize(
    "doc",
    [
        # billion laughs
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        f'<rpc xmlns="{NS}" message-id="&c;"><get/></rpc>',
        # external entity
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<rpc xmlns="{NS}" message-id="1"><kill-session><session-id>&x;</session-id>'
        "</kill-session></rpc>",
    ],
)
def test_dtds_are_refused(raw: RawSession, doc: str) -> None:
    raw.send(doc)
    reply = raw.read()
    (err,) = errors(reply)
    assert err["error-tag"] == "malformed-message"
    assert "root:" not in err["error-message"]  # /etc/passwd never read
    assert is_ok(raw.rpc(LOCK))


def test_deep_nesting_is_refused(raw: RawSession) -> None:
    raw.send(f'<rpc xmlns="{NS}" message-id="1">' + "<a>" * 5000 + "</a>" * 5000 + "</rpc>")
    (err,) = errors(raw.read())
    assert err["error-tag"] == "malformed-message"


def test_session_limit(server: Server) -> None:
    sessions = [RawSession(server.port) for _ in range(3)]
    try:
        fourth = RawSession(server.port)
        assert fourth.server_hello is None  # refused before its hello
        fourth.close()
        sessions.pop().close()
        again = RawSession(server.port)  # a slot is free again
        assert again.server_hello is not None
        again.close()
    finally:
        for s in sessions:
            s.close()


def test_kill_session(server: Server) -> None:
    victim = ncclient_connect(server.port)
    killer = ncclient_connect(server.port)
    try:
        assert killer.kill_session(victim.session_id).ok
        with pytest.raises(Exception):  # noqa: B017
            victim.lock("running")
        for target in (killer.session_id, "9999"):  # itself, and nobody
            with pytest.raises(RPCError) as exc:
                killer.kill_session(target)
            assert exc.value.tag == "invalid-value"
    finally:
        killer.close_session()
