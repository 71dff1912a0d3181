"""Smoke tests of the data-plane benchmarks: each runs in a tiny configuration
and writes its JSON with the headline key. No number is asserted."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "args", "key"),
    [
        ("hop_cost.py", ["--max-chain", "2", "--runs", "1", "--seconds", "0.1"], "cycles_per_hop"),
        (
            "fig10_pipeline_vs_rtc.py",
            ["--chains", "1,4", "--runs", "1", "--seconds", "0.1", "--packets", "512"],
            "pipeline_over_rtc_1core_chain4",
        ),
        ("floor.py", ["--runs", "1", "--seconds", "2"], "unf_over_testpmd"),
    ],
)
def test_benchmark_runs_and_writes_its_key(
    tmp_path: Path, script: str, args: list[str], key: str
) -> None:
    if script == "floor.py":
        assert shutil.which("dpdk-testpmd"), "dpdk-testpmd missing: run `make setup`"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    name = script.removesuffix(".py")
    result = json.loads((tmp_path / f"{name}.json").read_text())
    # a figure, not a timing assertion: under load a short run can give any sign
    assert isinstance(result[key], float) and math.isfinite(result[key])
    assert (tmp_path / f"{name}.png").stat().st_size > 0
    assert "|" in proc.stdout  # the markdown table
