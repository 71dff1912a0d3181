"""Confirmed commit 1.1 (RFC 6241 8.4), including the cases servers have got wrong.

Raw sessions keep it fast; the waits for a timeout poll the store (bounded),
they never assert how long something took.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ncserver import SFC, ControllerServer, RawSession, errors, example_chain_xml, is_ok

NC = 'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"'


def set_description(text: str) -> str:
    return (
        f'<edit-config><target><candidate/></target><config><chains xmlns="{SFC}">'
        f"<chain><name>paper-sfc</name><description>{text}</description></chain>"
        "</chains></config></edit-config>"
    )


def description(ctl: ControllerServer) -> str:
    return json.loads(ctl.datastores.running())["micronf-sfc:chains"]["chain"][0]["description"]


def session(ctl: ControllerServer) -> RawSession:
    r = RawSession(ctl.port)
    r.hello()
    return r


def wait_for(predicate, limit: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def ctl(tmp_path: Path) -> Iterator[ControllerServer]:
    c = ControllerServer(tmp_path)
    r = session(c)
    assert is_ok(
        r.rpc(
            f"<edit-config><target><running/></target><config>{example_chain_xml()}</config>"
            "</edit-config>"
        )
    )
    assert is_ok(r.rpc(set_description("v1").replace("candidate", "running")))
    r.close()
    holder = [c]
    yield c
    holder[-1].stop()


def test_second_confirmed_commit_extends_the_first(ctl: ControllerServer) -> None:
    a = session(ctl)
    try:
        assert is_ok(a.rpc(set_description("v2")))
        assert is_ok(a.rpc("<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"))
        assert is_ok(a.rpc("<commit><confirmed/><confirm-timeout>600</confirm-timeout></commit>"))
        time.sleep(1.5)  # past the first timeout: the extension holds it
        assert description(ctl) == "v2" and ctl.datastores.pending() is not None
        assert is_ok(a.rpc("<commit/>"))  # confirming
        assert ctl.datastores.pending() is None and description(ctl) == "v2"
    finally:
        a.close()


def test_persist_id_after_restart(ctl: ControllerServer, tmp_path: Path) -> None:
    a = session(ctl)
    assert is_ok(a.rpc(set_description("v2")))
    assert is_ok(a.rpc("<commit><confirmed/><persist>tok-1</persist></commit>"))
    a.close()  # persist: the commit outlives its session...
    ctl2 = ctl.restart()  # ...and the controller
    try:
        assert ctl2.datastores.pending() is not None and description(ctl2) == "v2"
        b = session(ctl2)
        (err,) = errors(b.rpc("<commit/>"))  # confirming needs the persist-id
        assert err["error-tag"] == "in-use"
        assert is_ok(b.rpc("<commit><persist-id>tok-1</persist-id></commit>"))
        assert ctl2.datastores.pending() is None and description(ctl2) == "v2"
        b.close()
    finally:
        ctl2.stop()
        ctl.stop = lambda: None  # type: ignore[method-assign]


def test_failed_confirmed_commit_arms_nothing(ctl: ControllerServer) -> None:
    a = session(ctl)
    try:
        revisions = len(list(ctl.store.history()))
        broken = (
            f"<edit-config><target><candidate/></target><test-option>set</test-option><config>"
            f'<chains xmlns="{SFC}" {NC}><chain><name>paper-sfc</name>'
            '<vnf nc:operation="delete"><name>monitor</name></vnf></chain></chains></config>'
            "</edit-config>"
        )
        assert is_ok(a.rpc(broken))  # 'set' does not validate the candidate
        (err,) = errors(a.rpc("<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"))
        assert err["error-tag"] == "data-missing"
        assert ctl.datastores.pending() is None
        assert len(list(ctl.store.history())) == revisions
        time.sleep(1.5)  # nothing armed: nothing reverts
        assert len(list(ctl.store.history())) == revisions
    finally:
        a.close()


def test_cancel_commit_with_persist(ctl: ControllerServer) -> None:
    a, b = session(ctl), session(ctl)
    try:
        assert is_ok(a.rpc(set_description("v2")))
        assert is_ok(a.rpc("<commit><confirmed/><persist>p</persist></commit>"))
        (err,) = errors(b.rpc("<cancel-commit/>"))
        assert err["error-tag"] == "invalid-value"
        (err,) = errors(b.rpc("<cancel-commit><persist-id>wrong</persist-id></cancel-commit>"))
        assert err["error-tag"] == "invalid-value"
        assert is_ok(b.rpc("<cancel-commit><persist-id>p</persist-id></cancel-commit>"))
        assert description(ctl) == "v1" and ctl.datastores.pending() is None
        (err,) = errors(b.rpc("<cancel-commit><persist-id>p</persist-id></cancel-commit>"))
        assert err["error-tag"] == "operation-failed"  # nothing pending any more
    finally:
        a.close()
        b.close()


def test_revert_on_timeout_after_only_a_get(ctl: ControllerServer) -> None:
    a = session(ctl)
    try:
        assert is_ok(a.rpc(set_description("v2")))
        assert is_ok(a.rpc("<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"))
        assert description(ctl) == "v2"
        assert a.rpc("<get/>").find("{urn:ietf:params:xml:ns:netconf:base:1.0}data") is not None
        assert wait_for(lambda: ctl.datastores.pending() is None)
        assert description(ctl) == "v1"
        assert ctl.store.head().comment.startswith("confirm-timeout expired")
    finally:
        a.close()


def test_session_loss_reverts_and_others_wait(ctl: ControllerServer) -> None:
    a, b = session(ctl), session(ctl)
    try:
        assert is_ok(a.rpc(set_description("v2")))
        assert is_ok(a.rpc("<commit><confirmed/></commit>"))
        (err,) = errors(b.rpc("<commit/>"))  # another session cannot confirm it
        assert err["error-tag"] == "in-use"
        a.close()
        assert wait_for(lambda: ctl.datastores.pending() is None)
        assert description(ctl) == "v1"
    finally:
        b.close()
