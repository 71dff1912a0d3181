"""From intent to packets: the paper's chain, compiled by ``micronf dry-run``
into a desired graph, runs on DPDK with ``micronf dataplane run``; the
optimised graph forwards exactly the packets the naive one does.

Nothing here is hand-written between the TOSCA file and the wire: the
compiler's names (rings such as ``to-paper-sfc.monitor.classify``, longer
than a DPDK ring name may be) and its placement go to the data plane as they
are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scapy.utils import rdpcap

ROOT = Path(__file__).resolve().parents[2]
MICRONF = Path(sys.executable).parent / "micronf"
INTENT = ROOT / "examples" / "paper-sfc.yaml"
TRACE = ROOT / "examples" / "traces" / "http-sqli.pcap"
NO_PASSES = ("--no-dedup", "--no-parallelize", "--no-consolidate")


def micronf(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MICRONF), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,  # a hang guard, not a timing assertion
        check=False,
    )


def compile_and_run(tmp: Path, name: str, *passes: str) -> tuple[dict, list[bytes]]:
    folder = tmp / name
    res = micronf("dry-run", INTENT, "--desired", folder, *passes)
    assert res.returncode == 0, res.stderr
    desired = folder / "server-a.json"
    assert f"written to {desired}" in res.stdout
    out = tmp / f"{name}.pcap"
    res = micronf(
        "dataplane", "run", desired, "--rx", f"port0={TRACE}", "--tx", f"port1={out}", "--json"
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["complete"] and report["mempool"]["in-use"] == 0
    return report, [bytes(p) for p in rdpcap(str(out))]


def test_compiled_graph_forwards_what_the_naive_graph_forwards(tmp_path: Path) -> None:
    naive, naive_out = compile_and_run(tmp_path, "naive", *NO_PASSES)
    compiled, compiled_out = compile_and_run(tmp_path, "compiled")
    # the optimiser removed uNFs (Rx/Tx pairs between VNFs, repeated checks)...
    assert len(compiled["unfs"]) < len(naive["unfs"])
    # ...and the same packets leave, in the same order, byte for byte
    sent = len(rdpcap(str(TRACE)))
    assert 0 < len(compiled_out) < sent  # the firewall and the URL check drop some
    assert compiled_out == naive_out
    for report in (naive, compiled):
        for row in report["unfs"]:
            assert row["in"] == row["out"] + row["dropped"], row


def test_a_shared_unf_sends_each_chain_its_own_way(tmp_path: Path) -> None:
    """Two chains enter by two ports and share the compiled CheckIPHeader and
    L3L4Filter; the Rx services tag each chain's packets (the planner's
    classifier), so the shared filter hands web's packets to web's monitor and
    api's to api's, never one chain's traffic down the other's path."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import wrpcap

    intent = json.loads((ROOT / "examples" / "sharing" / "two-chains.json").read_text())
    for chain in intent["micronf-sfc:chains"]["chain"]:  # both on one server here
        chain["egress"] = {"agent": "server-a", "port": "port1"}
        chain["placement"] = {"expected-rate": "0.1"}
    one_server = tmp_path / "one-server.json"
    one_server.write_text(json.dumps(intent))
    web, api = tmp_path / "web.pcap", tmp_path / "api.pcap"
    eth = Ether(dst="02:00:00:00:00:01")
    wrpcap(
        str(web),
        [
            eth
            / IP(src=f"10.0.0.{i}", dst="10.1.0.1")
            / TCP(sport=1000 + i, dport=80)
            / Raw(b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n")
            for i in range(20)
        ],
    )
    wrpcap(
        str(api),
        [
            eth
            / IP(src=f"10.0.1.{i}", dst="10.1.0.2")
            / TCP(sport=2000 + i, dport=8080)
            / Raw(b"x" * 40)
            for i in range(15)
        ],
    )
    res = micronf("dry-run", one_server, "--desired", tmp_path / "desired")
    assert res.returncode == 0, res.stderr
    assert "shared by api, web" in res.stdout
    res = micronf(
        "dataplane", "run", tmp_path / "desired" / "server-a.json",
        "--rx", f"port0={web}", "--rx", f"port2={api}", "--tx", f"port1={tmp_path / 'out.pcap'}",
        "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["complete"] and report["mempool"]["in-use"] == 0
    rows = {r["unf"]: r for r in report["unfs"]}
    shared = next(r for uid, r in rows.items() if uid.startswith("shared.L3L4Filter"))
    assert shared["in"] == 35
    assert rows["web.monitor.size"]["in"] == 20  # web's 20 packets, all of them, only them
    assert rows["api.tm.count"]["in"] == rows["api.tm.size"]["in"] == 15
    assert rows["web.app-fw.tx"]["out"] + rows["api.tm.tx"]["out"] == 35


def test_desired_must_be_a_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    res = micronf("dry-run", INTENT, "--desired", not_a_folder)
    assert res.returncode == 2 and "not a folder" in res.stderr
    assert not_a_folder.read_text() == ""  # nothing written
