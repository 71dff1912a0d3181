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

A uNF with ``autoscale`` starts ``min-instances`` instances, each reading
its own ring; :meth:`Deployment.scale_out` and :meth:`Deployment.scale_in`
add and remove one instance live (the policy that calls them, drops and
idleness with a cool-down, is :mod:`micronf.agent.autoscale`). The rings a
scalable uNF writes are created multi-producer up front: DPDK fixes a ring's
producer mode when it is created, and a ring cannot be swapped under a
running downstream reader without losing what it holds.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from micronf.dataplane import (
    MAX_TARGETS,
    Balance,
    Counters,
    DataplaneError,
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
class AutoscalePlan:
    """The ``autoscale`` container of one uNF (times in seconds)."""

    enabled: bool = True
    min_instances: int = 1
    max_instances: int = 4
    drop_threshold: int = 1000
    idle_threshold: int = 20
    scale_in_window: float = 30.0
    cooldown: float = 5.0

    @staticmethod
    def from_data(a: Mapping[str, Any]) -> AutoscalePlan:
        return AutoscalePlan(
            enabled=bool(a.get("enabled", True)),
            min_instances=int(a.get("min-instances", 1)),
            max_instances=int(a.get("max-instances", 4)),
            drop_threshold=int(a.get("drop-threshold", 1000)),
            idle_threshold=int(a.get("idle-threshold", 20)),
            scale_in_window=int(a.get("scale-in-window", 30000)) / 1000,
            cooldown=int(a.get("cooldown", 5000)) / 1000,
        )

    @property
    def most(self) -> int:
        """The most instances this uNF can ever have."""
        return max(self.min_instances, self.max_instances if self.enabled else 0)


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
    autoscale: AutoscalePlan | None = None

    @property
    def reads_port(self) -> bool:
        return self.ingress_kind == "port"


@dataclass(frozen=True)
class Plan:
    generation: int
    rings: tuple[RingPlan, ...]
    ports: tuple[PortBinding, ...]
    unfs: tuple[UnfPlan, ...]
    #: CPUs micronf may use on this server (where new instances may go).
    cpus: tuple[int, ...] = ()

    def unf(self, uid: str) -> UnfPlan:
        return next(u for u in self.unfs if u.id == uid)


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
                autoscale=(
                    AutoscalePlan.from_data(unf["autoscale"]) if "autoscale" in unf else None
                ),
            )
        )

    for u in plans:
        if u.autoscale is not None:
            _check_scalable(u, plans, known)
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
    # A ring written by a uNF that may run several instances gets several
    # producers: multi-producer from the start (see the module documentation).
    most = {u.id: u.autoscale.most if u.autoscale else 1 for u in plans}
    return Plan(
        generation=int(desired.get("generation", 0)),
        rings=tuple(
            RingPlan(r, rings[r], len(writers[r]) > 1 or any(most[w] > 1 for w in writers[r]))
            for r in rings
        ),
        ports=all_ports,
        unfs=tuple(plans),
        cpus=cpus,
    )


def _check_scalable(
    u: UnfPlan, plans: Sequence[UnfPlan], known: Mapping[str, ProcessorInfo]
) -> None:
    """Refuse autoscale where instances would split a state, a port or a
    sync point; the YANG model refuses most of these, this also covers a
    graph that did not go through it."""
    assert u.autoscale is not None
    path = f"{_unf_path(u.id)}/autoscale"

    def refuse(why: str) -> None:
        raise DeployError(f"uNF '{u.id}' cannot be scaled: {why}", path, "micronf-cannot-scale")

    a = u.autoscale
    if a.min_instances < 1 or a.max_instances < a.min_instances:
        raise DeployError(
            f"uNF '{u.id}': instances {a.min_instances}..{a.max_instances} (need 1 <= min <= max)",
            path,
            "micronf-bad-instance-bounds",
        )
    if a.most > MAX_TARGETS:
        refuse(f"at most {MAX_TARGETS} instances (rings behind one load-balanced egress)")
    for cls in u.classes:
        info = known[cls]
        if info.role in ("rx-service", "tx-service"):
            refuse(f"{cls} is the {info.role} of a port")
        if info.stateful:
            refuse(f"{cls} keeps state that instances would split")
        if not info.can_scale:
            refuse(f"the descriptor of {cls} says can-scale false")
    if u.ingress_kind != "ring":
        refuse(f"its ingress is a {u.ingress_kind}, not a ring")
    if any(kind == "port" for _, kind, *_ in u.egress):
        refuse("it writes an ethdev port (one Tx queue, one writer)")
    for w in plans:
        for name, kind, targets, *_ in w.egress:
            if u.ingress_ring in targets and kind not in ("ring", "load-balanced"):
                refuse(f"it is fed by the {kind} egress '{name}' of uNF '{w.id}'")


def _flow_order(unfs: Sequence[UnfPlan]) -> dict[str, int]:
    """uNF id -> its rank in the direction packets flow (port readers first, each
    uNF after the uNFs that write its ring), so that tables read like the chain;
    the graph's own order breaks ties and places what a cycle leaves over."""
    position = {u.id: i for i, u in enumerate(unfs)}
    reader = {u.ingress_ring: u.id for u in unfs if u.ingress_ring is not None}
    rank_of = position.__getitem__
    succ = {
        u.id: sorted({reader[r] for e in u.egress for r in e[2] if r in reader}, key=rank_of)
        for u in unfs
    }
    indeg = dict.fromkeys(position, 0)
    for targets in succ.values():
        for t in targets:
            indeg[t] += 1
    ready = sorted((uid for uid, d in indeg.items() if d == 0), key=rank_of)
    rank: dict[str, int] = {}
    while ready:
        uid = ready.pop(0)
        rank[uid] = len(rank)
        for t in succ[uid]:
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
                ready.sort(key=rank_of)
    for uid in sorted(position.keys() - rank.keys(), key=rank_of):
        rank[uid] = len(rank)
    return rank


@dataclass
class InstanceState:
    unf: str
    index: int
    classes: tuple[str, ...]
    core: int
    process: UnfProcess
    started: str
    #: The ring this instance reads (None: a port).
    ring: str | None = None
    #: Counters read when a scale-in stopped it (its slot is then reused).
    final: Counters | None = None

    @property
    def active(self) -> bool:
        """Started and not removed by a scale-in (it may have failed)."""
        return self.final is None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def instance_ring(ring: str, index: int) -> str:
    """Name of the ring of instance ``index`` of the uNF reading ``ring``."""
    name = f"{ring}.{index}"
    # rte_ring names hold 29 bytes (RTE_RING_NAMESIZE less the "RG_" prefix).
    return name if len(name) <= 28 else f"as{zlib.crc32(ring.encode()):08x}.{index}"


@dataclass
class Deployment:
    """A plan running on a runtime."""

    runtime: Runtime
    plan: Plan
    port_ids: dict[str, int] = field(default_factory=dict)
    instances: list[InstanceState] = field(default_factory=list)
    #: Ring of the desired graph -> the rings of its reader's instances, in
    #: instance order (the first is the ring itself). Egress ports writing a
    #: ring of the graph write these.
    ring_instances: dict[str, list[str]] = field(default_factory=dict)

    def start(self, *, release: bool = True) -> None:
        """Create ports and rings and start every instance; port readers wait
        until :meth:`release` (called here unless *release* is False, e.g. to
        take a counters baseline before the first packet moves)."""
        rt = self.runtime
        for port in self.plan.ports:
            self.port_ids[port.name] = add_port(rt, port)
        wait_links(rt, self.plan)  # live ports the graph writes: up before traffic
        rt.hold_readers(True)  # no packet moves before every worker started
        sizes = {r.name: r for r in self.plan.rings}
        for ring in self.plan.rings:
            rt.create_ring(ring.name, ring.size, multi_producer=ring.multi_producer)
            self.ring_instances[ring.name] = [ring.name]
        for u in self.plan.unfs:
            if u.autoscale and u.ingress_ring is not None:
                r = sizes[u.ingress_ring]
                for i in range(1, u.autoscale.min_instances):
                    name = instance_ring(r.name, i)
                    rt.create_ring(name, r.size, multi_producer=r.multi_producer)
                    self.ring_instances[r.name].append(name)
        # Downstream first: the Rx services start last, once every ring has
        # its reader, so that no packet of the trace meets a ring nobody drains.
        for u in sorted(self.plan.unfs, key=lambda u: u.reads_port):
            n = u.autoscale.min_instances if u.autoscale else 1
            for i in range(n):
                self._start_instance(u, i, u.core if i == 0 else self.pick_core(u.id))
        # Instances started from now on (scale-out) must not truncate the
        # pcap traces the running Tx workers write.
        rt.seal_tx_files()
        if release:
            self.release()

    def release(self) -> None:
        """Let the port readers go: packets start to move."""
        self.runtime.hold_readers(False)

    def _start_instance(self, u: UnfPlan, index: int, core: int) -> InstanceState:
        ring = self.ring_instances[u.ingress_ring][index] if u.ingress_ring else None
        proc = self.runtime.start_unf(self._spec(u, index, core, ring))
        inst = InstanceState(u.id, index, u.classes, core, proc, _now(), ring)
        self.instances.append(inst)
        return inst

    def _egress(self, u: UnfPlan) -> tuple[Egress, ...]:
        """The egress ports of u now: a ring whose reader runs several
        instances becomes a load-balanced egress over their rings."""
        out = []
        for name, kind, rings, port, labels, bal in u.egress:
            targets = tuple(t for r in rings for t in self.ring_instances.get(r, [r]))
            pkind = _EGRESS_KINDS[kind]
            if kind == "ring" and len(targets) > 1:
                # Flow-hash: the model's default balance, and adding an
                # instance then moves only the flows it takes over.
                pkind, bal = PortKind.LOAD_BALANCED, Balance.FLOW_HASH
            elif kind == "load-balanced" and len(targets) == 1:
                pkind = PortKind.RING
            out.append(
                Egress(
                    name,
                    pkind,
                    rings=targets,
                    port=self.port_ids[port] if port else None,
                    labels=labels,
                    balance=bal,
                )
            )
        return tuple(out)

    def _spec(
        self, u: UnfPlan, index: int = 0, core: int | None = None, ring: str | None = None
    ) -> UnfSpec:
        if u.ingress_kind == "port":
            assert u.ingress_port is not None
            ingress = Ingress.from_port(self.port_ids[u.ingress_port])
        elif u.ingress_kind == "sync":
            assert u.ingress_ring is not None
            ingress = Ingress.sync(u.ingress_ring, u.branches)
        else:
            assert u.ingress_ring is not None
            ingress = Ingress.from_ring(ring or u.ingress_ring)
        return UnfSpec(
            id=u.id,
            stages=tuple(Stage(c, p) for c, p in zip(u.classes, u.params, strict=True)),
            ingress=ingress,
            egress=self._egress(u),
            cpu=u.core if core is None else core,
            instance=index,
            scheduling=u.scheduling,
            egress_map=u.egress_map,
            labels=u.labels,
        )

    # -- scaling --------------------------------------------------------

    def active(self, uid: str) -> list[InstanceState]:
        """The instances of a uNF that were started and not scaled in, by index."""
        return sorted(
            (i for i in self.instances if i.unf == uid and i.active), key=lambda i: i.index
        )

    def feeders(self, uid: str) -> list[tuple[InstanceState, str]]:
        """(instance, egress name) of every running egress that writes the rings of uid."""
        ring = self.plan.unf(uid).ingress_ring
        out = []
        for inst in self.instances:
            if not inst.active:
                continue
            for name, _kind, rings, *_ in self.plan.unf(inst.unf).egress:
                if ring in rings:
                    out.append((inst, name))
        return out

    def pick_core(self, uid: str) -> int:
        """The allowed CPU with the fewest running instances (then one uid does
        not use yet, then the lowest)."""
        cpus = self.plan.cpus or self.runtime.cpus
        load = {c: 0 for c in cpus}
        for inst in self.instances:
            if inst.active and inst.core in load:
                load[inst.core] += 1
        mine = {i.core for i in self.active(uid)}
        return min(cpus, key=lambda c: (load[c], c in mine, c))

    def _rewire(self, u: UnfPlan) -> None:
        """Give every running writer of u's rings its egress ports as they are now
        (the switch happens between two of its bursts: nothing lost or doubled)."""
        for inst in self.instances:
            if not inst.active or inst.process.process.poll() is not None:
                continue
            writer = self.plan.unf(inst.unf)
            if any(u.ingress_ring in rings for _, _, rings, *_ in writer.egress):
                self.runtime.reconfigure_egress(inst.process, self._egress(writer))

    def scale_out(self, uid: str, core: int | None = None) -> InstanceState:
        """Start one more instance of uid on its own ring, then spread the
        writers of its ring over every instance."""
        u = self.plan.unf(uid)
        assert u.ingress_ring is not None and u.autoscale is not None
        ring = next(r for r in self.plan.rings if r.name == u.ingress_ring)
        index = 1 + max((i.index for i in self.instances if i.unf == uid), default=-1)
        name = instance_ring(ring.name, index)
        self.runtime.create_ring(name, ring.size, multi_producer=ring.multi_producer)
        self.ring_instances[ring.name].append(name)
        try:
            inst = self._start_instance(u, index, self.pick_core(uid) if core is None else core)
        except DataplaneError:
            self.ring_instances[ring.name].remove(name)
            self.runtime.free_ring(name)
            raise
        self._rewire(u)
        return inst

    def scale_in(self, uid: str, timeout: float = 10.0) -> InstanceState:
        """Remove the newest instance of uid: take its ring out of the writers'
        load balancers, let it drain, stop it, free its ring."""
        u = self.plan.unf(uid)
        assert u.ingress_ring is not None
        active = self.active(uid)
        if len(active) < 2:
            raise DataplaneError(f"uNF {uid} has one instance: nothing to scale in")
        inst = active[-1]
        assert inst.ring is not None
        self.ring_instances[u.ingress_ring].remove(inst.ring)
        self._rewire(u)
        end = time.monotonic() + timeout
        # No writer puts anything on the ring any more: once it is empty, the
        # instance holds at most the burst it is processing, which it finishes
        # before it reads its stop flag.
        while self.runtime.ring_count(inst.ring) and inst.process.process.poll() is None:
            if time.monotonic() > end:
                break
            time.sleep(0.001)
        self.runtime.stop_unf(inst.process)
        # The slot is free now but not reused before the next start: read it.
        inst.final = self.runtime.counters(inst.process)
        self.runtime.free_ring(inst.ring)
        return inst

    # -- running ----------------------------------------------------------

    def stop(self) -> None:
        """Stop every instance, then close the ports (pcap files are complete then)."""
        for inst in self.instances:
            if inst.process.process.poll() is None:
                self.runtime.stop_unf(inst.process)
        for port in self.plan.ports:
            self.runtime.remove_port(port.device)

    def failed(self) -> list[InstanceState]:
        self.runtime.reap()
        return [i for i in self.instances if i.active and i.process.status() == "failed"]

    def counters(self, inst: InstanceState) -> Counters:
        return inst.final if inst.final is not None else self.runtime.counters(inst.process)

    def rows(self) -> list[dict[str, Any]]:
        """Per instance: counters and cycles per packet, for the table and --json."""
        rows = []
        order = _flow_order(self.plan.unfs)
        for inst in sorted(self.instances, key=lambda i: (order[i.unf], i.index)):
            c = self.counters(inst)
            dropped = c.dropped + sum(c.egress_drops.values())
            rows.append(
                {
                    "unf": inst.unf,
                    "instance": inst.index,
                    "class": "+".join(inst.classes),
                    "core": inst.core,
                    "pid": inst.process.pid,
                    "status": inst.process.status(),
                    "ring": inst.ring,
                    "scaled-in": not inst.active,
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
        for inst in sorted(self.instances, key=lambda i: i.index):
            c = self.counters(inst)
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
        tick: Callable[[], object] | None = None,
    ) -> bool:
        """Wait until every trace is read and every packet has left (the pool is
        full again), a uNF fails, or the timeout; True when the run completed.
        ``tick`` runs at every poll (the autoscaler's :meth:`poll`)."""
        readers = {u.ingress_port: u.id for u in self.plan.unfs if u.ingress_port is not None}
        want = sum(totals.values())
        end = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < end:
            got = sum(
                min(sum(self.counters(i).rx for i in self.instances if i.unf == readers[p]), n)
                for p, n in totals.items()
                if p in readers
            )
            if progress:
                progress(got, want)
            if tick:
                tick()
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
