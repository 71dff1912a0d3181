"""The local deployer: a desired sub-graph in ``micronf-agent`` form, validated
by libyang, turned into calls on the data-plane runtime.

:func:`plan` is pure: it reads the validated data and the runtime's processor
classes and either returns a :class:`Plan` or raises :class:`DeployError`
for what YANG cannot see (a class this data plane lacks, a ring nobody reads
or writes, a core this machine does not have, a port without a device), with
the data path of the offending node. :class:`Deployment` then creates the
ports, rings and uNF processes of a plan on a started
:class:`~micronf.dataplane.Runtime`, downstream first so that no packet meets
a ring without a reader, reads counters, and reports per-instance state in
the model's shape (``desired/unf[id]/instance[n]``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from micronf.dataplane import (
    Balance,
    Egress,
    Ingress,
    PortKind,
    ProcessorInfo,
    Runtime,
    Scheduling,
    Stage,
    UnfProcess,
    UnfSpec,
    list_processors,
)
from micronf.yang import Problem

from .tunnels import add_port, expand_tunnels, wait_links

AGENT = "micronf-agent:agent"
DESIRED = f"/{AGENT}/desired"

_EGRESS_KINDS = {
    "ring": PortKind.RING,
    "branch": PortKind.BRANCH,
    "marker": PortKind.MARKER,
    "load-balanced": PortKind.LOAD_BALANCED,
    "port": PortKind.ETHDEV,
}


class DeployError(Exception):
    """A desired graph this server cannot run; ``problem`` says where and why."""

    def __init__(self, message: str, path: str | None = None, app_tag: str | None = None):
        super().__init__(message)
        self.problem = Problem(message, path=path, app_tag=app_tag)


@dataclass(frozen=True)
class PortBinding:
    """A port of the graph and the device behind it on this server."""

    name: str
    rx_pcap: Path | None = None
    tx_pcap: Path | None = None
    #: A live device instead of traces: 'DRIVER[,ARGS]' (agent/tunnels.py).
    vdev: str | None = None

    @property
    def device(self) -> str:
        """DPDK vdev name: net_pcap when a trace is read or written, else net_null."""
        if self.vdev:
            return self.vdev.partition(",")[0]
        return f"net_pcap_{self.name}" if self.rx_pcap or self.tx_pcap else f"net_null_{self.name}"

    @property
    def devargs(self) -> str:
        if self.vdev:
            return self.vdev.partition(",")[2]
        args = []
        if self.rx_pcap:
            args.append(f"rx_pcap={self.rx_pcap}")
        if self.tx_pcap:
            args.append(f"tx_pcap={self.tx_pcap}")
        return ",".join(args)


@dataclass(frozen=True)
class RingPlan:
    name: str
    size: int
    multi_producer: bool


@dataclass(frozen=True)
class UnfPlan:
    """One uNF to start; port ingress/egress name ports, resolved at deploy time."""

    id: str
    classes: tuple[str, ...]
    params: tuple[Mapping[str, tuple[str, ...]], ...]
    core: int
    ingress_kind: str
    ingress_ring: str | None
    ingress_port: str | None
    branches: int
    egress: tuple[tuple[str, str, tuple[str, ...], str | None, tuple[str, ...], Balance], ...]
    egress_map: Mapping[int, tuple[str, ...]]
    scheduling: Scheduling
    labels: tuple[str, ...] | None

    @property
    def reads_port(self) -> bool:
        return self.ingress_kind == "port"


@dataclass(frozen=True)
class Plan:
    generation: int
    rings: tuple[RingPlan, ...]
    ports: tuple[PortBinding, ...]
    unfs: tuple[UnfPlan, ...]


def _unf_path(uid: str) -> str:
    return f"{DESIRED}/unf[id='{uid}']"


def _params(unf: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {p["name"]: tuple(str(v) for v in p.get("value", [])) for p in unf.get("parameter", [])}


def _classifier_entry(entry: Mapping[str, Any]) -> str:
    """One RxService classifier entry: 'TAG [src P] [dst P] [proto P] [sport R] [dport R]'."""
    m = entry.get("match", {})
    parts = [str(entry["chain-tag"])]
    for key in ("vlan", "vni"):  # the entries of rx tunnels (agent/tunnels.py)
        if key in entry:
            parts += [key, str(entry[key])]
    for key, word in (("source-ipv4-network", "src"), ("destination-ipv4-network", "dst")):
        if m.get(key, "0.0.0.0/0") != "0.0.0.0/0":
            parts += [word, m[key]]
    if int(m.get("protocol", 0)):
        parts += ["proto", str(m["protocol"])]
    for side, word in (("source", "sport"), ("destination", "dport")):
        lo, hi = int(m.get(f"{side}-port-lower", 0)), int(m.get(f"{side}-port-upper", 65535))
        if (lo, hi) != (0, 65535):
            parts += [word, str(lo) if lo == hi else f"{lo}-{hi}"]
    return " ".join(parts)


def plan(
    data: Mapping[str, Any],
    ports: Sequence[PortBinding],
    *,
    cpus: Sequence[int] | None = None,
    processors: Sequence[ProcessorInfo] | None = None,
    idle_sleep_us: int = 0,
    deadline_s: float = 3600.0,
) -> Plan:
    """Check a validated ``micronf-agent`` document against this server; pure."""
    desired = data.get(AGENT, {}).get("desired")
    if not desired:
        raise DeployError("the document holds no desired graph", f"/{AGENT}")
    cpus = tuple(sorted(cpus if cpus is not None else os.sched_getaffinity(0)))
    known = {p.unf_class: p for p in (processors if processors is not None else list_processors())}
    bound = {p.name: p for p in ports}
    desired = expand_tunnels(desired, bound, known)  # tunnels become Tx/Rx services
    unfs: list[dict[str, Any]] = desired.get("unf", [])
    rings = {r["name"]: int(r.get("size", 1024)) for r in desired.get("ring", [])}
    readers: dict[str, list[str]] = {r: [] for r in rings}
    writers: dict[str, list[str]] = {r: [] for r in rings}
    port_readers: dict[str, str] = {}
    port_writers: set[str] = set()
    classifier = desired.get("classifier", [])
    plans: list[UnfPlan] = []

    for unf in unfs:
        uid, path = unf["id"], _unf_path(unf["id"])
        classes = (unf["class"], *unf.get("fused-class", []))
        for i, cls in enumerate(classes):
            if cls not in known:
                where = f"{path}/class" if i == 0 else f"{path}/fused-class"
                have = ", ".join(sorted(c for c in known if not c.startswith("Test")))
                raise DeployError(
                    f"unknown uNF class '{cls}' (this data plane has: {have})",
                    where,
                    "micronf-unknown-class",
                )
        core = int(unf.get("core", cpus[0]))
        if core not in cpus:
            raise DeployError(
                f"core {core} out of range (this machine lets micronf use cores "
                f"{','.join(map(str, cpus))})",
                f"{path}/core",
                "micronf-core-out-of-range",
            )
        given = _params(unf)
        params = tuple(
            {k: v for k, v in given.items() if k in known[c].params or len(classes) == 1}
            for c in classes
        )
        ing = unf.get("ingress", {})
        kind = ing.get("kind", "ring")
        if kind == "port":
            port_readers.setdefault(ing["port"], uid)
        else:
            readers[ing["ring"]].append(uid)
        labels: tuple[str, ...] | None = None
        egress = []
        for e in unf.get("egress", []):
            ekind = e.get("kind", "ring")
            targets = tuple(e.get("ring", []))
            if ekind == "port":
                port_writers.add(e["port"])
            for r in targets:
                writers[r].append(uid)
            egress.append(
                [
                    e["name"],
                    ekind,
                    targets,
                    e.get("port"),
                    tuple(e.get("label", [])),
                    Balance(e.get("balance", "flow-hash")),
                ]
            )
        entries = [c for c in classifier if kind == "port" and c["port"] == ing["port"]]
        if entries and known[classes[-1]].role == "rx-service":
            # The classifier's entries are the Rx service's result labels; each
            # goes to the egress that writes its ring (or a new one).
            labels = tuple(c["name"] for c in entries)
            params = (
                *params[:-1],
                {**params[-1], "classifier": tuple(_classifier_entry(c) for c in entries)},
            )
            for c in entries:
                target = next((e for e in egress if c["ring"] in e[2]), None)
                if target is None:
                    target = [
                        f"entry-{c['name']}",
                        "ring",
                        (c["ring"],),
                        None,
                        (),
                        Balance.FLOW_HASH,
                    ]
                    egress.append(target)
                    writers[c["ring"]].append(uid)
                target[4] = (*target[4], c["name"])
        sched = unf.get("scheduling", {})
        plans.append(
            UnfPlan(
                id=uid,
                classes=classes,
                params=params,
                core=core,
                ingress_kind=kind,
                ingress_ring=ing.get("ring"),
                ingress_port=ing.get("port"),
                branches=int(ing.get("parallel-branches", 0)),
                egress=tuple((e[0], e[1], e[2], e[3], e[4], e[5]) for e in egress),
                egress_map={int(m["tag"]): tuple(m["egress"]) for m in unf.get("egress-map", [])},
                scheduling=Scheduling(
                    burst_size=int(sched.get("burst-size", 32)),
                    prefetch=int(sched.get("prefetch-distance", 8)),
                    yield_after_bursts=int(sched.get("yield-after-bursts", 16)),
                    sched_fifo=bool(sched.get("sched-fifo", False)),
                    fifo_priority=int(sched.get("fifo-priority", 10)),
                    idle_sleep_us=idle_sleep_us,
                    deadline_s=deadline_s,
                ),
                labels=labels,
            )
        )

    for ring in rings:
        rpath = f"{DESIRED}/ring[name='{ring}']"
        if not readers[ring]:
            raise DeployError(
                f"ring '{ring}' is read by no uNF (dangling)", rpath, "micronf-dangling-ring"
            )
        if not writers[ring]:
            raise DeployError(
                f"ring '{ring}' is written by no uNF (dangling)", rpath, "micronf-dangling-ring"
            )
        if len(readers[ring]) > 1:
            raise DeployError(
                f"ring '{ring}' is read by {len(readers[ring])} uNFs "
                f"({', '.join(readers[ring])}); a ring has one reader",
                rpath,
                "micronf-ring-readers",
            )
    for name in sorted(port_readers):
        b = bound.get(name)
        if b is None or (b.rx_pcap is None and b.vdev is None):
            raise DeployError(
                f"port '{name}' is read by the graph but no trace is given for it "
                f"(--rx {name}=FILE, or --port {name}=DEVICE)",
                f"{_unf_path(port_readers[name])}/ingress/port",
                "micronf-port-unbound",
            )
    for name in sorted(bound):
        if name not in port_readers and name not in port_writers:
            raise DeployError(
                f"port '{name}' is not a port of the graph",
                f"{DESIRED}/unf",
                "micronf-port-unknown",
            )
        if bound[name].rx_pcap and name not in port_readers:
            raise DeployError(
                f"port '{name}' is not read by any uNF of the graph",
                f"{DESIRED}/unf",
                "micronf-port-unknown",
            )
    all_ports = tuple(bound.get(n, PortBinding(n)) for n in sorted({*port_readers, *port_writers}))
    return Plan(
        generation=int(desired.get("generation", 0)),
        rings=tuple(RingPlan(r, rings[r], len(writers[r]) > 1) for r in rings),
        ports=all_ports,
        unfs=tuple(plans),
    )


@dataclass
class InstanceState:
    unf: str
    index: int
    classes: tuple[str, ...]
    core: int
    process: UnfProcess
    started: str


@dataclass
class Deployment:
    """A plan running on a runtime."""

    runtime: Runtime
    plan: Plan
    port_ids: dict[str, int] = field(default_factory=dict)
    instances: list[InstanceState] = field(default_factory=list)

    def start(self) -> None:
        rt = self.runtime
        for port in self.plan.ports:
            self.port_ids[port.name] = add_port(rt, port)
        wait_links(rt, self.plan)  # live ports the graph writes: up before traffic
        rt.hold_readers(True)  # no packet moves before every worker started
        for ring in self.plan.rings:
            rt.create_ring(ring.name, ring.size, multi_producer=ring.multi_producer)
        # Downstream first: the Rx services start last, once every ring has
        # its reader, so that no packet of the trace meets a ring nobody drains.
        for u in sorted(self.plan.unfs, key=lambda u: u.reads_port):
            spec = self._spec(u)
            proc = rt.start_unf(spec)
            self.instances.append(
                InstanceState(
                    u.id,
                    0,
                    u.classes,
                    u.core,
                    proc,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
        rt.hold_readers(False)

    def _spec(self, u: UnfPlan) -> UnfSpec:
        if u.ingress_kind == "port":
            assert u.ingress_port is not None
            ingress = Ingress.from_port(self.port_ids[u.ingress_port])
        elif u.ingress_kind == "sync":
            assert u.ingress_ring is not None
            ingress = Ingress.sync(u.ingress_ring, u.branches)
        else:
            assert u.ingress_ring is not None
            ingress = Ingress.from_ring(u.ingress_ring)
        egress = tuple(
            Egress(
                name,
                _EGRESS_KINDS[kind],
                rings=rings,
                port=self.port_ids[port] if port else None,
                labels=labels,
                balance=bal,
            )
            for name, kind, rings, port, labels, bal in u.egress
        )
        return UnfSpec(
            id=u.id,
            stages=tuple(Stage(c, p) for c, p in zip(u.classes, u.params, strict=True)),
            ingress=ingress,
            egress=egress,
            cpu=u.core,
            scheduling=u.scheduling,
            egress_map=u.egress_map,
            labels=u.labels,
        )

    def stop(self) -> None:
        """Stop every instance, then close the ports (pcap files are complete then)."""
        for inst in self.instances:
            if inst.process.process.poll() is None:
                self.runtime.stop_unf(inst.process)
        for port in self.plan.ports:
            self.runtime.remove_port(port.device)

    def failed(self) -> list[InstanceState]:
        self.runtime.reap()
        return [i for i in self.instances if i.process.status() == "failed"]

    def rows(self) -> list[dict[str, Any]]:
        """Per instance: counters and cycles per packet, for the table and --json."""
        rows = []
        order = {u.id: i for i, u in enumerate(self.plan.unfs)}
        for inst in sorted(self.instances, key=lambda i: (order[i.unf], i.index)):
            c = self.runtime.counters(inst.process)
            dropped = c.dropped + sum(c.egress_drops.values())
            rows.append(
                {
                    "unf": inst.unf,
                    "instance": inst.index,
                    "class": "+".join(inst.classes),
                    "core": inst.core,
                    "pid": inst.process.pid,
                    "status": inst.process.status(),
                    "in": c.rx,
                    "out": c.tx,
                    "dropped": dropped,
                    "busy-cycles": c.busy_cycles,
                    "cycles-per-packet": round(c.cycles_per_packet, 1),
                    "bursts": c.bursts,
                    "yields": c.yields,
                    "egress": {
                        n: {"out": c.egress_tx[n], "dropped": c.egress_drops[n]}
                        for n in c.egress_tx
                    },
                    "counters": c.processor,
                }
            )
        return rows

    def state(self) -> dict[str, Any]:
        """Operational state as ``desired/unf[id]/instance[n]`` of micronf-agent."""
        unfs: dict[str, list[dict[str, Any]]] = {}
        for inst in self.instances:
            c = self.runtime.counters(inst.process)
            unfs.setdefault(inst.unf, []).append(
                {
                    "index": inst.index,
                    "pid": inst.process.pid,
                    "core": inst.core,
                    "lcore": inst.process.lcore,
                    "status": inst.process.status(),
                    "rx-packets": str(c.rx),
                    "tx-packets": str(c.tx),
                    "dropped-packets": str(c.dropped),
                    "busy-cycles": str(c.busy_cycles),
                    "bursts": str(c.bursts),
                    "yields": str(c.yields),
                    "discontinuity-time": inst.started,
                    "reclaimed-mbufs": str(inst.process.reclaimed),
                    "lost-mbufs": str(inst.process.lost),
                    "egress": [
                        {
                            "name": n,
                            "enqueued-packets": str(c.egress_tx[n]),
                            "dropped-packets": str(c.egress_drops[n]),
                        }
                        for n in c.egress_tx
                    ],
                }
            )
        return {
            AGENT: {
                "desired": {"unf": [{"id": uid, "instance": inst} for uid, inst in unfs.items()]}
            }
        }

    def run_trace(
        self,
        totals: Mapping[str, int],
        *,
        timeout: float,
        progress: Callable[[int, int], None] | None = None,
        settle: float = 0.2,
    ) -> bool:
        """Wait until every trace is read and every packet has left (the pool is
        full again), a uNF fails, or the timeout; True when the run completed."""
        readers = {u.ingress_port: u.id for u in self.plan.unfs if u.ingress_port is not None}
        by_id = {i.unf: i for i in self.instances}
        want = sum(totals.values())
        end = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < end:
            got = sum(
                min(self.runtime.counters(by_id[readers[p]].process).rx, n)
                for p, n in totals.items()
                if p in readers
            )
            if progress:
                progress(got, want)
            if self.failed():
                return False
            if got >= want and self.runtime.mempool().in_use == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return True
            else:
                quiet_since = None
            time.sleep(0.02)
        return False
