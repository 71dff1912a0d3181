"""Graph and parameter checks run after libyang, through the real validation path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from micronf.yang import ValidationFailed, validate_dict
from micronf.yang.checks import find_cycle, reachable

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE: dict[str, Any] = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())


def chain_doc() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE)


def the_chain(doc: dict[str, Any]) -> dict[str, Any]:
    chain: dict[str, Any] = doc["micronf-sfc:chains"]["chain"][0]
    return chain


def tags(doc: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    with pytest.raises(ValidationFailed) as info:
        validate_dict(doc)
    return [(p.app_tag, p.path) for p in info.value.problems]


def custom_template(**overrides: Any) -> dict[str, Any]:
    tpl: dict[str, Any] = {
        "name": "custom",
        "version": "1.0",
        "node": [
            {"id": "rx", "unf-class": "RxService"},
            {"id": "classify", "unf-class": "HttpClassifier"},
            {
                "id": "count",
                "unf-class": "CountUrl",
                "parameter": [{"name": "url", "value": ["^/"]}],
            },
            {"id": "tx", "unf-class": "TxService"},
        ],
        "link": [
            {"from": "rx", "to": "classify"},
            {"from": "classify", "to": "count", "label": ["http"]},
            {"from": "classify", "to": "tx", "label": ["non-http"]},
            {"from": "count", "to": "tx"},
        ],
        "entry": "rx",
        "exit": [{"name": "out", "node": "tx"}],
    }
    tpl.update(overrides)
    return {"micronf-catalog:catalog": {"vnf-template": [tpl]}}


def test_example_is_valid() -> None:
    v = validate_dict(chain_doc())
    assert [c["name"] for c in v.chains] == ["paper-sfc"]


def test_custom_template_is_valid() -> None:
    v = validate_dict(custom_template())
    names = [t["name"] for t in v.catalog["vnf-template"]]
    assert "custom" in names and "edge-firewall" in names


def test_find_cycle_and_reachable() -> None:
    assert find_cycle("abc", [("a", "b"), ("b", "c")]) is None
    assert find_cycle("abc", [("a", "b"), ("b", "c"), ("c", "a")]) == ["a", "b", "c", "a"]
    assert reachable("a", [("a", "b"), ("c", "d")]) == {"a", "b"}


def test_chain_cycle() -> None:
    doc = chain_doc()
    the_chain(doc)["link"].append({"from": "app-fw", "to": "edge-fw"})
    found = tags(doc)
    assert ("micronf-cycle", "/micronf-sfc:chains/chain[name='paper-sfc']/link") in found


def test_unreachable_vnf() -> None:
    doc = chain_doc()
    the_chain(doc)["vnf"].append({"name": "lb", "template": "load-balancer"})
    found = tags(doc)
    assert (
        "micronf-unreachable",
        "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='lb']",
    ) in found


def test_chain_link_label_must_be_an_exit() -> None:
    doc = chain_doc()
    the_chain(doc)["link"][0]["label"] = ["http"]
    found = tags(doc)
    assert found == [
        (
            "micronf-unknown-label",
            "/micronf-sfc:chains/chain[name='paper-sfc']/link[from='edge-fw'][to='monitor']/label",
        )
    ]


def test_chain_link_with_exit_label_is_valid() -> None:
    doc = chain_doc()
    the_chain(doc)["link"][0]["label"] = ["out"]
    (chain,) = validate_dict(doc).chains
    assert chain["link"][0]["label"] == ["out"]


def test_template_label_not_emitted() -> None:
    doc = custom_template()
    doc["micronf-catalog:catalog"]["vnf-template"][0]["link"][0]["label"] = ["http"]
    found = tags(doc)
    assert found == [
        (
            "micronf-unknown-label",
            "/micronf-catalog:catalog/vnf-template[name='custom'][version='1.0']/link[from='rx'][to='classify']/label",
        )
    ]


def test_template_cycle_and_unreachable() -> None:
    doc = custom_template()
    tpl = doc["micronf-catalog:catalog"]["vnf-template"][0]
    tpl["link"].append({"from": "tx", "to": "rx"})
    tpl["node"].append({"id": "orphan", "unf-class": "MacSwapper"})
    tpl["link"].append({"from": "orphan", "to": "tx"})
    found = {t for t, _ in tags(doc)}
    assert found == {"micronf-cycle", "micronf-unreachable"}


def test_template_label_no_link_takes() -> None:
    doc = custom_template()
    tpl = doc["micronf-catalog:catalog"]["vnf-template"][0]
    tpl["link"] = [lk for lk in tpl["link"] if lk.get("label") != ["non-http"]]
    assert tags(doc) == [
        (
            "micronf-unrouted-label",
            "/micronf-catalog:catalog/vnf-template[name='custom'][version='1.0']/node[id='classify']",
        )
    ]
    tpl["link"].append({"from": "classify", "to": "tx"})  # unlabelled: takes the rest
    validate_dict(doc)


def test_template_dead_end_is_a_yang_must() -> None:
    doc = custom_template()
    tpl = doc["micronf-catalog:catalog"]["vnf-template"][0]
    tpl["node"].append({"id": "orphan", "unf-class": "MacSwapper"})
    tpl["link"].append({"from": "rx", "to": "orphan"})
    assert tags(doc) == [
        (
            "micronf-dead-end",
            "/micronf-catalog:catalog/vnf-template[name='custom'][version='1.0']/node[id='orphan']",
        )
    ]


def test_missing_mandatory_parameter_is_reported_for_the_chain() -> None:
    doc = custom_template()
    tpl = doc["micronf-catalog:catalog"]["vnf-template"][0]
    del tpl["node"][2]["parameter"]
    validate_dict(doc)  # a template alone may leave it to the chains
    doc["micronf-sfc:chains"] = {
        "chain": [
            {"name": "c", "vnf": [{"name": "v", "template": "custom"}], "ingress": {"vnf": "v"}}
        ]
    }
    assert tags(doc) == [
        ("micronf-missing-parameter", "/micronf-sfc:chains/chain[name='c']/vnf[name='v']")
    ]
    doc["micronf-sfc:chains"]["chain"][0]["vnf"][0]["node-config"] = [
        {"node": "count", "parameter": [{"name": "url", "value": ["^/x"]}]}
    ]
    validate_dict(doc)


@pytest.mark.parametrize(
    ("param", "values", "tag"),
    [
        ("rule", ["allow proto tcp dport 99999"], "micronf-bad-parameter-value"),
        ("rule", ["permit all"], "micronf-bad-parameter-value"),
        ("rule", ["deny src 10.0.0.0/33"], "micronf-bad-parameter-value"),
        ("default-action", ["allow", "deny"], "micronf-too-many-values"),
        ("no-such", ["x"], "micronf-unknown-parameter"),
    ],
)
def test_parameter_checks(param: str, values: list[str], tag: str) -> None:
    doc = chain_doc()
    cfg = the_chain(doc)["vnf"][0]["node-config"][0]
    cfg["parameter"] = [{"name": param, "value": values}]
    found = tags(doc)
    assert [t for t, _ in found] == [tag]
    assert found[0][1] is not None and f"parameter[name='{param}']" in found[0][1]


def test_unknown_template_node_in_node_config() -> None:
    doc = chain_doc()
    the_chain(doc)["vnf"][0]["node-config"][0]["node"] = "nope"
    assert [t for t, _ in tags(doc)] == ["micronf-unknown-node"]


def test_libyang_errors_keep_data_path_and_tag() -> None:
    doc = chain_doc()
    the_chain(doc)["vnf"][2]["template"] = "no-such-template"
    found = tags(doc)
    assert found == [
        (
            "instance-required",
            "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='app-fw']/template",
        )
    ]


def test_self_loop_uses_must_app_tag() -> None:
    doc = chain_doc()
    the_chain(doc)["link"].append({"from": "monitor", "to": "monitor"})
    assert "micronf-self-loop" in [t for t, _ in tags(doc)]
