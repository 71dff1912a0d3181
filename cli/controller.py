"""``micronf controller``: run the controller daemon (NETCONF northbound)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_STATE = Path("micronf-state")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT`` or ``PORT`` -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise typer.BadParameter(f"{text!r}: expected HOST:PORT with a port from 0 to 65535")
    return host, int(port)


def controller(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="MICRONF_DB",
            help="The intent store: an SQLite file path or a postgresql:// URL "
            "[default: $MICRONF_DB, else ~/.local/share/micronf/intent.db]",
            show_default=False,
        ),
    ] = None,
    listen: Annotated[
        str,
        typer.Option("--listen", help="NETCONF address HOST:PORT (port 0: any free port)."),
    ] = "127.0.0.1:830",
    state_dir: Annotated[
        Path,
        typer.Option("--state-dir", help="Folder of the SSH host key and the users file."),
    ] = DEFAULT_STATE,
    max_sessions: Annotated[
        int, typer.Option("--max-sessions", min=1, help="Most NETCONF sessions at once.")
    ] = 64,
    max_message: Annotated[
        int, typer.Option("--max-message", min=1024, help="Largest NETCONF message in bytes.")
    ] = 16 * 1024 * 1024,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every session.")] = False,
) -> None:
    """Run the controller: NETCONF northbound (SSH subsystem netconf) on the intent store."""
    host, port = parse_listen(listen)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )

    def say(text: str) -> None:
        print(text, flush=True)

    # asyncssh, SQLAlchemy and the store load here, not when any command starts
    from micronf.controller.daemon import ControllerOptions, serve

    options = ControllerOptions(
        db=db,
        state_dir=state_dir,
        host=host,
        port=port,
        max_sessions=max_sessions,
        max_message=max_message,
    )
    try:
        import asyncio  # here, not at start-up: every other command would pay for it

        asyncio.run(serve(options, say))
    except OSError as exc:
        sys.stderr.write(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}\n")
        raise typer.Exit(1) from None
