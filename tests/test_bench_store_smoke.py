"""Smoke test of bench/store.py: it runs on both backends and writes its result keys.

No figure is asserted (the machines that run the tests are noisy); exit 0 also
means every benchmark revision stored exactly the one chain it changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "store.py"

BACKEND_KEYS = (
    "commit_p50_s",
    "commit_p99_s",
    "validate_p50_s",
    "validate_p99_s",
    "commit_over_validate",
    "bytes_per_revision",
    "payload_bytes_per_revision",
    "first_revision_bytes",
)


def test_quick_run_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "### sqlite: 50 chains, 10 one-chain revisions" in proc.stdout
    assert "| commit p50 (read + plan + commit) |" in proc.stdout
    result = json.loads((tmp_path / "store.json").read_text())
    assert (result["chains"], result["revisions"]) == (50, 10)
    assert set(result["backends"]) == {"sqlite", "postgresql"}
    for backend in result["backends"].values():
        for key in BACKEND_KEYS:
            assert isinstance(backend[key], int | float), key
        assert len(backend["samples"]["commit_s"]) == 10
    assert result["commit_over_validate"] == result["backends"]["sqlite"]["commit_over_validate"]
    assert result["bytes_per_revision"] == result["backends"]["sqlite"]["bytes_per_revision"]
    assert (tmp_path / "store.png").stat().st_size > 0


def test_help_lists_the_options() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    assert "--quick" in proc.stdout and "--out" in proc.stdout
