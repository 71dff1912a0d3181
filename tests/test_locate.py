"""Errors found after parsing still point at the line of the offending node."""

from __future__ import annotations

from pathlib import Path

import pytest

from micronf.yang import ValidationFailed, validate_instance
from micronf.yang.locate import json_pointer, line_of, parse_path

ROOT = Path(__file__).resolve().parents[1]
JSON = (ROOT / "examples" / "paper-sfc.json").read_text()
XML = (ROOT / "examples" / "paper-sfc.xml").read_text()


def _line_containing(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_parse_path_drops_prefixes_and_keeps_keys() -> None:
    assert parse_path("/micronf-sfc:chains/chain[name='a']/link[from='x'][to='y']/label") == [
        ("chains", []),
        ("chain", [("name", "a")]),
        ("link", [("from", "x"), ("to", "y")]),
        ("label", []),
    ]


def test_json_pointer_resolves_list_keys() -> None:
    import json

    doc = json.loads(JSON)
    path = "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='app-fw']/template"
    assert json_pointer(doc, path) == "/micronf-sfc:chains/chain/0/vnf/2/template"


@pytest.mark.parametrize(("fmt", "text"), [("json", JSON), ("xml", XML)])
def test_dangling_template_points_at_its_line(fmt: str, text: str) -> None:
    bad = text.replace("application-firewall", "no-such-template")
    with pytest.raises(ValidationFailed) as info:
        validate_instance(bad.encode(), fmt)
    (problem,) = info.value.problems
    assert problem.app_tag == "instance-required"
    assert problem.line == _line_containing(bad, "no-such-template")


@pytest.mark.parametrize(("fmt", "text"), [("json", JSON), ("xml", XML)])
def test_graph_check_points_at_the_vnf(fmt: str, text: str) -> None:
    path = "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='monitor']"
    line = line_of(text.encode(), fmt, path)
    assert line is not None
    window = "\n".join(text.splitlines()[line - 1 : line + 1])
    assert "monitor" in window


def test_paths_outside_the_document_have_no_line() -> None:
    path = "/micronf-catalog:catalog/vnf-template[name='edge-firewall']"
    assert line_of(JSON.encode(), "json", path) is None
    assert line_of(XML.encode(), "xml", path) is None
    assert line_of(JSON.encode(), "json", None) is None


def test_one_locator_answers_many_paths() -> None:
    from micronf.yang.locate import Locator

    chain = "/micronf-sfc:chains/chain[name='paper-sfc']"
    paths = [
        f"{chain}/vnf[name='monitor']",
        f"{chain}/vnf[name='app-fw']/template",
        f"{chain}/link[from='edge-fw'][to='monitor']",
        f"{chain}/vnf[name='ghost']",
        "/micronf-catalog:catalog/vnf-template[name='edge-firewall']",
    ]
    for fmt, text in (("json", JSON), ("xml", XML)):
        locator = Locator(text.encode(), fmt)
        got = [locator.line(p) for p in paths]
        assert got == [line_of(text.encode(), fmt, p) for p in paths]
        assert got[0] is not None and got[1] is not None and got[-1] is None
        assert "app-fw" in "\n".join(text.splitlines()[got[1] - 3 : got[1]])


def test_json_lines_of_multi_key_and_leaf_list_entries() -> None:
    from micronf.yang.locate import Locator

    text = (
        '{"m:top": {\n'
        ' "link": [\n'
        '  {"from": "a", "to": "b"},\n'
        '  {"from": "a", "to": "c", "label": ["x",\n'
        '    "y"]}\n'
        " ],\n"
        ' "flag": [true, false]\n'
        "}}\n"
    )
    loc = Locator(text.encode(), "json")
    assert loc.line("/m:top/link[from='a'][to='c']") == 4
    assert loc.line("/m:top/link[from='a'][to='c']/label[.='y']") == 5
    assert loc.line("/m:top/link[from='a'][to='z']") == 2  # the list itself
    assert loc.line("/m:top/flag[.='false']") == 7
    assert Locator(b"{not json", "json").line("/m:top") is None
    assert Locator(b"<a><b></a>", "xml").line("/a/b") is None
