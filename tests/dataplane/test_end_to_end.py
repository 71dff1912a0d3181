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
