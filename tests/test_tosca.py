"""TOSCA (NFV profile + micronf profile) -> micronf-sfc YANG translation."""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from micronf.tosca import (
    load_tosca,
    load_tosca_text,
    profile_path,
    translate_file,
    translate_text,
)
from micronf.tosca import parser as tosca_parser
from micronf.yang import MAX_INPUT_BYTES, ValidationFailed, validate_instance

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
    # no magic port defaults: a chain names a registered agent's ports or none
    assert "port" not in intent.chains[0]["ingress"]
    assert "port" not in intent.chains[0].get("egress", {})


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
    ("cp.yaml", ["node 'CP1'", "tosca.nodes.nfv.CP is not supported"], "CP1:"),
    (
        "http-import.yaml",
        ["https://example.com/tosca/types.yaml", "network", "never fetches"],
        "- https://",
    ),
    (
        "bad-criteria.yaml",
        ["unsupported criteria key(s): eth_type, network_src_port_id", "supported: ip_dst_prefix"],
        "policy:",
    ),
    ("yaml-syntax.yaml", ["YAML syntax error", "flow sequence"], "path:"),
    (
        "dangling-template.yaml",
        ["vnf[name='dpi']", "deep-packet-inspector"],
        "template: deep-packet-inspector",
    ),
    ("cycle.yaml", ["cycle", "a -> b -> a"], "loop:"),
    ("no-vnffg.yaml", ["no tosca.groups.nfv.VNFFG group: nothing to translate"], None),
    ("plain-vnf-no-id.yaml", ["node 'VNF1'", "names no micronf VNF template", "'id'"], "VNF1:"),
    ("ports-without-proto.yaml", ["destination_port_range", "ip_proto 6 (tcp) or 17"], "policy:"),
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


def test_dangling_template_problem_carries_the_template_property_line() -> None:
    path = BAD / "dangling-template.yaml"
    exc = failure(path)
    (problem,) = exc.problems
    assert problem.path is not None
    assert problem.path.startswith("/micronf-sfc:chains/chain[name='chain1']/vnf[name='dpi']")
    assert problem.line == line_of(path, "template: deep-packet-inspector")
    assert problem.app_tag == "instance-required"
    assert problem.format().startswith(f"{path}:{problem.line}: ")


def test_translate_file_raises_for_translation_problems_too() -> None:
    with pytest.raises(ValidationFailed) as info:
        translate_file(BAD / "vdu.yaml")
    assert [p.line for p in info.value.problems] == [line_of(BAD / "vdu.yaml", "VDU1:")]


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


# ------------------------------------------------------------------- NFV profile 1.0 documents

NFV = DATA / "nfv"


def test_plain_nfv_vnffg_without_micronf_import_translates() -> None:
    """tosca-parser's NFV profile alone: the micronf profile is added, VNF id = template."""
    path = NFV / "plain-vnffg.yaml"
    assert "imports" not in path.read_text()
    (chain,) = translate_file(path)["micronf-sfc:chains"]["chain"]
    assert chain == {
        "name": "VNFFG1",
        "description": "Forwarding graph 1",
        "vnf": [
            {"name": "VNF1", "template": "edge-firewall"},
            {"name": "VNF2", "template": "monitoring-function"},
        ],
        "link": [{"from": "VNF1", "to": "VNF2"}],
        "ingress": {"vnf": "VNF1"},
    }
    (validated,) = load_tosca(path).chains
    assert validated["ingress"] == {"vnf": "VNF1"}


def test_nfv_sample_with_vdu_cp_vl_is_refused_naming_each_construct() -> None:
    """The shape of tosca-parser's own NFV sample: one problem per construct, at its line."""
    path = NFV / "helloworld-vdu-cp-vl.yaml"
    exc = failure(path)
    assert [(p.line, p.message.split(":")[0]) for p in exc.problems] == [
        (line_of(path, "VDU1:"), "node 'VDU1'"),
        (line_of(path, "CP1:"), "node 'CP1'"),
        (line_of(path, "PrivateNetwork:"), "node 'PrivateNetwork'"),
    ]
    messages = [p.message for p in exc.problems]
    assert "tosca.nodes.nfv.VDU is not supported" in messages[0]
    assert "tosca.nodes.nfv.CP is not supported" in messages[1]
    assert "tosca.nodes.nfv.VL is not supported" in messages[2]
    assert not any("AttributeError" in m or "cannot process" in m for m in messages)


def test_micronf_types_without_the_import_translate() -> None:
    text = EXAMPLE_YAML.read_text().replace("imports:\n  - micronf\n", "")
    assert "imports" not in text
    assert translate_text(text, "inline.yaml", ROOT) == translate_file(EXAMPLE_YAML)


def test_plain_fp_with_a_string_policy_is_refused_by_name() -> None:
    text = (
        (NFV / "plain-vnffg.yaml")
        .read_text()
        .replace(
            "      description: the path traffic takes through the graph\n",
            "      properties:\n        policy: web-only\n",
        )
    )
    with pytest.raises(ValidationFailed) as info:
        translate_text(text, "inline.yaml", NFV)
    (problem,) = info.value.problems
    assert "plain tosca.nodes.nfv.FP is a string" in problem.message


# --------------------------------------------------------------------------- one problem per error


@pytest.mark.parametrize(
    "path",
    sorted(BAD.glob("*.yaml")) + sorted(GENERAL_BAD.glob("*.yaml")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_bad_sample_gives_exactly_one_problem(path: Path) -> None:
    exc = failure(path)
    assert len(exc.problems) == 1, str(exc)


def test_follow_on_errors_of_an_invalid_type_are_dropped() -> None:
    path = GENERAL_BAD / "tosca-unknown-node-type.yaml"
    (problem,) = failure(path).problems
    assert problem.message == 'Type "micronf.nodes.Firewall" is not a valid type.'
    assert problem.line == line_of(path, "type: micronf.nodes.Firewall")


def test_independent_errors_are_all_reported() -> None:
    text = (
        EXAMPLE_YAML.read_text()
        .replace("type: micronf.nodes.VNF\n", "type: example.nodes.Nope\n", 1)
        .replace("members: [ web-path ]", "members: [ web-path ]\n    other:\n      type: x.G")
    )
    with pytest.raises(ValidationFailed) as info:
        translate_text(text, "inline.yaml", ROOT)
    messages = [p.message for p in info.value.problems]
    assert any('"example.nodes.Nope" is not a valid type' in m for m in messages)
    assert any('"x.G" is not a valid type' in m for m in messages)
    assert not any("unknown field" in m for m in messages)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            AttributeError("'NoneType' object has no attribute 'startswith'"),
            "'NoneType' object has no attribute 'startswith'",
        ),
        (ValueError('"quoted" and "more"'), '"quoted" and "more"'),
        (KeyError("node_templates"), "node_templates"),
        (
            ValueError(
                'The input "x.yaml" failed validation with the following error(s): \n\n'
                '\tType "a.B" is not a valid type.'
            ),
            'Type "a.B" is not a valid type.',
        ),
    ],
)
def test_parser_messages_keep_their_quotes(exc: BaseException, expected: str) -> None:
    assert tosca_parser.message(exc) == expected


# --------------------------------------------------------------------------- refused constructs


def test_substitution_mappings_are_refused_by_name() -> None:
    text = EXAMPLE_YAML.read_text().replace(
        "topology_template:\n",
        "topology_template:\n  substitution_mappings:\n    node_type: micronf.nodes.VNF\n",
    )
    with pytest.raises(ValidationFailed) as info:
        translate_text(text, "inline.yaml", ROOT)
    (problem,) = info.value.problems
    assert "substitution_mappings is not supported" in problem.message
    assert problem.line == text.splitlines().index("  substitution_mappings:") + 1


def _with_input(declaration: str) -> str:
    return (
        EXAMPLE_YAML.read_text()
        .replace("topology_template:\n", "topology_template:\n  inputs:\n" + declaration)
        .replace("template: monitoring-function", "template: { get_input: tpl }")
    )


def test_get_input_without_value_or_default_names_the_input() -> None:
    text = _with_input("    tpl:\n      type: string\n")
    with pytest.raises(ValidationFailed) as info:
        translate_text(text, "inline.yaml", ROOT)
    (problem,) = info.value.problems
    assert problem.message == "node 'monitor': input 'tpl' has no value and no default"
    assert problem.line == text.splitlines().index("    monitor:") + 1


def test_get_input_takes_the_default() -> None:
    text = _with_input("    tpl:\n      type: string\n      default: load-balancer\n")
    chain = translate_text(text, "inline.yaml", ROOT)["micronf-sfc:chains"]["chain"][0]
    assert chain["vnf"][1] == {"name": "monitor", "template": "load-balancer"}


# --------------------------------------------------------------------------- imports


SECRET = "top-secret-value-4711"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A document folder ``doc/`` with good and bad neighbours, and a secret outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"password: {SECRET}\n")
    doc = tmp_path / "doc"
    (doc / "types").mkdir(parents=True)
    head = "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n"
    (doc / "types" / "ok.yaml").write_text(head + "node_types: {}\n")
    (doc / "escape.yaml").write_text(head + "imports: [ ../outside/secret.yaml ]\n")
    (doc / "nested-escape.yaml").write_text(head + "imports: [ types/up.yaml ]\n")
    (doc / "types" / "up.yaml").write_text(head + "imports: [ ../escape.yaml ]\n")
    (doc / "link.yaml").symlink_to(outside / "secret.yaml")
    (doc / "alias.yaml").write_text(head + f"a: &x [ {SECRET} ]\nb: *x\n")
    (doc / "duplicate.yaml").write_text(head + f"a: {SECRET}\na: {SECRET}\n")
    (doc / "nul.yaml").write_bytes(head.encode() + b"a: \x00\n")
    (doc / "empty.yaml").write_text("")
    (doc / "syntax.yaml").write_text(head + f"a: [ {SECRET}\n")
    (doc / "scalar.yaml").write_text(f"{SECRET}\n")
    (doc / "big.yaml").write_text(head + "#" * 3000 + "\n")
    (doc / "folder.yaml").mkdir()
    os.mkfifo(doc / "fifo.yaml")
    return doc


def _importing(folder: Path, entry: str) -> Path:
    path = folder / "chain.yaml"
    path.write_text(
        EXAMPLE_YAML.read_text().replace("  - micronf\n", f"  - micronf\n  - {entry}\n")
    )
    return path


def _load_in_time(path: Path, **kwargs: Any) -> ValidationFailed:
    """load_tosca in a thread: reading a FIFO must not block."""
    result: list[BaseException] = []

    def run() -> None:
        try:
            load_tosca(path, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "load_tosca blocked"
    (exc,) = result
    assert isinstance(exc, ValidationFailed), exc
    return exc


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("/etc/shadow", "absolute paths (and ~) are not allowed"),
        ("{ file: /etc/passwd }", "absolute paths (and ~) are not allowed"),
        ("~/secret.yaml", "absolute paths (and ~) are not allowed"),
        ("../outside/secret.yaml", "leads outside the folder"),
        ("types/../../outside/secret.yaml", "leads outside the folder"),
        ("link.yaml", "leads outside the folder"),
        ("escape.yaml", "'escape.yaml' -> '../outside/secret.yaml': the path leads outside"),
        ("nested-escape.yaml", "-> 'types/up.yaml' -> '../escape.yaml': the path leads outside"),
        ("fifo.yaml", "it is a FIFO; only regular files are read"),
        ("folder.yaml", "it is a directory"),
        ("alias.yaml", "line 3: YAML aliases (*name) are not supported"),
        ("duplicate.yaml", "line 3: duplicate key 'a'"),
        ("nul.yaml", "NUL bytes"),
        ("empty.yaml", "input is empty"),
        ("syntax.yaml", "YAML syntax error"),
        ("scalar.yaml", "not a TOSCA definitions file"),
        ("missing.yaml", "file not found"),
    ],
)
def test_refused_imports(folder: Path, entry: str, expected: str) -> None:
    path = _importing(folder, entry)
    exc = _load_in_time(path)
    (problem,) = exc.problems
    assert expected in problem.message
    assert problem.source == str(path)
    assert problem.line == line_of(path, f"- {entry}")
    assert SECRET not in str(exc)


def test_imported_files_obey_max_bytes(folder: Path) -> None:
    path = _importing(folder, "big.yaml")
    with pytest.raises(ValidationFailed) as info:
        load_tosca(path, max_bytes=3000)
    (problem,) = info.value.problems
    assert problem.message.startswith("import 'big.yaml': input is 3063 bytes, more than")
    load_tosca(path, max_bytes=4000)


def test_imports_inside_the_folder_work(folder: Path) -> None:
    for name in ("types/ok.yaml", "./types/../types/ok.yaml"):
        assert [c["name"] for c in load_tosca(_importing(folder, name)).chains], name


def test_tosca_parser_never_opens_a_file_of_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imported files reach tosca-parser only as the data micronf read and checked.

    (tosca-parser still reads its own type definitions from its package.)
    """
    import codecs

    import toscaparser

    own = Path(toscaparser.__file__).resolve().parent
    opened: list[Path] = []
    real_open = codecs.open

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(path).resolve())
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(codecs, "open", spy)
    data = translate_file(DATA / "udp-dns.yaml")
    assert data["micronf-sfc:chains"]["chain"][0]["vnf"][0]["template"] == "edge-firewall"
    assert [p for p in opened if own not in p.parents] == []


# --------------------------------------------------------------------------- reading


def test_max_bytes_is_honoured(tmp_path: Path) -> None:
    size = len(EXAMPLE_YAML.read_bytes())
    with pytest.raises(ValidationFailed) as info:
        load_tosca(EXAMPLE_YAML, max_bytes=100)
    (problem,) = info.value.problems
    assert problem.message.startswith(f"input is {size} bytes, more than the limit of 100 bytes")
    assert problem.app_tag == "micronf-input-too-large"
    with pytest.raises(ValidationFailed) as info:
        load_tosca_text(EXAMPLE_YAML.read_text(), "inline.yaml", ROOT, max_bytes=100)
    assert info.value.problems[0].app_tag == "micronf-input-too-large"
    # above the default limit, when asked for
    big = tmp_path / "big.yaml"
    big.write_text("#" * 1023 + "\n" + ("#" * 1023 + "\n") * 4200 + EXAMPLE_YAML.read_text())
    assert big.stat().st_size > MAX_INPUT_BYTES
    with pytest.raises(ValidationFailed):
        load_tosca(big)
    assert load_tosca(big, max_bytes=2 * MAX_INPUT_BYTES).chains[0]["name"] == "paper-sfc"


def test_a_big_file_is_refused_unread_with_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 1_000_000)
    reads: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        reads.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counting_read)
    with pytest.raises(ValidationFailed) as info:
        load_tosca(big, max_bytes=1000)
    assert sum(reads) == 0  # refused by its size before it is opened
    (problem,) = info.value.problems
    assert problem.message.startswith("input is 1000000 bytes, more than the limit of 1000 bytes")


def test_the_document_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "chain.yaml"
    os.mkfifo(fifo)
    (problem,) = _load_in_time(fifo).problems
    assert problem.message == "cannot read the file: it is a FIFO; only regular files are read"
    (problem,) = failure(tmp_path).problems
    assert "it is a directory" in problem.message


def test_yaml_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from micronf.tosca import source

    text = EXAMPLE_YAML.read_text()
    parses: list[str] = []

    class CountingLoader(source._LOADER):  # type: ignore[misc,name-defined]
        def __init__(self, stream: Any) -> None:
            parses.append(stream)
            super().__init__(stream)

    def forbidden(stream: Any, *args: object, **kwargs: object) -> Any:
        raise AssertionError("the YAML text was parsed by another loader")

    monkeypatch.setattr(source, "_LOADER", CountingLoader)
    real = {name: getattr(yaml, name) for name in ("parse", "compose", "load")}
    for name, function in real.items():
        monkeypatch.setattr(
            yaml,
            name,
            lambda stream, *a, _f=function, **k: (
                forbidden(stream) if stream == text else _f(stream, *a, **k)
            ),
        )
    translate_text(text, "inline.yaml", ROOT)
    assert parses.count(text) == 1


def test_alias_is_reported_at_its_line() -> None:
    with pytest.raises(ValidationFailed) as info:
        translate_text("a: &x [1]\nb: *x\n", "inline.yaml", ROOT)
    (problem,) = info.value.problems
    assert "aliases" in problem.message
    assert problem.line == 2


def test_encoding_checks_are_those_of_the_yang_path(tmp_path: Path) -> None:
    """UTF-8 only (a byte-order mark is fine), as for XML and JSON input."""
    text = EXAMPLE_YAML.read_text()
    with_bom = tmp_path / "bom.yaml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert translate_file(with_bom) == translate_file(EXAMPLE_YAML)
    wide = tmp_path / "wide.yaml"
    wide.write_bytes(text.encode("utf-16"))
    (problem,) = failure(wide).problems
    assert "looks like UTF-16/32" in problem.message
    assert problem.app_tag == "micronf-bad-encoding"
    latin = tmp_path / "types.yaml"
    latin.write_bytes(b"tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n# \xe9\n")
    (problem,) = failure(_importing(tmp_path, "types.yaml")).problems
    assert problem.message == (
        "import 'types.yaml': line 2: input is not valid UTF-8 at byte 64 (line 2)"
    )


def _types(folder: Path, name: str, imports: list[str] | None) -> None:
    head = "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n"
    if imports is not None:
        head += "imports: [" + ", ".join(imports) + "]\n"
    (folder / name).write_text(head + "description: types\n")


def test_a_file_imported_twice_or_with_no_imports_is_fine(tmp_path: Path) -> None:
    """tosca-parser reads an empty import list as 'none given' and re-reads the
    document's imports: without care this recursed forever."""
    _types(tmp_path, "shared.yaml", None)
    _types(tmp_path, "uses-shared.yaml", ["shared.yaml"])
    _types(tmp_path, "empty-imports.yaml", [])
    path = tmp_path / "chain.yaml"
    path.write_text(
        EXAMPLE_YAML.read_text().replace(
            "  - micronf\n",
            "  - micronf\n  - shared.yaml\n  - uses-shared.yaml\n  - empty-imports.yaml\n",
        )
    )
    assert [c["name"] for c in load_tosca(path).chains] == ["paper-sfc"]


def test_import_cycles_are_reported(tmp_path: Path) -> None:
    _types(tmp_path, "a.yaml", ["b.yaml"])
    _types(tmp_path, "b.yaml", ["a.yaml"])
    exc = _load_in_time(_importing(tmp_path, "a.yaml"))
    (problem,) = exc.problems
    assert "import cycle: a.yaml -> b.yaml -> a.yaml" in problem.message
    self_import = _importing(tmp_path, "chain.yaml")
    (problem,) = _load_in_time(self_import).problems
    assert "import cycle: chain.yaml -> chain.yaml" in problem.message


def test_a_refused_chain_name_still_gets_its_line(tmp_path: Path) -> None:
    """libyang leaves the refused key out of the path; the line is still found."""
    path = tmp_path / "chain.yaml"
    path.write_text(EXAMPLE_YAML.read_text().replace("    paper-sfc:\n", "    1-paper-sfc:\n"))
    with pytest.raises(ValidationFailed) as info:
        load_tosca(path)
    (problem,) = info.value.problems
    assert problem.app_tag == "micronf-bad-name"
    assert problem.line == line_of(path, "1-paper-sfc:")


@pytest.mark.parametrize(
    ("name", "needle", "anchor"),
    [
        ("tosca-vnffg-unknown-property.yaml", "unknown property 'egres_port'", "egres_port:"),
        ("tosca-vnf-unknown-property.yaml", 'unknown field "templat"', "templat:"),
        ("tosca-function-in-string-property.yaml", "get_attribute", "ingress_port:"),
        ("tosca-allowed-agents-not-a-list.yaml", "allowed_agents", "allowed_agents:"),
    ],
)
def test_problems_point_at_the_property_not_the_template(
    name: str, needle: str, anchor: str
) -> None:
    path = ROOT / "tests" / "data" / "bad" / name
    exc = failure(path)
    hits = [p for p in exc.problems if needle in p.message]
    assert hits, exc.problems
    assert hits[0].line == line_of(path, anchor)
