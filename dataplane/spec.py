"""What a uNF instance is made of, as plain typed values: its processors, its
ingress and egress ports, its scheduling knobs, and its counters.

These are the arguments and results of :class:`micronf.dataplane.Runtime`;
they know nothing of DPDK, so the agent can build and compare them freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class PortKind(IntEnum):
    """Port kinds of the runtime (values are the C ``enum unf_port_kind``)."""

    RING = 1
    ETHDEV = 2
    SYNC = 3
    BRANCH = 4
    MARKER = 5
    LOAD_BALANCED = 6


class Balance(StrEnum):
    """How a load-balanced egress spreads packets."""

    ROUND_ROBIN = "round-robin"
    FLOW_HASH = "flow-hash"


@dataclass(frozen=True)
class Ingress:
    """Where a uNF reads: one ring (``RING``, ``SYNC``) or one ethdev port id."""

    kind: PortKind
    ring: str | None = None
    port: int | None = None
    branches: int = 0

    @staticmethod
    def from_ring(ring: str) -> Ingress:
        return Ingress(PortKind.RING, ring=ring)

    @staticmethod
    def from_port(port: int) -> Ingress:
        return Ingress(PortKind.ETHDEV, port=port)

    @staticmethod
    def sync(ring: str, branches: int) -> Ingress:
        return Ingress(PortKind.SYNC, ring=ring, branches=branches)


@dataclass(frozen=True)
class Egress:
    """Where a uNF writes the packets whose result label is in ``labels``
    (empty: every label no other egress takes)."""

    name: str
    kind: PortKind
    rings: tuple[str, ...] = ()
    port: int | None = None
    labels: tuple[str, ...] = ()
    balance: Balance = Balance.FLOW_HASH

    @staticmethod
    def to_ring(name: str, ring: str, labels: tuple[str, ...] = ()) -> Egress:
        return Egress(name, PortKind.RING, rings=(ring,), labels=labels)

    @staticmethod
    def to_port(name: str, port: int, labels: tuple[str, ...] = ()) -> Egress:
        return Egress(name, PortKind.ETHDEV, port=port, labels=labels)


@dataclass(frozen=True)
class Scheduling:
    """How a uNF shares its core (the ``scheduling`` container of micronf-agent)."""

    burst_size: int = 32
    prefetch: int = 8
    yield_after_bursts: int = 16
    yield_when_idle: bool = True
    sched_fifo: bool = False
    fifo_priority: int = 10
    #: Sleep this long after 256 empty polls in a row (0: never; a polling
    #: loop then keeps its core busy, as in the paper).
    idle_sleep_us: int = 0
    #: The loop ends by itself this long after it starts, whatever happens.
    deadline_s: float = 3600.0


@dataclass(frozen=True)
class Stage:
    """One packet processor and its parameter values."""

    unf_class: str
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class UnfSpec:
    """One uNF instance: processors run in order on each burst (one in pipeline
    mode, several fused in run-to-completion mode), one ingress, its egresses,
    and for a uNF shared by several chains the egress map (chain tag -> the
    egress names packets of that chain may take)."""

    id: str
    stages: tuple[Stage, ...]
    ingress: Ingress
    egress: tuple[Egress, ...]
    cpu: int
    instance: int = 0
    scheduling: Scheduling = Scheduling()
    egress_map: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: Result labels of the last processor when they depend on its parameters
    #: (an Rx classifier: one per entry); None takes the descriptor's labels.
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Counters:
    """Counters of one uNF instance, read from shared memory."""

    rx: int
    tx: int
    dropped: int
    busy_cycles: int
    bursts: int
    yields: int
    idle_polls: int
    reconfigs: int
    egress_tx: dict[str, int]
    egress_drops: dict[str, int]
    processor: dict[str, dict[str, int]]

    @property
    def cycles_per_packet(self) -> float:
        return self.busy_cycles / self.rx if self.rx else 0.0


@dataclass(frozen=True)
class Mempool:
    """Occupancy of the runtime's mbuf pool."""

    size: int
    in_use: int

    @property
    def available(self) -> int:
        return self.size - self.in_use


@dataclass(frozen=True)
class ProcessorInfo:
    """What the runtime knows of a processor class (its C descriptor)."""

    unf_class: str
    role: str | None
    help: str
    stateful: bool
    may_drop: bool
    can_scale: bool
    cost: int
    labels: tuple[str, ...]
    counters: tuple[str, ...]
    params: tuple[str, ...]
