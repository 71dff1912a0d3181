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


#: The paper's Figs. 5-9: script, headline key, tables that must hold numbers.
FIGURES = [
    ("fig5_shared_core", "fifo_yield_over_cfs_yield", ("mpps_per_cpu_second", "mpps_wall_clock")),
    ("fig6_packet_size", "line_rate_fraction_64b", ("by_path",)),
    ("fig7_prefetch", "best_over_off_large", ("by_set", "relative_to_distance_0")),
    (
        "fig8_parallel",
        "parallel_over_sequential_p50_700",
        ("latency", "parallel_over_sequential_p50"),
    ),
    ("fig9_chain_length", "us_per_unf", ("latency", "us_per_unf_by_busy_cycles")),
]


def _numbers(value: object, path: str = "") -> list[tuple[str, float]]:
    """Every number in a JSON value, with its path (null, how the benchmarks
    write NaN, counts as a number that is not finite)."""
    if value is None:
        return [(path, math.nan)]
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [(path, float(value))]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _numbers(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _numbers(v, f"{path}/{i}")]
    return []


@pytest.mark.parametrize(("name", "key", "tables"), FIGURES, ids=[f[0] for f in FIGURES])
def test_paper_figure_benchmark_quick_mode(
    tmp_path: Path, name: str, key: str, tables: tuple[str, ...]
) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / f"{name}.json").read_text())
    assert result["benchmark"] == name
    for k in ("machine", "load_average", "method", key, *tables):
        assert k in result, k
    assert isinstance(result[key], float) and math.isfinite(result[key])
    numbers = [x for t in tables for x in _numbers(result[t], t)]
    assert numbers, "empty tables"
    assert [p for p, x in numbers if not math.isfinite(x)] == [], proc.stdout
    assert (tmp_path / f"{name}.png").stat().st_size > 0
    assert "|---" in proc.stdout  # the markdown table
