"""``micronf controller``: the controller daemon (NETCONF northbound for now).

It opens the store, builds the datastores and the NETCONF server, re-arms
or reverts a confirmed commit a previous run left, and serves until it is
told to stop (SIGINT / SIGTERM). Its state folder holds the SSH host key
(made on first start) and the users file; there are no default users, so
the first start says how to add one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from micronf.netconf import ServerConfig, UserDb, ensure_host_key
from micronf.yang import Validator

from .datastores import Datastores
from .northbound import build_server

log = logging.getLogger("micronf.controller")

HOST_KEY = "ssh_host_ed25519_key"
USERS = "users.toml"


@dataclass
class ControllerOptions:
    #: SQLite path or PostgreSQL URL; None: the store's default (as `micronf apply`).
    db: str | None
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 830
    max_sessions: int = 64
    max_message: int = 16 * 1024 * 1024


def host_key_path(state_dir: Path) -> Path:
    return state_dir / HOST_KEY


def users_path(state_dir: Path) -> Path:
    return state_dir / USERS


async def serve(
    options: ControllerOptions,
    say: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Run the controller until *stop* is set (or a signal comes)."""
    from .store import Store  # the only code that speaks SQL

    state = options.state_dir
    state.mkdir(parents=True, exist_ok=True)
    key = host_key_path(state)
    if ensure_host_key(key):
        say(f"generated the SSH host key {key} (public part: {key}.pub)")
    if not UserDb(users_path(state)).all():
        say(
            f"no NETCONF users yet ({users_path(state)}); add one with:\n"
            f"  micronf user add NAME --key ~/.ssh/id_ed25519.pub --recovery "
            f"--state-dir {state}\n"
            "(--recovery lets that user bypass NACM, to write the first access rules)"
        )
    store = Store.open(options.db)
    datastores = Datastores(store, Validator())
    config = ServerConfig(
        host_key=key,
        users=users_path(state),
        host=options.host,
        port=options.port,
        max_sessions=options.max_sessions,
        max_message=options.max_message,
    )
    server, _ctl = build_server(datastores, config)
    await server.start()
    datastores.start()
    say(f"NETCONF on {options.host}:{server.port} (SSH subsystem netconf), store {store.where}")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not possible off the main thread (a controller run inside tests).
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        datastores.stop()
        await server.stop()
        say("controller stopped")
