"""The validator object: schema loaded once, named phases, kept data trees."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from micronf.yang import Phase, ValidationFailed, Validator

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE: dict[str, Any] = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())


@pytest.fixture(scope="module")
def v() -> Validator:
    return Validator()


def test_validate_reports_every_phase(v: Validator) -> None:
    timings: dict[str, float] = {}
    result = v.validate(v.from_dict(EXAMPLE), timings=timings)
    assert [c["name"] for c in result.chains] == ["paper-sfc"]
    assert set(timings) == {Phase.catalog.value, Phase.yang.value, Phase.graph.value}
    assert all(t >= 0 for t in timings.values())


def test_validation_leaves_the_kept_tree_as_it_was(v: Validator) -> None:
    tree = v.from_dict(EXAMPLE)
    before = tree.print("json")
    v.validate(tree)
    assert tree.print("json") == before  # the built-in catalog was merged into a copy
    assert "micronf-catalog:catalog" not in tree.to_dict()


def test_merge_adds_and_replaces_by_key(v: Validator) -> None:
    base = v.from_dict(EXAMPLE)
    second = copy.deepcopy(EXAMPLE)
    chain = second["micronf-sfc:chains"]["chain"][0]
    chain["name"] = "other"
    chain["description"] = "a second chain"
    merged = base.copy()
    merged.merge(v.from_dict(second))
    names = [c["name"] for c in merged.to_dict()["micronf-sfc:chains"]["chain"]]
    assert names == ["paper-sfc", "other"]
    assert [c["name"] for c in base.to_dict()["micronf-sfc:chains"]["chain"]] == ["paper-sfc"]
    v.validate(merged)


def test_diff_names_changed_added_and_removed_nodes(v: Validator) -> None:
    old = v.from_dict(EXAMPLE)
    changed = copy.deepcopy(EXAMPLE)
    chain = changed["micronf-sfc:chains"]["chain"][0]
    chain["description"] = "changed"
    chain["vnf"][1]["node-config"] = [
        {"node": "count", "parameter": [{"name": "url", "value": ["^/x"]}]}
    ]
    del chain["vnf"][0]["node-config"]
    new = v.from_dict(changed)
    ops = {(c.op, c.path) for c in old.diff(new)}
    base = "/micronf-sfc:chains/chain[name='paper-sfc']"
    assert ("replace", f"{base}/description") in ops
    assert ("create", f"{base}/vnf[name='monitor']/node-config[node='count']") in ops
    assert ("delete", f"{base}/vnf[name='edge-fw']/node-config[node='filter']") in ops
    (desc,) = [c for c in old.diff(new) if c.path.endswith("/description")]
    assert desc.new == "changed" and desc.old is not None and desc.old.startswith("Edge")
    assert old.diff(old.copy()) == []
    # one creation per top-level container of the example (agents, chains)
    assert [c.op for c in v.empty().diff(old)] == ["create"] * len(EXAMPLE)


def test_trees_print_xml_and_json_that_parse_back(v: Validator) -> None:
    tree = v.from_dict(EXAMPLE)
    again = v.parse(tree.print("xml"), "xml")
    assert again.diff(tree) == []
    assert v.empty().print("json") == "{}"


def test_parse_errors_are_problems_with_paths(v: Validator) -> None:
    bad = copy.deepcopy(EXAMPLE)
    bad["micronf-sfc:chains"]["chain"][0]["vnf"][0]["colour"] = "red"
    with pytest.raises(ValidationFailed) as info:
        v.from_dict(bad)
    assert "colour" in info.value.problems[0].message


def test_dangling_leafref_is_data_missing(v: Validator) -> None:
    bad = copy.deepcopy(EXAMPLE)
    bad["micronf-sfc:chains"]["chain"][0]["vnf"][0]["template"] = "nope"
    with pytest.raises(ValidationFailed) as info:
        v.validate(v.from_dict(bad))
    assert info.value.problems[0].error_tag == "data-missing"


def test_trees_of_another_validator_are_refused(v: Validator) -> None:
    other = Validator()
    with pytest.raises(ValueError, match="another validator"):
        v.validate(other.from_dict(EXAMPLE))


def test_list_keys(v: Validator) -> None:
    keys = v.list_keys()
    assert keys["micronf-sfc:chains/chain"] == ("name",)
    assert keys["micronf-catalog:catalog/vnf-template"] == ("name", "version")
    assert keys["micronf-catalog:catalog/unf-descriptor"] == ("class",)
