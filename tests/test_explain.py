"""Errors that name something unknown list the valid choices; paths carry their list keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from micronf.yang import ValidationFailed, validate_instance
from micronf.yang.explain import choices_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())


def _problems(doc: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        validate_instance(json.dumps(doc), "json")
    return [p.format() for p in failed.value.problems]


def _example() -> dict[str, object]:
    doc: dict[str, object] = json.loads(json.dumps(EXAMPLE))
    return doc


def _chain(doc: dict[str, object]) -> dict[str, object]:
    chain: dict[str, object] = doc["micronf-sfc:chains"]["chain"][0]  # type: ignore[index]
    return chain


def test_choices_text() -> None:
    assert choices_text("rules", ["rule", "default-action"], "parameters") == (
        "did you mean 'rule'? (parameters: default-action, rule)"
    )
    assert choices_text("zzz", ["a", "b"], "VNFs") == "VNFs: a, b"
    assert choices_text("x", [], "VNFs") == "there are no VNFs"


def test_misspelled_parameter_with_two_values_is_unknown_not_single_valued() -> None:
    doc = _example()
    params = _chain(doc)["vnf"][0]["node-config"][0]["parameter"]  # type: ignore[index]
    params.append({"name": "default-actoin", "value": ["allow", "deny"]})
    (line,) = _problems(doc)
    assert "declares no such parameter; did you mean 'default-action'?" in line
    assert "single-valued" not in line and "[micronf-unknown-parameter]" in line


def test_unknown_template_lists_the_templates() -> None:
    doc = _example()
    _chain(doc)["vnf"][1]["template"] = "monitoring-functoin"  # type: ignore[index]
    (line,) = _problems(doc)
    assert "did you mean 'monitoring-function'? (VNF templates: application-firewall" in line


def test_unknown_node_and_enum_list_the_choices() -> None:
    doc = _example()
    _chain(doc)["vnf"][0]["node-config"][0]["node"] = "filtre"  # type: ignore[index]
    (line,) = _problems(doc)
    assert "did you mean 'filter'? (nodes of the template: check, filter, rx, tx)" in line
    doc = _example()
    match = _chain(doc)["ingress"]["match"]  # type: ignore[index]
    match["tcp"]["destination-port"]["operator"] = "eqq"
    (line,) = _problems(doc)
    assert "did you mean 'eq' or 'neq'? (values: eq, gte, lte, neq)" in line


def test_a_path_without_its_list_key_gets_it() -> None:
    doc = _example()
    second = dict(_chain(doc), name="second")
    del second["vnf"], second["link"], second["ingress"]
    doc["micronf-sfc:chains"]["chain"].append(second)  # type: ignore[index]
    lines = _problems(doc)
    assert any("/micronf-sfc:chains/chain[name='second']/" in line for line in lines), lines
