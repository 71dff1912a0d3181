"""Smoke tests of bench/compile.py and bench/sfc_savings.py: they run and write their results.

No timing is asserted: the machines that run the tests are noisy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_compile_quick_run_writes_results(tmp_path: Path) -> None:
    proc = _run("compile.py", "--quick", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "compile.json").read_text())
    assert [r["chains"] for r in result["rows"]] == [100, 300]
    for row in result["rows"]:
        assert row["seconds"] > 0 and row["unfs_compiled"] < row["unfs_naive"]
    assert result["growth"] > 0 and result["nlogn_bound"] > 3
    assert "| chains |" in proc.stdout
    assert (tmp_path / "compile.png").stat().st_size > 0


def test_sfc_savings_of_the_papers_chain(tmp_path: Path) -> None:
    proc = _run("sfc_savings.py", "--out", str(tmp_path), "--cycles", str(tmp_path / "none.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "sfc_savings.json").read_text())
    assert (result["unfs_naive"], result["unfs_compiled"]) == (15, 8)
    # descriptor costs, HTTP traffic: 1875 -> 1295 cycles per packet
    assert (result["cycles_naive"], result["cycles_compiled"]) == (1875.0, 1295.0)
    assert result["saving_percent"] == 30.9
    assert "| HttpClassifier |" in proc.stdout
    assert (tmp_path / "sfc_savings.png").stat().st_size > 0
