"""The local deployer: a micronf-agent graph with every port kind (branch,
marker, sync, load-balanced, ethdev) planned and run on the session runtime,
replaying a pcap through net_pcap and reporting per-instance state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scapy.utils import rdpcap, wrpcap

from micronf.agent.deployer import AGENT, DeployError, Deployment, PortBinding, plan
from micronf.dataplane import Runtime

from .conftest import IDLE_SLEEP_US
from .packets import frame


def _unf(
    uid: str,
    cls: str,
    ingress: dict[str, Any],
    egress: list[dict[str, Any]],
    core: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    return {"id": uid, "class": cls, "core": core, "ingress": ingress, "egress": egress, **extra}


def graph() -> dict[str, Any]:
    ring = lambda name: {"kind": "ring", "ring": name}  # noqa: E731
    return {
        AGENT: {
            "desired": {
                "generation": 7,
                "ring": [{"name": n} for n in ("a", "b1", "b2", "sync", "l1", "l2", "t")],
                "unf": [
                    _unf(
                        "rx",
                        "TestMacSwap",
                        {"kind": "port", "port": "p0"},
                        [{"name": "out", "kind": "ring", "ring": ["a"]}],
                        core=0,
                    ),
                    _unf(
                        "fork",
                        "TestMacSwap",
                        ring("a"),
                        [{"name": "par", "kind": "branch", "ring": ["b1", "b2"]}],
                    ),
                    _unf(
                        "m1",
                        "TestBusy",
                        ring("b1"),
                        [{"name": "done", "kind": "marker", "ring": ["sync"]}],
                        parameter=[
                            {"name": "mark", "value": ["161"]},
                            {"name": "offset", "value": ["60"]},
                        ],
                    ),
                    _unf(
                        "m2",
                        "TestBusy",
                        ring("b2"),
                        [{"name": "done", "kind": "marker", "ring": ["sync"]}],
                        parameter=[
                            {"name": "mark", "value": ["162"]},
                            {"name": "offset", "value": ["61"]},
                        ],
                    ),
                    _unf(
                        "join",
                        "TestMacSwap",
                        {"kind": "sync", "ring": "sync", "parallel-branches": 2},
                        [
                            {
                                "name": "lb",
                                "kind": "load-balanced",
                                "ring": ["l1", "l2"],
                                "balance": "round-robin",
                            }
                        ],
                    ),
                    _unf(
                        "w1",
                        "TestMacSwap",
                        ring("l1"),
                        [{"name": "out", "kind": "ring", "ring": ["t"]}],
                    ),
                    _unf(
                        "w2",
                        "TestMacSwap",
                        ring("l2"),
                        [{"name": "out", "kind": "ring", "ring": ["t"]}],
                        core=0,
                    ),
                    _unf(
                        "tx",
                        "TestMacSwap",
                        ring("t"),
                        [{"name": "out", "kind": "port", "port": "p1"}],
                        core=0,
                        scheduling={"burst-size": 8, "prefetch-distance": 0},
                    ),
                ],
            }
        }
    }


def test_plan_marks_multi_producer_rings_and_starts_rx_last(tmp_path: Path) -> None:
    trace = tmp_path / "in.pcap"
    trace.write_bytes(b"")
    p = plan(graph(), [PortBinding("p0", rx_pcap=trace)], cpus=[0, 1])
    mp = {r.name for r in p.rings if r.multi_producer}
    assert mp == {"sync", "t"}
    assert [u.id for u in p.unfs][0] == "rx" and p.generation == 7
    assert {b.name: b.device for b in p.ports} == {"p0": "net_pcap_p0", "p1": "net_null_p1"}


def test_every_port_kind_end_to_end(runtime: Runtime, tmp_path: Path) -> None:
    trace, out = tmp_path / "in.pcap", tmp_path / "out.pcap"
    from scapy.layers.l2 import Ether

    wrpcap(str(trace), [Ether(frame(i, size=80)) for i in range(300)])
    p = plan(
        graph(),
        [PortBinding("p0", rx_pcap=trace), PortBinding("p1", tx_pcap=out)],
        cpus=[0, 1],
        idle_sleep_us=IDLE_SLEEP_US,
        deadline_s=120,
    )
    dep = Deployment(runtime, p)
    dep.start()
    try:
        assert dep.run_trace({"p0": 300}, timeout=60)
    finally:
        dep.stop()
    written = [bytes(pkt) for pkt in rdpcap(str(out))]
    assert len(written) == 300
    assert all(w[60:62] == bytes([161, 162]) for w in written)  # both branches, once
    rows = {r["unf"]: r for r in dep.rows()}
    assert rows["w1"]["in"] == rows["w2"]["in"] == 150  # round robin
    assert rows["join"]["in"] == 300 and rows["tx"]["out"] == 300
    state = dep.state()[AGENT]["desired"]["unf"]
    inst = {u["id"]: u["instance"][0] for u in state}
    assert inst["tx"]["status"] == "stopped" and inst["tx"]["tx-packets"] == "300"
    assert inst["rx"]["core"] == 0 and inst["rx"]["pid"] > 0
    assert {e["name"] for e in inst["join"]["egress"]} == {"lb"}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["unf"][1].update({"class": "Nope"}), "unknown uNF class 'Nope'"),
        (lambda d: d["unf"][1].update({"core": 9}), "core 9 out of range"),
        (lambda d: d["ring"].append({"name": "z"}), "ring 'z' is read by no uNF"),
        (lambda d: d["unf"][6]["ingress"].update({"ring": "l1"}), "ring 'l1' is read by 2 uNFs"),
    ],
)
def test_plan_refuses(mutate: Any, message: str, tmp_path: Path) -> None:
    g = graph()
    mutate(g[AGENT]["desired"])
    with pytest.raises(DeployError, match=message) as failed:
        plan(g, [PortBinding("p0", rx_pcap=tmp_path / "x.pcap")], cpus=[0, 1])
    assert failed.value.problem.path and failed.value.problem.path.startswith(f"/{AGENT}/desired")
