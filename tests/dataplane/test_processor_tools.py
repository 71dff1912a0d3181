"""The processors' tools as docs/processors.md shows them: catalog generator, benchmark, fuzzer.

Each runs as its own process (the benchmark and the fuzzer bring up their own
DPDK EAL). No timing is asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "yang" / "catalog" / "builtin.json"


def _registry_classes() -> list[str]:
    doc = json.loads(CATALOG.read_text())
    return [d["class"] for d in doc["micronf-catalog:catalog"]["unf-descriptor"]]


def test_catalog_check_command(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "micronf.dataplane.catalog"]
    ok = subprocess.run([*cmd, "--check", str(CATALOG)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "builtin.json"
    stale.write_text(CATALOG.read_text().replace('"cost": 20', '"cost": 21', 1))
    bad = subprocess.run([*cmd, "--check", str(stale)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "differ from the C registry" in bad.stderr
    fix = subprocess.run([*cmd, str(stale)], capture_output=True, text=True, timeout=60)
    assert fix.returncode == 0 and stale.read_text() == CATALOG.read_text()


def test_processor_cycles_quick_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "processor_cycles.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| MacSwapper |" in proc.stdout
    results = json.loads((tmp_path / "processor_cycles.json").read_text())
    assert list(results) == _registry_classes()
    assert all(r["cycles_per_packet"] > 0 for r in results.values())
    assert (tmp_path / "processor_cycles.png").stat().st_size > 0


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang comes with `make fuzz-tools`")
def test_fuzz_runner_short_run(tmp_path: Path) -> None:
    """`make fuzz` in miniature: every class builds, runs its seeds and a few mutations."""
    env = {**os.environ, "FUZZ_RUNS": "300", "FUZZ_OUT": str(tmp_path)}
    proc = subprocess.run(
        ["bash", str(ROOT / "fuzz" / "run.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if " runs=" in ln]
    assert [ln.split()[0] for ln in lines] == _registry_classes()
    assert all(ln.split()[1] == "ok" for ln in lines)
