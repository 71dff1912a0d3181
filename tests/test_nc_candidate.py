"""The candidate datastore (RFC 6241 8.3): commit, discard-changes, validate,
copy-config, locks enforced on writes, kept across a controller restart;
and the micronf-sfc:dry-run RPC."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ncserver import SFC, ControllerServer, RawSession, errors, example_chain_xml, is_ok

NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
CHAIN = example_chain_xml()


@pytest.fixture()
def ctl(tmp_path: Path) -> Iterator[ControllerServer]:
    c = ControllerServer(tmp_path)
    holder = [c]
    yield c
    holder[-1].stop()


def session(ctl: ControllerServer) -> RawSession:
    r = RawSession(ctl.port)
    r.hello()
    return r


def edit_candidate(body: str = CHAIN) -> str:
    return f"<edit-config><target><candidate/></target><config>{body}</config></edit-config>"


def test_commit_discard_validate_copy(ctl: ControllerServer) -> None:
    s = session(ctl)
    try:
        assert is_ok(s.rpc(edit_candidate()))
        assert ctl.datastores.running() == "{}"
        assert is_ok(s.rpc("<validate><source><candidate/></source></validate>"))
        assert is_ok(s.rpc("<commit/>"))
        assert ctl.datastores.running() == ctl.datastores.candidate() != "{}"
        assert len(list(ctl.store.history())) == 1
        assert is_ok(s.rpc(edit_candidate(example_chain_xml("other"))))
        assert is_ok(s.rpc("<discard-changes/>"))
        assert ctl.datastores.candidate() == ctl.datastores.running()
        bad = f'<chains xmlns="{SFC}"><chain><name>x</name></chain></chains>'
        (err,) = errors(s.rpc(f"<validate><source><config>{bad}</config></source></validate>"))
        assert err["error-tag"] in ("missing-element", "invalid-value", "data-missing")
        assert is_ok(
            s.rpc(
                "<copy-config><target><candidate/></target><source><config>"
                f"{example_chain_xml('copied')}</config></source></copy-config>"
            )
        )
        assert "copied" in ctl.datastores.candidate()
        assert is_ok(
            s.rpc(
                "<copy-config><target><running/></target><source><candidate/>"
                "</source></copy-config>"
            )
        )
        assert "copied" in ctl.datastores.running() and "paper-sfc" not in ctl.datastores.running()
        (err,) = errors(s.rpc("<delete-config><target><running/></target></delete-config>"))
        assert err["error-tag"] == "operation-not-supported"
    finally:
        s.close()


def test_locks_guard_writes(ctl: ControllerServer) -> None:
    a, b = session(ctl), session(ctl)
    try:
        assert is_ok(a.rpc("<lock><target><candidate/></target></lock>"))
        assert is_ok(a.rpc("<lock><target><running/></target></lock>"))
        for rpc in (
            edit_candidate(),
            "<discard-changes/>",
            "<commit/>",
            edit_candidate().replace("candidate", "running"),
        ):
            (err,) = errors(b.rpc(rpc))
            assert err["error-tag"] == "in-use" and err["session-id"] == str(a.session_id)
        assert is_ok(a.rpc(edit_candidate()))
        a.close()  # the holder vanishes: locks go, its uncommitted candidate is discarded
        deadline = time.monotonic() + 30  # a bound, not a timing: the server notices EOF
        while a.session_id in ctl.server.sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ctl.datastores.candidate() == ctl.datastores.running() == "{}"
        assert is_ok(b.rpc("<lock><target><candidate/></target></lock>"))
    finally:
        b.close()


def test_candidate_lock_refused_while_others_changes_pending(ctl: ControllerServer) -> None:
    a, b = session(ctl), session(ctl)
    try:
        assert is_ok(a.rpc(edit_candidate()))
        (err,) = errors(b.rpc("<lock><target><candidate/></target></lock>"))
        assert err["error-tag"] == "lock-denied"
        assert is_ok(a.rpc("<lock><target><candidate/></target></lock>"))  # its own changes
    finally:
        a.close()
        b.close()


def test_candidate_survives_restart(ctl: ControllerServer, tmp_path: Path) -> None:
    s = session(ctl)
    assert is_ok(s.rpc(edit_candidate()))
    s.close()
    kept = ctl.datastores.candidate()
    ctl2 = ctl.restart()
    try:
        assert ctl2.datastores.candidate() == kept != "{}"
        s = session(ctl2)
        assert is_ok(s.rpc("<commit/>"))
        assert json.loads(ctl2.datastores.running())["micronf-sfc:chains"]["chain"][0]["name"] == (
            "paper-sfc"
        )
        s.close()
    finally:
        ctl2.stop()
        ctl.stop = lambda: None  # type: ignore[method-assign]


def test_dry_run_validates_only(ctl: ControllerServer) -> None:
    s = session(ctl)
    try:
        reply = s.rpc(f'<dry-run xmlns="{SFC}"><config>{CHAIN}</config></dry-run>')
        assert reply.findtext(f"{{{SFC}}}valid") == "true"
        actions = reply.findall(f"{{{SFC}}}action")
        assert actions and {a.findtext(f"{{{SFC}}}operation") for a in actions} == {"create"}
        assert any(a.findtext(f"{{{SFC}}}target").startswith("deploy ") for a in actions)
        assert {a.findtext(f"{{{SFC}}}agent") for a in actions} == {"server-a"}
        broken = CHAIN.replace("<template>edge-firewall</template>", "<template>nope</template>")
        reply = s.rpc(f'<dry-run xmlns="{SFC}"><config>{broken}</config></dry-run>')
        assert reply.findtext(f"{{{SFC}}}valid") == "false"
        assert "vnf[name='edge-fw']/template" in reply.findtext(f"{{{SFC}}}error/{{{SFC}}}path")
        assert ctl.datastores.running() == "{}" and not list(ctl.store.history())
    finally:
        s.close()
