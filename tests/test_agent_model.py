"""The southbound model (micronf-agent) accepts a real desired sub-graph and its
constraints reject broken ones, with their app-tags."""

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


def unfs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in doc["micronf-agent:agent"]["desired"]["unf"]}


def test_example_desired_graph_is_valid() -> None:
    v = validate_dict(copy.deepcopy(DESIRED))
    desired = v.data["micronf-agent:agent"]["desired"]
    classify = next(u for u in desired["unf"] if u["id"] == "classify")
    # defaults are filled in by libyang
    assert classify["scheduling"]["burst-size"] == 32
    assert classify["autoscale"]["min-instances"] == 1


def _port_egress_with_ring(d: dict[str, Any]) -> None:
    unfs(d)["tx"]["egress"][0]["ring"] = ["to-tx"]


def _branch_with_one_ring(d: dict[str, Any]) -> None:
    unfs(d)["size"]["egress"][0]["kind"] = "branch"


def _label_twice(d: dict[str, Any]) -> None:
    unfs(d)["classify"]["egress"][1]["label"] = ["http"]


def _ring_ingress_without_ring(d: dict[str, Any]) -> None:
    del unfs(d)["check"]["ingress"]["ring"]


def _bounds(d: dict[str, Any]) -> None:
    unfs(d)["classify"]["autoscale"]["min-instances"] = 3


def _vlan_tag(d: dict[str, Any]) -> None:
    d["micronf-agent:agent"]["desired"]["tunnel"] = [
        {
            "name": "t1",
            "direction": "tx",
            "port": "port1",
            "peer-agent": "server-b",
            "encapsulation": "vlan",
            "tag": 5000,
        }
    ]


def _unknown_ring(d: dict[str, Any]) -> None:
    unfs(d)["count"]["egress"][0]["ring"] = ["nowhere"]


def _ring_size(d: dict[str, Any]) -> None:
    d["micronf-agent:agent"]["desired"]["ring"][0]["size"] = 1000


@pytest.mark.parametrize(
    ("mutate", "tag"),
    [
        (_port_egress_with_ring, "micronf-egress-targets"),
        (_branch_with_one_ring, "micronf-egress-targets"),
        (_label_twice, "micronf-label-routed-twice"),
        (_ring_ingress_without_ring, "micronf-ingress-incomplete"),
        (_bounds, "micronf-bad-instance-bounds"),
        (_vlan_tag, "micronf-bad-tag"),
        (_unknown_ring, "instance-required"),
        (_ring_size, None),
    ],
)
def test_broken_desired_graphs_are_rejected(
    mutate: Callable[[dict[str, Any]], None], tag: str | None
) -> None:
    doc = copy.deepcopy(DESIRED)
    mutate(doc)
    with pytest.raises(ValidationFailed) as info:
        validate_dict(doc)
    problems = info.value.problems
    assert problems and all(p.path and p.path.startswith("/micronf-agent:agent") for p in problems)
    assert problems[0].app_tag == tag
