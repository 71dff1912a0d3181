"""The runtime's mechanisms on real DPDK multi-process: every uNF here is a
secondary process on real hugepages, fed and drained through shared rings."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from micronf.dataplane import (
    Balance,
    DataplaneError,
    Egress,
    Ingress,
    PortKind,
    Runtime,
    Scheduling,
    Stage,
    UnfFailed,
    UnfSpec,
)

from .conftest import IDLE_SLEEP_US
from .packets import SELECT_OFFSET, TAG_OFFSET, flow_frame, flow_of, frame, seq_of

SCHED = Scheduling(idle_sleep_us=IDLE_SLEEP_US, deadline_s=120)


def wait_for(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """A hang guard, not a timing assertion: the condition must become true."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def spec(
    uid: str,
    classes: tuple[str, ...] | str,
    ingress: Ingress,
    egress: tuple[Egress, ...],
    cpu: int = 1,
    **kw: object,
) -> UnfSpec:
    if isinstance(classes, str):
        classes = (classes,)
    params = kw.pop("params", {})
    assert isinstance(params, dict)
    stages = tuple(Stage(c, params.get(c, {})) for c in classes)
    return UnfSpec(uid, stages, ingress, egress, cpu=cpu, scheduling=SCHED, **kw)  # type: ignore[arg-type]


def rings(rt: Runtime, *names: str, size: int = 4096, mp: bool = False) -> None:
    for n in names:
        rt.create_ring(n, size, multi_producer=mp)


def test_pipeline_moves_and_swaps_every_packet(runtime: Runtime) -> None:
    rings(runtime, "p-in", "p-mid", "p-out")
    a = runtime.start_unf(
        spec(
            "a", "TestMacSwap", Ingress.from_ring("p-in"), (Egress.to_ring("out", "p-mid"),), cpu=0
        )
    )
    b = runtime.start_unf(
        spec(
            "b", "TestMacSwap", Ingress.from_ring("p-mid"), (Egress.to_ring("out", "p-out"),), cpu=1
        )
    )
    assert a.status() == "running" and a.pid != b.pid
    sent = [frame(i) for i in range(500)]
    assert runtime.inject("p-in", sent) == 500
    wait_for(lambda: runtime.ring_count("p-out") == 500, "500 packets through two uNFs")
    out = runtime.drain("p-out")
    assert [p for p, _ in out] == sent  # swapped twice: unchanged, in order
    ca = runtime.counters(a)
    assert (ca.rx, ca.tx, ca.dropped) == (500, 500, 0)
    assert ca.egress_tx == {"out": 500}
    assert ca.processor == {"TestMacSwap": {"packets": 500}}
    assert ca.bursts >= 500 // 32 and ca.busy_cycles > 0
    assert runtime.stop_unf(a) == 0 and runtime.stop_unf(b) == 0


def test_single_swap_really_swaps(runtime: Runtime) -> None:
    rings(runtime, "s-in", "s-out")
    runtime.start_unf(
        spec("s", "TestMacSwap", Ingress.from_ring("s-in"), (Egress.to_ring("out", "s-out"),))
    )
    runtime.inject("s-in", [frame(1)])
    wait_for(lambda: runtime.ring_count("s-out") == 1, "one packet")
    pkt, _ = runtime.drain("s-out")[0]
    assert pkt[:6] == frame(1)[6:12] and pkt[6:12] == frame(1)[:6]


def test_result_labels_route_to_egress_and_drops_are_counted(runtime: Runtime) -> None:
    rings(runtime, "l-in", "l-zero", "l-rest")
    unf = runtime.start_unf(
        spec(
            "sel",
            "TestSelector",
            Ingress.from_ring("l-in"),
            (Egress.to_ring("zero", "l-zero", labels=("l0",)), Egress.to_ring("rest", "l-rest")),
            params={"TestSelector": {"offset": (str(SELECT_OFFSET),)}},
        )
    )
    pkts = [frame(i, select=[0, 1, 2, 0xFF][i % 4]) for i in range(400)]
    runtime.inject("l-in", pkts)
    wait_for(lambda: runtime.counters(unf).rx == 400, "400 packets read")
    wait_for(lambda: runtime.counters(unf).tx + runtime.counters(unf).dropped == 400, "decided")
    zero = [seq_of(p) for p, _ in runtime.drain("l-zero")]
    rest = [seq_of(p) for p, _ in runtime.drain("l-rest")]
    assert zero == [i for i in range(400) if i % 4 == 0]
    assert rest == [i for i in range(400) if i % 4 in (1, 2)]
    c = runtime.counters(unf)
    assert c.dropped == 100 and c.egress_tx == {"zero": 100, "rest": 200}
    assert c.processor["TestSelector"] == {"selected": 300, "dropped": 100}


def test_unrouted_label_is_dropped(runtime: Runtime) -> None:
    rings(runtime, "u-in", "u-one")
    unf = runtime.start_unf(
        spec(
            "sel",
            "TestSelector",
            Ingress.from_ring("u-in"),
            (Egress.to_ring("one", "u-one", labels=("l1",)),),
            params={"TestSelector": {"offset": (str(SELECT_OFFSET),)}},
        )
    )
    runtime.inject("u-in", [frame(i, select=i % 3) for i in range(300)])
    wait_for(lambda: runtime.counters(unf).tx + runtime.counters(unf).dropped == 300, "decided")
    assert runtime.ring_count("u-one") == 100
    assert runtime.counters(unf).dropped == 200


def test_run_to_completion_fuses_processors_in_one_loop(runtime: Runtime) -> None:
    rings(runtime, "f-in", "f-out")
    unf = runtime.start_unf(
        spec(
            "fused",
            ("TestSelector", "TestMacSwap"),
            Ingress.from_ring("f-in"),
            (Egress.to_ring("out", "f-out"),),
            params={"TestSelector": {"offset": (str(SELECT_OFFSET),)}},
        )
    )
    runtime.inject("f-in", [frame(i, select=0xFF if i % 5 == 0 else 1) for i in range(500)])
    wait_for(lambda: runtime.counters(unf).tx + runtime.counters(unf).dropped == 500, "decided")
    out = runtime.drain("f-out")
    assert len(out) == 400
    assert all(p[:6] == frame(0)[6:12] for p, _ in out)  # the second stage ran
    c = runtime.counters(unf)
    assert c.processor["TestMacSwap"] == {"packets": 400}  # drops never reached it
    assert c.dropped == 100


def test_egress_map_gives_each_chain_its_own_egress(runtime: Runtime) -> None:
    rings(runtime, "m-in", "m-a", "m-b")
    unf = runtime.start_unf(
        spec(
            "shared",
            ("TestTagger", "TestMacSwap"),
            Ingress.from_ring("m-in"),
            (Egress.to_ring("to-a", "m-a"), Egress.to_ring("to-b", "m-b")),
            params={"TestTagger": {"offset": (str(TAG_OFFSET),)}},
            egress_map={1: ("to-a",), 2: ("to-b",)},
        )
    )
    runtime.inject("m-in", [frame(i, tag=1 + i % 2) for i in range(200)])
    wait_for(lambda: runtime.counters(unf).tx == 200, "200 packets out")
    a = runtime.drain("m-a")
    b = runtime.drain("m-b")
    assert {t for _, t in a} == {1} and {t for _, t in b} == {2}
    assert [seq_of(p) for p, _ in a] == list(range(0, 200, 2))
    assert [seq_of(p) for p, _ in b] == list(range(1, 200, 2))


def test_branch_and_sync_deliver_every_packet_once_after_all_branches(runtime: Runtime) -> None:
    rings(runtime, "b-in", "b-1", "b-2", "b-3", "b-out", size=8192)
    runtime.create_ring("b-sync", 8192, multi_producer=True)
    runtime.start_unf(
        spec(
            "fork",
            "TestMacSwap",
            Ingress.from_ring("b-in"),
            (Egress("par", PortKind.BRANCH, rings=("b-1", "b-2", "b-3")),),
            cpu=0,
        )
    )
    for i, ring in enumerate(("b-1", "b-2", "b-3")):
        runtime.start_unf(
            spec(
                f"branch{i}",
                "TestBusy",
                Ingress.from_ring(ring),
                (Egress("done", PortKind.MARKER, rings=("b-sync",)),),
                cpu=i % 2,
                params={"TestBusy": {"mark": (str(0xA0 + i),), "offset": (str(50 + i),)}},
            )
        )
    join = runtime.start_unf(
        spec(
            "join",
            "TestMacSwap",
            Ingress.sync("b-sync", 3),
            (Egress.to_ring("out", "b-out"),),
        )
    )
    n = 3000
    for start in range(0, n, 500):
        runtime.inject("b-in", [frame(i, size=80) for i in range(start, start + 500)])
        wait_for(lambda s=start: runtime.counters(join).rx >= s, "the branches to keep up")
    wait_for(lambda: runtime.counters(join).tx == n, f"{n} packets joined")
    time.sleep(0.05)
    out = runtime.drain("b-out", n + 10)
    seqs = [seq_of(p) for p, _ in out]
    assert len(seqs) == n and sorted(seqs) == list(range(n))  # exactly once
    for p, _ in out:
        assert p[50:53] == bytes([0xA0, 0xA1, 0xA2])  # every branch had it first
    assert runtime.counters(join).rx == n


def test_round_robin_spreads_evenly(runtime: Runtime) -> None:
    rings(runtime, "r-in", "r-0", "r-1", "r-2")
    unf = runtime.start_unf(
        spec(
            "lb",
            "TestMacSwap",
            Ingress.from_ring("r-in"),
            (
                Egress(
                    "lb",
                    PortKind.LOAD_BALANCED,
                    rings=("r-0", "r-1", "r-2"),
                    balance=Balance.ROUND_ROBIN,
                ),
            ),
        )
    )
    runtime.inject("r-in", [frame(i) for i in range(999)])
    wait_for(lambda: runtime.counters(unf).tx == 999, "999 packets out")
    assert [runtime.ring_count(r) for r in ("r-0", "r-1", "r-2")] == [333, 333, 333]


def _flow_rings(rt: Runtime, names: tuple[str, ...]) -> dict[int, str]:
    where: dict[int, str] = {}
    for r in names:
        for p, _ in rt.drain(r, 8192):
            f = flow_of(p)
            assert where.setdefault(f, r) == r, f"flow {f} on two instances"
    return where


def test_flow_hash_keeps_flows_together_and_scaling_moves_few(runtime: Runtime) -> None:
    rings(runtime, "h-in", "h-0", "h-1", "h-2", "h-3", size=8192)
    three = ("h-0", "h-1", "h-2")
    unf = runtime.start_unf(
        spec(
            "lb",
            "TestMacSwap",
            Ingress.from_ring("h-in"),
            (Egress("lb", PortKind.LOAD_BALANCED, rings=three),),
        )
    )
    flows = 600
    runtime.inject("h-in", [flow_frame(f, s) for s in range(4) for f in range(flows)])
    wait_for(lambda: runtime.counters(unf).tx == 4 * flows, "every packet out")
    before = _flow_rings(runtime, three)
    assert len(before) == flows
    share = Counter(before.values())
    assert all(flows / 3 * 0.75 < share[r] < flows / 3 * 1.25 for r in three), share
    four = (*three, "h-3")
    runtime.reconfigure_egress(unf, (Egress("lb", PortKind.LOAD_BALANCED, rings=four),))
    runtime.inject("h-in", [flow_frame(f, 9) for f in range(flows)])
    wait_for(lambda: runtime.counters(unf).tx == 5 * flows, "every packet out")
    after = _flow_rings(runtime, four)
    moved = [f for f in range(flows) if after[f] != before[f]]
    assert all(after[f] == "h-3" for f in moved)  # only to the new instance
    assert flows / 4 * 0.7 < len(moved) < flows / 4 * 1.3


def test_live_reconfiguration_loses_and_duplicates_nothing(runtime: Runtime) -> None:
    rings(runtime, "c-in", "c-a", "c-b", size=16384)
    unf = runtime.start_unf(
        spec(
            "scale",
            "TestMacSwap",
            Ingress.from_ring("c-in"),
            (Egress.to_ring("out", "c-a"),),
        )
    )
    n, chunk = 6000, 100
    done = threading.Event()

    def feed() -> None:
        for s in range(0, n, chunk):
            runtime.inject("c-in", [frame(i) for i in range(s, s + chunk)])
            time.sleep(0.001)
        done.set()

    feeder = threading.Thread(target=feed)
    feeder.start()
    wait_for(lambda: runtime.counters(unf).rx > n // 4, "a quarter of the traffic")
    runtime.reconfigure_egress(
        unf,
        (Egress("out", PortKind.LOAD_BALANCED, rings=("c-a", "c-b"), balance=Balance.ROUND_ROBIN),),
    )
    feeder.join()
    wait_for(lambda: runtime.counters(unf).tx == n, f"{n} packets out")
    a = [seq_of(p) for p, _ in runtime.drain("c-a", n)]
    b = [seq_of(p) for p, _ in runtime.drain("c-b", n)]
    assert sorted(a + b) == list(range(n))
    assert b and a[0] == 0
    assert runtime.counters(unf).reconfigs == 1
    # Before the switch every packet went to c-a, in order.
    assert a[: min(b)] == list(range(min(b)))


def test_kill_9_is_detected_and_held_mbufs_reclaimed(runtime: Runtime) -> None:
    rings(runtime, "k-in", "k-out")
    # Queued before the worker starts, so that its first burst is a full one.
    runtime.inject("k-in", [frame(i) for i in range(64)])
    slow = runtime.start_unf(
        spec(
            "slow",
            "TestBusy",
            Ingress.from_ring("k-in"),
            (Egress.to_ring("out", "k-out"),),
            params={"TestBusy": {"cycles": ("50000000",)}},  # tens of ms per packet
        )
    )
    wait_for(lambda: runtime.counters(slow).rx > 0, "a burst taken")
    runtime.kill_unf(slow)
    assert slow.status() == "failed"
    assert slow.reclaimed + slow.lost == 32
    on_rings = runtime.ring_count("k-in") + runtime.ring_count("k-out")
    assert runtime.mempool().in_use == on_rings + slow.lost


def test_worker_stops_by_itself_at_its_deadline(runtime: Runtime) -> None:
    rings(runtime, "d-in", "d-out")
    unf = runtime.start_unf(
        UnfSpec(
            "brief",
            (Stage("TestMacSwap"),),
            Ingress.from_ring("d-in"),
            (Egress.to_ring("out", "d-out"),),
            cpu=1,
            scheduling=Scheduling(deadline_s=0.3, idle_sleep_us=IDLE_SLEEP_US),
        )
    )
    unf.process.wait(timeout=20)
    assert unf.status() == "stopped"


def test_yields_after_n_bursts_and_when_idle(runtime: Runtime) -> None:
    rings(runtime, "y-in", "y-out")
    unf = runtime.start_unf(
        UnfSpec(
            "y",
            (Stage("TestMacSwap"),),
            Ingress.from_ring("y-in"),
            (Egress.to_ring("out", "y-out"),),
            cpu=1,
            scheduling=Scheduling(
                burst_size=4,
                yield_after_bursts=2,
                yield_when_idle=False,
                idle_sleep_us=IDLE_SLEEP_US,
            ),
        )
    )
    runtime.inject("y-in", [frame(i) for i in range(400)])
    wait_for(lambda: runtime.counters(unf).tx == 400, "400 packets out")
    c = runtime.counters(unf)
    assert c.bursts >= 100  # burst size 4
    assert c.yields == c.bursts // 2


def test_sched_fifo_worker_runs_and_yields(runtime: Runtime) -> None:
    rings(runtime, "q-in", "q-out")
    try:
        unf = runtime.start_unf(
            UnfSpec(
                "fifo",
                (Stage("TestMacSwap"),),
                Ingress.from_ring("q-in"),
                (Egress.to_ring("out", "q-out"),),
                cpu=1,
                scheduling=Scheduling(sched_fifo=True, fifo_priority=5, yield_after_bursts=0),
            )
        )
    except UnfFailed as exc:
        if "Operation not permitted" in str(exc):
            pytest.skip(f"real-time scheduling is not allowed here: {exc}")
        raise
    runtime.inject("q-in", [frame(i) for i in range(100)])
    wait_for(lambda: runtime.counters(unf).tx == 100, "100 packets out")
    assert runtime.counters(unf).yields > 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: spec("x", "NoSuchClass", Ingress.from_ring("e-in"), ()),
            "unknown uNF class 'NoSuchClass'",
        ),
        (
            lambda: spec("x", "TestMacSwap", Ingress.from_ring("e-in"), (), cpu=64),
            "core 64 out of range",
        ),
        (lambda: spec("x", "TestMacSwap", Ingress.from_ring("missing"), ()), "no ring 'missing'"),
        (
            lambda: spec(
                "x",
                "TestMacSwap",
                Ingress.from_ring("e-in"),
                (Egress.to_ring("o", "e-in", labels=("nope",)),),
            ),
            "routes label 'nope'",
        ),
        (lambda: spec("x", "TestMacSwap", Ingress.from_port(99), ()), "no ethdev port 99"),
    ],
)
def test_bad_uNF_is_one_clear_exception(
    runtime: Runtime, make: Callable[[], UnfSpec], message: str
) -> None:
    rings(runtime, "e-in")
    with pytest.raises(DataplaneError, match=message):
        runtime.start_unf(make())
    assert not runtime.unfs


def test_ring_errors_are_exceptions(runtime: Runtime) -> None:
    rings(runtime, "dup")
    with pytest.raises(DataplaneError, match="exists already"):
        runtime.create_ring("dup")
    with pytest.raises(DataplaneError, match="no ring 'nowhere'"):
        runtime.ring_count("nowhere")
    with pytest.raises(DataplaneError, match="cannot create device"):
        runtime.add_port("net_pcap_bad", "rx_pcap=/nonexistent/in.pcap")


def test_a_process_runs_one_runtime(runtime: Runtime) -> None:
    assert runtime.started
    with pytest.raises(DataplaneError, match="once per process"):
        Runtime().start()


def test_unf_failed_when_worker_cannot_start(runtime: Runtime) -> None:
    rings(runtime, "w-in")
    with pytest.raises(UnfFailed, match="no ring 'gone'"):
        runtime.start_unf(
            spec("w", "TestMacSwap", Ingress.from_ring("w-in"), (Egress.to_ring("o", "gone"),))
        )


def test_any_ethdev_net_ring_between_two_unfs(runtime: Runtime) -> None:
    """A net_ring device loops what is sent on it back to its Rx queue: one uNF
    transmits on the port, another receives from it (both secondaries)."""
    rings(runtime, "n-in", "n-out")
    port = runtime.add_port("net_ring_t0")
    try:
        runtime.start_unf(
            spec("send", "TestMacSwap", Ingress.from_ring("n-in"), (Egress.to_port("o", port),))
        )
        recv = runtime.start_unf(
            spec(
                "recv",
                "TestMacSwap",
                Ingress.from_port(port),
                (Egress.to_ring("o", "n-out"),),
                cpu=0,
            )
        )
        runtime.inject("n-in", [frame(i) for i in range(200)])
        wait_for(lambda: runtime.counters(recv).tx == 200, "200 packets through net_ring")
        assert [seq_of(p) for p, _ in runtime.drain("n-out")] == list(range(200))
    finally:
        for unf in list(runtime.unfs.values()):
            runtime.stop_unf(unf)
        runtime.remove_port("net_ring_t0")


def test_graph_names_longer_than_dpdk_allows(runtime: Runtime) -> None:
    """Ring and uNF names are the graph's (the compiler's are long); two long
    names with a common head stay two rings."""
    head = "to-a-chain-with-a-long-name.edge-firewall."
    first, second = head + "classify", head + "count-urls"
    rings(runtime, first, second)
    unf = runtime.start_unf(
        spec(
            "a-chain-with-a-long-name.edge-firewall.classify",
            "TestMacSwap",
            Ingress.from_ring(first),
            (Egress.to_ring("out", second),),
            cpu=1,
        )
    )
    sent = [frame(i) for i in range(40)]
    assert runtime.inject(first, sent) == 40
    wait_for(lambda: runtime.ring_count(second) == 40, "40 packets between two long-named rings")
    assert runtime.ring_count(first) == 0
    assert len(runtime.drain(second)) == 40
    assert runtime.stop_unf(unf) == 0
