"""``micronf user add``: NETCONF users of the controller (SSH keys, passwords, groups)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from .controller import DEFAULT_STATE

app = typer.Typer(help="Manage the controller's NETCONF users.", no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (the SSH login).")],
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", help="SSH public key file (repeatable), e.g. ~/.ssh/id_ed25519.pub."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a password from standard input.")
    ] = False,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (twice) on the terminal.")
    ] = False,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="NACM group (repeatable; external groups of RFC 8341)."),
    ] = None,
    recovery: Annotated[
        bool,
        typer.Option("--recovery", help="Bypass NACM (to write the first access rules)."),
    ] = False,
    state_dir: Annotated[
        Path, typer.Option("--state-dir", help="The controller's state folder.")
    ] = DEFAULT_STATE,
) -> None:
    """Add a user (or add keys, groups, a new password to an existing one)."""
    keys: list[str] = []
    for path in key or []:
        try:
            keys.extend(
                line.strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")
            )
        except (OSError, UnicodeDecodeError) as exc:
            sys.stderr.write(f"error: {path}: cannot read: {exc}\n")
            raise typer.Exit(1) from None
    secret: str | None = None
    if password_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    elif password:
        secret = getpass.getpass("password: ")
        if getpass.getpass("again: ") != secret:
            sys.stderr.write("error: the passwords differ\n")
            raise typer.Exit(1)
    if secret == "":
        sys.stderr.write("error: empty password\n")
        raise typer.Exit(1)
    from micronf.controller.daemon import users_path
    from micronf.netconf import UserDb, UserFileError

    db = UserDb(users_path(state_dir))
    known = db.get(name) if db.path.exists() else None
    if not keys and secret is None and known is None:
        sys.stderr.write("error: give --key FILE or --password/--password-stdin\n")
        raise typer.Exit(2)
    try:
        user = db.add(name, keys=keys, password=secret, groups=group, recovery=recovery)
    except UserFileError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(1) from None
    what = [f"{len(user.keys)} key(s)"]
    if user.password:
        what.append("a password")
    if user.groups:
        what.append("groups " + ", ".join(user.groups))
    if user.recovery:
        what.append("recovery (bypasses NACM)")
    print(f"user {user.name}: {'; '.join(what)} ({db.path})")
