"""Shared helpers: the real ``micronf`` console script, run as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MICRONF = Path(sys.executable).parent / "micronf"

#: Slow CLI runs, reported at the end of the session (never a failure).
DURATIONS = pytest.StashKey[dict[str, float]]()


def run_micronf(
    *args: str | Path, cwd: Path | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run ``micronf ARGS...``; a hang guard, not a timing assertion, is the timeout."""
    return subprocess.run(
        [str(MICRONF), *map(str, args)],
        capture_output=True,
        text=True,
        errors="replace",
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def micronf() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``micronf(*args, cwd=None, timeout=30)``: the real CLI, as a subprocess."""
    return run_micronf


@pytest.fixture(scope="session")
def cli_durations(pytestconfig: pytest.Config) -> dict[str, float]:
    """Record ``{label: seconds}`` here; the slowest are listed after the run."""
    return pytestconfig.stash.setdefault(DURATIONS, {})


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    durations = config.stash.get(DURATIONS, None)
    if not durations:
        return
    terminalreporter.section("slowest `micronf validate` runs on bad inputs")
    for name, secs in sorted(durations.items(), key=lambda kv: -kv[1])[:10]:
        flag = "  SLOW (> 5 s)" if secs > 5 else ""
        terminalreporter.write_line(f"{secs:7.2f} s  {name}{flag}")


# ------------------------------------------------------------------- store backends


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A real PostgreSQL cluster for the session (see tests/pgcluster.py)."""
    from pgcluster import cluster

    with cluster() as url:
        yield url


_db_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store location on each backend: an SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "intent.db")
    import psycopg

    server: str = request.getfixturevalue("pg_server")
    name = f"t{next(_db_counter)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.replace("/micronf?", f"/{name}?")
