"""The wheel holds every source and data file of the folders pyproject maps into micronf.

The package list in pyproject.toml is written by hand (each top-level
folder is mapped into the ``micronf`` namespace), so a new sub-package or
data folder that is not listed would silently be left out of a wheel.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".yang", ".json", ".yaml", ".c", ".h", ".cdef", ".mako"}


def expected_files() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    expected = set()
    for package, folder in mapping.items():
        if package.count(".") != 1:  # sub-packages lie under their parent's folder
            continue
        base = ROOT / folder
        for path in base.rglob("*"):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            if any(part in {"__pycache__", "build"} for part in path.relative_to(base).parts):
                continue
            expected.add(package.replace(".", "/") + "/" + str(path.relative_to(base)))
    return expected


def test_wheel_contains_every_mapped_file(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    (wheel,) = tmp_path.glob("micronf-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = expected_files()
    assert "micronf/yang/modules/micronf-sfc.yang" in expected  # the walk found the tree
    missing = sorted(expected - names)
    assert not missing, f"left out of the wheel (add them to pyproject.toml): {missing}"
