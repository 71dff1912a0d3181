"""Smoke test of bench/netconf_load.py: a short run with a few sessions.

No timing is asserted; the run must end with no error and running equal to
the replay of the stored revisions, and write its results.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_short_load_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "netconf_load.py"),
            "--sessions",
            "4",
            "--seconds",
            "2",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "netconf_load.json").read_text())
    assert result["errors"] == 0 and result["running_equals_replay"] is True
    assert result["sessions"] == 4 and result["rpcs"] > 0
    assert {"edit-config", "validate", "commit", "get-config"} <= set(result["operations"])
    assert (tmp_path / "netconf_load.png").stat().st_size > 0
    assert "| commit |" in proc.stdout
