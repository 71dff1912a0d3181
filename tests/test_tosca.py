"""TOSCA (NFV profile + micronf profile) -> micronf-sfc YANG translation."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from micronf.tosca import load_tosca, translate_file
from micronf.tosca.translate import load_tosca_text, profile_path, translate_text
from micronf.yang import ValidationFailed, validate_instance

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_YAML = ROOT / "examples" / "paper-sfc.yaml"
EXAMPLE_JSON = ROOT / "examples" / "paper-sfc.json"
DATA = ROOT / "tests" / "data" / "tosca"
BAD = DATA / "bad"
GENERAL_BAD = ROOT / "tests" / "data" / "bad"


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line of ``path`` that starts with ``text`` (stripped)."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip().startswith(text):
            return number
    raise AssertionError(f"{text!r} not in {path}")


def failure(path: Path) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        load_tosca(path)
    assert info.value.problems, "ValidationFailed without problems"
    return info.value


# --------------------------------------------------------------------------- the example


def test_profile_is_packaged() -> None:
    path = profile_path()
    assert path.is_file()
    assert path.name == "micronf-profile.yaml"
    assert "micronf.nodes.VNF" in path.read_text()


def test_example_translates_to_the_json_example_exactly() -> None:
    """Same data and same list order as examples/paper-sfc.json."""
    assert translate_file(EXAMPLE_YAML) == json.loads(EXAMPLE_JSON.read_text())


def test_example_validates_to_the_same_user_json_as_the_json_example() -> None:
    from_tosca = load_tosca(EXAMPLE_YAML, keep_user_json=True)
    from_json = validate_instance(EXAMPLE_JSON.read_bytes(), "json", keep_user_json=True)
    assert from_tosca.user_json is not None
    assert from_json.user_json is not None
    assert json.loads(from_tosca.user_json) == json.loads(from_json.user_json)
    (chain,) = from_tosca.chains
    assert chain["name"] == "paper-sfc"
    assert [v["name"] for v in chain["vnf"]] == ["edge-fw", "monitor", "app-fw"]


def test_translate_text_resolves_relative_imports_against_base_dir() -> None:
    text = (DATA / "udp-dns.yaml").read_text()
    data = translate_text(text, "udp-dns.yaml", DATA)
    assert data["micronf-sfc:chains"]["chain"][0]["vnf"][0]["template"] == "edge-firewall"
    with pytest.raises(ValidationFailed) as info:
        translate_text(text, "udp-dns.yaml", BAD)
    assert "types/dns-types.yaml" in str(info.value)
    assert "file not found" in str(info.value)


@pytest.mark.parametrize(
    "spelling",
    [
        "- micronf",
        "- micronf-profile.yaml",
        "- micronf: micronf-profile.yaml",
        "- profile: {file: micronf}",
    ],
)
def test_profile_import_spellings(spelling: str) -> None:
    text = EXAMPLE_YAML.read_text().replace("  - micronf\n", f"  {spelling}\n")
    assert spelling in text
    intent = load_tosca_text(text, "inline.yaml", ROOT)
    assert intent.chains[0]["ingress"]["vnf"] == "edge-fw"


def test_profile_import_with_namespace_prefix_is_refused() -> None:
    text = EXAMPLE_YAML.read_text().replace(
        "  - micronf\n", "  - mnf: {file: micronf, namespace_prefix: mnf}\n"
    )
    with pytest.raises(ValidationFailed) as info:
        translate_text(text, "inline.yaml", ROOT)
    (problem,) = info.value.problems
    assert "namespace_prefix" in problem.message
    assert problem.line == line_of(EXAMPLE_YAML, "- micronf")


# --------------------------------------------------------------------------- good samples


def test_plain_nfv_types_use_id_as_template() -> None:
    data = translate_file(DATA / "plain-nfv-types.yaml")
    (chain,) = data["micronf-sfc:chains"]["chain"]
    assert chain == {
        "name": "VNFFG1",
        "description": "Firewall then load balancer, all traffic.",
        "vnf": [
            {"name": "VNF1", "template": "edge-firewall"},
            {"name": "VNF2", "template": "load-balancer"},
        ],
        "link": [{"from": "VNF1", "to": "VNF2"}],
        "ingress": {"vnf": "VNF1"},
    }
    intent = load_tosca(DATA / "plain-nfv-types.yaml")
    # defaults come from YANG, not from the translator
    assert intent.chains[0]["ingress"]["port"] == "port0"
    assert intent.chains[0]["egress"]["port"] == "port1"


def test_udp_criteria_labels_placement_and_two_paths() -> None:
    data = translate_file(DATA / "udp-dns.yaml")
    (chain,) = data["micronf-sfc:chains"]["chain"]
    assert chain["ingress"] == {
        "vnf": "guard",
        "port": "port2",
        "match": {
            "ipv4": {"source-ipv4-network": "198.51.100.0/24"},
            "udp": {
                "source-port": {"lower-port": 1024, "upper-port": 65535},
                "destination-port": {"lower-port": 53, "upper-port": 60},
            },
        },
    }
    assert chain["link"] == [
        {"from": "guard", "to": "mon", "label": ["out"]},
        {"from": "mon", "to": "lb"},
    ]
    assert [v["name"] for v in chain["vnf"]] == ["guard", "mon", "lb"]
    # template comes from the default of a type in a relatively imported file
    assert chain["vnf"][0]["template"] == "edge-firewall"
    assert chain["egress"] == {"port": "port3"}
    assert chain["placement"] == {"expected-rate": "0.5", "allowed-agent": ["agent-a", "agent-b"]}
    intent = load_tosca(DATA / "udp-dns.yaml")
    assert intent.chains[0]["placement"]["allowed-agent"] == ["agent-a", "agent-b"]


def _with_criteria(criteria: str) -> str:
    return EXAMPLE_YAML.read_text().replace(
        """          criteria:
            - ip_dst_prefix: 192.0.2.0/24
            - ip_proto: 6
            - destination_port_range: 80-80
""",
        "          criteria:\n" + criteria,
    )


@pytest.mark.parametrize(
    ("criteria", "match"),
    [
        (
            "            - ip_proto: 6\n            - destination_port_range: 8000-8080\n",
            {"tcp": {"destination-port": {"lower-port": 8000, "upper-port": 8080}}},
        ),
        (
            "            - ip_proto: 17\n            - source_port_range: 53\n",
            {"udp": {"source-port": {"operator": "eq", "port": 53}}},
        ),
        ("            - ip_proto: 1\n", {"ipv4": {"protocol": 1}}),
        ("            - ip_proto: 6\n", {"ipv4": {"protocol": 6}}),
        (
            "            - ip_src_prefix: 10.0.0.0/8\n            - ip_dst_prefix: 10.1.0.0/16\n",
            {
                "ipv4": {
                    "destination-ipv4-network": "10.1.0.0/16",
                    "source-ipv4-network": "10.0.0.0/8",
                }
            },
        ),
        (
            "            - name: web\n              classifier:\n"
            "                ip_proto: 6\n                destination_port_range: 443-443\n",
            {"tcp": {"destination-port": {"operator": "eq", "port": 443}}},
        ),
    ],
)
def test_criteria_mapping(criteria: str, match: dict[str, Any]) -> None:
    data = translate_text(_with_criteria(criteria), "inline.yaml", ROOT)
    assert data["micronf-sfc:chains"]["chain"][0]["ingress"]["match"] == match
    load_tosca_text(_with_criteria(criteria), "inline.yaml", ROOT)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("            - destination_port_range: 90-80\n", "lower port is above"),
        ("            - ip_proto: 6\n            - destination_port_range: 70000\n", "70000"),
        ("            - ip_proto: 300\n", "IP protocol number"),
        ("            - ip_proto: 6\n            - ip_proto: 17\n", "ip_proto is given twice"),
        ("            - vlan_id: 7\n", "unsupported criteria key(s): vlan_id"),
    ],
)
def test_bad_criteria(criteria: str, expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        translate_text(_with_criteria(criteria), "inline.yaml", ROOT)
    (problem,) = info.value.problems
    assert expected in problem.message
    assert problem.source == "inline.yaml"
    assert problem.line is not None


# --------------------------------------------------------------------------- bad samples

BAD_CASES: list[tuple[str, list[str], str | None]] = [
    # file, substrings of one problem message, start of the line it must point at
    ("missing-import.yaml", ["no-such-types.yaml", "file not found"], "- no-such-types.yaml"),
    ("unknown-forwarder.yaml", ['"ghost"', "not found"], "path:"),
    ("unknown-forwarder-type.yaml", ["example.nodes.Mystery", "not a valid type"], None),
    (
        "vdu.yaml",
        ["node 'VDU1'", "tosca.nodes.nfv.VDU is not supported", "not virtual machines"],
        "VDU1:",
    ),
    ("vdu.yaml", ["node 'CP1'", "tosca.nodes.nfv.CP is not supported"], "CP1:"),
    (
        "http-import.yaml",
        ["https://example.com/tosca/types.yaml", "network", "never fetches"],
        "- https://",
    ),
    (
        "bad-criteria.yaml",
        ["unsupported criteria key(s): eth_type, network_src_port_id", "supported: ip_dst_prefix"],
        "path:",
    ),
    ("yaml-syntax.yaml", ["YAML syntax error", "flow sequence"], "path:"),
    (
        "dangling-template.yaml",
        ["vnf[name='dpi']", "deep-packet-inspector"],
        "dpi:",
    ),
    ("cycle.yaml", ["cycle", "a -> b -> a"], "loop:"),
    ("no-vnffg.yaml", ["no tosca.groups.nfv.VNFFG group: nothing to translate"], None),
    ("plain-vnf-no-id.yaml", ["node 'VNF1'", "names no micronf VNF template", "'id'"], "VNF1:"),
    ("no-profile-import.yaml", ["micronf.nodes.VNF", "imports: [ micronf ]"], "type: micronf"),
    ("ports-without-proto.yaml", ["destination_port_range", "ip_proto 6 (tcp) or 17"], "path:"),
]


@pytest.mark.parametrize(("name", "substrings", "line_start"), BAD_CASES)
def test_bad_sample(name: str, substrings: list[str], line_start: str | None) -> None:
    path = BAD / name
    exc = failure(path)
    for problem in exc.problems:
        assert problem.source == str(path)
        assert "\n" not in problem.format()
        assert "Traceback" not in problem.message
    matching = [
        p for p in exc.problems if all(s in p.message or s in (p.path or "") for s in substrings)
    ]
    assert matching, f"no problem mentions {substrings}: {exc}"
    if line_start is not None:
        assert matching[0].line == line_of(path, line_start)


def test_every_bad_sample_is_covered() -> None:
    covered = {name for name, _, _ in BAD_CASES}
    assert covered == {p.name for p in BAD.glob("*.yaml")}


def test_dangling_template_problem_carries_the_node_template_line() -> None:
    path = BAD / "dangling-template.yaml"
    exc = failure(path)
    (problem,) = exc.problems
    assert problem.path is not None
    assert problem.path.startswith("/micronf-sfc:chains/chain[name='chain1']/vnf[name='dpi']")
    assert problem.line == line_of(path, "dpi:")
    assert problem.app_tag == "instance-required"
    assert problem.format().startswith(f"{path}:{problem.line}: ")


def test_translate_file_raises_for_translation_problems_too() -> None:
    with pytest.raises(ValidationFailed) as info:
        translate_file(BAD / "vdu.yaml")
    assert {p.line for p in info.value.problems} == {
        line_of(BAD / "vdu.yaml", "VDU1:"),
        line_of(BAD / "vdu.yaml", "CP1:"),
    }


def test_missing_file() -> None:
    exc = failure(DATA / "does-not-exist.yaml")
    assert "cannot read the file" in exc.problems[0].message


def test_http_import_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to fetch a URL")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    exc = failure(BAD / "http-import.yaml")
    assert "never fetches URLs" in str(exc)


def test_nested_url_import_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lib.yaml").write_text(
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n"
        "imports:\n  - http://198.51.100.1/more.yaml\n"
    )
    doc = EXAMPLE_YAML.read_text().replace("  - micronf\n", "  - micronf\n  - lib.yaml\n")
    (tmp_path / "chain.yaml").write_text(doc)
    exc = failure(tmp_path / "chain.yaml")
    assert "http://198.51.100.1/more.yaml" in str(exc)
    assert exc.problems[0].line == line_of(tmp_path / "chain.yaml", "- lib.yaml")


def test_parser_is_silent(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for path in sorted(BAD.glob("*.yaml")):
        with pytest.raises(ValidationFailed):
            load_tosca(path)
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""
    assert not [r for r in caplog.records if r.name.startswith(("tosca", "toscaparser"))]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "just a string",
        "- a\n- list\n",
        "a: &x [1]\nb: *x\n",
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n",
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\nimports: [micronf]\n"
        "topology_template: {node_templates: [1, 2]}\n",
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\nimports: [micronf]\n"
        "topology_template:\n  node_templates:\n    x: {type: micronf.nodes.FP, requirements: 7}\n",
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\nimports: [micronf]\n"
        "topology_template:\n  groups:\n    g: {type: micronf.groups.VNFFG, members: [nope]}\n",
        "tosca_definitions_version: tosca_simple_yaml_1_3\n",
        "x: !!python/object/apply:os.getcwd []\n",
    ],
)
def test_garbage_gives_validation_failed_only(text: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        load_tosca_text(text, "garbage.yaml", ROOT)
    assert info.value.problems
    assert all(p.source == "garbage.yaml" for p in info.value.problems)


@pytest.mark.parametrize(
    "path",
    sorted(GENERAL_BAD.glob("*.yaml")) + sorted(GENERAL_BAD.glob("*.yml")),
    ids=lambda p: p.name,
)
def test_general_bad_corpus_yaml_fails_cleanly(path: Path) -> None:
    exc = failure(path)
    assert all(p.source == str(path) for p in exc.problems)
