"""Smoke test of bench/validate.py: it runs, both tools accept its intent, it writes results.

No timing is asserted: the machines that run the tests are noisy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "validate.py"


def test_yanglint_is_installed() -> None:
    """`make setup` installs libyang2-tools; the benchmark compares against it."""
    assert shutil.which("yanglint"), "yanglint missing: run `make setup`"


def test_help() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "--quick" in proc.stdout and "--out" in proc.stdout


def test_quick_run_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    # exit 0 means micronf and yanglint both accepted the generated intent
    # and both rejected a deliberately broken copy of it
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "validate.json").read_text())
    for key in ("micronf_s", "yanglint_s", "ratio", "cli_s", "cli_ratio"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["chains"] == 50
    assert result["repeat"] == 1
    assert result["phases"] and all(v > 0 for v in result["phases"].values())
    assert {row["chains"] for row in result["sweep"]} >= {50}
    assert (tmp_path / "validate.png").stat().st_size > 0
