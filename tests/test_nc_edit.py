"""edit-config (RFC 6241 7.2): every operation, default-operation, test-option,
error-option, and the edits that must change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from ncclient.operations import RPCError
from ncserver import SFC, ControllerServer, example_chain_xml, ncclient_connect

NC = 'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"'


def cfg(inner: str) -> str:
    return f'<config><chains xmlns="{SFC}" {NC}>{inner}</chains></config>'


@pytest.fixture(scope="module")
def ctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControllerServer]:
    c = ControllerServer(tmp_path_factory.mktemp("edit"))
    yield c
    c.stop()


@pytest.fixture()
def m(ctl: ControllerServer) -> Iterator[object]:
    mgr = ncclient_connect(ctl.port)
    # Every test starts from running = the paper's chain, candidate = running.
    mgr.edit_config(
        target="running",
        config=f"<config>{example_chain_xml()}</config>",
        default_operation="replace",
    )
    mgr.discard_changes()
    yield mgr
    mgr.close_session()


def chain(ctl: ControllerServer, datastore: str = "running") -> dict:
    data = json.loads(getattr(ctl.datastores, datastore)())
    (c,) = data["micronf-sfc:chains"]["chain"]
    return c


def test_merge_replace_create_delete_remove(ctl: ControllerServer, m: object) -> None:
    m.edit_config(
        target="candidate",
        config=cfg(
            "<chain><name>paper-sfc</name><description>merged</description>"
            '<placement nc:operation="replace"><expected-rate>7.5</expected-rate></placement>'
            "</chain>"
        ),
    )
    c = chain(ctl, "candidate")
    assert c["description"] == "merged" and c["placement"] == {"expected-rate": "7.5"}
    assert len(c["vnf"]) == 3  # merge kept what it did not name

    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate",
            config=cfg('<chain nc:operation="create"><name>paper-sfc</name></chain>'),
        )
    assert exc.value.tag == "data-exists"
    assert exc.value.path.endswith("chain[name='paper-sfc']")

    m.edit_config(
        target="candidate",
        config=cfg('<chain><name>paper-sfc</name><description nc:operation="delete"/></chain>'),
    )
    assert "description" not in chain(ctl, "candidate")
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate",
            config=cfg('<chain><name>paper-sfc</name><description nc:operation="delete"/></chain>'),
        )
    assert exc.value.tag == "data-missing"
    m.edit_config(
        target="candidate",
        config=cfg(  # remove: no error when absent
            '<chain><name>paper-sfc</name><description nc:operation="remove"/></chain>'
        ),
    )
    assert chain(ctl) == chain(ctl, "running")  # running untouched by candidate edits


def test_default_operation_none_and_replace(ctl: ControllerServer, m: object) -> None:
    m.edit_config(
        target="candidate",
        default_operation="none",
        config=cfg(
            "<chain><name>paper-sfc</name><description>not merged</description><placement>"
            '<allowed-agent nc:operation="create">server-a</allowed-agent></placement></chain>'
        ),
    )
    c = chain(ctl, "candidate")
    assert c["placement"]["allowed-agent"] == ["server-a"]
    assert c["description"] != "not merged"  # 'none' changed nothing there
    second = example_chain_xml("second")
    m.edit_config(
        target="candidate", default_operation="replace", config=f"<config>{second}</config>"
    )
    names = [
        c["name"] for c in json.loads(ctl.datastores.candidate())["micronf-sfc:chains"]["chain"]
    ]
    assert names == ["second"]


def test_test_only_changes_nothing(ctl: ControllerServer, m: object) -> None:
    before = (ctl.datastores.running(), ctl.datastores.candidate(), len(list(ctl.store.history())))
    m.edit_config(
        target="running",
        test_option="test-only",
        config=cfg("<chain><name>paper-sfc</name><description>dry</description></chain>"),
    )
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="running",
            test_option="test-only",
            config=cfg(
                "<chain><name>paper-sfc</name><vnf><name>x</name><template>nope</template></vnf></chain>"
            ),
        )
    assert exc.value.tag == "data-missing"
    after = (ctl.datastores.running(), ctl.datastores.candidate(), len(list(ctl.store.history())))
    assert after == before


def test_leafref_broken_only_in_merged_data(ctl: ControllerServer, m: object) -> None:
    # Alone, this edit is fine (a link between VNFs that exist in it)...
    before = len(list(ctl.store.history()))
    edit = cfg(
        '<chain><name>paper-sfc</name><vnf nc:operation="delete"><name>monitor</name></vnf></chain>'
    )
    # ...merged, the links from/to 'monitor' point at nothing.
    with pytest.raises(RPCError) as exc:
        m.edit_config(target="running", config=edit)
    assert exc.value.tag == "data-missing"
    assert "monitor" in exc.value.message
    assert len(list(ctl.store.history())) == before
    assert any(v["name"] == "monitor" for v in chain(ctl)["vnf"])


def test_error_options(ctl: ControllerServer, m: object) -> None:
    bad_and_good = cfg(
        '<chain><name>paper-sfc</name><placement><allowed-agent nc:operation="delete">nobody'
        "</allowed-agent><expected-rate>4.0</expected-rate></placement></chain>"
    )
    for option in ("stop-on-error", "rollback-on-error"):
        with pytest.raises(RPCError):
            m.edit_config(target="candidate", config=bad_and_good, error_option=option)
        assert chain(ctl, "candidate") == chain(ctl)
    with pytest.raises(RPCError) as exc:
        m.edit_config(target="candidate", config=bad_and_good, error_option="continue-on-error")
    assert exc.value.tag == "data-missing"
    assert chain(ctl, "candidate")["placement"]["expected-rate"] == "4.0"  # the rest applied


def test_writes_to_running_are_revisions(ctl: ControllerServer, m: object) -> None:
    before = len(list(ctl.store.history()))
    m.edit_config(
        target="running",
        config=cfg("<chain><name>paper-sfc</name><description>via running</description></chain>"),
    )
    head = ctl.store.head()
    assert len(list(ctl.store.history())) == before + 1
    assert head.author == "admin" and head.channel == "netconf"


def test_unknown_elements_and_namespaces(ctl: ControllerServer, m: object) -> None:
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate", config=cfg("<chain><name>x</name><colour>red</colour></chain>")
        )
    assert exc.value.tag == "unknown-element"
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate", config='<config><chains xmlns="urn:not-a-module"/></config>'
        )
    assert exc.value.tag == "unknown-namespace"
    with pytest.raises(RPCError) as exc:
        m.edit_config(
            target="candidate",
            config=cfg('<chain nc:operation="frobnicate"><name>x</name></chain>'),
        )
    assert exc.value.tag in ("bad-attribute", "invalid-value")
    assert chain(ctl, "candidate") == chain(ctl)
