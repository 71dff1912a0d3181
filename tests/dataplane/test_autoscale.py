"""Auto-scaling on real DPDK multi-process: a feeder uNF hands packets to a
``Busy`` uNF that cannot keep up, so the ring between them really overflows
and the feeder's egress really counts drops; the control loop is then
stepped explicitly with a given time, so that intervals and cool-downs do
not depend on the machine's speed (no assertion on a throughput or a
duration). Every packet is accounted for: delivered + counted drops = sent,
none twice, and the mbuf pool is full again after each test (fixture)."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micronf.agent.autoscale import Autoscaler, ScaleEvent
from micronf.agent.deployer import AGENT, DeployError, Deployment, Plan, PortBinding, plan
from micronf.dataplane import Balance, PortKind, Runtime

from .conftest import IDLE_SLEEP_US
from .packets import flow_frame, flow_of, frame

#: Cycles per packet of the overloaded uNF: a burst of 32 takes milliseconds,
#: while the feeder hands on thousands of packets in microseconds.
SLOW = 200_000
WORK_RING = 64


def wait_for(cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """A hang guard, not a timing assertion."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


def graph(autoscale: dict[str, Any] | None = None, work_class: str = "Busy") -> dict[str, Any]:
    work: dict[str, Any] = {
        "id": "work",
        "class": work_class,
        "core": 1,
        "ingress": {"kind": "ring", "ring": "to-work"},
        "egress": [{"name": "out", "kind": "ring", "ring": ["out"]}],
    }
    if work_class == "Busy":
        work["parameter"] = [{"name": "cycles", "value": [str(SLOW)]}]
    if autoscale is not None:
        work["autoscale"] = autoscale
    return {
        AGENT: {
            "desired": {
                "generation": 1,
                "ring": [
                    {"name": "in", "size": 8192},
                    {"name": "to-work", "size": WORK_RING},
                    {"name": "out", "size": 8192},
                ],
                "unf": [
                    {  # the test itself (see make_plan)
                        "id": "src",
                        "class": "TestMacSwap",
                        "ingress": {"kind": "ring", "ring": "out"},
                        "egress": [{"name": "out", "kind": "ring", "ring": ["in"]}],
                    },
                    {
                        "id": "feed",
                        "class": "TestMacSwap",
                        "core": 0,
                        "ingress": {"kind": "ring", "ring": "in"},
                        "egress": [{"name": "out", "kind": "ring", "ring": ["to-work"]}],
                    },
                    work,
                ],
            }
        }
    }


def make_plan(g: dict[str, Any]) -> Plan:
    """The plan without ``src``, which stands for the test: the test injects
    into ``in`` (its only producer) and drains ``out`` (its only consumer)."""
    p = plan(g, [], cpus=[0, 1], idle_sleep_us=IDLE_SLEEP_US, deadline_s=120)
    return dataclasses.replace(p, unfs=tuple(u for u in p.unfs if u.id != "src"))


class Rig:
    """A deployment of :func:`graph` plus the bookkeeping of every packet sent.

    ``in`` has no writer in the graph: the test injects into it (the ring is
    single-producer and the test is its only producer)."""

    def __init__(self, runtime: Runtime, g: dict[str, Any]) -> None:
        self.rt = runtime
        self.dep = Deployment(runtime, make_plan(g))
        self.dep.start()
        self.loop = Autoscaler(self.dep)
        self.sent = 0
        self.delivered: list[bytes] = []
        self.t = 100.0
        self.loop.step(self.t)  # the baseline

    def feed_drops(self) -> int:
        return self.rt.counters(self.dep.active("feed")[0].process).egress_drops["out"]

    def send(self, packets: list[bytes]) -> None:
        assert self.rt.inject("in", packets) == len(packets)
        self.sent += len(packets)

    def overload(self) -> None:
        """Really overflow the ring(s) of the slow uNF: at least 100 new drops are
        counted (above every threshold x interval the tests use)."""
        before = self.feed_drops()
        while self.feed_drops() < before + 100:
            self.send([frame(self.sent + i) for i in range(1500)])
            wait_for(lambda: self.rt.ring_count("in") == 0, "the feeder to take the burst")

    def step(self, dt: float) -> list[ScaleEvent]:
        self.t += dt
        return self.loop.step(self.t)

    def overload_step(self, dt: float) -> list[ScaleEvent]:
        self.overload()
        return self.step(dt)

    def instances(self) -> int:
        return len(self.dep.active("work"))

    def settle(self) -> None:
        """Wait until every packet sent was delivered or counted as dropped."""
        wait_for(lambda: self.collect() + self.dropped() == self.sent, "every packet accounted")

    def collect(self) -> int:
        self.delivered += [p for p, _ in self.rt.drain("out", 8192)]
        return len(self.delivered)

    def dropped(self) -> int:
        return sum(
            sum(self.dep.counters(i).egress_drops.values()) + self.dep.counters(i).dropped
            for i in self.dep.instances
        )

    def check_accounting(self) -> None:
        self.settle()
        # Every packet sent is distinct (sequence or flow and sequence numbers).
        assert len(set(self.delivered)) == len(self.delivered), "a packet was delivered twice"
        assert len(self.delivered) + self.dropped() == self.sent
        rows = self.dep.rows()
        assert sum(r["in"] for r in rows if r["unf"] == "work") == len(self.delivered)

    def stop(self) -> None:
        self.dep.stop()


@pytest.fixture
def rig_factory(runtime: Runtime) -> Any:
    rigs: list[Rig] = []

    def make(g: dict[str, Any]) -> Rig:
        rig = Rig(runtime, g)
        rigs.append(rig)
        return rig

    yield make
    for r in rigs:
        r.stop()


def test_overloaded_unf_scales_out_to_max_and_no_further(rig_factory: Any) -> None:
    rig: Rig = rig_factory(
        graph({"max-instances": 3, "drop-threshold": 10, "cooldown": 1000, "idle-threshold": 0})
    )
    assert rig.overload_step(1.0) == []  # one interval of drops: not yet consistent
    [out1] = rig.overload_step(1.0)
    assert (out1.direction, out1.before, out1.after, out1.instance) == ("out", 1, 2, 1)
    assert "drops" in out1.reason
    assert out1.notification() == {
        "micronf-agent:unf-scaled": {"unf": "work", "direction": "out", "instances": 2}
    }
    feed = rig.dep.active("feed")[0].process
    [lb] = feed.egress
    assert lb.kind == PortKind.LOAD_BALANCED and lb.rings == ("to-work", "to-work.1")
    assert lb.balance == Balance.FLOW_HASH
    rig.overload_step(1.0)
    [out2] = rig.overload_step(1.0)
    assert (out2.before, out2.after, out2.instance) == (2, 3, 2)
    for _ in range(3):  # at max-instances: drops go on, nothing more is started
        assert rig.overload_step(2.0) == []
    assert rig.instances() == 3 and len(rig.loop.events) == 2
    assert {i.core for i in rig.dep.active("work")} == {0, 1}  # spread over the allowed cores
    rig.check_accounting()
    assert rig.dropped() > 0
    # The new instances really took traffic, each from its own ring.
    rows = [r for r in rig.dep.rows() if r["unf"] == "work"]
    assert [r["ring"] for r in rows] == ["to-work", "to-work.1", "to-work.2"]
    assert all(r["in"] > 0 and r["status"] == "running" for r in rows)
    state = rig.dep.state()[AGENT]["desired"]["unf"]
    work = next(u for u in state if u["id"] == "work")
    assert [i["index"] for i in work["instance"]] == [0, 1, 2]
    assert len({i["pid"] for i in work["instance"]}) == 3


def test_cooldown_holds_between_two_actions(rig_factory: Any) -> None:
    rig: Rig = rig_factory(
        graph(
            {
                "max-instances": 3,
                "drop-threshold": 10,
                "cooldown": 5000,
                "idle-threshold": 50,
                "scale-in-window": 1000,
            }
        )
    )
    rig.overload_step(1.0)
    assert len(rig.overload_step(1.0)) == 1  # t = 102: scaled out
    # Drops go on for 4.5 s: still cooling down.
    for _ in range(9):
        assert rig.overload_step(0.5) == []
    # 5 s after the action, the drops (consistent all along) scale it out again.
    [again] = rig.overload_step(0.5)
    assert (again.before, again.after) == (2, 3)
    # Idle now, but within the cool-down: no scale-in either.
    rig.settle()
    assert rig.step(2.0) == [] and rig.step(2.0) == []
    assert rig.instances() == 3
    [back] = rig.step(1.5)  # 5.5 s after the last action, idle for 5.5 s
    assert (back.direction, back.before, back.after) == ("in", 3, 2)
    rig.check_accounting()


def test_idle_unf_scales_back_in_to_min_and_drains(rig_factory: Any, runtime: Runtime) -> None:
    rig: Rig = rig_factory(
        graph(
            {
                "min-instances": 1,
                "max-instances": 3,
                "drop-threshold": 10,
                "cooldown": 500,
                "idle-threshold": 30,
                "scale-in-window": 2000,
            }
        )
    )
    while rig.instances() < 3:
        rig.overload_step(1.0)
    rig.settle()
    assert rig.step(1.0) == []  # idle for one second: window not over
    # Packets queued on every instance's ring when the scale-in starts: the
    # leaving instance drains them before it stops.
    rig.send([frame(rig.sent + i) for i in range(90)])
    [down] = rig.step(1.0)
    assert (down.direction, down.before, down.after, down.instance) == ("in", 3, 2, 2)
    assert "to-work.2" not in runtime.rings  # its ring is freed
    gone = next(i for i in rig.dep.instances if i.index == 2)
    assert gone.process.status() == "stopped" and not gone.active
    rig.settle()
    assert rig.step(0.2) == []  # cool-down, and a new idle window
    assert rig.step(1.0) == []
    [last] = rig.step(1.0)
    assert (last.before, last.after) == (2, 1)
    for _ in range(3):
        assert rig.step(5.0) == []  # at min-instances
    feed = rig.dep.active("feed")[0].process
    [egress] = feed.egress
    assert egress.kind == PortKind.RING and egress.rings == ("to-work",)  # point-to-point again
    rig.send([frame(rig.sent + i) for i in range(40)])
    rig.check_accounting()
    rows = [r for r in rig.dep.rows() if r["unf"] == "work"]
    assert [(r["instance"], r["status"]) for r in rows] == [
        (0, "running"),
        (1, "stopped"),
        (2, "stopped"),
    ]


def test_flow_hash_keeps_each_flow_on_one_instance(rig_factory: Any) -> None:
    rig: Rig = rig_factory(
        graph({"max-instances": 3, "drop-threshold": 10, "cooldown": 0, "idle-threshold": 0})
    )
    while rig.instances() < 3:
        rig.overload_step(1.0)
    rig.settle()
    work = rig.dep.active("work")
    used = set()
    for flow in range(12):
        before = [rig.dep.counters(i).rx for i in work]
        drops = rig.dropped()
        rig.send([flow_frame(flow, s) for s in range(20)])  # fits one ring: no drop
        rig.settle()
        got = [rig.dep.counters(i).rx - b for i, b in zip(work, before, strict=True)]
        assert sorted(got) == [0, 0, 20] and rig.dropped() == drops, (flow, got)
        used.add(got.index(20))
    assert len(used) > 1  # the flows are spread
    assert {flow_of(p) for p in rig.delivered[-240:]} == set(range(12))
    rig.check_accounting()


def test_min_instances_start_at_deploy(rig_factory: Any) -> None:
    rig: Rig = rig_factory(
        graph({"min-instances": 2, "max-instances": 2, "drop-threshold": 10, "cooldown": 0})
    )
    assert rig.instances() == 2
    assert rig.dep.active("feed")[0].process.egress[0].rings == ("to-work", "to-work.1")
    for _ in range(3):
        assert rig.overload_step(1.0) == []  # at max already
    rig.check_accounting()


def test_a_unf_without_autoscale_is_never_scaled(rig_factory: Any) -> None:
    rig: Rig = rig_factory(graph(None))
    assert not rig.loop.active
    for _ in range(3):
        assert rig.overload_step(1.0) == []
    assert rig.instances() == 1
    rig.check_accounting()


def _with(g: dict[str, Any], uid: str, **changes: Any) -> dict[str, Any]:
    unf = next(u for u in g[AGENT]["desired"]["unf"] if u["id"] == uid)
    unf.update(changes)
    return g


def _ring(g: dict[str, Any], name: str) -> dict[str, Any]:
    g[AGENT]["desired"]["ring"].append({"name": name})
    return g


@pytest.mark.parametrize(
    ("g", "message"),
    [
        (graph({}, work_class="PacketSizeCounter"), "PacketSizeCounter keeps state"),
        (graph({}, work_class="CountUrl"), "CountUrl keeps state"),
        (
            _with(graph(), "work", **{"class": "TxService", "autoscale": {}}),
            "TxService is the tx-service",
        ),
        (
            _with(
                graph(),
                "feed",
                ingress={"kind": "sync", "ring": "in", "parallel-branches": 2},
                autoscale={},
            ),
            "its ingress is a sync",
        ),
        (
            _with(
                _ring(graph({}), "side"),
                "feed",
                egress=[{"name": "both", "kind": "branch", "ring": ["to-work", "side"]}],
            ),
            "fed by the branch egress 'both' of uNF 'feed'",
        ),
        (
            _with(graph({}), "work", egress=[{"name": "out", "kind": "port", "port": "p1"}]),
            "it writes an ethdev port",
        ),
        (graph({"min-instances": 3, "max-instances": 2}), "instances 3..2"),
        (graph({"max-instances": 17}), "at most 16 instances"),
    ],
)
def test_plan_refuses_to_scale_what_cannot_scale(g: dict[str, Any], message: str) -> None:
    """The YANG model refuses these; a graph that bypassed it is refused too."""
    with pytest.raises(DeployError, match=message) as failed:
        plan(g, [], cpus=[0, 1])
    assert failed.value.problem.app_tag in ("micronf-cannot-scale", "micronf-bad-instance-bounds")
    assert failed.value.problem.path and failed.value.problem.path.endswith("/autoscale")


def test_rings_written_by_a_scalable_unf_are_multi_producer() -> None:
    rings = {r.name: r.multi_producer for r in make_plan(graph({"max-instances": 2})).rings}
    assert rings == {"in": False, "to-work": False, "out": True}
    rings = {r.name: r.multi_producer for r in make_plan(graph(None)).rings}
    assert rings == {"in": False, "to-work": False, "out": False}


# -- micronf dataplane run on the auto-scaling example --------------------------

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "agent" / "desired-autoscale.json"
FLOWS = ROOT / "examples" / "traces" / "udp-flows.pcap"


def _cli_run(*args: str) -> dict[str, Any]:
    micronf = Path(sys.executable).parent / "micronf"
    proc = subprocess.run(
        [str(micronf), "dataplane", "run", str(EXAMPLE), "--rx", f"port0={FLOWS}", "--json", *args],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    # Each event was also shown as progress, one line each.
    shown = [line for line in proc.stderr.splitlines() if "scaled" in line]
    assert len(shown) == len(report["scale-events"]), proc.stderr
    return report


def _conserved(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = report["unfs"]
    by = {(r["unf"], r["instance"]): r for r in rows}
    inspect = [r for r in rows if r["unf"] == "inspect"]
    assert report["complete"] and report["mempool"]["in-use"] == 0
    assert by[("rx", 0)]["in"] == 600
    pace = by[("pace", 0)]
    assert pace["in"] == 600 == pace["out"] + pace["dropped"]
    assert sum(r["in"] for r in inspect) == pace["out"]
    assert sum(r["out"] for r in inspect) == by[("tx", 0)]["in"] == by[("tx", 0)]["out"]
    return inspect


def test_cli_runs_the_example_and_reports_every_instance_and_event(tmp_path: Path) -> None:
    from scapy.utils import rdpcap

    out = tmp_path / "out.pcap"
    report = _cli_run("--scale-interval", "0.1", "--tx", f"port1={out}")
    inspect = _conserved(report)
    tx = next(r for r in report["unfs"] if r["unf"] == "tx")
    assert len(rdpcap(str(out))) == tx["out"]  # the trace is whole, whatever scaled
    events = report["scale-events"]
    # How many scale-outs happen depends on the machine; what they report does not.
    assert all(e["unf"] == "inspect" and e["direction"] == "out" for e in events)
    assert [(e["from"], e["to"]) for e in events] == [(n, n + 1) for n in range(1, len(events) + 1)]
    assert len(inspect) == 1 + len(events) <= 3  # max-instances
    assert [r["ring"] for r in inspect][:2] == ["to-inspect", "to-inspect.1"][: len(inspect)]
    for e in events:
        assert e["took-ms"] > 0 and "drops" in e["reason"] and e["time"].endswith("+00:00")


def test_cli_no_autoscale_keeps_one_instance() -> None:
    report = _cli_run("--no-autoscale")
    assert report["scale-events"] == []
    assert len(_conserved(report)) == 1


def test_cli_help_names_the_autoscale_options() -> None:
    micronf = Path(sys.executable).parent / "micronf"
    out = subprocess.run(
        [str(micronf), "dataplane", "run", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in ("--scale-interval", "--scale-after", "--no-autoscale"):
        assert option in out


def test_bench_scales_out_and_in_under_live_load_and_loses_nothing(tmp_path: Path) -> None:
    """bench/autoscale.py with one run: a feeder thread injects throughout
    both live reconfigurations; the script exits 1 on a lost or doubled packet."""
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "autoscale.py"),
            "--runs",
            "1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "autoscale.json").read_text())
    assert result["lost_packets"] == 0 and result["duplicated_packets"] == 0
    assert math.isfinite(result["scale_out_ms_median"])  # a figure, not a timing assertion
    assert (tmp_path / "autoscale.png").stat().st_size > 0
    assert "| scale_out |" in proc.stdout


def test_cli_refuses_a_graph_that_scales_a_branch_in_one_line(tmp_path: Path) -> None:
    """Valid YANG, but a branch gives each parallel uNF one ring: not scalable here."""
    doc = json.loads(EXAMPLE.read_text())
    desired = doc[AGENT]["desired"]
    desired["ring"].append({"name": "side"})
    pace = next(u for u in desired["unf"] if u["id"] == "pace")
    pace["egress"] = [{"name": "both", "kind": "branch", "ring": ["to-inspect", "side"]}]
    desired["unf"].append(
        {
            "id": "side",
            "class": "MacSwapper",
            "core": 0,
            "ingress": {"kind": "ring", "ring": "side"},
            "egress": [{"name": "done", "kind": "marker", "ring": ["to-tx"]}],
        }
    )
    bad = tmp_path / "branch.json"
    bad.write_text(json.dumps(doc, indent=2))
    micronf = Path(sys.executable).parent / "micronf"
    proc = subprocess.run(
        [str(micronf), "dataplane", "run", str(bad), "--rx", f"port0={FLOWS}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and not proc.stdout
    [line] = proc.stderr.strip().splitlines()
    assert f"{bad}:" in line and "unf[id='inspect']/autoscale" in line
    assert "fed by the branch egress 'both' of uNF 'pace'" in line
    assert "[micronf-cannot-scale]" in line


def test_scale_out_leaves_the_tx_trace_being_written_intact(
    runtime: Runtime, tmp_path: Path
) -> None:
    """A new instance is a new DPDK secondary, and every secondary re-opens
    the pcap ports when it starts: it must not truncate the trace the Tx uNF
    is writing (the runtime points later opens at /dev/null)."""
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap, wrpcap

    trace, out = tmp_path / "in.pcap", tmp_path / "out.pcap"
    sent = 3000
    wrpcap(str(trace), [Ether(frame(i)) for i in range(sent)])
    g = graph({"max-instances": 2, "drop-threshold": 10, "cooldown": 0})
    desired = g[AGENT]["desired"]
    desired["ring"] = [r for r in desired["ring"] if r["name"] != "in"]
    desired["unf"] = [
        {
            "id": "feed",
            "class": "TestMacSwap",
            "core": 0,
            "ingress": {"kind": "port", "port": "p0"},
            "egress": [{"name": "out", "kind": "ring", "ring": ["to-work"]}],
        },
        desired["unf"][2],  # work
        {
            "id": "tx",
            "class": "TestMacSwap",
            "core": 0,
            "ingress": {"kind": "ring", "ring": "out"},
            "egress": [{"name": "wire", "kind": "port", "port": "p1"}],
        },
    ]
    p = plan(
        g,
        [PortBinding("p0", rx_pcap=trace), PortBinding("p1", tx_pcap=out)],
        cpus=[0, 1],
        idle_sleep_us=IDLE_SLEEP_US,
        deadline_s=120,
    )
    dep = Deployment(runtime, p)
    dep.start(release=False)
    try:
        loop = Autoscaler(dep, sustain=1)
        loop.step(0.0)  # the baseline, before the first packet moves
        dep.release()
        feed = dep.active("feed")[0].process
        wait_for(lambda: runtime.counters(feed).rx == sent, "the whole trace read")
        assert runtime.counters(feed).egress_drops["out"] > 100  # the Busy uNF overflowed
        [event] = loop.step(1.0)
        assert (event.before, event.after) == (1, 2)
        tx = dep.active("tx")[0]

        def accounted() -> bool:
            drops = sum(sum(dep.counters(i).egress_drops.values()) for i in dep.instances)
            return dep.counters(tx).tx + drops == sent

        wait_for(accounted, "every packet written or counted as dropped")
    finally:
        dep.stop()  # closes the ports: the trace is complete
    written = [bytes(pkt) for pkt in rdpcap(str(out))]
    assert len(written) == dep.counters(tx).tx > 0
    assert len(set(written)) == len(written)
