"""The YANG modules we ship: lint-clean, loadable by libyang, trees in docs current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from micronf.yang import MODULES, modules_dir, new_context

ROOT = Path(__file__).resolve().parents[1]
PYANG = Path(sys.executable).parent / "pyang"


def _pyang(*args: str) -> subprocess.CompletedProcess[str]:
    mods = modules_dir()
    return subprocess.run(
        [str(PYANG), "-p", str(mods), "-p", str(mods / "ietf"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("module", MODULES)
def test_module_is_pyang_lint_clean(module: str) -> None:
    res = _pyang("--lint", "--lint-ensure-hyphenated-names", str(modules_dir() / f"{module}.yang"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip() == "" and res.stderr.strip() == ""


@pytest.mark.parametrize("module", MODULES)
def test_docs_tree_is_current(module: str) -> None:
    res = _pyang("-f", "tree", "--tree-print-groupings", str(modules_dir() / f"{module}.yang"))
    assert res.returncode == 0, res.stderr
    committed = (ROOT / "docs" / "yang" / f"{module}.tree").read_text()
    assert committed == res.stdout, f"docs/yang/{module}.tree is stale: run `make docs`"


def test_libyang_loads_every_module_with_yang_1_1() -> None:
    ctx = new_context()
    for name in MODULES:
        mod = ctx.get_module(name)
        assert mod.implemented()
        text = (modules_dir() / f"{name}.yang").read_text()
        assert "yang-version 1.1;" in text


def test_ietf_modules_are_vendored() -> None:
    ietf = modules_dir() / "ietf"
    for name in ("ietf-inet-types", "ietf-yang-types", "ietf-packet-fields", "ietf-netconf"):
        assert (ietf / f"{name}.yang").is_file()


def _statements(module: str) -> list[Any]:
    from pyang import context, repository

    mods = modules_dir()
    ctx = context.Context(repository.FileRepository(f"{mods}:{mods / 'ietf'}"))
    path = mods / f"{module}.yang"
    mod = ctx.add_module(str(path), path.read_text())
    assert mod is not None
    out: list[Any] = []
    todo = [mod]
    while todo:
        stmt = todo.pop()
        out.append(stmt)
        todo.extend(stmt.substmts)
    return out


@pytest.mark.parametrize("module", MODULES)
def test_constraints_carry_app_tags(module: str) -> None:
    """Every must and pattern names itself with an error-app-tag; so does every
    length or range in the modules operators write (types, catalog, sfc)."""
    kinds = {"must", "pattern"}
    if module != "micronf-agent":
        kinds |= {"length", "range"}
    untagged = [
        f"{stmt.pos}: {stmt.keyword} {stmt.arg}"
        for stmt in _statements(module)
        if stmt.keyword in kinds and stmt.search_one("error-app-tag") is None
    ]
    assert untagged == []
