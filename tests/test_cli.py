"""The ``micronf`` command line, run as the real console script.

Exit codes: 0 every file valid, 1 any invalid, 2 usage error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GOOD = sorted(EXAMPLES.glob("paper-sfc*.json")) + sorted(EXAMPLES.glob("paper-sfc*.xml"))
BAD = ROOT / "tests" / "data" / "bad"

Micronf = Callable[..., subprocess.CompletedProcess[str]]


def _flat(text: str) -> str:
    """Help text without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_examples_exist() -> None:
    assert len(GOOD) >= 2


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["validate", "--help"]])
def test_help_exits_0_and_names_the_formats(micronf: Micronf, args: list[str]) -> None:
    r = micronf(*args)
    assert r.returncode == 0, r.stderr
    text = _flat(r.stdout)
    assert "validate" in text
    for word in ("TOSCA", "XML", "JSON"):
        assert word in text, f"`micronf {' '.join(args)}` does not mention {word}:\n{r.stdout}"


def test_validate_help_names_extensions_and_options(micronf: Micronf) -> None:
    text = _flat(micronf("validate", "--help").stdout)
    for word in (".yaml", ".xml", ".json", "--json", "--show", "--format", "--max-bytes"):
        assert word in text


def test_version(micronf: Micronf) -> None:
    r = micronf("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"micronf \d+\.\d+\S*\s*", r.stdout), r.stdout


def test_no_file_is_a_usage_error(micronf: Micronf) -> None:
    r = micronf("validate")
    assert r.returncode == 2
    assert "Missing argument" in r.stderr


def test_nonexistent_file_is_a_usage_error(micronf: Micronf, tmp_path: Path) -> None:
    r = micronf("validate", tmp_path / "nope.json")
    assert r.returncode == 2
    assert "does not exist" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_extension_is_a_usage_error(micronf: Micronf, tmp_path: Path) -> None:
    txt = tmp_path / "paper-sfc.txt"
    shutil.copy(EXAMPLES / "paper-sfc.json", txt)
    r = micronf("validate", txt)
    assert r.returncode == 2
    assert "--format" in r.stderr
    assert str(txt) in r.stderr


def test_format_option_overrides_the_extension(micronf: Micronf, tmp_path: Path) -> None:
    txt = tmp_path / "paper-sfc.txt"
    shutil.copy(EXAMPLES / "paper-sfc.json", txt)
    r = micronf("validate", "--format", "json", txt)
    assert r.returncode == 0, r.stderr
    assert "✓" in r.stdout and "paper-sfc" in r.stdout


def test_bad_format_value_is_a_usage_error(micronf: Micronf) -> None:
    r = micronf("validate", "--format", "csv", EXAMPLES / "paper-sfc.json")
    assert r.returncode == 2


def test_examples_are_valid(micronf: Micronf) -> None:
    r = micronf("validate", *GOOD)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert len(lines) == len(GOOD)
    for path, line in zip(GOOD, lines, strict=True):
        assert line.startswith(f"✓ {path}: valid"), line
        assert "paper-sfc" in line


def test_show_expands_the_chain_into_unfs(micronf: Micronf) -> None:
    r = micronf("validate", "--show", EXAMPLES / "paper-sfc.json")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for unf in ("edge-fw.rx", "edge-fw.filter", "monitor.count", "app-fw.validate", "app-fw.tx"):
        assert unf in out
    for cls in ("RxService", "L3L4Filter", "HttpClassifier", "CountUrl", "ValidateUrl"):
        assert cls in out
    assert "[http]" in out and "[non-http]" in out
    assert "deny proto udp dport 53" in out


def test_json_report_lists_the_chain(micronf: Micronf) -> None:
    r = micronf("validate", "--json", *GOOD)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert [e["file"] for e in report] == [str(p) for p in GOOD]
    for entry in report:
        assert entry["valid"] is True
        assert entry["chains"] == ["paper-sfc"]


def test_good_and_bad_together(micronf: Micronf) -> None:
    good = EXAMPLES / "paper-sfc.json"
    bad = BAD / "json-dangling-template.json"
    r = micronf("validate", good, bad)
    assert r.returncode == 1
    assert f"✓ {good}: valid" in r.stdout
    assert f"✗ {bad}" in r.stderr and "[instance-required]" in r.stderr
    r = micronf("validate", "--json", bad, good)
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert [(e["file"], e["valid"]) for e in report] == [(str(bad), False), (str(good), True)]
    assert report[0]["errors"][0]["app-tag"] == "instance-required"


@pytest.mark.parametrize("example", GOOD, ids=lambda p: p.name)
def test_max_bytes_refuses_big_inputs(micronf: Micronf, example: Path) -> None:
    r = micronf("validate", "--max-bytes", "100", example)
    assert r.returncode == 1
    assert "[micronf-input-too-large]" in r.stderr
    assert r.stderr.startswith(f"✗ {example}")
    r = micronf("validate", "--json", "--max-bytes", "100", example)
    assert r.returncode == 1
    (entry,) = json.loads(r.stdout)
    assert entry["errors"][0]["app-tag"] == "micronf-input-too-large"


def test_max_bytes_must_be_positive(micronf: Micronf) -> None:
    r = micronf("validate", "--max-bytes", "0", EXAMPLES / "paper-sfc.json")
    assert r.returncode == 2


def test_validate_help_mentions_standard_input(micronf: Micronf) -> None:
    text = _flat(micronf("validate", "--help").stdout)
    assert "standard input" in text


def test_unknown_extension_after_good_files_loses_nothing(micronf: Micronf, tmp_path: Path) -> None:
    txt = tmp_path / "paper-sfc.txt"
    shutil.copy(EXAMPLES / "paper-sfc.json", txt)
    r = micronf("validate", "--json", EXAMPLES / "paper-sfc.json", txt, EXAMPLES / "paper-sfc.xml")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
