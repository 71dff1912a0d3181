"""Placement: the compiled graph's uNFs on (agent, core), pure.

Load of a uNF = its cost (cycles per packet, from the cost model) times the
packets per second of every chain it serves that reach it (the chain's
expected rate times the share of its packets that get there). A core of an
agent has ``core-frequency`` cycles per second.

Chains are placed one after the other (by name), each in traffic order, as
the paper's uNF-MC: consecutive uNFs share a core while their summed load
fits; then the next free core of the same agent is opened, on the NUMA node
of the chain's ingress port (or the chain's ``numa-node``) first; when the
agent has no free core left, the chain spills to the next allowed agent and
the edge that crosses becomes a tunnel. A uNF needing more than one core
starts as several instances (``min-instances`` at least), each on a core of
its own, up to ``max-instances``. The chain's Rx service runs on the agent
that owns its ingress port, its exit Tx services on the agent of its egress
port; pinned uNFs go where they are pinned; members of a parallel group stay
on the agent of the node before it.

An intent that cannot fit raises :class:`PlacementError` with one problem
per chain that does not fit, located at the chain's YANG path and saying
what is short.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from micronf.models import Agent, Chain, Intent
from micronf.models.graph import EdgeKind, GraphEdge, GraphNode, UnfGraph
from micronf.yang import Problem, ValidationFailed
from micronf.yang.checks import chain_path

from ..compiler.cost import CostModel, flows

#: Rate assumed for a chain that states no expected rate, in Mpps.
DEFAULT_RATE_MPPS = 0.1


class PlacementError(ValidationFailed):
    """The intent cannot be placed on the registered agents."""


@dataclass(frozen=True)
class UnfPlacement:
    unf: str
    agent: str
    cores: tuple[int, ...]  # one per instance
    load: float  # cores the uNF needs in all, at the expected rates

    @property
    def core(self) -> int:
        return self.cores[0]

    @property
    def instances(self) -> int:
        return len(self.cores)


@dataclass(frozen=True)
class Tunnel:
    """An edge between uNFs on two agents: a Tx tag on one, an Rx demux on the other."""

    name: str
    tag: int
    edge: GraphEdge
    source_agent: str
    target_agent: str
    source_port: str
    target_port: str
    remote_mac: str | None
    remote_address: str | None


@dataclass(frozen=True)
class Placement:
    unfs: Mapping[str, UnfPlacement]
    tunnels: tuple[Tunnel, ...]
    loads: Mapping[str, float] = field(default_factory=dict)  # agent -> cores used

    def agent_of(self, unf: str) -> str:
        return self.unfs[unf].agent

    def to_data(self) -> list[dict[str, object]]:
        return [
            {
                "unf": p.unf,
                "agent": p.agent,
                "core": p.core,
                "instances": p.instances,
                "cores": list(p.cores),
                "load-cores": round(p.load, 3),
            }
            for p in self.unfs.values()
        ]


def rate_of(chain: Chain) -> float:
    """Packets per second the chain is sized for."""
    mpps = chain.placement.expected_rate
    if mpps is None:
        mpps = DEFAULT_RATE_MPPS
    return mpps * 1e6


def port_owner(intent: Intent, chain: Chain, end: str) -> tuple[str, str] | Problem:
    """(agent, port) of the chain's ingress or egress, or the problem with it."""
    base = chain_path(chain.name)
    port = chain.ingress_port if end == "ingress" else chain.egress_port
    agent = chain.ingress_agent if end == "ingress" else chain.egress_agent
    if not port:
        return Problem(
            f"the chain names no {end} port: give {end}/port (and {end}/agent) of a "
            "registered agent",
            f"{base}/{end}",
            "micronf-no-port",
        )
    if agent:
        return agent, port
    owners = sorted(a.name for a in intent.agents.values() if port in a.ports)
    if len(owners) != 1:
        return Problem(
            f"port '{port}' belongs to agents {', '.join(owners)}: name {end}/agent",
            f"{base}/{end}/port",
            "micronf-ambiguous-port",
        )
    return owners[0], port


@dataclass
class _AgentState:
    agent: Agent
    free: list[int]  # cores not opened yet, preferred first
    used: dict[int, float] = field(default_factory=dict)  # opened core -> load
    open_core: int | None = None

    def spare(self) -> float:
        return len(self.free) + sum(1.0 - u for u in self.used.values())


def _prefer(agent: Agent, numa: int | None) -> list[int]:
    if numa is None or numa not in agent.numa_cores:
        return list(agent.cores)
    first = list(agent.numa_cores[numa])
    return first + [c for c in agent.cores if c not in first]


def _loads(graph: UnfGraph, intent: Intent, model: CostModel) -> dict[str, float]:
    """uNF -> cycles per second it must sustain."""
    load: dict[str, float] = {}
    for chain in graph.entries:
        pps = rate_of(intent.chains[chain])
        for nid, share in flows(graph, chain, model).items():
            load[nid] = load.get(nid, 0.0) + share * pps * model.cycles(graph.nodes[nid])
    return load


def _is_exit(graph: UnfGraph, node: GraphNode) -> bool:
    return node.descriptor.role == "tx-service" and not graph.successors(node.id)


def place(graph: UnfGraph, intent: Intent, model: CostModel) -> Placement:
    """Place every uNF of *graph*; raises :class:`PlacementError` if it cannot fit."""
    problems: list[Problem] = []
    if not intent.agents:
        raise PlacementError(
            [
                Problem(
                    "no agent is registered: add /micronf-sfc:agents/agent entries with cores "
                    "and ports",
                    "/micronf-sfc:agents",
                    "micronf-no-agents",
                )
            ]
        )
    states: dict[str, _AgentState] = {}
    cycles = _loads(graph, intent, model)
    placed: dict[str, UnfPlacement] = {}
    for name in sorted(graph.entries):
        chain = intent.chains[name]
        base = chain_path(name)
        ends = [port_owner(intent, chain, "ingress"), port_owner(intent, chain, "egress")]
        bad = [e for e in ends if isinstance(e, Problem)]
        if bad:
            problems += bad
            continue
        (in_agent, in_port), (out_agent, _) = ends  # type: ignore[misc]
        allowed = list(chain.placement.allowed_agents) or sorted(intent.agents)
        for agent in (in_agent, out_agent):
            if agent not in allowed:
                problems.append(
                    Problem(
                        f"agent '{agent}' owns a port of the chain but is not an allowed agent",
                        f"{base}/placement/allowed-agent",
                        "micronf-agent-not-allowed",
                    )
                )
        if problems and any(p.path and p.path.startswith(base) for p in problems):
            continue
        numa = chain.placement.numa_node
        if numa is None:
            numa = intent.agents[in_agent].ports[in_port].numa_node
        for a in allowed:
            if a not in states:
                states[a] = _AgentState(intent.agents[a], _prefer(intent.agents[a], numa))
        pins = {(p.vnf, p.node): p for p in chain.placement.pins}
        nodes = [n for n in graph.chain_order(name) if n not in placed]
        spare_at_start = {a: states[a].spare() for a in allowed}
        need_total: dict[str, float] = {}
        current = in_agent
        failed: str | None = None
        for nid in nodes:
            node = graph.nodes[nid]
            preds = graph.predecessors(nid)
            pin = next(
                (pins[(o.vnf, o.node)] for o in node.origins if (o.vnf, o.node) in pins), None
            )
            sticky = any(e.kind is not EdgeKind.RING for e in preds)
            forced = True
            if pin is not None:
                target = pin.agent
            elif node.descriptor.role == "rx-service" and not preds:
                target = in_agent
            elif _is_exit(graph, node):
                target = out_agent
            elif sticky and preds and preds[0].source in placed:
                target = placed[preds[0].source].agent
            else:
                target, forced = current, False
            if target not in states:
                states[target] = _AgentState(
                    intent.agents[target], _prefer(intent.agents[target], numa)
                )
            need = cycles.get(nid, 0.0) / intent.agents[target].core_hz
            # min-instances applies to what can scale; stateful uNFs and packet I/O run once
            floor = chain.placement.min_instances if node.descriptor.can_scale else 1
            instances = max(floor, math.ceil(need - 1e-9) or 1)
            if instances > chain.placement.max_instances:
                problems.append(
                    Problem(
                        f"uNF {nid} ({node.unf_class}) needs {need:.1f} cores at the expected "
                        f"rate: more than max-instances {chain.placement.max_instances}",
                        f"{base}/placement/max-instances",
                        "micronf-too-many-instances",
                    )
                )
                failed = "instances"
                break
            if instances > 1 and not node.descriptor.can_scale:
                problems.append(
                    Problem(
                        f"uNF {nid} ({node.unf_class}) needs {need:.1f} cores at the expected "
                        "rate, but its class cannot run as several instances (stateful or "
                        "packet I/O): lower expected-rate or split the traffic",
                        f"{base}/placement/expected-rate",
                        "micronf-cannot-scale",
                    )
                )
                failed = "instances"
                break
            share = need / instances
            candidates = [target] + ([] if forced else [a for a in allowed if a != target])
            cores: list[int] | None = None
            for a in candidates:
                cores = _take(states[a], share, instances, pin.core if pin else None)
                if cores is not None:
                    target = a
                    break
            need_total[target] = need_total.get(target, 0.0) + need
            if cores is None:
                failed = target
                break
            placed[nid] = UnfPlacement(nid, target, tuple(cores), need)
            if not _is_exit(graph, node):
                current = target
        if failed and failed != "instances":
            total = sum(cycles.get(n, 0.0) / intent.agents[failed].core_hz for n in nodes)
            free = sum(spare_at_start.values())
            names = ", ".join(allowed)
            problems.append(
                Problem(
                    f"chain '{name}' needs {total:.1f} cores on agent"
                    f"{'s' if len(allowed) > 1 else ''} {names}, {free:.1f} free",
                    f"{base}/placement",
                    "micronf-cannot-place",
                )
            )
    if problems:
        raise PlacementError(problems)
    tunnels = _tunnels(graph, placed, intent)
    loads = {a: sum(s.used.values()) for a, s in sorted(states.items())}
    return Placement(dict(sorted(placed.items())), tunnels, loads)


def _take(state: _AgentState, share: float, instances: int, pinned: int | None) -> list[int] | None:
    """Cores for *instances* instances of *share* cores each, or None if they do not fit."""
    if pinned is not None:
        if pinned in state.free:
            state.free.remove(pinned)
            state.used[pinned] = 0.0
        if pinned not in state.used:
            return None
        state.used[pinned] += share
        return [pinned] * instances
    cores: list[int] = []
    core = state.open_core
    if instances == 1 and core is not None and state.used[core] + share <= 1.0 + 1e-9:
        state.used[core] += share
        return [core]
    if len(state.free) < instances:
        return None
    for _ in range(instances):
        core = state.free.pop(0)
        state.used[core] = share
        cores.append(core)
    state.open_core = cores[-1]
    return cores


def _tunnels(
    graph: UnfGraph, placed: Mapping[str, UnfPlacement], intent: Intent
) -> tuple[Tunnel, ...]:
    out: list[Tunnel] = []
    problems: list[Problem] = []
    for e in graph.edges:
        a, b = placed[e.source].agent, placed[e.target].agent
        if a == b:
            continue
        src, dst = intent.agents[a], intent.agents[b]
        sp, dp = src.carrier_port, dst.carrier_port
        if sp is None or dp is None:
            who = a if sp is None else b
            problems.append(
                Problem(
                    f"agent '{who}' has no port to carry the tunnel {e.source} -> {e.target}",
                    f"/micronf-sfc:agents/agent[name='{who}']/port",
                    "micronf-no-tunnel-port",
                )
            )
            continue
        tag = len(out) + 1
        out.append(
            Tunnel(
                name=f"tun-{tag}",
                tag=tag,
                edge=e,
                source_agent=a,
                target_agent=b,
                source_port=sp.name,
                target_port=dp.name,
                remote_mac=dp.mac_address,
                remote_address=dst.address,
            )
        )
    if problems:
        raise PlacementError(problems)
    return tuple(out)
