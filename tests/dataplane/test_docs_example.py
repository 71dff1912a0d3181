"""The Python example of docs/dataplane.md runs and prints what the page says
(in its own process: DPDK initialises once per process)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "dataplane.md"


def test_docs_python_example_runs() -> None:
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    expected = re.search(r"# -> (.*)", code.group(1))
    assert expected is not None
    proc = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected.group(1).strip()
