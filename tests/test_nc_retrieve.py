"""get / get-config: subtree and XPath filters, the read-only built-in catalog,
YANG library and monitoring state, with-defaults (RFC 6243), get-schema (RFC 6022)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree
from ncclient.operations import RPCError
from ncserver import (
    SFC,
    ControllerServer,
    RawSession,
    errors,
    example_chain_xml,
    ncclient_connect,
    strip_ws,
)

MON = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
WD = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
NS = "urn:ietf:params:xml:ns:netconf:base:1.0"


@pytest.fixture(scope="module")
def ctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControllerServer]:
    c = ControllerServer(tmp_path_factory.mktemp("retrieve"))
    m = ncclient_connect(c.port)
    both = (
        example_chain_xml().replace("</chains>", "")
        + example_chain_xml("second").split(f'<chains xmlns="{SFC}">', 1)[1]
    )
    m.edit_config(target="running", config=f"<config>{both}</config>")
    # core-frequency given explicitly with its default value (2000), for with-defaults
    m.edit_config(
        target="running",
        config=(
            f'<config><agents xmlns="{SFC}"><agent><name>server-a</name>'
            "<core-frequency>2000</core-frequency></agent></agents></config>"
        ),
    )
    m.close_session()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def raw(ctl: ControllerServer) -> Iterator[RawSession]:
    r = RawSession(ctl.port)
    r.hello()
    yield r
    r.close()


def data(reply) -> object:  # type: ignore[no-untyped-def]
    return reply.find(f"{{{NS}}}data")


def test_subtree_filter_selects_and_keeps_keys(raw: RawSession) -> None:
    reply = raw.rpc(
        f'<get-config><source><running/></source><filter type="subtree">'
        f'<chains xmlns="{SFC}"><chain><name>second</name><egress/></chain></chains>'
        "</filter></get-config>"
    )
    assert strip_ws(etree.tostring(data(reply)[0]).decode()) == (
        f'<chains xmlns="{SFC}"><chain><name>second</name><egress><agent>server-a</agent>'
        "<port>port1</port></egress></chain></chains>"
    )


def test_subtree_filter_containment_lists_all_entries(raw: RawSession) -> None:
    reply = raw.rpc(
        f"<get-config><source><running/></source><filter>"
        f'<chains xmlns="{SFC}"><chain><vnf><name/></vnf></chain></chains>'
        "</filter></get-config>"
    )
    chains = data(reply)[0]
    names = [c.findtext(f"{{{SFC}}}name") for c in chains]
    assert names == ["paper-sfc", "second"]  # keys kept for every selected entry
    assert [v.findtext(f"{{{SFC}}}name") for v in chains[0].iter(f"{{{SFC}}}vnf")] == [
        "edge-fw",
        "monitor",
        "app-fw",
    ]
    assert chains[0].find(f"{{{SFC}}}ingress") is None


def test_empty_and_unmatched_filters_select_nothing(raw: RawSession) -> None:
    assert len(data(raw.rpc("<get-config><source><running/></source><filter/></get-config>"))) == 0
    reply = raw.rpc(
        f'<get-config><source><running/></source><filter><chains xmlns="{SFC}"><chain>'
        "<name>nope</name></chain></chains></filter></get-config>"
    )
    assert len(data(reply)) == 0


def test_xpath_filter_with_prefixes(raw: RawSession) -> None:
    reply = raw.rpc(
        f'<get-config xmlns:s="{SFC}"><source><running/></source>'
        '<filter type="xpath" select="/s:chains/s:chain[s:name=\'second\']/s:ingress/s:port"/>'
        "</get-config>"
    )
    ports = list(data(reply).iter(f"{{{SFC}}}port"))
    assert [p.text for p in ports] == ["port0"]
    (err,) = errors(
        raw.rpc(
            '<get-config><source><running/></source><filter type="xpath" select="/s:chains["/>'
            "</get-config>"
        )
    )
    assert err["error-tag"] == "invalid-value"


def test_get_shows_catalog_library_and_sessions(raw: RawSession) -> None:
    reply = raw.rpc(
        "<get><filter>"
        '<catalog xmlns="urn:micronf:yang:micronf-catalog"><vnf-template><name>edge-firewall</name>'
        "</vnf-template></catalog>"
        '<yang-library xmlns="urn:ietf:params:xml:ns:yang:ietf-yang-library"/>'
        f'<netconf-state xmlns="{MON}"><sessions/></netconf-state>'
        '<intent xmlns="urn:micronf:yang:micronf-controller"/>'
        "</filter></get>"
    )
    d = {el.tag.split("}")[1]: el for el in data(reply)}
    assert sorted(d) == ["catalog", "intent", "netconf-state", "yang-library"]
    assert "micronf-sfc" in etree.tostring(d["yang-library"]).decode()
    assert d["netconf-state"].find(f".//{{{MON}}}session-id").text == str(raw.session_id)
    assert int(d["intent"].findtext("{urn:micronf:yang:micronf-controller}revision")) >= 1
    # get-config never shows the built-in catalog: it is not the user's configuration
    reply = raw.rpc("<get-config><source><running/></source></get-config>")
    assert [el.tag.split("}")[1] for el in data(reply)] == ["agents", "chains"]


@pytest.mark.parametrize(
    ("mode", "port_shown", "tagged"),
    [
        ("explicit", True, False),
        ("trim", False, False),
        ("report-all", True, False),
        ("report-all-tagged", True, True),
    ],
)
def test_with_defaults(raw: RawSession, mode: str, port_shown: bool, tagged: bool) -> None:
    # core-frequency is given as 2000, which is also its default value
    reply = raw.rpc(
        f'<get-config><source><running/></source><with-defaults xmlns="{WD}">{mode}'
        f'</with-defaults><filter><agents xmlns="{SFC}"><agent><name>server-a</name>'
        "<core-frequency/></agent></agents></filter></get-config>"
    )
    port = data(reply).find(f".//{{{SFC}}}agent/{{{SFC}}}core-frequency")
    assert (port is not None) == port_shown
    if port is not None:
        assert (port.get(f"{{{WD}}}default") == "true") == tagged


def test_with_defaults_bad_mode(raw: RawSession) -> None:
    (err,) = errors(
        raw.rpc(
            f'<get-config><source><running/></source><with-defaults xmlns="{WD}">all'
            "</with-defaults></get-config>"
        )
    )
    assert err["error-tag"] == "invalid-value"


def test_get_schema_with_ncclient(ctl: ControllerServer) -> None:
    m = ncclient_connect(ctl.port)
    try:
        text = m.get_schema("micronf-sfc").data
        assert text.startswith("module micronf-sfc {")
        with pytest.raises(RPCError) as exc:
            m.get_schema("no-such-module")
        assert exc.value.tag == "invalid-value"
        caps = list(m.server_capabilities)
        assert any("module=micronf-sfc&revision=" in c for c in caps)
        assert any(c.startswith(MON) for c in caps)
    finally:
        m.close_session()


def test_every_advertised_module_has_its_schema(ctl: ControllerServer) -> None:
    r = RawSession(ctl.port)
    try:
        caps = [c.text for c in r.server_hello.iter(f"{{{NS}}}capability")]
        modules = [c.split("module=")[1].split("&")[0] for c in caps if "?module=" in c]
        assert {"micronf-sfc", "micronf-catalog", "ietf-netconf-acm"} <= set(modules)
        r.hello()
        for name in modules:
            reply = r.rpc(
                f'<get-schema xmlns="{MON}"><identifier>{name}</identifier>'
                "<format>yang</format></get-schema>"
            )
            text = reply.findtext(f"{{{MON}}}data")
            assert text and text.lstrip().startswith(("module", "submodule")), name
    finally:
        r.close()


def test_error_path_prefixes_are_declared(raw: RawSession) -> None:
    reply = raw.rpc(
        f"<edit-config><target><candidate/></target><test-option>test-only</test-option><config>"
        f'<chains xmlns="{SFC}"><chain><name>paper-sfc</name><vnf><name>x</name>'
        "<template>nope</template></vnf></chain></chains></config></edit-config>"
    )
    path = reply.find(f".//{{{NS}}}error-path")
    assert path.text.startswith("/micronf-sfc:chains/")
    assert path.nsmap["micronf-sfc"] == SFC  # the prefix resolves in the reply itself
