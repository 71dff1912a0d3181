"""``micronf dry-run``: the real command on the examples and on bad intents."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import libyang
import pytest

from micronf.controller.dry_run import dry_run
from micronf.models import Intent
from micronf.yang import new_context, validate_instance

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PAPER = json.loads((EXAMPLES / "paper-sfc.json").read_text())
Run = Callable[..., CompletedProcess[str]]


@pytest.fixture(autouse=True)
def _no_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No store unless a test names one: a store at the default path must not leak in."""
    monkeypatch.setenv("MICRONF_DB", str(tmp_path / "no-store.db"))


def _descriptor_costs(tmp_path: Path) -> Path:
    """A measured-cycles file with no class: the descriptors' costs, whatever was measured."""
    path = tmp_path / "no-cycles.json"
    path.write_text("{}")
    return path


def _write(tmp_path: Path, doc: dict[str, Any], name: str = "intent.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_paper_sfc_prints_graph_savings_placement_and_actions(micronf: Run, tmp_path: Path) -> None:
    svg = tmp_path / "g.svg"
    run = micronf("dry-run", EXAMPLES / "paper-sfc.yaml", "--graph", svg)
    assert run.returncode == 0, run.stderr
    for heading in (
        "Compiled graph (8 uNFs; naive 15)",
        "Optimisation report",
        "Placement",
        "Actions",
    ):
        assert heading in run.stdout
    assert "15 naive -> 8 compiled: 7 removed" in run.stdout
    assert "monitor.classify: HttpClassifier" in run.stdout
    assert "app-fw.classify" not in run.stdout.split("Optimisation report")[0]
    assert "not proven safe" in run.stdout
    assert "deploy      server-a  unf paper-sfc.edge-fw.rx" in run.stdout
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert "TxService" in svg.read_text()


def test_json_is_the_same_for_tosca_xml_and_json(micronf: Run) -> None:
    graphs = []
    for name in ("paper-sfc.yaml", "paper-sfc.xml", "paper-sfc.json"):
        run = micronf("dry-run", "--json", EXAMPLES / name)
        assert run.returncode == 0, run.stderr
        doc = json.loads(run.stdout)
        assert doc["valid"] is True
        graphs.append(json.dumps(doc["graph"], sort_keys=True))
        report = doc["report"]
        assert (report["unfs_naive"], report["unfs_compiled"]) == (15, 8)
        assert {a["operation"] for a in doc["actions"]} == {"connect", "deploy"}
        assert set(doc["desired"]) == {"server-a"}
    assert graphs[0] == graphs[1] == graphs[2]


def test_passes_switch_by_flag_and_by_yang_leaf(micronf: Run, tmp_path: Path) -> None:
    run = micronf("dry-run", "--json", "--no-dedup", EXAMPLES / "paper-sfc.json")
    assert json.loads(run.stdout)["report"]["unfs_compiled"] == 15
    doc = copy.deepcopy(PAPER)
    doc["micronf-sfc:chains"]["chain"][0]["compiler"] = {"dedup": False}
    run = micronf("dry-run", "--json", _write(tmp_path, doc))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["report"]["unfs_compiled"] == 15
    doc["micronf-sfc:chains"]["compiler"] = {"dedup": False}
    del doc["micronf-sfc:chains"]["chain"][0]["compiler"]
    run = micronf("dry-run", "--json", "--dedup", _write(tmp_path, doc))
    assert json.loads(run.stdout)["report"]["unfs_compiled"] == 8  # the flag wins


def test_two_chains_share_parallelise_and_spill_with_tunnels(micronf: Run) -> None:
    run = micronf("dry-run", "--json", EXAMPLES / "sharing" / "two-chains.json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    report = doc["report"]
    assert len(report["shared"]) == 2 and len(report["parallelised"]) == 2
    assert doc["tunnels"] and doc["tunnels"][0]["remote-address"] == "198.51.100.2"
    assert set(doc["desired"]) == {"server-a", "server-b"}
    shared = [u for u in doc["graph"]["unf"] if len(u["chain"]) == 2]
    assert {u["class"] for u in shared} == {"CheckIPHeader", "L3L4Filter"}


def test_validate_dry_run_is_the_dry_run(micronf: Run) -> None:
    run = micronf("validate", "--dry-run", EXAMPLES / "paper-sfc.json")
    assert run.returncode == 0, run.stderr
    assert "Optimisation report" in run.stdout


def _one_error(run: CompletedProcess[str], path: str, words: str) -> None:
    assert run.returncode == 1, run.stdout
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, run.stderr
    assert path in lines[0] and words in lines[0], lines[0]
    assert "Traceback" not in run.stderr


def test_an_intent_that_cannot_be_placed_says_what_is_short(micronf: Run, tmp_path: Path) -> None:
    doc = copy.deepcopy(PAPER)
    doc["micronf-sfc:chains"]["chain"][0]["placement"] = {
        "expected-rate": "5.0",
        "max-instances": 32,
    }
    agent = doc["micronf-sfc:agents"]["agent"][0]
    agent["numa-node"] = [{"id": 0, "core": [1, 2]}]
    path = _write(tmp_path, doc)
    before = path.read_bytes()
    run = micronf("dry-run", "--cycles", _descriptor_costs(tmp_path), path)
    _one_error(
        run,
        "/micronf-sfc:chains/chain[name='paper-sfc']/placement",
        "needs 2.3 cores on agent server-a, 2.0 free",
    )
    assert path.read_bytes() == before  # nothing changed


def test_a_uNF_needing_more_instances_than_allowed(micronf: Run, tmp_path: Path) -> None:
    doc = copy.deepcopy(PAPER)
    doc["micronf-sfc:chains"]["chain"][0]["placement"] = {
        "expected-rate": "20.0",
        "max-instances": 2,
    }
    run = micronf("dry-run", "--cycles", _descriptor_costs(tmp_path), _write(tmp_path, doc))
    _one_error(run, "/placement/max-instances", "more than max-instances 2")


def test_a_pass_switched_off_by_a_bad_value(micronf: Run, tmp_path: Path) -> None:
    doc = copy.deepcopy(PAPER)
    doc["micronf-sfc:chains"]["chain"][0]["compiler"] = {"dedup": "maybe"}
    run = micronf("dry-run", _write(tmp_path, doc))
    _one_error(run, "/compiler/dedup", 'boolean value "maybe"')


def test_a_chain_without_ports_is_refused_at_dry_run(micronf: Run, tmp_path: Path) -> None:
    doc = copy.deepcopy(PAPER)
    chain = doc["micronf-sfc:chains"]["chain"][0]
    del chain["ingress"]["port"], chain["ingress"]["agent"]
    run = micronf("validate", _write(tmp_path, doc))
    assert run.returncode == 0  # a chain not attached to ports yet is valid intent ...
    run = micronf("dry-run", tmp_path / "intent.json")
    _one_error(
        run, "chain[name='paper-sfc']/ingress", "names no ingress port"
    )  # ... not deployable


def test_a_port_no_agent_has_is_a_leafref_error(micronf: Run, tmp_path: Path) -> None:
    doc = copy.deepcopy(PAPER)
    doc["micronf-sfc:chains"]["chain"][0]["egress"] = {"agent": "server-a", "port": "port9"}
    run = micronf("dry-run", _write(tmp_path, doc))
    assert run.returncode == 1
    assert "egress/port" in run.stderr and "port9" in run.stderr


def test_usage_errors_exit_2(micronf: Run, tmp_path: Path) -> None:
    assert micronf("dry-run", tmp_path / "missing.json").returncode == 2
    run = micronf("dry-run", "--share", "http", EXAMPLES / "paper-sfc.json")
    assert run.returncode == 2 and "LABEL=FRACTION" in run.stderr


def test_measured_cycles_replace_descriptor_costs(micronf: Run, tmp_path: Path) -> None:
    cycles = tmp_path / "cycles.json"
    cycles.write_text(json.dumps({"processors": {"HttpClassifier": {"cycles_per_packet": 600}}}))
    run = micronf(
        "dry-run", "--json", "--cycles", cycles, "--share", "http=1", EXAMPLES / "paper-sfc.json"
    )
    report = json.loads(run.stdout)["report"]
    assert "HttpClassifier: measured" in report["cost_source"]
    # naive: two classifiers at 600; compiled: one
    assert report["cycles_naive"] - report["cycles_compiled"] == pytest.approx(580 + 300)


def test_rpc_output_is_valid_micronf_sfc_dry_run_output() -> None:
    for name in ("paper-sfc.json", "sharing/two-chains.json"):
        v = validate_instance((EXAMPLES / name).read_bytes(), "json")
        result = dry_run(Intent.from_validated(v))
        reply = json.dumps({"micronf-sfc:dry-run": result.rpc_output()})
        ctx = new_context()
        node = ctx.parse_op("json", libyang.IOType.MEMORY, reply, libyang.DataType.REPLY_YANG)
        assert node is not None
        back = json.loads(node.print_mem("json"))
        assert back["micronf-sfc:dry-run"]["report"]["unfs-naive"] == len(
            result.compilation.naive.nodes
        )


def test_dry_run_plans_against_the_stored_revision(micronf: Run, tmp_path: Path) -> None:
    db = tmp_path / "intent.db"
    assert micronf("apply", "--db", db, EXAMPLES / "paper-sfc.yaml").returncode == 0
    before = db.read_bytes()
    run = micronf("dry-run", "--json", "--db", db, EXAMPLES / "paper-sfc-day2.yaml")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["current"] == "stored revision 1"
    # day 2 adds one filter rule: one uNF reconfigured, nothing else touched
    assert [(a["operation"], a["target"]) for a in doc["actions"]] == [
        ("reconfigure", "unf paper-sfc.edge-fw.filter")
    ]
    assert doc["desired"]["server-a"]["generation"] == "2"
    assert db.read_bytes() == before  # a dry run stores nothing


def test_dry_run_without_a_store_creates_none(micronf: Run, tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    run = micronf("dry-run", "--json", "--db", db, EXAMPLES / "paper-sfc.yaml")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["current"] == "empty"
    assert not db.exists()
