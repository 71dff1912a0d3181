"""Placement (uNF-MC packing, spill, instances, pins, NUMA) and the planner's minimal actions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from micronf.controller.compiler import CostModel, compile_intent
from micronf.controller.dry_run import CompileError, check_graph, dry_run
from micronf.controller.placement import PlacementError, place
from micronf.controller.plan import as_agent_data
from micronf.models import Intent
from micronf.models.graph import GraphEdge, UnfGraph
from micronf.yang import default_validator, validate_dict

ROOT = Path(__file__).resolve().parents[1]
PAPER = json.loads((ROOT / "examples" / "paper-sfc.json").read_text())


def _intent(doc: dict[str, Any]) -> Intent:
    return Intent.from_validated(validate_dict(doc))


def _paper(rate: str = "2.0", **placement: Any) -> dict[str, Any]:
    doc = copy.deepcopy(PAPER)
    doc["micronf-sfc:chains"]["chain"][0]["placement"] = {"expected-rate": rate, **placement}
    return doc


def _second_agent(doc: dict[str, Any], cores: list[int]) -> None:
    doc["micronf-sfc:agents"]["agent"].append(
        {
            "name": "server-b",
            "address": "198.51.100.2",
            "numa-node": [{"id": 0, "core": cores}],
            "port": [{"name": "b0", "mac-address": "02:00:00:00:01:01"}],
        }
    )


def test_consecutive_unfs_share_a_core_while_they_fit() -> None:
    it = _intent(_paper("2.0"))
    comp = compile_intent(it)
    p = place(comp.graph, it, CostModel())
    assert {u.core for u in p.unfs.values()} == {1}  # 0.92 cores at 2 Mpps
    it = _intent(_paper("4.0"))
    p = place(compile_intent(it).graph, it, CostModel())
    cores = [p.unfs[n].core for n in compile_intent(it).graph.topological_order()]
    assert cores == sorted(cores) and len(set(cores)) >= 2  # packed in traffic order


def test_a_full_agent_spills_to_the_next_with_a_tunnel() -> None:
    doc = _paper("4.0")
    doc["micronf-sfc:agents"]["agent"][0]["numa-node"] = [{"id": 0, "core": [1]}]
    _second_agent(doc, [1, 2])
    it = _intent(doc)
    comp = compile_intent(it)
    p = place(comp.graph, it, CostModel())
    agents = {u.agent for u in p.unfs.values()}
    assert agents == {"server-a", "server-b"}
    assert p.tunnels and all(t.remote_address for t in p.tunnels)
    assert p.unfs["paper-sfc.edge-fw.rx"].agent == "server-a"
    assert p.unfs["paper-sfc.app-fw.tx"].agent == "server-a"  # the egress port is there
    v = default_validator()
    result = dry_run(it)
    for desired in result.desired.values():
        v.validate(v.from_dict(as_agent_data(desired)))
    directions = {
        (agent, t["direction"]) for agent, d in result.desired.items() for t in d.get("tunnel", [])
    }
    assert ("server-a", "tx") in directions and ("server-b", "rx") in directions


def test_allowed_agents_limit_the_spill() -> None:
    doc = _paper("4.0", **{"allowed-agent": ["server-a"]})
    doc["micronf-sfc:agents"]["agent"][0]["numa-node"] = [{"id": 0, "core": [1]}]
    _second_agent(doc, [1, 2])
    it = _intent(doc)
    with pytest.raises(PlacementError) as exc:
        place(compile_intent(it).graph, it, CostModel())
    (problem,) = exc.value.problems
    assert "needs 1.8 cores on agent server-a, 1.0 free" in problem.message


def test_a_uNF_over_one_core_starts_several_instances() -> None:
    doc = _paper("10.0", **{"max-instances": 4})
    doc["micronf-sfc:agents"]["agent"][0]["numa-node"] = [{"id": 0, "core": list(range(1, 9))}]
    result = dry_run(_intent(doc))
    validate = result.placement.unfs["paper-sfc.app-fw.validate"]
    assert validate.instances == 2 and len(set(validate.cores)) == 2
    entry = next(
        u for u in result.desired["server-a"]["unf"] if u["id"] == "paper-sfc.app-fw.validate"
    )
    assert entry["autoscale"]["min-instances"] == 2
    v = default_validator()  # valid micronf-agent data: ValidateUrl can scale
    v.validate(v.from_dict(as_agent_data(result.desired["server-a"])))


def test_pins_and_numa_preference() -> None:
    doc = _paper(
        "1.0", **{"pin": [{"vnf": "app-fw", "node": "validate", "agent": "server-a", "core": 3}]}
    )
    doc["micronf-sfc:agents"]["agent"][0]["numa-node"] = [
        {"id": 0, "core": [1, 2]},
        {"id": 1, "core": [3, 4]},
    ]
    for port in doc["micronf-sfc:agents"]["agent"][0]["port"]:
        port["numa-node"] = 1
    it = _intent(doc)
    p = place(compile_intent(it).graph, it, CostModel())
    assert p.unfs["paper-sfc.app-fw.validate"].core == 3
    assert p.unfs["paper-sfc.edge-fw.rx"].core in (3, 4)  # the ports' NUMA node first


def test_a_pin_to_a_core_the_agent_lacks_is_a_yang_error() -> None:
    doc = _paper(
        "1.0", **{"pin": [{"vnf": "app-fw", "node": "validate", "agent": "server-a", "core": 9}]}
    )
    with pytest.raises(Exception, match="the agent has no such core"):
        _intent(doc)


def test_actions_touch_only_what_changed() -> None:
    old = _intent(_paper("1.0"))
    doc = _paper("1.0")
    doc["micronf-sfc:chains"]["chain"][0]["vnf"][1]["node-config"] = [
        {"node": "count", "parameter": [{"name": "url", "value": ["^/other"]}]}
    ]
    new = _intent(doc)
    result = dry_run(new, old, current_name="revision 1")
    assert [(a.operation, a.target) for a in result.actions] == [
        ("reconfigure", "unf paper-sfc.monitor.count")
    ]
    assert dry_run(old, old).actions == ()
    removed = dry_run(
        _intent(
            {
                "micronf-sfc:agents": PAPER["micronf-sfc:agents"],
                "micronf-sfc:chains": {
                    "chain": [{**PAPER["micronf-sfc:chains"]["chain"][0], "name": "other"}]
                },
            }
        ),
        old,
    )
    ops = {a.operation for a in removed.actions}
    assert ops == {"connect", "deploy", "remove"}


def test_check_graph_refuses_cycles_and_unrouted_results() -> None:
    it = _intent(PAPER)
    comp = compile_intent(it)
    g = comp.graph
    classify = "paper-sfc.monitor.classify"
    no_non_http = [e for e in g.edges if not (e.source == classify and "non-http" in e.labels)]
    with pytest.raises(CompileError) as exc:
        check_graph(UnfGraph.build(g.nodes.values(), no_non_http, g.entries), it)
    (problem,) = exc.value.problems
    assert "'non-http'" in problem.message and problem.app_tag == "micronf-unrouted-label"
    assert problem.path == "/micronf-sfc:chains/chain[name='paper-sfc']/vnf[name='monitor']"
    loop = list(g.edges) + [GraphEdge("paper-sfc.app-fw.validate", "paper-sfc.edge-fw.check")]
    with pytest.raises(CompileError, match="cycle"):
        check_graph(UnfGraph.build(g.nodes.values(), loop, g.entries), it)


def test_a_stateful_uNF_over_one_core_is_refused() -> None:
    doc = _paper("20.0", **{"max-instances": 8})
    doc["micronf-sfc:agents"]["agent"][0]["numa-node"] = [{"id": 0, "core": list(range(1, 17))}]
    it = _intent(doc)
    with pytest.raises(PlacementError) as exc:
        place(compile_intent(it).graph, it, CostModel())
    (problem,) = exc.value.problems
    assert "paper-sfc.monitor.count (CountUrl) needs 1.2 cores" in problem.message
    assert problem.app_tag == "micronf-cannot-scale"
