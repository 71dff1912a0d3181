"""NACM (RFC 8341): rules in running, enforced on read, write and exec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ncserver import SFC, ControllerServer, RawSession, errors, example_chain_xml, is_ok

NACM_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
NACM = f"""
<nacm xmlns="{NACM_NS}">
  <groups><group><name>ops</name><user-name>bob</user-name></group></groups>
  <rule-list><name>ops</name><group>ops</group>
    <rule><name>hide-placement</name><module-name>micronf-sfc</module-name>
      <path xmlns:s="{SFC}">/s:chains/s:chain/s:placement</path>
      <access-operations>*</access-operations><action>deny</action></rule>
    <rule><name>chains</name><module-name>micronf-sfc</module-name>
      <access-operations>create update delete</access-operations><action>permit</action></rule>
    <rule><name>no-dry-run</name><module-name>micronf-sfc</module-name>
      <rpc-name>dry-run</rpc-name><access-operations>exec</access-operations>
      <action>deny</action></rule>
    <rule><name>no-change-events</name><module-name>ietf-netconf-notifications</module-name>
      <notification-name>netconf-config-change</notification-name>
      <access-operations>read</access-operations><action>deny</action></rule>
  </rule-list>
</nacm>"""


def edit(target: str, inner: str) -> str:
    return (
        f"<edit-config><target><{target}/></target><config>"
        f'<chains xmlns="{SFC}">{inner}</chains></config></edit-config>'
    )


@pytest.fixture(scope="module")
def ctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControllerServer]:
    users = {
        "admin": {"recovery": True},
        "bob": {},
        "carol": {},
        "dave": {"groups": ["ops"]},  # an external group (from the users file)
    }
    c = ControllerServer(tmp_path_factory.mktemp("nacm"), users=users)
    admin = RawSession(c.port)
    admin.hello()
    body = example_chain_xml() + NACM
    assert is_ok(
        admin.rpc(f"<edit-config><target><running/></target><config>{body}</config></edit-config>")
    )
    admin.close()
    yield c
    c.stop()


def session(ctl: ControllerServer, user: str) -> RawSession:
    r = RawSession(ctl.port, user=user)
    r.hello()
    return r


@pytest.mark.parametrize("user", ["bob", "dave"])
def test_group_rules(ctl: ControllerServer, user: str) -> None:
    s = session(ctl, user)
    try:
        before = ctl.datastores.running()
        reply = s.rpc("<get-config><source><running/></source></get-config>")
        text = __import__("lxml.etree").etree.tostring(reply).decode()
        assert "<ingress>" in text and "<placement>" not in text  # pruned, not refused
        assert NACM_NS not in text  # the rules themselves are default-deny-all
        assert is_ok(
            s.rpc(
                edit(
                    "running",
                    "<chain><name>paper-sfc</name>"
                    f"<description>{user} was here</description></chain>",
                )
            )
        )
        (err,) = errors(
            s.rpc(
                edit(
                    "running",
                    "<chain><name>paper-sfc</name><placement>"
                    "<expected-rate>9</expected-rate></placement></chain>",
                )
            )
        )
        assert err["error-tag"] == "access-denied"
        assert "placement" in err["error-path"]
        (err,) = errors(s.rpc(f'<dry-run xmlns="{SFC}"><tosca>x</tosca></dry-run>'))
        assert err["error-tag"] == "access-denied"
        assert ctl.datastores.running() != before  # only the permitted edit landed
    finally:
        s.close()


def test_defaults_deny_writes_and_sensitive_operations(ctl: ControllerServer) -> None:
    s = session(ctl, "carol")  # no group: only the defaults apply
    try:
        before = (ctl.datastores.running(), len(list(ctl.store.history())))
        assert errors(s.rpc("<get-config><source><running/></source></get-config>")) == []
        (err,) = errors(
            s.rpc(
                edit(
                    "candidate", "<chain><name>paper-sfc</name><description>x</description></chain>"
                )
            )
        )
        assert err["error-tag"] == "access-denied"  # write-default is deny
        (err,) = errors(s.rpc("<kill-session><session-id>1</session-id></kill-session>"))
        assert err["error-tag"] == "access-denied"  # default-deny-all
        reply = s.rpc("<get-config><source><running/></source></get-config>")
        assert NACM_NS not in __import__("lxml.etree").etree.tostring(reply).decode()
        assert is_ok(s.rpc("<close-session/>"))  # always permitted
        assert (ctl.datastores.running(), len(list(ctl.store.history()))) == before
    finally:
        s.close()


def test_nacm_itself_is_default_deny_all(ctl: ControllerServer) -> None:
    s = session(ctl, "bob")
    try:
        body = f'<nacm xmlns="{NACM_NS}"><enable-nacm>false</enable-nacm></nacm>'
        (err,) = errors(
            s.rpc(f"<edit-config><target><running/></target><config>{body}</config></edit-config>")
        )
        assert err["error-tag"] == "access-denied"
    finally:
        s.close()


def test_notifications_are_filtered_per_subscriber(ctl: ControllerServer) -> None:
    notif = "urn:ietf:params:xml:ns:netconf:notification:1.0"
    bob, carol = session(ctl, "bob"), session(ctl, "carol")
    admin = session(ctl, "admin")
    try:
        for s in (bob, carol):
            assert is_ok(s.rpc(f'<create-subscription xmlns="{notif}"/>'))
        assert is_ok(
            admin.rpc(
                edit(
                    "running",
                    "<chain><name>paper-sfc</name><description>event</description></chain>",
                )
            )
        )
        note = carol.read()  # no rule for carol: read-default permits the event
        assert note.tag == f"{{{notif}}}notification"
        # bob's group denies it. Had it been sent, it would have been written to
        # bob's channel before admin's reply: bob's next message is his own reply.
        reply = bob.rpc("<get-config><source><running/></source></get-config>")
        assert reply.tag == "{urn:ietf:params:xml:ns:netconf:base:1.0}rpc-reply"
    finally:
        for s in (bob, carol, admin):
            s.close()
