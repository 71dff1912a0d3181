"""``micronf dataplane run`` end to end: the example graph on the example trace
through real DPDK processes, and every bad graph as one line and exit 1,
never a hang, never a hugepage file left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scapy.layers.inet import TCP
from scapy.packet import Raw
from scapy.utils import rdpcap

ROOT = Path(__file__).resolve().parents[2]
MICRONF = Path(sys.executable).parent / "micronf"
GRAPH = ROOT / "examples" / "agent" / "desired-server-a.json"
TRACE = ROOT / "examples" / "traces" / "http-sqli.pcap"
HUGE = Path("/dev/hugepages")


def run(*args: str | Path, cwd: Path = ROOT) -> tuple[int, str, str]:
    """Run the CLI; afterwards its runtime must have left no hugepage file."""
    proc = subprocess.Popen(
        [str(MICRONF), "dataplane", "run", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=120)  # a hang guard
    assert not list(HUGE.glob(f"micronf{proc.pid}map_*")), "hugepage files left behind"
    assert not Path(f"/var/run/dpdk/micronf{proc.pid}").exists()
    return proc.returncode, stdout, stderr


def test_example_graph_on_example_trace(tmp_path: Path) -> None:
    out_pcap = tmp_path / "out.pcap"
    code, stdout, stderr = run(
        GRAPH, "--rx", f"port0={TRACE}", "--tx", f"port1={out_pcap}", "--json"
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["complete"] and report["mempool"]["in-use"] == 0
    rows = {r["unf"]: r for r in report["unfs"]}
    assert list(rows) == ["rx", "check", "filter", "size", "classify", "count", "validate", "tx"]
    total = len(rdpcap(str(TRACE)))
    assert rows["rx"]["in"] == total == report["ports"]["port0"]["packets"]
    for r in rows.values():  # packets are conserved at every uNF
        assert r["in"] == r["out"] + r["dropped"], r
        assert r["status"] == "stopped"
    assert rows["classify"]["egress"]["http"]["out"] == rows["count"]["in"]
    assert rows["validate"]["dropped"] > 0  # the SQL injections
    assert all(r["cycles-per-packet"] > 0 for r in rows.values())
    written = rdpcap(str(out_pcap))
    assert len(written) == rows["tx"]["out"]
    urls = [
        bytes(p[Raw].load).split(b" ")[1]
        for p in written
        if p.haslayer(Raw) and p.haslayer(TCP) and bytes(p[Raw].load).startswith(b"GET ")
    ]
    assert urls and not any(b"1=1" in u or b"UNION" in u.upper() for u in urls)
    assert any(u.startswith(b"/login") for u in urls)


def test_human_output_has_the_table(tmp_path: Path) -> None:
    """The command of the README and the user guide (only the output file differs)."""
    code, stdout, stderr = run(
        "examples/agent/desired-server-a.json",
        "--rx",
        "port0=examples/traces/http-sqli.pcap",
        "--tx",
        f"port1={tmp_path / 'out.pcap'}",
    )
    assert code == 0, stderr
    for word in ("uNF", "cycles/pkt", "validate[0]", "ValidateUrl", "mempool: 0 of 8191"):
        assert word in stdout


def _mutated(tmp_path: Path, old: str, new: str) -> Path:
    text = GRAPH.read_text()
    assert old in text
    path = tmp_path / "graph.json"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "extra", "message"),
    [
        (
            '"CountUrl"',
            '"CountUrls"',
            (),
            "graph.json:51: /micronf-agent:agent/desired/"
            "unf[id='count']/class: unknown uNF class 'CountUrls'",
        ),
        ('"core": 1', '"core": 64', (), "core 64 out of range"),
        (
            '{"name": "to-tx"}',
            '{"name": "to-tx"}, {"name": "lonely"}',
            (),
            "ring 'lonely' is read by no uNF (dangling)",
        ),
        ('"ring": "to-validate"', '"ring": "nowhere"', (), 'Invalid leafref value "nowhere"'),
        (
            '"to-check"',
            '"to-check"',
            ("--rx", "port0=/nonexistent.pcap"),
            "--rx port0: /nonexistent.pcap: No such file or directory",
        ),
        ('"to-check"', '"to-check"', ("--rx", f"port0={GRAPH}"), "not a pcap file"),
        (
            '"to-check"',
            '"to-check"',
            ("--rx", f"port0={TRACE}", "--mbufs", "4000000"),
            "no hugepages",
        ),
        (
            '"to-check"',
            '"to-check"',
            ("--rx", f"port0={TRACE}", "--rx", f"port9={TRACE}"),
            "port 'port9' is not a port of the graph",
        ),
        ('"to-check"', '"to-check"', ("--json",), "port 'port0' is read by the graph but no trace"),
    ],
)
def test_bad_run_is_one_line_and_exit_1(
    tmp_path: Path, old: str, new: str, extra: tuple[str, ...], message: str
) -> None:
    graph = _mutated(tmp_path, old, new)
    code, stdout, stderr = run(graph, *(extra or ("--rx", f"port0={TRACE}")))
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert "Traceback" not in stderr and not stdout


def test_usage_error_is_exit_2() -> None:
    code, _, stderr = run(GRAPH, "--rx", "port0")
    assert code == 2 and "--rx takes PORT=FILE" in stderr


def test_example_trace_is_what_its_script_makes(tmp_path: Path) -> None:
    out = tmp_path / "trace.pcap"
    subprocess.run(
        [sys.executable, str(TRACE.with_name("make_trace.py")), str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_bytes() == TRACE.read_bytes()


def _workers_of(prefix: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"micronf.dataplane.worker" in cmd and prefix.encode() in cmd:
                pids.append(int(proc.name))
    return pids


def test_killed_run_leaves_no_worker_and_its_files_go_at_the_next_start(tmp_path: Path) -> None:
    # A uNF that spins for a second per packet: the run cannot end by itself.
    graph = _mutated(tmp_path, '"class": "CountUrl"', '"class": "TestBusy"')
    graph.write_text(
        graph.read_text().replace(
            '{"name": "url", "value": ["^/login", "^/api/"]}',
            '{"name": "cycles", "value": ["2000000000"]}',
        )
    )
    proc = subprocess.Popen(
        [str(MICRONF), "dataplane", "run", str(graph), "--rx", f"port0={TRACE}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    prefix = f"micronf{proc.pid}"
    deadline = time.monotonic() + 60
    while len(_workers_of(prefix)) < 8:  # every uNF started
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    while _workers_of(prefix):  # they die with their primary (a hang guard only)
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert list(HUGE.glob(f"{prefix}map_*"))  # a SIGKILL cannot clean up...
    code, _, stderr = run(GRAPH, "--rx", f"port0={TRACE}")
    assert code == 0, stderr
    assert not list(HUGE.glob(f"{prefix}map_*"))  # ...the next runtime does
    assert not Path(f"/var/run/dpdk/{prefix}").exists()
