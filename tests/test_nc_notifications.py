"""Notifications (RFC 5277, RFC 6470): config changes and confirmed-commit events,
interleaved with RPCs; ncclient receives them too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ncserver import (
    SFC,
    ControllerServer,
    RawSession,
    errors,
    example_chain_xml,
    is_ok,
    ncclient_connect,
)

NOTIF = "urn:ietf:params:xml:ns:netconf:notification:1.0"
NCN = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"


@pytest.fixture()
def ctl(tmp_path: Path) -> Iterator[ControllerServer]:
    c = ControllerServer(tmp_path)
    yield c
    c.stop()


def session(ctl: ControllerServer) -> RawSession:
    r = RawSession(ctl.port)
    r.hello()
    return r


def test_config_change_and_confirmed_commit_events(ctl: ControllerServer) -> None:
    listener, writer = session(ctl), session(ctl)
    try:
        assert is_ok(listener.rpc(f'<create-subscription xmlns="{NOTIF}"/>'))
        (err,) = errors(listener.rpc(f'<create-subscription xmlns="{NOTIF}"/>'))
        assert err["error-tag"] == "operation-failed"  # one subscription per session
        assert is_ok(
            writer.rpc(
                f"<edit-config><target><candidate/></target><config>{example_chain_xml()}"
                "</config></edit-config>"
            )
        )
        assert is_ok(writer.rpc("<commit><confirmed/></commit>"))
        change = listener.read()
        assert change.tag == f"{{{NOTIF}}}notification"
        assert change.find(f"{{{NOTIF}}}eventTime") is not None
        body = change.find(f"{{{NCN}}}netconf-config-change")
        assert body.findtext(f"{{{NCN}}}changed-by/{{{NCN}}}username") == "admin"
        targets = [e.findtext(f"{{{NCN}}}target") for e in body.iter(f"{{{NCN}}}edit")]
        assert "/micronf-sfc:chains" in targets
        started = listener.read().find(f"{{{NCN}}}netconf-confirmed-commit")
        assert started.findtext(f"{{{NCN}}}confirm-event") == "start"
        # interleave: the subscribed session still runs RPCs
        reply = listener.rpc("<get-config><source><running/></source></get-config>")
        assert errors(reply) == [] and reply.tag.endswith("rpc-reply")
        assert is_ok(writer.rpc("<commit/>"))
        done = listener.read().find(f"{{{NCN}}}netconf-confirmed-commit")
        assert done.findtext(f"{{{NCN}}}confirm-event") == "complete"
    finally:
        listener.close()
        writer.close()


def test_filtered_subscription_and_bad_requests(ctl: ControllerServer) -> None:
    s = session(ctl)
    try:
        (err,) = errors(
            s.rpc(
                f'<create-subscription xmlns="{NOTIF}"><stream>other</stream></create-subscription>'
            )
        )
        assert err["error-tag"] == "invalid-value"
        (err,) = errors(
            s.rpc(
                f'<create-subscription xmlns="{NOTIF}">'
                "<startTime>2020-01-01T00:00:00Z</startTime></create-subscription>"
            )
        )
        assert err["error-tag"] == "operation-failed"  # no replay
        assert is_ok(
            s.rpc(
                f'<create-subscription xmlns="{NOTIF}"><filter type="subtree">'
                f'<netconf-confirmed-commit xmlns="{NCN}"/></filter>'
                "</create-subscription>"
            )
        )
        assert is_ok(
            s.rpc(
                f"<edit-config><target><running/></target><config>"
                f"{example_chain_xml()}</config></edit-config>"
            )
        )
        # the config change was filtered out: the next message is this reply
        assert is_ok(s.rpc("<lock><target><running/></target></lock>"))
    finally:
        s.close()


def test_ncclient_receives_notifications(ctl: ControllerServer) -> None:
    m = ncclient_connect(ctl.port)
    w = session(ctl)
    try:
        m.create_subscription()
        assert is_ok(
            w.rpc(
                f"<edit-config><target><running/></target><config>"
                f"{example_chain_xml()}</config></edit-config>"
            )
        )
        note = m.take_notification(timeout=30)
        assert note is not None and "netconf-config-change" in note.notification_xml
        assert SFC not in note.notification_xml or "chains" in note.notification_xml
    finally:
        m.close_session()
        w.close()
