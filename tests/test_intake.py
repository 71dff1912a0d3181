"""Reading inputs: what is not a regular file, encodings, error caps, stdin,
usage errors before any output, and user catalog entries that would
redefine built-in ones."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micronf.yang import ValidationFailed, validate_instance
from micronf.yang.validate import MAX_PROBLEMS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BAD = ROOT / "tests" / "data" / "bad"
MICRONF = Path(sys.executable).parent / "micronf"
#: A hang guard, not a timing assertion.
HANG_GUARD = 20.0

Micronf = Callable[..., subprocess.CompletedProcess[str]]


def _problems(data: bytes, fmt: str) -> list[Any]:
    with pytest.raises(ValidationFailed) as info:
        validate_instance(data, fmt)
    return info.value.problems


def _stdin(*args: str | Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(MICRONF), *map(str, args)],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=HANG_GUARD,
        check=False,
    )


# ----------------------------------------------------- not a regular file


def test_fifo_is_refused_without_blocking(micronf: Micronf, tmp_path: Path) -> None:
    fifo = tmp_path / "intent.json"
    os.mkfifo(fifo)
    r = micronf("validate", "--json", fifo, timeout=HANG_GUARD)
    assert r.returncode == 1, r.stderr
    (entry,) = json.loads(r.stdout)
    assert entry["errors"][0]["app-tag"] == "micronf-not-a-file"
    assert "FIFO" in entry["errors"][0]["message"]


@pytest.mark.parametrize("name", ["zero.json", "zero.yaml", "zero.xml"])
def test_symlink_to_dev_zero_is_refused(micronf: Micronf, tmp_path: Path, name: str) -> None:
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    r = micronf("validate", "--json", link, timeout=HANG_GUARD)
    assert r.returncode == 1, r.stderr
    (entry,) = json.loads(r.stdout)
    tags = {e["app-tag"] for e in entry["errors"]}
    assert tags & {"micronf-not-a-file", "micronf-input-too-large"}, entry


def test_directory_is_a_usage_error(micronf: Micronf, tmp_path: Path) -> None:
    d = tmp_path / "intent.json"
    d.mkdir()
    r = micronf("validate", d)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "directory" in r.stderr


def test_oversize_file_is_refused_before_reading(micronf: Micronf, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 5000)
    r = micronf("validate", "--json", "--max-bytes", "1000", big)
    assert r.returncode == 1
    (entry,) = json.loads(r.stdout)
    (err,) = entry["errors"]
    assert err["app-tag"] == "micronf-input-too-large"
    assert "5000 bytes" in err["message"]


# ------------------------------------------------------------- usage errors


def test_usage_errors_come_before_any_output(micronf: Micronf, tmp_path: Path) -> None:
    txt = tmp_path / "intent.txt"
    shutil.copy(EXAMPLES / "paper-sfc.json", txt)
    good = EXAMPLES / "paper-sfc.json"
    for args in (["--json", good, txt, good], [good, txt], [good, tmp_path / "nope.json"]):
        r = micronf("validate", *args)
        assert r.returncode == 2, r.stderr
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr


def test_stdin_needs_format(micronf: Micronf) -> None:
    r = _stdin("validate", "-", data=(EXAMPLES / "paper-sfc.json").read_bytes())
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr.decode().startswith("error: ") and b"--format" in r.stderr
    assert len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("fmt", "example"),
    [("json", "paper-sfc.json"), ("xml", "paper-sfc.xml"), ("tosca", "paper-sfc.yaml")],
)
def test_stdin_with_format(fmt: str, example: str) -> None:
    r = _stdin("validate", "--format", fmt, "-", data=(EXAMPLES / example).read_bytes())
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith("✓ <stdin>: valid")


def test_stdin_errors_are_located_at_stdin() -> None:
    data = (BAD / "json-dangling-template.json").read_bytes()
    r = _stdin("validate", "--json", "--format", "json", "-", data=data)
    assert r.returncode == 1
    (entry,) = json.loads(r.stdout)
    assert entry["file"] == "<stdin>"
    (err,) = entry["errors"]
    assert err["source"] == "<stdin>" and err["app-tag"] == "instance-required"
    assert err["line"] is not None


def test_stdin_over_the_limit() -> None:
    r = _stdin("validate", "--format", "json", "--max-bytes", "10", "-", data=b" " * 100)
    assert r.returncode == 1
    assert b"[micronf-input-too-large]" in r.stderr


def test_stdin_only_once() -> None:
    r = _stdin("validate", "--format", "json", "-", "-", data=b"{}")
    assert r.returncode == 2
    assert r.stderr.startswith(b"error: ")


# ----------------------------------------------------------------- encodings


@pytest.mark.parametrize("example", ["paper-sfc.json", "paper-sfc.xml"])
def test_utf8_bom_is_accepted(example: str) -> None:
    data = codecs.BOM_UTF8 + (EXAMPLES / example).read_bytes()
    v = validate_instance(data, example.rsplit(".", 1)[1])
    assert [c["name"] for c in v.chains] == ["paper-sfc"]


def test_utf8_bom_keeps_lines() -> None:
    text = (EXAMPLES / "paper-sfc.json").read_text().replace("application-firewall", "nope")
    (p,) = _problems(codecs.BOM_UTF8 + text.encode(), "json")
    assert p.app_tag == "instance-required"
    assert p.line == next(i for i, ln in enumerate(text.splitlines(), 1) if "nope" in ln)


@pytest.mark.parametrize("example", ["paper-sfc.json", "paper-sfc.xml"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_are_named(example: str, encoding: str) -> None:
    data = (EXAMPLES / example).read_text().encode(encoding)
    (p,) = _problems(data, example.rsplit(".", 1)[1])
    assert p.app_tag == "micronf-bad-encoding"
    assert "not UTF-8 (looks like UTF-16/32)" in p.message


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_invalid_utf8_names_byte_and_line(fmt: str) -> None:
    text = (EXAMPLES / f"paper-sfc.{fmt}").read_bytes()
    lines = text.split(b"\n")
    lines[4] += b"\xc3("
    data = b"\n".join(lines)
    (p,) = _problems(data, fmt)
    assert p.app_tag == "micronf-bad-encoding"
    assert p.line == 5
    offset = data.index(b"\xc3(")
    assert f"not valid UTF-8 at byte {offset} (line 5)" in p.message


def test_binary_garbage_is_still_not_text() -> None:
    (p,) = _problems((BAD / "binary-garbage.json").read_bytes(), "json")
    assert p.app_tag == "malformed-message"


# ------------------------------------------------------------ many problems


def _unreachable_chain(n: int) -> bytes:
    chain = {
        "name": "big",
        "vnf": [{"name": f"v{i}", "template": "load-balancer"} for i in range(n)],
        "ingress": {"vnf": "v0"},
    }
    return json.dumps({"micronf-sfc:chains": {"chain": [chain]}}, indent=2).encode()


def test_problems_are_capped_and_located() -> None:
    data = _unreachable_chain(3000)
    problems = _problems(data, "json")
    assert len(problems) == MAX_PROBLEMS + 1 == 51
    *shown, summary = problems
    assert summary.app_tag == "micronf-too-many-errors"
    assert summary.message == "... and 2949 more problems (first 50 shown)"
    assert summary.line is None and summary.path is None
    text = data.decode().splitlines()
    for p in shown:
        assert p.app_tag == "micronf-unreachable"
        assert p.line is not None
        name = p.path.rsplit("'", 2)[1]
        assert f'"name": "{name}"' in text[p.line - 1] or f'"{name}"' in text[p.line], p


def test_cli_caps_problems(micronf: Micronf, tmp_path: Path) -> None:
    f = tmp_path / "big.json"
    f.write_bytes(_unreachable_chain(200))
    r = micronf("validate", f)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 51
    assert lines[-1].endswith(
        "... and 149 more problems (first 50 shown) [micronf-too-many-errors]"
    )


# ------------------------------------------------- built-in catalog entries


def _builtin() -> dict[str, Any]:
    cat: dict[str, Any] = json.loads((ROOT / "yang" / "catalog" / "builtin.json").read_text())[
        "micronf-catalog:catalog"
    ]
    return cat


def _descriptor(cls: str) -> dict[str, Any]:
    (d,) = [d for d in _builtin()["unf-descriptor"] if d["class"] == "MacSwapper"]
    return dict(d, **{"class": cls, "cost": 999, "description": "mine"})


def test_redefined_builtin_descriptor_is_refused() -> None:
    doc = {"micronf-catalog:catalog": {"unf-descriptor": [_descriptor("MacSwapper")]}}
    (p,) = _problems(json.dumps(doc, indent=2).encode(), "json")
    assert p.app_tag == "micronf-builtin-redefined"
    assert p.path == "/micronf-catalog:catalog/unf-descriptor[class='MacSwapper']"
    assert "redefines the built-in uNF descriptor MacSwapper" in p.message
    assert p.line == 4


def test_redefined_builtin_template_is_refused() -> None:
    (tpl,) = [t for t in _builtin()["vnf-template"] if t["name"] == "edge-firewall"]
    tpl = dict(tpl, description="mine", node=tpl["node"][:1], link=[], exit=[])
    tpl["exit"] = [{"name": "out", "node": "rx"}]
    doc = {
        "micronf-catalog:catalog": {
            "unf-descriptor": [_descriptor("MacSwapper")],
            "vnf-template": [tpl],
        }
    }
    problems = _problems(json.dumps(doc).encode(), "json")
    assert [(p.app_tag, p.path) for p in problems] == [
        (
            "micronf-builtin-redefined",
            "/micronf-catalog:catalog/unf-descriptor[class='MacSwapper']",
        ),
        (
            "micronf-builtin-redefined",
            "/micronf-catalog:catalog/vnf-template[name='edge-firewall'][version='1.0']",
        ),
    ]
    assert "redefines the built-in VNF template edge-firewall version 1.0" in problems[1].message


def test_redefined_builtin_in_xml() -> None:
    xml = (
        '<catalog xmlns="urn:micronf:yang:micronf-catalog">\n'
        "  <vnf-template>\n"
        "    <name>load-balancer</name>\n"
        "    <version>1.0</version>\n"
        "  </vnf-template>\n"
        "</catalog>\n"
    )
    problems = _problems(xml.encode(), "xml")
    assert [(p.app_tag, p.line) for p in problems] == [("micronf-builtin-redefined", 2)]


def test_user_descriptor_with_a_new_class_is_valid() -> None:
    doc = {"micronf-catalog:catalog": {"unf-descriptor": [_descriptor("MyMacSwapper")]}}
    v = validate_instance(json.dumps(doc).encode(), "json")
    classes = {d["class"]: d for d in v.catalog["unf-descriptor"]}
    assert classes["MyMacSwapper"]["cost"] == 999
    (builtin,) = [d for d in _builtin()["unf-descriptor"] if d["class"] == "MacSwapper"]
    assert classes["MacSwapper"]["cost"] == builtin["cost"]


def test_reads_stop_at_the_limit_even_when_the_size_lies(tmp_path: Path) -> None:
    """A stream (or a file growing after stat) is read up to limit + 1 bytes only."""
    import io

    from micronf.yang import ValidationFailed
    from micronf.yang.inputs import read_stream

    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            n = len(b)
            b[:n] = b"a" * n
            Endless.served += n
            return n

    with pytest.raises(ValidationFailed) as info:
        read_stream(io.BufferedReader(Endless()), 1000)
    assert info.value.problems[0].app_tag == "micronf-input-too-large"
    assert Endless.served < 1 << 21  # one buffered chunk at most, not an endless read


def test_tosca_problems_are_capped_too(tmp_path: Path) -> None:
    """Problems found before libyang (here: 60 missing imports) obey the same cap."""
    missing = "".join(f"  - missing-{i}.yaml\n" for i in range(60))
    path = tmp_path / "many.yaml"
    path.write_text(
        (EXAMPLES / "paper-sfc.yaml")
        .read_text()
        .replace("  - micronf\n", "  - micronf\n" + missing)
    )
    run = subprocess.run(
        [str(MICRONF), "validate", "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert run.returncode == 1
    (entry,) = json.loads(run.stdout)
    errors = entry["errors"]
    assert len(errors) == MAX_PROBLEMS + 1
    assert errors[-1]["app-tag"] == "micronf-too-many-errors"
    assert "10 more problems" in errors[-1]["message"]
