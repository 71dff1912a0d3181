"""VNF templates are keyed by name and version; a chain names the version it uses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from micronf.models import Intent
from micronf.tosca import translate_text
from micronf.yang import ValidationFailed, validate_dict

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE: dict[str, Any] = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())


def edge_firewall_v2() -> dict[str, Any]:
    """A second version of the built-in edge-firewall that also counts packet sizes."""
    builtin = json.loads((ROOT / "yang" / "catalog" / "builtin.json").read_text())
    (tpl,) = [
        t
        for t in builtin["micronf-catalog:catalog"]["vnf-template"]
        if t["name"] == "edge-firewall"
    ]
    tpl = copy.deepcopy(tpl)
    tpl["version"] = "2.0"
    tpl["node"].insert(1, {"id": "size", "unf-class": "PacketSizeCounter"})
    tpl["link"] = [lk for lk in tpl["link"] if lk["from"] != "rx"]
    tpl["link"].insert(0, {"from": "rx", "to": "size"})
    tpl["link"].insert(1, {"from": "size", "to": tpl["link"][1]["from"]})
    return tpl


def doc_with_v2(version: str | None) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE)
    doc["micronf-catalog:catalog"] = {"vnf-template": [edge_firewall_v2()]}
    vnf = doc["micronf-sfc:chains"]["chain"][0]["vnf"][0]
    if version is not None:
        vnf["template-version"] = version
    return doc


def unf_classes(doc: dict[str, Any]) -> list[str]:
    intent = Intent.from_validated(validate_dict(doc))
    graph = intent.chains["paper-sfc"].expand(intent.catalog)
    return [u.descriptor.unf_class for u in graph.unfs.values() if u.vnf == "edge-fw"]


def test_a_chain_names_the_version_it_uses() -> None:
    assert "PacketSizeCounter" in unf_classes(doc_with_v2("2.0"))
    assert "PacketSizeCounter" not in unf_classes(doc_with_v2("1.0"))


def test_several_versions_and_no_version_named_is_an_error() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_dict(doc_with_v2(None))
    (problem,) = info.value.problems
    assert problem.app_tag == "micronf-ambiguous-template-version"
    assert problem.path == "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='edge-fw']"


def test_a_version_the_catalog_lacks_is_an_error() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_dict(doc_with_v2("3.0"))
    (problem,) = info.value.problems
    assert "template-version" in (problem.path or "")
    assert "3.0" in problem.message


def test_a_malformed_version_is_refused() -> None:
    doc = doc_with_v2("2.0")
    doc["micronf-catalog:catalog"]["vnf-template"][0]["version"] = "two"
    with pytest.raises(ValidationFailed) as info:
        validate_dict(doc)
    assert info.value.problems[0].app_tag == "micronf-bad-version"


def test_tosca_template_version_property() -> None:
    text = (ROOT / "examples" / "paper-sfc.yaml").read_text()
    text = text.replace(
        "        template: edge-firewall\n",
        "        template: edge-firewall\n        template_version: '1.0'\n",
    )
    data = translate_text(text, base_dir=ROOT / "examples")
    (chain,) = data["micronf-sfc:chains"]["chain"]
    assert chain["vnf"][0]["template-version"] == "1.0"
    assert "template-version" not in chain["vnf"][1]
    validate_dict(data)
