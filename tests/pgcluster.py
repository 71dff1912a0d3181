"""A throw-away PostgreSQL cluster for tests: initdb + pg_ctl as the postgres user.

PostgreSQL refuses to run as root, so the cluster is made and started by
the ``postgres`` user (Debian's ``postgresql`` package) in a temporary
folder, listening on a Unix socket only, on a free port; it is stopped and
removed afterwards. Nothing is mocked: the store talks to a real server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *cmd],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _base_dir() -> str:
    """A temporary folder the postgres user can reach: $TMPDIR when every
    folder above it lets others through (o+x), else /tmp. The socket path
    must also stay under the 107 bytes a Unix socket name may have."""
    tmp = Path(tempfile.gettempdir()).resolve()
    reachable = all(p.stat().st_mode & 0o001 for p in (tmp, *tmp.parents))
    return str(tmp) if reachable and len(str(tmp)) < 60 else "/tmp"


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yields a libpq-style URL of a fresh database ``micronf``."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql; make setup)")
    root = Path(tempfile.mkdtemp(prefix="micronf-pg-", dir=_base_dir()))
    os.chmod(root, 0o755)
    data = root / "data"
    shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    try:
        _as_postgres(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        _as_postgres(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(root / "log"),
            "-o",
            f"-p {port} -k {root} -c listen_addresses=''",
            "start",
        )
        _as_postgres(
            str(bindir / "createdb"), "-h", str(root), "-p", str(port), "-U", "postgres", "micronf"
        )
        yield f"postgresql://postgres@/micronf?host={root}&port={port}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)
