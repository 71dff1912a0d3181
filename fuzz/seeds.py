"""Seed corpus for the processor fuzzers: the test traces, each behind a selector byte.

Usage: python fuzz/seeds.py DIR  (writes DIR/<seed files>, shared by every class)
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    spec = importlib.util.spec_from_file_location(
        "traces", ROOT / "tests" / "dataplane" / "traces.py"
    )
    assert spec and spec.loader
    traces = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(traces)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    frames = traces.traffic(140, seed=3) + list(traces.malformed().values())
    for i, frame in enumerate(frames):
        # Low nibble: configuration; high nibble: segment size (0 whole, 4 x n bytes).
        selector = (i % 4) | ((i % 3) * 2 << 4)
        data = bytes([selector]) + frame[:9200]
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
