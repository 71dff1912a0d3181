"""The compiled graph does exactly what the naive chain of monolithic VNFs did.

Property tests (hypothesis) over random intents built from the catalog,
several chains sharing templates, random pass switches, and random packets:
for every packet the naive and the compiled graph, run on the reference
models of the processors, give the same verdict (output port and final
bytes, or drop, and the labels given) and leave the same counters in every
stateful uNF; parallel members give the same result in either order. A
deliberately wrong pass (parallelising a counter after a dropping filter)
is caught.

CI runs a fixed-seed profile; ``make fuzz-compiler`` runs the long one
(``MICRONF_HYPOTHESIS=fuzz``).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest
from compiler_cases import intent, packets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micronf.controller.compiler import (
    compile_intent,
    consolidate,
    dedup,
    ingress_agents,
    parallelize,
)
from micronf.controller.compiler.cost import CostModel
from micronf.controller.placement import place
from micronf.controller.plan import as_agent_data, desired_graphs
from micronf.models import Intent
from micronf.models.graph import EdgeKind
from micronf.models.interpreter import run_all
from micronf.yang import Validator, default_validator, validate_dict

settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("MICRONF_FUZZ_EXAMPLES", "1500")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("MICRONF_HYPOTHESIS", "ci"))

_AGENT_VALIDATOR: Validator | None = None


def _agent_validator() -> Validator:
    global _AGENT_VALIDATOR
    if _AGENT_VALIDATOR is None:
        _AGENT_VALIDATOR = (
            default_validator()
        )  # with the built-in catalog (autoscale reads can-scale)
    return _AGENT_VALIDATOR


def _equivalent(doc: dict[str, Any], pkts: list[tuple[str, bytes]]) -> tuple[Any, Intent]:
    it = Intent.from_validated(validate_dict(doc))
    comp = compile_intent(it)
    naive_v, naive_c = run_all(comp.naive, pkts)
    for order in ("forward", "reverse"):
        comp_v, comp_c = run_all(comp.graph, pkts, order)  # type: ignore[arg-type]
        for (chain, frame), a, b in zip(pkts, naive_v, comp_v, strict=True):
            assert a == b, f"chain {chain}, frame {frame.hex()}: naive {a} != compiled {b}"
        assert naive_c == comp_c
    return comp, it


@given(st.data())
def test_compiled_graph_gives_the_naive_verdict_for_every_packet(data: st.DataObject) -> None:
    doc = data.draw(intent())
    n_chains = len(doc["micronf-sfc:chains"]["chain"])
    pkts = data.draw(packets(n_chains))
    comp, it = _equivalent(doc, pkts)
    # never more uNFs than the naive graph; repeated packet I/O gone when dedup is on
    assert len(comp.graph.nodes) <= len(comp.naive.nodes)
    if doc["micronf-sfc:chains"]["compiler"]["dedup"]:
        fed_rx = [
            n
            for n in comp.graph.nodes.values()
            if n.descriptor.role == "rx-service" and comp.graph.predecessors(n.id)
        ]
        assert not fed_rx


@given(st.data())
def test_compiled_graph_is_a_fixed_point_and_deterministic(data: st.DataObject) -> None:
    doc = data.draw(intent())
    it = Intent.from_validated(validate_dict(doc))
    comp = compile_intent(it)
    again = compile_intent(Intent.from_validated(validate_dict(doc)))
    assert again.graph.canonical_json() == comp.graph.canonical_json()
    sw = doc["micronf-sfc:chains"]["compiler"]
    g = comp.graph
    for name, fn in (("dedup", dedup), ("parallelize", parallelize)):
        if sw[name]:
            res = fn(g)
            assert not res.applied, f"{name} still changes the compiled graph: {res.applied}"
    if sw["consolidate"]:
        res = consolidate(g, None, ingress_agents(it))
        assert not res.applied, f"consolidate still changes the compiled graph: {res.applied}"


@given(st.data())
def test_placed_plan_is_valid_micronf_agent_data(data: st.DataObject) -> None:
    doc = data.draw(intent())
    it = Intent.from_validated(validate_dict(doc))
    comp = compile_intent(it)
    placement = place(comp.graph, it, CostModel())
    v = _agent_validator()
    for agent, desired in desired_graphs(comp.graph, placement, it).items():
        v.validate(v.from_dict(as_agent_data(desired)))
        assert agent == "a"


def test_the_paper_sfc_with_two_sharing_chains_is_equivalent() -> None:
    """A hand-made case: two chains that share templates, every pass on."""
    from compiler_cases import sample_frames

    doc = {
        "micronf-sfc:agents": {
            "agent": [
                {
                    "name": "a",
                    "numa-node": [{"id": 0, "core": [1, 2, 3, 4]}],
                    "port": [{"name": f"p{k}"} for k in range(4)],
                }
            ]
        },
        "micronf-sfc:chains": {
            "chain": [
                {
                    "name": f"c{i}",
                    "vnf": [
                        {"name": "fw", "template": "edge-firewall"},
                        {"name": "mon", "template": "monitoring-function"},
                        {"name": "waf", "template": "application-firewall"},
                    ],
                    "link": [{"from": "fw", "to": "mon"}, {"from": "mon", "to": "waf"}],
                    "ingress": {"vnf": "fw", "agent": "a", "port": f"p{2 * i}"},
                    "egress": {"agent": "a", "port": f"p{2 * i + 1}"},
                }
                for i in range(2)
            ]
        },
    }
    pkts = [(f"c{i % 2}", f) for i, f in enumerate(sample_frames() * 2)]
    comp, _ = _equivalent(doc, pkts)
    shared = [n for n in comp.graph.nodes.values() if n.shared]
    assert {n.unf_class for n in shared} >= {"CheckIPHeader", "L3L4Filter"}
    # stateful uNFs are never shared
    assert not any(n.descriptor.stateful for n in shared)


def test_a_wrong_parallelisation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parallelising a counter beside a dropping filter changes the counter: the suite sees it."""
    from compiler_cases import ETH, ipv4, tcp, udp

    doc: dict[str, Any] = {
        "micronf-catalog:catalog": {
            "vnf-template": [
                {
                    "name": "filter-then-count",
                    "version": "1.0",
                    "node": [
                        {"id": "rx", "unf-class": "RxService"},
                        {
                            "id": "filter",
                            "unf-class": "L3L4Filter",
                            "parameter": [{"name": "rule", "value": ["deny proto udp"]}],
                        },
                        {"id": "size", "unf-class": "PacketSizeCounter"},
                        {"id": "swap", "unf-class": "MacSwapper"},
                        {"id": "tx", "unf-class": "TxService"},
                    ],
                    "link": [
                        {"from": "rx", "to": "filter"},
                        {"from": "filter", "to": "size"},
                        {"from": "size", "to": "swap"},
                        {"from": "swap", "to": "tx"},
                    ],
                    "entry": "rx",
                    "exit": [{"name": "out", "node": "tx"}],
                }
            ]
        },
        "micronf-sfc:agents": {
            "agent": [
                {
                    "name": "a",
                    "numa-node": [{"id": 0, "core": [1]}],
                    "port": [{"name": "p0"}, {"name": "p1"}],
                }
            ]
        },
        "micronf-sfc:chains": {
            "chain": [
                {
                    "name": "c0",
                    "vnf": [{"name": "v", "template": "filter-then-count"}],
                    "ingress": {"vnf": "v", "agent": "a", "port": "p0"},
                    "egress": {"agent": "a", "port": "p1"},
                }
            ]
        },
    }
    pkts = [
        ("c0", ETH + bytes.fromhex("0800") + ipv4(17, udp(53, b"\0" * 30))),
        ("c0", ETH + bytes.fromhex("0800") + ipv4(6, tcp(80, b"GET / HTTP/1.1\r\n\r\n"))),
    ]
    comp, _ = _equivalent(doc, pkts)  # the real pass: size || swap only
    groups = comp.graph.parallel_groups()
    assert [sorted(m) for _, m, _ in groups] == [["c0.v.size", "c0.v.swap"]]

    par_module = importlib.import_module("micronf.controller.compiler.parallelize")
    real_unsafe = par_module.unsafe

    def wrong_unsafe(node: Any) -> str | None:  # forgets that a filter drops
        why = real_unsafe(node)
        return None if why and "may drop" in why else why

    monkeypatch.setattr(par_module, "unsafe", wrong_unsafe)
    it = Intent.from_validated(validate_dict(doc))
    wrong = compile_intent(it)
    assert any("c0.v.filter" in m for _, m, _ in wrong.graph.parallel_groups())
    naive_v, naive_c = run_all(wrong.naive, pkts)
    wrong_v, wrong_c = run_all(wrong.graph, pkts)
    assert naive_v == wrong_v  # verdicts alone would not show it ...
    assert naive_c != wrong_c  # ... the counter of the stateful uNF does
    assert any(e.kind is EdgeKind.BRANCH for e in wrong.graph.edges)
