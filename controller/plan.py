"""The planner: per-agent desired sub-graphs and the actions to reach them (pure).

From the compiled graph and its placement it writes, for every agent, the
``micronf-agent`` ``desired`` data of its part of the graph (rings, tunnels,
uNFs with their ingress and egresses, the egress map of shared uNFs), and
compares it with the current desired state of each agent to list the
actions a commit would take: ``connect`` (a ring or tunnel to create, a uNF
to rewire), ``deploy``, ``reconfigure`` (configuration or core),
``scale`` (instances) and ``remove``. A uNF whose desired entry does not
change gets no action.

Ports of the data model: every uNF reads the ring ``to-<id>`` (a Rx service
with no input reads its port; the node after a parallel group reads it as a
sync ingress); a packet that leaves the agent goes into the ring of a tx
tunnel, and the rx tunnel on the other agent feeds the target's ring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from micronf.models import Intent
from micronf.models.graph import EdgeKind, GraphEdge, UnfGraph, make_id
from micronf.yang import Problem, ValidationFailed

from .placement import Placement

Desired = dict[str, Any]  # the content of micronf-agent:agent/desired

#: Order in which actions are listed (creations before users, removals last).
ACTION_ORDER = {"connect": 0, "deploy": 1, "reconfigure": 2, "scale": 3, "remove": 4}


class PlanError(ValidationFailed):
    """The compiled graph cannot be written as micronf-agent data."""


@dataclass(frozen=True, order=True)
class Action:
    order: int
    agent: str
    target: str
    operation: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {
            "operation": self.operation,
            "agent": self.agent,
            "target": self.target,
            "detail": self.detail,
        }


def ring_of(unf: str) -> str:
    return make_id("to-" + unf)


def _egress_ring(e: GraphEdge, placement: Placement, tunnel_ring: Mapping[GraphEdge, str]) -> str:
    return tunnel_ring.get(e, ring_of(e.target))


def chain_tags(graph: UnfGraph) -> dict[str, int]:
    """Tag each chain's packets carry (1, 2, ... by chain name)."""
    return {c: i for i, c in enumerate(sorted(graph.entries), start=1)}


def desired_graphs(
    graph: UnfGraph, placement: Placement, intent: Intent, generation: int = 1
) -> dict[str, Desired]:
    """Agent name -> its ``desired`` container (RFC 7951 JSON, without the module prefix)."""
    tags = chain_tags(graph)
    tunnel_ring = {t.edge: t.name for t in placement.tunnels}
    agents = sorted({p.agent for p in placement.unfs.values()})
    out: dict[str, Desired] = {}
    problems: list[Problem] = []
    for agent in agents:
        rings: set[str] = set()
        tunnels: list[dict[str, Any]] = []
        unfs: list[dict[str, Any]] = []
        classifier: list[dict[str, Any]] = []
        for t in placement.tunnels:
            if t.source_agent == agent:
                rings.add(t.name)
                tunnels.append(
                    {
                        "name": t.name,
                        "direction": "tx",
                        "port": t.source_port,
                        "peer-agent": t.target_agent,
                        "tag": t.tag,
                        "ring": t.name,
                        **_endpoints(intent, t.source_agent, t.target_agent, t.remote_mac),
                    }
                )
            if t.target_agent == agent:
                rings.add(ring_of(t.edge.target))
                tunnels.append(
                    {
                        "name": t.name,
                        "direction": "rx",
                        "port": t.target_port,
                        "peer-agent": t.source_agent,
                        "tag": t.tag,
                        "ring": ring_of(t.edge.target),
                        **_endpoints(intent, t.target_agent, t.source_agent, None),
                    }
                )
        for nid, p in placement.unfs.items():
            if p.agent != agent:
                continue
            node = graph.nodes[nid]
            entry: dict[str, Any] = {"id": nid, "class": node.unf_class, "core": p.core}
            params = [{"name": k, "value": list(v)} for k, v in node.parameters if v]
            if params:
                entry["parameter"] = params
            preds = graph.predecessors(nid)
            sync = [e for e in preds if e.kind is EdgeKind.SYNC]
            if not preds and node.descriptor.role == "rx-service":
                entry["ingress"] = {"kind": "port", "port": node.parameter("port")[0]}
            elif sync:
                rings.add(ring_of(nid))
                entry["ingress"] = {
                    "kind": "sync",
                    "ring": ring_of(nid),
                    "parallel-branches": len(sync),
                }
            else:
                rings.add(ring_of(nid))
                entry["ingress"] = {"kind": "ring", "ring": ring_of(nid)}
            egresses, emap, why = _egresses(graph, nid, placement, tunnel_ring, tags)
            if why:
                problems.append(Problem(why, None, "micronf-cannot-plan"))
                continue
            if egresses:
                entry["egress"] = egresses
            if emap:
                entry["egress-map"] = emap
            if entry["ingress"]["kind"] == "port":
                # The Rx service gives each chain's packets their tag (which
                # the egress maps of shared uNFs route by) and its entry ring.
                for chain in sorted(node.chains):
                    item, why = _classifier(
                        chain, intent, entry["ingress"]["port"], tags, egresses, emap
                    )
                    if why:
                        problems.append(Problem(why, None, "micronf-cannot-plan"))
                    elif item:
                        classifier.append(item)
            if p.instances > 1:
                entry["autoscale"] = {
                    "min-instances": p.instances,
                    "max-instances": max(
                        p.instances,
                        max(intent.chains[c].placement.max_instances for c in node.chains),
                    ),
                }
            unfs.append(entry)
        out[agent] = {
            "generation": str(generation),
            "ring": [{"name": r} for r in sorted(rings)],
            **(
                {"tunnel": sorted(tunnels, key=lambda t: (t["name"], t["direction"]))}
                if tunnels
                else {}
            ),
            **({"classifier": classifier} if classifier else {}),
            "unf": unfs,
        }
    if problems:
        raise PlanError(problems)
    return out


#: Fields of a chain's ingress match an Rx classifier entry can express.
_L4 = {"tcp": 6, "udp": 17}


def _classifier(
    chain: str,
    intent: Intent,
    port: str,
    tags: Mapping[str, int],
    egresses: list[dict[str, Any]],
    emap: list[dict[str, Any]],
) -> tuple[dict[str, Any] | None, str | None]:
    """The Rx classifier entry of *chain* on *port*: its ingress match as the
    fields an RxService matches (IPv4 protocol, networks, TCP/UDP port ranges),
    its chain tag, and the ring its packets enter; or why it cannot be one."""
    names = next((m["egress"] for m in emap if m.get("chain") == chain), None)
    chosen = [e for e in egresses if names is None or e["name"] in names]
    rings = [r for e in chosen for r in e.get("ring", [])]
    if not rings:
        return None, None  # the chain leaves by a port right away: nothing to steer
    fields = dict(intent.chains[chain].match.fields)
    match: dict[str, Any] = {}
    for key in ("protocol", "source-ipv4-network", "destination-ipv4-network"):
        value = fields.pop(f"ipv4.{key}", None)
        if value is not None:
            match[key] = value
    for l4, number in _L4.items():
        keys = [k for k in fields if k.startswith(f"{l4}.")]
        if not keys:
            continue
        match["protocol"] = number
        for side in ("source", "destination"):
            at = f"{l4}.{side}-port."
            op = fields.pop(f"{at}operator", None)
            port_no = fields.pop(f"{at}port", None)
            lower = fields.pop(f"{at}lower-port", None)
            upper = fields.pop(f"{at}upper-port", None)
            if lower is not None or upper is not None:
                span = (int(lower or 0), int(upper if upper is not None else 65535))
            elif port_no is None:
                continue
            elif op in (None, "eq"):
                span = (int(port_no), int(port_no))
            elif op == "lte":
                span = (0, int(port_no))
            elif op == "gte":
                span = (int(port_no), 65535)
            else:
                return None, (
                    f"chain {chain}: an Rx classifier cannot match {l4} {side} port "
                    f"'{op} {port_no}' (it matches one port or a range)"
                )
            match[f"{side}-port-lower"], match[f"{side}-port-upper"] = span
    if fields:
        return None, (
            f"chain {chain}: an Rx classifier matches the IPv4 protocol and networks and "
            f"TCP/UDP ports only, not {', '.join(sorted(fields))}"
        )
    return {
        "name": chain,
        "port": port,
        **({"match": match} if match else {}),
        "chain-tag": tags[chain],
        "ring": rings[0],
    }, None


def _endpoints(intent: Intent, local: str, remote: str, remote_mac: str | None) -> dict[str, str]:
    """A tunnel's remote MAC and its VXLAN addresses (IPv4 only in micronf-agent),
    which the agent's Tx service writes into the outer headers."""
    out = {"remote-mac": remote_mac} if remote_mac else {}
    ends = intent.agents[local].address, intent.agents[remote].address
    if all(a and ":" not in a for a in ends):
        out["local-address"], out["remote-address"] = str(ends[0]), str(ends[1])
    return out


def _egresses(
    graph: UnfGraph,
    nid: str,
    placement: Placement,
    tunnel_ring: Mapping[GraphEdge, str],
    tags: Mapping[str, int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    node = graph.nodes[nid]
    out = graph.successors(nid)
    if not out:
        if node.descriptor.role == "tx-service":
            port = node.parameter("port")
            return [{"name": "out", "kind": "port", "port": port[0]}], [], None
        return [], [], None
    # One egress per (kind, labels, rings); edges of several chains share it.
    keyed: dict[tuple[str, tuple[str, ...], tuple[str, ...]], set[str]] = {}
    branch: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for e in out:
        chains = e.chains or node.chains
        if e.kind is EdgeKind.BRANCH:
            branch.setdefault((e.labels, e.chains), []).append(ring_of(e.target))
            continue
        kind = "marker" if e.kind is EdgeKind.SYNC else "ring"
        key = (kind, e.labels, (_egress_ring(e, placement, tunnel_ring),))
        keyed.setdefault(key, set()).update(chains)
    for (labels, chains), members in branch.items():
        keyed[("branch", labels, tuple(sorted(members)))] = set(chains or node.chains)
    egresses = []
    seen_labels: dict[str, str] = {}
    unlabelled = 0
    for i, ((kind, labels, rings), served) in enumerate(sorted(keyed.items()), start=1):
        name = f"e{i}"
        for label in labels:
            if label in seen_labels:
                return (
                    [],
                    [],
                    (
                        f"uNF {nid} sends result '{label}' to two places ({seen_labels[label]}, "
                        f"{name}); micronf-agent routes a label to one egress"
                    ),
                )
            seen_labels[label] = name
        if not labels:
            unlabelled += 1
        eg: dict[str, Any] = {"name": name, "kind": kind, "ring": list(rings)}
        if labels:
            eg["label"] = list(labels)
        egresses.append((eg, served))
    if unlabelled > 1 and not node.shared:
        return (
            [],
            [],
            (
                f"uNF {nid} copies every packet to {unlabelled} places; micronf-agent has no "
                "multicast egress"
            ),
        )
    emap = []
    if node.shared:
        for chain in node.chains:
            names = [eg["name"] for eg, chains in egresses if chain in chains]
            if names:
                emap.append({"tag": tags[chain], "chain": chain, "egress": names})
    return [eg for eg, _ in egresses], emap, None


def as_agent_data(desired: Desired) -> dict[str, Any]:
    """The desired container as a whole micronf-agent document."""
    return {"micronf-agent:agent": {"desired": desired}}


# --------------------------------------------------------------------------- actions


def _index(items: list[dict[str, Any]] | None, key: str) -> dict[str, dict[str, Any]]:
    return {str(i[key]): i for i in items or []}


def actions(current: Mapping[str, Desired], new: Mapping[str, Desired]) -> list[Action]:
    """The minimal actions from the *current* desired sub-graphs to the *new* ones."""
    out: list[Action] = []

    def add(op: str, agent: str, target: str, detail: str) -> None:
        out.append(Action(ACTION_ORDER[op], agent, target, op, detail))

    for agent in sorted(set(current) | set(new)):
        old_d, new_d = current.get(agent, {}), new.get(agent, {})
        for kind in ("ring", "tunnel"):
            old_i, new_i = _index(old_d.get(kind), "name"), _index(new_d.get(kind), "name")
            for name in sorted(new_i):
                if name not in old_i:
                    add("connect", agent, f"{kind} {name}", f"create {kind} {name}")
                elif old_i[name] != new_i[name]:
                    add("connect", agent, f"{kind} {name}", f"re-create {kind} {name}")
            for name in sorted(set(old_i) - set(new_i)):
                add("remove", agent, f"{kind} {name}", f"delete {kind} {name}")
        old_u, new_u = _index(old_d.get("unf"), "id"), _index(new_d.get("unf"), "id")
        for uid in sorted(new_u):
            n = new_u[uid]
            if uid not in old_u:
                add("deploy", agent, f"unf {uid}", f"start {n['class']} on core {n.get('core')}")
                continue
            o = old_u[uid]
            if o["class"] != n["class"]:
                add("remove", agent, f"unf {uid}", f"stop {o['class']}")
                add("deploy", agent, f"unf {uid}", f"start {n['class']} on core {n.get('core')}")
                continue
            if o.get("parameter") != n.get("parameter") or o.get("core") != n.get("core"):
                what = "configuration" if o.get("parameter") != n.get("parameter") else "core"
                add("reconfigure", agent, f"unf {uid}", f"new {what}")
            wiring = ("ingress", "egress", "egress-map")
            if any(o.get(k) != n.get(k) for k in wiring):
                add("connect", agent, f"unf {uid}", "rewire ingress/egress")
            oi = o.get("autoscale", {}).get("min-instances", 1)
            ni = n.get("autoscale", {}).get("min-instances", 1)
            if oi != ni:
                add("scale", agent, f"unf {uid}", f"{oi} -> {ni} instances")
        for uid in sorted(set(old_u) - set(new_u)):
            add("remove", agent, f"unf {uid}", f"stop {old_u[uid]['class']}")
    return sorted(out)
