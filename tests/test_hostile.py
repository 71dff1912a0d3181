"""Hostile inputs and environments: terminal-safe output, budgets, the environment as input.

The corpus of ``tests/data/bad`` checks each bad file's message; here the
classes that are not about one file's content: file names and quoted text
that would act on a terminal, output that cannot be written or encoded, a
deleted working directory, folders as arguments, and the parse-cost budgets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from micronf.yang import ValidationFailed
from micronf.yang.budgets import BUDGETS
from micronf.yang.errors import Problem, printable
from micronf.yang.inputs import load

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
MICRONF = Path(sys.executable).parent / "micronf"
EXAMPLE_JSON = (ROOT / "examples" / "paper-sfc.json").read_text()

#: What must never reach a terminal: C0 and C1 controls but the newline, DEL,
#: bidi overrides, zero-width characters, line/paragraph separators.
UNSAFE = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c != 0x0A} | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2028\u2029\ufeff"
)


def sh(command: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_printable_escapes_what_acts_on_a_terminal() -> None:
    assert printable("edge-fw é ✓") == "edge-fw é ✓"
    assert printable("a\x1b[2Jb\nc\u202ed\u200be\x85f\x07") == (
        "a\\x1b[2Jb\\nc\\u202ed\\u200be\\x85f\\x07"
    )
    line = Problem("bad \x1b]0;title\x07", path="/a\nb", source="f\x1b.json", line=2).format()
    assert not set(line) & UNSAFE
    assert line == "f\\x1b.json:2: /a\\nb: bad \\x1b]0;title\\x07"


def test_a_hostile_file_name_prints_one_escaped_line(tmp_path: Path) -> None:
    name = "x\x1b[2J\u202e\n✓ fake: valid.json"
    (tmp_path / name).write_text('{"micronf-sfc:chains": {"chain": [{"name": 5}]}}')
    r = subprocess.run(
        [str(MICRONF), "validate", name], cwd=tmp_path, capture_output=True, text=True
    )
    assert r.returncode == 1
    assert not set(r.stdout + r.stderr) & UNSAFE, repr(r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("✗ x\\x1b[2J\\u202e\\n✓ fake: valid.json")


def test_show_and_json_of_every_corpus_file_are_safe() -> None:
    files = sorted(str(p) for p in BAD.iterdir() if p.is_file())
    for args in (["--show"], ["--json"], ["--json", "--show"]):
        r = subprocess.run(
            [str(MICRONF), "validate", *args, *files], capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 1, r.stderr[-500:]
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr + r.stdout
        assert not set(r.stdout + r.stderr) & UNSAFE
        if "--json" in args:
            report = json.loads(r.stdout)
            assert len(report) == len(files) and not any(e["valid"] for e in report)
            assert r.stdout.isascii()  # non-ASCII as \\u escapes: exact JSON, terminal-safe


def test_output_degrades_when_the_encoding_lacks_the_marks() -> None:
    r = sh(
        f"{MICRONF} validate examples/paper-sfc.xml tests/data/bad/json-port-70000.json",
        PYTHONIOENCODING="ascii",
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stdout.startswith("ok examples/paper-sfc.xml: valid")


@pytest.mark.parametrize("redirect", [">&-", ">/dev/full"])
def test_standard_output_closed_or_full(redirect: str) -> None:
    for args in ("", "--json"):
        r = sh(f"{MICRONF} validate {args} examples/paper-sfc.xml {redirect}")
        assert r.returncode == 3, r.stderr
        assert r.stderr.startswith("error: cannot write to standard output: ")
        assert len(r.stderr.splitlines()) == 1, r.stderr


def test_stdin_from_a_deleted_working_directory(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    yaml = ROOT / "examples" / "paper-sfc.yaml"
    r = sh(f"cd {gone} && rmdir {gone} && {MICRONF} validate --format tosca - < {yaml}")
    assert r.returncode == 0, r.stderr
    assert "valid (1 chain: paper-sfc)" in r.stdout
    doc = "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\nimports: [t.yaml]\n"
    r = sh(
        f"cd {gone.parent} && mkdir g2 && cd g2 && rmdir ../g2 && "
        f"printf '{doc}' | {MICRONF} validate --format tosca -"
    )
    assert r.returncode == 1 and "working directory, which no longer exists" in r.stderr


def test_folders_stand_for_their_intent_files(tmp_path: Path) -> None:
    r = sh(f"{MICRONF} validate --json examples/*")
    assert r.returncode == 0, r.stderr
    files = [e["file"] for e in json.loads(r.stdout)]
    expected = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "examples").rglob("*")
        if p.suffix in (".yaml", ".yml", ".xml", ".json")
    }
    assert "examples/agent/desired-server-a.json" in files and set(files) == expected
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    r = sh(f"{MICRONF} validate {tmp_path / 'empty'}")
    assert r.returncode == 2 and "no intent files in" in r.stderr
    r = sh(f"{MICRONF} validate {tmp_path / 'empty'} examples/paper-sfc.xml")
    assert r.returncode == 0, r.stderr


def _chain_with(**extra: object) -> bytes:
    doc = json.loads(EXAMPLE_JSON)
    doc["micronf-sfc:chains"]["chain"][0].update(extra)
    return json.dumps(doc).encode()


def test_budgets_name_themselves_and_can_be_raised() -> None:
    xml = (
        '<chains xmlns="urn:micronf:yang:micronf-sfc"><chain '
        + " ".join(f'xmlns:p{i}="urn:x:{i}"' for i in range(1001))
        + "><name>c</name></chain></chains>"
    ).encode()
    with pytest.raises(ValidationFailed) as refused:
        load(xml, "xml", "ns.xml")
    (p,) = refused.value.problems
    assert p.app_tag == "micronf-over-budget" and p.error_tag == "too-big"
    assert "--budget namespace-declarations=N" in p.message and p.source == "ns.xml"
    with pytest.raises(ValidationFailed) as later:
        load(xml, "xml", "ns.xml", budgets={"namespace-declarations": 2000})
    assert later.value.problems[0].app_tag != "micronf-over-budget"
    assert set(BUDGETS) == {"list-entries", "namespace-declarations", "forwarders", "imports"}


def test_equal_leaf_list_values_are_refused_before_libyang() -> None:
    data = _chain_with(placement={"allowed-agent": ["a"] * 50_000})
    with pytest.raises(ValidationFailed) as refused:
        load(data, "json", "dup.json")
    (p,) = refused.value.problems
    assert p.app_tag == "micronf-duplicate-value"
    assert p.path == "/micronf-sfc:chains/chain[name='paper-sfc']/placement/allowed-agent"


def test_tosca_forwarders_over_budget_are_counted_before_yaml() -> None:
    head = (
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n"
        "topology_template:\n  node_templates:\n    p:\n      type: micronf.nodes.FP\n"
        "      requirements:\n"
    )
    text = head + "".join("        - forwarder: v\n" for _ in range(5001))
    with pytest.raises(ValidationFailed) as refused:
        load(text.encode(), "tosca", "fw.yaml")
    (p,) = refused.value.problems
    assert p.app_tag == "micronf-over-budget" and "--budget forwarders=N" in p.message
    assert p.line == 7 + 5000


def test_budget_option_usage_errors() -> None:
    r = sh(f"{MICRONF} validate --budget nonsense=3 examples/paper-sfc.xml")
    assert r.returncode == 2 and "no budget 'nonsense'" in r.stderr
    r = sh(f"{MICRONF} validate --budget list-entries=many examples/paper-sfc.xml")
    assert r.returncode == 2 and "NAME=N" in r.stderr
    r = sh(f"{MICRONF} validate --budget list-entries=10 examples/paper-sfc.xml")
    assert r.returncode == 0, r.stderr


def test_an_imported_file_is_not_quoted_and_is_located(tmp_path: Path) -> None:
    (tmp_path / "types.yaml").write_text(
        "tosca_definitions_version: tosca_simple_profile_for_nfv_1_0_0\n"
        "node_typez:\n  secret.Type: {derived_from: tosca.nodes.Root}\n"
    )
    example = (ROOT / "examples" / "paper-sfc.yaml").read_text()
    doc = tmp_path / "doc.yaml"
    doc.write_text(example.replace("  - micronf\n", "  - micronf\n  - types.yaml\n"))
    with pytest.raises(ValidationFailed) as refused:
        load(doc.read_bytes(), "tosca", str(doc), base_dir=tmp_path)
    (p,) = refused.value.problems
    assert "node_typez" not in p.message and "secret" not in p.message
    assert p.message.startswith("import 'types.yaml': line 2: ")
    assert p.line == doc.read_text().splitlines().index("  - types.yaml") + 1
