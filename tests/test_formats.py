"""The paper's chain written as YANG XML and YANG JSON gives the same validated data."""

from __future__ import annotations

import json
from pathlib import Path

from micronf.yang import validate_instance

ROOT = Path(__file__).resolve().parents[1]


def test_xml_and_json_examples_are_the_same_intent() -> None:
    j = validate_instance(
        (ROOT / "examples" / "paper-sfc.json").read_bytes(), "json", keep_user_json=True
    )
    x = validate_instance(
        (ROOT / "examples" / "paper-sfc.xml").read_bytes(), "xml", keep_user_json=True
    )
    assert j.user_json and x.user_json
    assert json.loads(j.user_json) == json.loads(x.user_json)
    assert j.data == x.data
    assert j.chains[0]["vnf"][0]["node-config"][0]["parameter"][0]["value"][0] == (
        "deny proto udp dport 53"
    )
