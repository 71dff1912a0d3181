"""Tunnels between two servers on this machine: the desired graphs the
controller's planner writes for two chains placed across two agents
(examples/tunnels), each run by its own ``micronf dataplane run`` process,
that is its own DPDK primary with its own file prefix.

Server A reads the chains' traces (in0, in1) and sends both chains into one
tunnel port; server B demultiplexes them by tag into each chain's ring and
writes its two output ports. The wire between them is either a pcap (A
records its tunnel port, B replays that file: the tags are checked on it) or
a live shared-memory link (net_memif, A the client, B the server). Every
packet that should cross arrives once, in the right output, untagged; both
mbuf pools are full again; no process, socket or hugepage file is left.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Packet, Raw
from scapy.utils import rdpcap

from micronf.agent.deployer import AGENT, DeployError, PortBinding, plan
from micronf.controller.dry_run import dry_run
from micronf.controller.plan import as_agent_data
from micronf.models import Intent
from micronf.yang import default_validator, validate_dict

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tunnels"
MICRONF = Path(sys.executable).parent / "micronf"
HUGE = Path("/dev/hugepages")
#: Hang guards, not timing assertions.
RUN_TIMEOUT = 120
READY_TIMEOUT = 60

#: What crosses: chain c1 loses its TTL-1 frames on A, chain c2 loses none.
C1 = {f"c1-{i:04d}" for i in range(40) if i % 10 != 3}
C2 = {f"c2-{i:04d}" for i in range(30)}
REMOTE_MAC = "02:00:00:00:0b:0f"  # server-b's tun0 (the intent's agents registry)


def _intent() -> Intent:
    return Intent.from_validated(
        validate_dict(json.loads((EXAMPLE / "two-servers.json").read_text()))
    )


def _desired(encapsulation: str = "vxlan") -> dict[str, dict[str, Any]]:
    """The planner's desired graphs, as whole micronf-agent documents."""
    out = {a: as_agent_data(d) for a, d in dry_run(_intent()).desired.items()}
    if encapsulation == "vlan":
        for doc in out.values():
            for t in doc[AGENT]["desired"]["tunnel"]:
                t["encapsulation"] = "vlan"
                t.pop("local-address", None)
                t.pop("remote-address", None)
    return out


def _write(tmp: Path, encapsulation: str) -> tuple[Path, Path]:
    docs = _desired(encapsulation)
    a, b = tmp / "server-a.json", tmp / "server-b.json"
    a.write_text(json.dumps(docs["server-a"]))
    b.write_text(json.dumps(docs["server-b"]))
    return a, b


def _popen(*args: str | Path, cwd: Path, stderr: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(MICRONF), "dataplane", "run", *map(str, args), "--json"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT)
    assert not list(HUGE.glob(f"micronf{proc.pid}map_*")), "hugepage files left behind"
    assert not Path(f"/var/run/dpdk/micronf{proc.pid}").exists()
    assert proc.returncode == 0, stderr or proc.returncode
    report: dict[str, Any] = json.loads(stdout)
    assert report["complete"] and report["mempool"]["in-use"] == 0, report
    return report


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()  # the CLI unwinds on SIGTERM and frees DPDK
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _run(*args: str | Path, cwd: Path) -> dict[str, Any]:
    proc = _popen(*args, cwd=cwd)
    try:
        return _finish(proc)
    finally:
        _kill(proc)


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["unf"]: r for r in report["unfs"]}


def _label(p: Packet) -> str:
    return bytes(p[Raw].load)[:7].decode()


def _check_outputs(out0: Path, out1: Path) -> None:
    """B's outputs: each chain's packets, once each, untagged, in its own port."""
    for path, chain, want in ((out0, 1, C1), (out1, 2, C2)):
        packets = rdpcap(str(path))
        labels = [_label(p) for p in packets]
        assert sorted(labels) == sorted(want), path.name  # all, once, nothing else
        for p in packets:
            assert not p.haslayer(Dot1Q) and not p.haslayer(VXLAN)
            assert p[Ether].type == 0x0800 and p[IP].src == f"10.{chain}.0.1"
        if chain == 1:  # c1's hop (IPTtlDecrementer) ran on server A
            assert {p[IP].ttl for p in packets} == {63}


def _check_a(report: dict[str, Any]) -> None:
    rows = _rows(report)
    assert rows["c1.hop.ttl"]["dropped"] == 4 and rows["c1.hop.ttl"]["out"] == len(C1)
    assert rows["tunnel-tx.tun-1"]["out"] == len(C1)
    assert rows["tunnel-tx.tun-2"]["out"] == len(C2)
    # Both tunnels leave by tun0: one writer per port.
    assert rows["port-tx.tun0"]["in"] == rows["port-tx.tun0"]["out"] == len(C1) + len(C2)


def _check_b(report: dict[str, Any]) -> None:
    rows = _rows(report)
    rx = rows["tunnel-rx.tun0"]
    assert rx["in"] == rx["out"] == len(C1) + len(C2) and rx["dropped"] == 0
    assert rx["egress"]["entry-tun-1"]["out"] == len(C1)  # by tag, into c1's ring
    assert rx["egress"]["entry-tun-2"]["out"] == len(C2)
    assert rx["counters"]["RxService"]["decapsulated"] == len(C1) + len(C2)
    assert rows["c1.hop.tx"]["out"] == len(C1) and rows["c2.hop.tx"]["out"] == len(C2)


# ----------------------------------------------------------------- the plans (no DPDK run)


def test_the_example_graphs_are_the_planners() -> None:
    """examples/tunnels/server-*.json are what the planner writes for the intent."""
    docs = _desired()
    validator = default_validator()
    for agent in ("server-a", "server-b"):
        shipped = json.loads((EXAMPLE / f"{agent}.json").read_text())
        assert shipped == docs[agent]
        validator.validate(validator.from_dict(shipped))
    (tx,) = [t for t in docs["server-a"][AGENT]["desired"]["tunnel"] if t["name"] == "tun-1"]
    assert tx["remote-mac"] == REMOTE_MAC and tx["remote-address"] == "198.51.100.2"


def test_tunnels_become_tx_and_rx_services() -> None:
    docs = _desired()
    dev = "net_memif0,role=server"
    pa = plan(
        docs["server-a"],
        [
            PortBinding("in0", rx_pcap=Path("x")),
            PortBinding("in1", rx_pcap=Path("y")),
            PortBinding("tun0", vdev=dev),
        ],
        cpus=[0, 1],
    )
    units = {u.id: u for u in pa.unfs}
    tx = units["tunnel-tx.tun-1"]
    assert tx.classes == ("TxService",) and tx.ingress_ring == "tun-1"
    assert dict(tx.params[0]) == {
        "port": ("tun0",),
        "encapsulation": ("vxlan",),
        "tunnel-tag": ("1",),
        "dst-mac": (REMOTE_MAC,),
        "local-address": ("198.51.100.1",),
        "remote-address": ("198.51.100.2",),
    }
    assert tx.core == units["c1.hop.ttl"].core  # beside the uNF that feeds it
    assert [e[1] for e in tx.egress] == ["ring"]  # into port-tx.tun0, tun0's one writer
    assert units["port-tx.tun0"].egress[0][3] == "tun0"
    ports = {p.name: p for p in pa.ports}
    assert (ports["tun0"].device, ports["tun0"].devargs) == ("net_memif0", "role=server")

    pb = plan(
        docs["server-b"],
        [PortBinding("tun0", vdev="net_memif0"), PortBinding("out0"), PortBinding("out1")],
        cpus=[0, 1],
    )
    rx = next(u for u in pb.unfs if u.id == "tunnel-rx.tun0")
    assert rx.params[0]["classifier"] == ("0 vni 1", "0 vni 2")
    assert rx.labels == ("tun-1", "tun-2")
    assert {e[0]: e[2] for e in rx.egress} == {
        "entry-tun-1": ("to-c1.hop.tx",),
        "entry-tun-2": ("to-c2.hop.tx",),
    }


def test_rx_tunnels_join_the_rx_service_of_a_chain_ingress_port() -> None:
    """A tunnel arriving on a port a chain enters by: its entry goes first in the
    chain's own Rx service, whose traffic keeps its path through a catch-all."""
    doc = _desired("vlan")["server-b"]
    d = doc[AGENT]["desired"]
    d["ring"].append({"name": "local"})
    d["unf"] += [
        {
            "id": "in",
            "class": "RxService",
            "core": 0,
            "ingress": {"kind": "port", "port": "tun0"},
            "egress": [{"name": "e1", "kind": "ring", "ring": ["local"]}],
        },
        {
            "id": "local-tx",
            "class": "TxService",
            "core": 0,
            "ingress": {"kind": "ring", "ring": "local"},
            "egress": [{"name": "out", "kind": "port", "port": "out2"}],
        },
    ]
    p = plan(doc, [PortBinding("tun0", vdev="net_memif0")], cpus=[0, 1])
    units = {u.id: u for u in p.unfs}
    assert "tunnel-rx.tun0" not in units
    rx = units["in"]
    assert rx.params[0]["classifier"] == ("0 vlan 1", "0 vlan 2", "0")
    assert {e[0]: e[4] for e in rx.egress} == {
        "e1": ("tun0.other",),
        "entry-tun-1": ("tun-1",),
        "entry-tun-2": ("tun-2",),
    }


@pytest.mark.parametrize(
    ("change", "ports", "where", "says"),
    [
        (None, [], "tunnel[name='tun-1']/port", "has no device on this server"),
        (
            lambda t: t.pop("remote-address"),
            ["tun0"],
            "tunnel[name='tun-1']/remote-address",
            "is VXLAN but has no remote-address",
        ),
        (lambda t: t.pop("ring"), ["tun0"], "tunnel[name='tun-1']", "names no ring"),
    ],
)
def test_what_yang_cannot_see(change: Any, ports: list[str], where: str, says: str) -> None:
    doc = copy.deepcopy(_desired()["server-a"])
    if change:
        change(doc[AGENT]["desired"]["tunnel"][0])
    bindings = [PortBinding("in0", rx_pcap=Path("x")), PortBinding("in1", rx_pcap=Path("y"))]
    bindings += [PortBinding(n, vdev="net_memif0") for n in ports]
    with pytest.raises(DeployError) as exc:
        plan(doc, bindings, cpus=[0, 1])
    assert exc.value.problem.path == f"/{AGENT}/desired/{where}"
    assert says in str(exc.value)


def _b_with(unfs: list[dict[str, Any]], tunnels: int = 2) -> dict[str, Any]:
    """Server B's graph with more rx tunnels on tun0 and extra uNFs."""
    doc = copy.deepcopy(_desired()["server-b"])
    d = doc[AGENT]["desired"]
    first = d["tunnel"][0]
    for i in range(3, tunnels + 1):
        d["tunnel"].append({**first, "name": f"tun-{i}", "tag": i})
    d["unf"] += unfs
    return doc


@pytest.mark.parametrize(
    ("doc", "where", "says"),
    [
        (
            _b_with([], tunnels=9),
            "tunnel[name='tun-1']/port",
            "carries 9 rx tunnels and 0 classifier entries; an Rx service tells at most 8",
        ),
        (
            _b_with(
                [
                    {
                        "id": "odd",
                        "class": "MacSwapper",
                        "ingress": {"kind": "port", "port": "tun0"},
                        "egress": [{"name": "e", "kind": "port", "port": "out2"}],
                    }
                ]
            ),
            "tunnel[name='tun-1']/port",
            "which uNF 'odd' (MacSwapper) reads; only an Rx service can demultiplex",
        ),
        (
            _b_with(
                [
                    {
                        "id": "in",
                        "class": "RxService",
                        "parameter": [{"name": "decapsulate", "value": ["false"]}],
                        "ingress": {"kind": "port", "port": "tun0"},
                        "egress": [{"name": "e", "kind": "port", "port": "out2"}],
                    }
                ]
            ),
            "unf[id='in']/parameter[name='decapsulate']",
            "does not decapsulate",
        ),
    ],
)
def test_what_yang_cannot_see_on_the_receiving_side(
    doc: dict[str, Any], where: str, says: str
) -> None:
    with pytest.raises(DeployError) as exc:
        plan(doc, [PortBinding("tun0", vdev="net_memif0")], cpus=[0, 1])
    assert exc.value.problem.path == f"/{AGENT}/desired/{where}"
    assert says in str(exc.value)


# ----------------------------------------------------------------- two runtimes


@pytest.mark.parametrize("encapsulation", ["vxlan", "vlan"])
def test_two_servers_through_a_recorded_wire(tmp_path: Path, encapsulation: str) -> None:
    """A records its tunnel port (tagged frames on the wire), B replays it."""
    a, b = _write(tmp_path, encapsulation)
    wire, out0, out1 = tmp_path / "wire.pcap", tmp_path / "out0.pcap", tmp_path / "out1.pcap"
    ra = _run(
        a,
        "--rx",
        f"in0={EXAMPLE / 'in0.pcap'}",
        "--rx",
        f"in1={EXAMPLE / 'in1.pcap'}",
        "--tx",
        f"tun0={wire}",
        cwd=tmp_path,
    )
    _check_a(ra)
    frames = rdpcap(str(wire))
    assert len(frames) == len(C1) + len(C2)
    by_tag: dict[int, set[str]] = {1: set(), 2: set()}
    for f in frames:
        assert f[Ether].dst == REMOTE_MAC
        if encapsulation == "vxlan":
            assert (f[IP].src, f[IP].dst, f[UDP].dport) == ("198.51.100.1", "198.51.100.2", 4789)
            assert not f.haslayer(Dot1Q)
            tag = f[VXLAN].vni
        else:
            assert not f.haslayer(VXLAN)
            tag = f[Dot1Q].vlan
        by_tag[tag].add(_label(f))
    assert by_tag == {1: C1, 2: C2}

    rb = _run(
        b, "--rx", f"tun0={wire}", "--tx", f"out0={out0}", "--tx", f"out1={out1}", cwd=tmp_path
    )
    _check_b(rb)
    _check_outputs(out0, out1)


@pytest.mark.parametrize("encapsulation", ["vxlan", "vlan"])
def test_two_servers_over_memif(tmp_path: Path, encapsulation: str) -> None:
    """Two live runtimes joined by net_memif: B (server) first, then A (client);
    B ends when A has left."""
    a, b = _write(tmp_path, encapsulation)
    out0, out1 = tmp_path / "out0.pcap", tmp_path / "out1.pcap"
    # DPDK passes at most 63 bytes of device arguments to secondary processes.
    sock = Path(f"/tmp/mnft{os.getpid()}.sock")
    dev = f"net_memif0,socket={sock},socket-abstract=no"
    log = tmp_path / "server-b.log"
    with log.open("w") as err:
        server = _popen(
            b,
            "--port",
            f"tun0={dev},role=server",
            "--tx",
            f"out0={out0}",
            "--tx",
            f"out1={out1}",
            "--idle-end",
            "60",
            cwd=tmp_path,
            stderr=err,
        )
    try:
        end = time.monotonic() + READY_TIMEOUT
        while "running: live port tun0" not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < end, f"server B did not start: {log.read_text()}"
            time.sleep(0.05)
        assert sock.is_socket()
        ra = _run(
            a,
            "--rx",
            f"in0={EXAMPLE / 'in0.pcap'}",
            "--rx",
            f"in1={EXAMPLE / 'in1.pcap'}",
            "--port",
            f"tun0={dev},role=client",
            "--idle-end",
            "1",
            cwd=tmp_path,
        )
        _check_a(ra)
        rb = _finish(server)
        assert not sock.exists()  # the memif server removed its socket
    finally:
        _kill(server)
        sock.unlink(missing_ok=True)
    _check_b(rb)
    _check_outputs(out0, out1)


def _cli(*args: str | Path, cwd: Path) -> tuple[int, str]:
    """Exit status and standard error of one run; its hugepage files are gone."""
    proc = subprocess.Popen(
        [str(MICRONF), "dataplane", "run", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = proc.communicate(timeout=RUN_TIMEOUT)
    assert not list(HUGE.glob(f"micronf{proc.pid}map_*")), "hugepage files left behind"
    assert "Traceback" not in stderr
    return proc.returncode, stderr


def test_a_memif_client_without_its_server_is_one_line(tmp_path: Path) -> None:
    a, _ = _write(tmp_path, "vxlan")
    sock = f"/tmp/mnft-none{os.getpid()}.sock"
    code, stderr = _cli(
        a,
        "--rx",
        f"in0={EXAMPLE / 'in0.pcap'}",
        "--rx",
        f"in1={EXAMPLE / 'in1.pcap'}",
        "--port",
        f"tun0=net_memif0,role=client,socket={sock},socket-abstract=no",
        cwd=tmp_path,
    )
    assert code == 1
    ours = [ln for ln in stderr.splitlines() if ln.startswith("✗")]  # DPDK logs one too
    assert len(ours) == 1 and "cannot start device net_memif0" in ours[0], stderr
    assert "start the other side first" in ours[0]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("tun0", "--port takes PORT=DEVICE"),
        ("tun0=memif0", "--port takes PORT=DEVICE"),
        ("=net_memif0", "--port takes PORT=DEVICE"),
        ("tun0=net_", "--port takes PORT=DEVICE"),
        ("tun0=net_af_packet0,iface=lo", "net_af_packet devices work in one process only"),
        ("in0=net_memif0", "port in0 is bound twice"),
    ],
)
def test_a_bad_port_option_is_a_usage_error(tmp_path: Path, bad: str, says: str) -> None:
    a, _ = _write(tmp_path, "vxlan")
    code, stderr = _cli(a, "--rx", f"in0={EXAMPLE / 'in0.pcap'}", "--port", bad, cwd=tmp_path)
    assert code == 2
    assert stderr.count("\n") == 1 and says in stderr, stderr


def test_a_tunnel_port_without_a_device_is_one_line(tmp_path: Path) -> None:
    a, _ = _write(tmp_path, "vxlan")
    code, stderr = _cli(
        a,
        "--rx",
        f"in0={EXAMPLE / 'in0.pcap'}",
        "--rx",
        f"in1={EXAMPLE / 'in1.pcap'}",
        cwd=tmp_path,
    )
    assert code == 1 and stderr.count("\n") == 1
    assert "desired/tunnel[name='tun-1']/port: tx tunnel 'tun-1' uses port 'tun0'" in stderr
