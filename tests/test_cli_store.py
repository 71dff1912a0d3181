"""``micronf apply / history / diff / show / rollback`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from intents import ROOT, chains

Run = Callable[..., subprocess.CompletedProcess[str]]
EX = ROOT / "examples"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "intent.db")


def history(micronf: Run, db: str) -> list[dict[str, object]]:
    res = micronf("history", "--json", "--db", db)
    assert res.returncode == 0, res.stderr
    data: list[dict[str, object]] = json.loads(res.stdout)
    return data


def test_apply_history_diff_show_rollback(micronf: Run, db: str, tmp_path: Path) -> None:
    res = micronf("apply", EX / "paper-sfc.yaml", "--db", db, "--label", "first")
    assert res.returncode == 0, res.stderr
    assert "+ /micronf-sfc:chains/chain[name='paper-sfc']" in res.stdout
    assert "committed revision 1" in res.stdout

    # the same intent in another format changes nothing and stores nothing
    res = micronf("apply", EX / "paper-sfc.xml", "--db", db)
    assert res.returncode == 0 and "nothing to commit" in res.stdout
    assert len(history(micronf, db)) == 1

    changed = tmp_path / "changed.json"
    changed.write_text((EX / "paper-sfc.json").read_text().replace("dport 53", "dport 5353"))
    res = micronf("apply", changed, "--db", db, "--comment", "dns on 5353", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["revision"] == 2 and report["base"] == 1
    paths = {(c["op"], c["path"]) for c in report["changes"]}
    rule = (
        "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='edge-fw']"
        "/node-config[node='filter']/parameter[name='rule']/value"
    )
    assert ("delete", f"{rule}[.='deny proto udp dport 53']") in paths
    assert ("create", f"{rule}[.='deny proto udp dport 5353']") in paths

    revs = history(micronf, db)
    assert [(r["revision"], r["channel"], r["label"], r["comment"]) for r in revs] == [
        (2, "file", None, "dns on 5353"),
        (1, "file", "first", None),
    ]
    text = micronf("history", "--db", db).stdout
    assert "first" in text and "dns on 5353" in text

    res = micronf("diff", "2", "--db", db)  # what revision 2 changed
    assert res.returncode == 0 and "dport 5353" in res.stdout
    res = micronf("diff", "1", "2", "--db", db, "--json")
    assert json.loads(res.stdout)["changes"] == report["changes"]

    res = micronf("show", "--db", db, "--revision", "1", "--format", "json")
    assert json.loads(res.stdout) == json.loads((EX / "paper-sfc.json").read_text())
    res = micronf("show", "--db", db, "--format", "xml")
    assert res.returncode == 0 and "dport 5353" in res.stdout and "<chains" in res.stdout
    res = micronf("show", "--db", db)
    assert "VNFFG paper-sfc" in res.stdout and "edge-fw (edge-firewall)" in res.stdout

    res = micronf("rollback", "1", "--db", db)
    assert res.returncode == 0, res.stderr
    assert "dport 5353" in res.stdout  # the diff is shown first
    assert "committed revision 3 (equal to revision 1)" in res.stdout
    res = micronf("show", "--db", db, "--format", "json")
    assert json.loads(res.stdout) == json.loads((EX / "paper-sfc.json").read_text())
    assert history(micronf, db)[0]["channel"] == "rollback"


def test_apply_merges_whole_chains_and_replace_makes_the_whole_intent(
    micronf: Run, db: str, tmp_path: Path
) -> None:
    two = tmp_path / "two.json"
    two.write_text(json.dumps(chains(2)))
    assert micronf("apply", EX / "paper-sfc.json", "--db", db).returncode == 0
    assert micronf("apply", two, "--db", db).returncode == 0
    shown = json.loads(micronf("show", "--db", db, "--format", "json").stdout)
    names = [c["name"] for c in shown["micronf-sfc:chains"]["chain"]]
    assert sorted(names) == ["chain-00000", "chain-00001", "paper-sfc"]

    res = micronf("apply", "--replace", EX / "paper-sfc.json", "--db", db, "--json")
    removed = [c["path"] for c in json.loads(res.stdout)["changes"] if c["op"] == "delete"]
    assert removed == [
        "/micronf-sfc:chains/chain[name='chain-00000']",
        "/micronf-sfc:chains/chain[name='chain-00001']",
    ]


def test_invalid_result_stores_nothing(micronf: Run, db: str, tmp_path: Path) -> None:
    assert micronf("apply", EX / "paper-sfc.json", "--db", db).returncode == 0
    # valid alone, but its template does not exist: refused as a whole, with the file's line
    bad = tmp_path / "bad.json"
    doc = json.loads((EX / "paper-sfc.json").read_text())
    doc["micronf-sfc:chains"]["chain"][0]["name"] = "second"
    doc["micronf-sfc:chains"]["chain"][0]["vnf"][1]["template"] = "no-such-template"
    bad.write_text(json.dumps(doc, indent=1))
    res = micronf("apply", bad, "--db", db)
    assert res.returncode == 1
    assert f"{bad}:" in res.stderr and "no-such-template" in res.stderr
    assert len(history(micronf, db)) == 1

    res = micronf("apply", EX / "paper-sfc.json", "--db", db, "--dry-run", "--replace")
    assert res.returncode == 0 and "dry run: nothing stored" in res.stdout
    assert len(history(micronf, db)) == 1


def test_apply_checks_the_parse_budgets_first(micronf: Run, db: str, tmp_path: Path) -> None:
    """apply reads through the same pre-pass as validate: duplicates and list
    sizes are refused with the file and line before libyang, and stored nothing."""
    doc = json.loads((EX / "paper-sfc.json").read_text())
    twice = tmp_path / "twice.json"
    chains = doc["micronf-sfc:chains"]["chain"]
    twice.write_text(json.dumps({**doc, "micronf-sfc:chains": {"chain": chains * 2}}, indent=1))
    res = micronf("apply", twice, "--db", db)
    assert res.returncode == 1, res.stdout
    assert f"{twice}:" in res.stderr and "duplicate" in res.stderr.lower()
    assert "Traceback" not in res.stderr
    assert history(micronf, db) == []

    two = tmp_path / "two.json"
    other = {**chains[0], "name": "paper-sfc-2"}
    two.write_text(json.dumps({**doc, "micronf-sfc:chains": {"chain": [chains[0], other]}}))
    res = micronf("apply", two, "--db", db, "--budget", "list-entries=1")
    assert res.returncode == 1 and "--budget list-entries=N" in res.stderr
    assert history(micronf, db) == []
    res = micronf("apply", two, "--db", db, "--budget", "list-bogus=1")
    assert res.returncode == 2 and "list-bogus" in res.stderr
    res = micronf("apply", two, "--db", db)
    assert res.returncode == 0, res.stderr
    assert len(history(micronf, db)) == 1


def test_netconf_config_wrapper_and_operations(micronf: Run, db: str, tmp_path: Path) -> None:
    xml = (EX / "paper-sfc.xml").read_text()
    body = xml[xml.index("?>") + 2 :] if "?>" in xml else xml  # every top-level element
    wrapped = tmp_path / "edit.xml"
    wrapped.write_text(
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">\n' + body + "</config>\n"
    )
    res = micronf("apply", wrapped, "--db", db)
    assert res.returncode == 0, res.stderr

    delete = tmp_path / "delete.xml"
    delete.write_text(
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"\n'
        '        xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">\n'
        '  <chains xmlns="urn:micronf:yang:micronf-sfc">\n'
        '    <chain nc:operation="delete"><name>paper-sfc</name></chain>\n'
        "  </chains>\n"
        "</config>\n"
    )
    res = micronf("apply", delete, "--db", db, "--json")
    assert res.returncode == 0, res.stderr
    assert [c["op"] for c in json.loads(res.stdout)["changes"]] == ["delete"]
    res = micronf("apply", delete, "--db", db)  # nothing left to delete
    assert res.returncode == 1 and "no such entry to delete" in res.stderr
    assert "[micronf-data-missing]" in res.stderr


def test_store_problems_are_one_line(micronf: Run, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all\n" * 100)
    res = micronf("history", "--db", junk)
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "is not a micronf store" in res.stderr
    res = micronf("show", "--db", tmp_path / "empty.db")
    assert res.returncode == 1 and "holds no revision yet" in res.stderr
    res = micronf("diff", "4", "--db", tmp_path / "empty.db")
    assert res.returncode == 1 and "no revision 4" in res.stderr
    res = micronf("apply", tmp_path, "--db", tmp_path / "x.db")
    assert res.returncode == 2 and str(tmp_path) in res.stderr


def test_db_from_the_environment(tmp_path: Path) -> None:
    from conftest import MICRONF

    env = {**os.environ, "MICRONF_DB": str(tmp_path / "env.db"), "MICRONF_AUTHOR": "oss-team"}
    res = subprocess.run(
        [str(MICRONF), "apply", str(EX / "paper-sfc.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "env.db").exists()
    res = subprocess.run(
        [str(MICRONF), "history", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert json.loads(res.stdout)[0]["author"] == "oss-team"


def test_history_escapes_what_users_wrote(micronf: Run, db: str) -> None:
    """A label or comment is the user's text: it cannot colour, move or add lines."""
    comment = "evil\x1b[31mRED\nsecond line\u202eabc"
    res = micronf(
        "apply", EX / "paper-sfc.yaml", "--db", db, "--comment", comment, "--label", "l\a"
    )
    assert res.returncode == 0, res.stderr
    text = micronf("history", "--db", db).stdout
    assert "\x1b" not in text and "\a" not in text and "\u202e" not in text
    assert len(text.strip().splitlines()) == 1
    assert "evil\\x1b[31mRED\\nsecond line" in text
    # --json keeps the exact text
    assert history(micronf, db)[0]["comment"] == comment
