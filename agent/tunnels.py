"""Tunnels between servers: the ``tunnel`` list of a desired graph, run as
Tx and Rx services.

When the controller's planner splits a chain over two agents, the source
agent's graph sends the packets that leave it into the ring of a ``tx``
tunnel, and the target agent's ``rx`` tunnel names the ring they must enter
there. :func:`expand_tunnels` (called by :func:`micronf.agent.deployer.plan`)
turns that list into ordinary uNF entries of the graph before it is checked,
so that the rest of the deployer needs to know nothing of tunnels:

- a ``tx`` tunnel becomes a ``TxService`` uNF ``tunnel-tx.<name>`` reading
  the tunnel's ring and writing its port, with ``encapsulation`` and
  ``tunnel-tag`` from the tunnel, ``dst-mac`` from its ``remote-mac`` (when
  given; else the frame keeps its destination address) and, for VXLAN,
  ``local-address`` / ``remote-address`` (mandatory there: the outer IPv4
  header needs both ends);
- the ``rx`` tunnels of one port become classifier entries of the one Rx
  service that reads the port (``vlan TAG`` or ``vni TAG``, before the
  graph's own entries), each sending its packets, decapsulated, to the
  tunnel's ring. When a uNF of the graph already reads the port (the port is
  also a chain's ingress) the entries join it; its own traffic keeps its path
  through a catch-all entry after them when the graph gave that port no
  classifier. Otherwise a new ``RxService`` ``tunnel-rx.<port>`` reads it and
  drops what matches no tunnel (counted ``unclassified``). An Rx service
  tells at most 8 entries apart (the runtime's result labels);
- a port that two uNFs would write (two tx tunnels, or a tunnel and the
  graph's own Tx service) gets one writer, ``port-tx.<port>``, fed by a
  multi-producer ring ``port.<port>``: an ethdev queue takes one writer.

Cores: the model gives tunnels none. A tunnel's Tx service runs on the core
of the uNF that writes its ring, a new Rx service on the core of the uNF that
reads its first tunnel's ring, a port writer on its first writer's core
(the planner packs consecutive uNFs on one core as uNF-MC does; the
services' cost, 40 cycles per packet, is what a hop would cost anyway).
Without a core there, the deployer's default applies (the first allowed
CPU).

Packets cross as chain traffic stripped of their chain tag (the mbuf
metadata does not travel): the Rx service gives them tag 0. Ports: a
tunnel's port must be bound to a device on this server (``--port
NAME=DEVICE``: a DPDK vdev such as ``net_memif0,role=server`` or
``net_af_packet0,iface=veth0``; or a pcap, to record or replay the wire).
:func:`wait_links` holds the start of a deployment until every live port the
graph writes is up, so that no packet meets a link that is still down.
"""

from __future__ import annotations

import copy
import time
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from micronf.dataplane import DataplaneError, ProcessorInfo, Runtime

if TYPE_CHECKING:
    from .deployer import Deployment, Plan, PortBinding

DESIRED = "/micronf-agent:agent/desired"
#: Entries an Rx service tells apart (UNF_MAX_LABELS of the runtime).
MAX_RX_ENTRIES = 8
#: Longest rte_ring name (RTE_RING_NAMESIZE less the "RG_" prefix, and the NUL).
RING_NAME_MAX = 28
#: Seconds a live link stays down before a run ends on it (see wait_quiet).
LINK_DOWN_SETTLE = 0.5


def tunnel_path(name: str) -> str:
    return f"{DESIRED}/tunnel[name='{name}']"


def _unf_path(uid: str) -> str:
    return f"{DESIRED}/unf[id='{uid}']"


def _fail(message: str, path: str, app_tag: str) -> NoReturn:
    from .deployer import DeployError  # the deployer imports this module

    raise DeployError(message, path, app_tag)


def _param(unf: Mapping[str, Any], name: str) -> list[str] | None:
    for p in unf.get("parameter", []):
        if p["name"] == name:
            return [str(v) for v in p.get("value", [])]
    return None


def _ring_name(stem: str, port: str) -> str:
    name = f"{stem}.{port}"
    return name if len(name) <= RING_NAME_MAX else f"{stem}{zlib.crc32(port.encode()):08x}"


def expand_tunnels(
    desired: Mapping[str, Any],
    bound: Mapping[str, PortBinding],
    known: Mapping[str, ProcessorInfo],
) -> dict[str, Any]:
    """The desired graph with its tunnels as uNFs (a copy; the input is kept).

    Raises DeployError, at the tunnel's data path, for what YANG cannot see: a
    port with no device, a VXLAN tunnel without addresses, a port read by a
    uNF that is no Rx service, more entries than an Rx service tells apart.
    """
    tunnels: list[dict[str, Any]] = list(desired.get("tunnel", []))
    if not tunnels:
        return dict(desired)
    d: dict[str, Any] = copy.deepcopy(dict(desired))
    unfs: list[dict[str, Any]] = d.setdefault("unf", [])
    rings: list[dict[str, Any]] = d.setdefault("ring", [])
    classifier: list[dict[str, Any]] = d.setdefault("classifier", [])
    ids = {u["id"] for u in unfs}

    def role(u: Mapping[str, Any]) -> str | None:
        info = known.get(u["class"])
        return info.role if info else None

    def core_of(writes: str | None = None, reads: str | None = None) -> int | None:
        for u in unfs:
            hit = (
                any(writes in e.get("ring", []) for e in u.get("egress", []))
                if writes is not None
                else u.get("ingress", {}).get("ring") == reads
            )
            if hit and "core" in u:
                return int(u["core"])
        return None

    def add_unf(entry: dict[str, Any], path: str) -> None:
        if entry["id"] in ids:
            _fail(
                f"the graph already has a uNF '{entry['id']}', the name of a tunnel service",
                path,
                "micronf-tunnel-name",
            )
        ids.add(entry["id"])
        unfs.append(entry)

    rx_ports: dict[str, list[dict[str, Any]]] = {}
    new_unfs: list[tuple[dict[str, Any], str]] = []
    for t in tunnels:
        name, port, direction = t["name"], t["port"], t["direction"]
        path = tunnel_path(name)
        b = bound.get(port)
        usable = b is not None and (
            b.vdev is not None or (b.tx_pcap if direction == "tx" else b.rx_pcap) is not None
        )
        if not usable:
            flag = "--tx" if direction == "tx" else "--rx"
            _fail(
                f"{direction} tunnel '{name}' uses port '{port}', which has no device on this "
                f"server (--port {port}=DEVICE, e.g. net_memif0,role=server; or {flag} "
                f"{port}=FILE.pcap)",
                f"{path}/port",
                "micronf-port-unbound",
            )
        if "ring" not in t:
            what = "drain (what leaves this server)" if direction == "tx" else "feed"
            _fail(f"tunnel '{name}' names no ring to {what}", path, "micronf-tunnel-ring")
        if direction == "rx":
            rx_ports.setdefault(port, []).append(t)
            continue
        encap = t.get("encapsulation", "vxlan")
        params: dict[str, list[str]] = {
            "port": [port],
            "encapsulation": [encap],
            "tunnel-tag": [str(t["tag"])],
        }
        if t.get("remote-mac"):
            params["dst-mac"] = [t["remote-mac"]]
        if encap == "vxlan":
            for key in ("local-address", "remote-address"):
                if not t.get(key):
                    _fail(
                        f"tunnel '{name}' is VXLAN but has no {key} (the outer IPv4 header "
                        "needs both ends)",
                        f"{path}/{key}",
                        "micronf-tunnel-address",
                    )
                params[key] = [t[key]]
        entry: dict[str, Any] = {
            "id": f"tunnel-tx.{name}",
            "class": "TxService",
            "parameter": [{"name": k, "value": v} for k, v in params.items()],
            "ingress": {"kind": "ring", "ring": t["ring"]},
            "egress": [{"name": "out", "kind": "port", "port": port}],
        }
        core = core_of(writes=t["ring"])
        if core is not None:
            entry["core"] = core
        new_unfs.append((entry, path))

    tunnel_entries: list[dict[str, Any]] = []
    for port, ts in rx_ports.items():
        first = tunnel_path(ts[0]["name"])
        entries = [
            {
                "name": t["name"],
                "port": port,
                "chain-tag": 0,
                "ring": t["ring"],
                ("vlan" if t.get("encapsulation", "vxlan") == "vlan" else "vni"): int(t["tag"]),
            }
            for t in ts
        ]
        taken = {c["name"] for c in classifier}
        for t in ts:
            if t["name"] in taken:
                _fail(
                    f"tunnel '{t['name']}' and a classifier entry of port '{port}' share a name",
                    tunnel_path(t["name"]),
                    "micronf-tunnel-name",
                )
        reader = next(
            (
                u
                for u in unfs
                if u.get("ingress", {}).get("kind") == "port"
                and u.get("ingress", {}).get("port") == port
            ),
            None,
        )
        own = [c for c in classifier if c["port"] == port]
        if reader is not None:
            upath = _unf_path(reader["id"])
            if role(reader) != "rx-service":
                _fail(
                    f"tunnel '{ts[0]['name']}' arrives on port '{port}', which uNF "
                    f"'{reader['id']}' ({reader['class']}) reads; only an Rx service can "
                    "demultiplex tunnels",
                    f"{first}/port",
                    "micronf-tunnel-port",
                )
            if (_param(reader, "decapsulate") or ["true"])[0] != "true":
                _fail(
                    f"tunnel '{ts[0]['name']}' arrives on port '{port}', whose Rx service "
                    f"'{reader['id']}' does not decapsulate (decapsulate false)",
                    f"{upath}/parameter[name='decapsulate']",
                    "micronf-tunnel-port",
                )
            if not own:
                # The graph's own traffic on this port keeps its path: a
                # catch-all entry after the tunnels, to the ring it wrote.
                out = next((e for e in reader.get("egress", []) if e.get("ring")), None)
                if out is None:
                    _fail(
                        f"tunnel '{ts[0]['name']}' arrives on port '{port}', whose Rx service "
                        f"'{reader['id']}' writes no ring",
                        f"{upath}/egress",
                        "micronf-tunnel-port",
                    )
                entries.append(
                    {"name": f"{port}.other", "port": port, "chain-tag": 0, "ring": out["ring"][0]}
                )
        else:
            entry = {
                "id": f"tunnel-rx.{port}",
                "class": "RxService",
                "parameter": [
                    {"name": "port", "value": [port]},
                    {"name": "decapsulate", "value": ["true"]},
                ],
                "ingress": {"kind": "port", "port": port},
            }
            core = core_of(reads=ts[0]["ring"])
            if core is not None:
                entry["core"] = core
            new_unfs.append((entry, first))
        if len(entries) + len(own) > MAX_RX_ENTRIES:
            _fail(
                f"port '{port}' carries {len(ts)} rx tunnels and {len(own)} classifier "
                f"entries; an Rx service tells at most {MAX_RX_ENTRIES} apart",
                f"{first}/port",
                "micronf-tunnel-port",
            )
        tunnel_entries += entries
    # Tunnel entries first: the graph's own entries match any tag.
    classifier[:0] = tunnel_entries
    for entry, path in new_unfs:
        add_unf(entry, path)

    # One writer per port: an ethdev Tx queue is not safe for two processes.
    writers: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for u in unfs:
        for e in u.get("egress", []):
            if e.get("kind") == "port":
                writers.setdefault(e["port"], []).append((u, e))
    for port, ws in writers.items():
        if len(ws) < 2:
            continue
        ring = _ring_name("port", port)
        rings.append({"name": ring, "size": 2048})
        for _, e in ws:
            e["kind"], e["ring"] = "ring", [ring]
            del e["port"]
        entry = {
            "id": f"port-tx.{port}",
            "class": "TxService",
            "parameter": [{"name": "port", "value": [port]}],
            "ingress": {"kind": "ring", "ring": ring},
            "egress": [{"name": "out", "kind": "port", "port": port}],
        }
        if "core" in ws[0][0]:
            entry["core"] = ws[0][0]["core"]
        path = next((tunnel_path(t["name"]) for t in tunnels if t["port"] == port), DESIRED)
        add_unf(entry, path)
    return d


def live_ports(plan: Plan) -> list[PortBinding]:
    """The ports of a plan bound to a device rather than to traces."""
    return [p for p in plan.ports if p.vdev is not None]


def _written(plan: Plan) -> set[str]:
    return {port for u in plan.unfs for _, _, _, port, _, _ in u.egress if port}


def add_port(runtime: Runtime, port: PortBinding) -> int:
    """Create the device of a port; a live device that cannot start says why it may not."""
    try:
        return runtime.add_port(port.device, port.devargs)
    except DataplaneError as exc:
        if port.vdev and "role=client" in port.devargs and "cannot start" in str(exc):
            raise DataplaneError(
                f"port '{port.name}': {exc} (a memif client connects to a running server: "
                "start the other side first)"
            ) from None
        raise


def wait_links(runtime: Runtime, plan: Plan, timeout: float = 10.0) -> None:
    """Wait until every live port the graph writes has its link up.

    Ports only read need not wait: a packet that arrives before the reader
    starts waits in the device's queue."""
    written = _written(plan)
    pending = [p for p in live_ports(plan) if p.name in written]
    end = time.monotonic() + timeout
    while pending:
        pending = [p for p in pending if not runtime.port_link_up(p.device)]
        if not pending:
            return
        if time.monotonic() > end:
            p = pending[0]
            raise DataplaneError(
                f"port '{p.name}' ({p.device}): link still down after {timeout:g} s "
                "(is the other side running?)"
            )
        time.sleep(0.01)


def port_packets(runtime: Runtime, ports: Sequence[PortBinding]) -> int:
    """Packets received plus sent so far on these ports."""
    return sum(sum(runtime.port_packets(p.device)) for p in ports)


def wait_quiet(deployment: Deployment, *, quiet: float, timeout: float) -> bool:
    """With live ports: wait until packets have moved through them and then
    either every link went down (the other side left) or nothing moved for
    ``quiet`` seconds, with the mbuf pool full again (True); False when a uNF
    fails or at the timeout.

    A run on traces knows when it is done; one on a live device cannot, since
    the other side may always send more. A link that went down stays down
    for ``LINK_DOWN_SETTLE`` seconds before the run ends: a memif server that
    closes its device while DPDK's interrupt thread still handles the peer's
    disconnection can crash (DPDK 22.11), so the side that receives should
    end after the side that sends.
    """
    rt = deployment.runtime
    ports = live_ports(deployment.plan)
    end = time.monotonic() + timeout
    seen, since = 0, time.monotonic()
    down_since: float | None = None
    while time.monotonic() < end:
        if deployment.failed():
            return False
        now = port_packets(rt, ports)
        # Only growth counts: a memif port's statistics read 0 again once its
        # peer has left.
        if now > seen:
            seen, since = now, time.monotonic()
        if not any(rt.port_link_up(p.device) for p in ports):
            down_since = down_since or time.monotonic()
        else:
            down_since = None
        left = down_since is not None and time.monotonic() - down_since >= LINK_DOWN_SETTLE
        if seen and (left or time.monotonic() - since >= quiet) and rt.mempool().in_use == 0:
            return True
        time.sleep(0.02)
    return False
