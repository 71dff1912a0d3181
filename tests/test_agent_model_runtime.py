"""The micronf-agent constraints the runtime relies on: the Rx classifier list,
tunnel endpoints, sync and load-balancing arity, and which classes may scale."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micronf.yang import ValidationFailed, validate_dict

ROOT = Path(__file__).resolve().parents[1]
DESIRED: dict[str, Any] = json.loads(
    (ROOT / "examples" / "agent" / "desired-server-a.json").read_text()
)


def desired(doc: dict[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = doc["micronf-agent:agent"]["desired"]
    return d


def unf(doc: dict[str, Any], uid: str) -> dict[str, Any]:
    return next(u for u in desired(doc)["unf"] if u["id"] == uid)


def _classifier(*entries: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        desired(doc)["classifier"] = [
            {"name": f"c{i}", "port": "port0", "chain-tag": i + 1, "ring": "to-check", **e}
            for i, e in enumerate(entries)
        ]

    return mutate


def _tunnel(**extra: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        desired(doc)["tunnel"] = [
            {
                "name": "t1",
                "direction": "tx",
                "port": "port1",
                "peer-agent": "server-b",
                "tag": 7,
                **extra,
            }
        ]

    return mutate


def _set(uid: str, path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = unf(doc, uid)
        for key in path[:-1]:
            node = node[key] if not isinstance(node, list) else node[int(key)]
        node[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        _classifier(
            {"match": {"protocol": 6, "destination-port-lower": 80, "destination-port-upper": 80}},
            {},
        ),
        _classifier(
            {"match": {"source-ipv4-network": "10.0.0.0/8"}},
            {"match": {"source-ipv4-network": "10.1.0.0/16"}},
        ),
        _tunnel(
            **{
                "remote-mac": "02:00:00:00:00:0b",
                "remote-address": "192.0.2.2",
                "local-address": "192.0.2.1",
            }
        ),
        _set("classify", ("autoscale", "max-instances"), 3),
    ],
)
def test_valid(mutate: Callable[[dict[str, Any]], None]) -> None:
    doc = copy.deepcopy(DESIRED)
    mutate(doc)
    validate_dict(doc)


@pytest.mark.parametrize(
    ("mutate", "tag"),
    [
        (_classifier({"match": {"protocol": 6}}, {"match": {"protocol": 6}}), "data-not-unique"),
        (_classifier({}, {}), "data-not-unique"),
        (
            _classifier({"match": {"destination-port-lower": 90, "destination-port-upper": 80}}),
            "micronf-bad-port-range",
        ),
        (
            _tunnel(encapsulation="vlan", **{"remote-address": "192.0.2.2"}),
            "micronf-tunnel-address",
        ),
        (_set("check", ("ingress", "kind"), "sync"), "micronf-sync-without-branches"),
        (_set("check", ("egress", "0", "kind"), "load-balanced"), "micronf-lb-one-ring"),
        (_set("size", ("autoscale",), {}), "micronf-cannot-scale"),
        (_set("rx", ("autoscale",), {"max-instances": 2}), "micronf-cannot-scale"),
    ],
)
def test_invalid(mutate: Callable[[dict[str, Any]], None], tag: str) -> None:
    doc = copy.deepcopy(DESIRED)
    mutate(doc)
    with pytest.raises(ValidationFailed) as failed:
        validate_dict(doc)
    assert failed.value.problems[0].app_tag == tag


def test_instance_state_is_not_configuration() -> None:
    doc = copy.deepcopy(DESIRED)
    unf(doc, "check")["instance"] = [{"index": 0, "pid": 42}]
    with pytest.raises(ValidationFailed, match="state"):
        validate_dict(doc)
