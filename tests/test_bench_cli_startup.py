"""bench/cli_startup.py runs and writes its result keys (figures are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_startup_quick_run(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "cli_startup.py"),
            "--runs",
            "2",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "| micronf validate |" in res.stdout
    result = json.loads((tmp_path / "cli_startup.json").read_text())
    assert result["over_floor"] > 0 and result["runs"] == 2
    assert "floor: python -c 'import libyang'" in result["median_ms"]
    assert (tmp_path / "cli_startup.png").stat().st_size > 0
