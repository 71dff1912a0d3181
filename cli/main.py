"""The ``micronf`` command line.

One console script; every command has ``--help``, prints for people by
default and for machines with ``--json``. Exit codes: 0 success, 1 invalid
input, 2 usage error.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from micronf.models import Chain, Intent
from micronf.yang import Problem, ValidatedIntent, ValidationFailed

from . import dry_run as dry_run_command
from . import revisions
from .dataplane import app as dataplane_app
from .intake import STDIN_SOURCE, UsageError, is_stdin, load_file, preflight

app = typer.Typer(
    name="micronf",
    help=(
        "Compose network service chains from micro network functions (uNFs) on DPDK. "
        "Chains are written as TOSCA (.yaml/.yml) or as YANG instance data in XML (.xml) "
        "or JSON (.json), "
        "and validated against the micronf YANG models."
    ),
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

# Piped output is not cut at 80 columns: trees and error lines stay whole.
_WIDTH = None if sys.stdout.isatty() else 200
out = Console(highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)


class Format(StrEnum):
    tosca = "tosca"
    xml = "xml"
    json = "json"


app.add_typer(dataplane_app, name="dataplane")


def _version(value: bool) -> None:
    if value:
        out.print(f"micronf {version('micronf')}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Options common to every command (the help text is the app's)."""


def _show_chain(chain: Chain, intent: Intent) -> Tree:
    graph = chain.expand(intent.catalog)
    tree = Tree(
        f"[bold]chain {escape(chain.name)}[/]  ingress {escape(chain.ingress_port)} "
        f"({escape(chain.match.describe())}) -> egress {escape(chain.egress_port)}"
    )
    for vname in chain.vnf_order():
        inst = chain.vnfs[vname]
        vnode = tree.add(f"[cyan]VNF {escape(vname)}[/] (template {escape(inst.template)})")
        for unf in graph.unfs.values():
            if unf.vnf != vname:
                continue
            d = unf.descriptor
            outs = [
                lk.target + (f" [{','.join(lk.labels)}]" if lk.labels else "")
                for lk in graph.links
                if lk.source == unf.id
            ]
            access = " ".join(
                f"{layer.split('-')[0]}:{mode.value}"
                for layer, mode in d.access.items()
                if mode.touches
            )
            flags = []
            if d.stateful:
                flags.append("stateful")
            if d.may_drop:
                flags.append("may-drop")
            text = (
                f"{escape(unf.id)}: [green]{escape(d.unf_class)}[/] "
                f"{d.cost} cyc/pkt  {escape(access)}"
                + (f"  ({', '.join(flags)})" if flags else "")
                + (f"  -> {escape(', '.join(outs))}" if outs else "  -> egress")
            )
            node = vnode.add(text)
            for pname, values in unf.parameters.items():
                if values:
                    node.add(f"[dim]{escape(pname)} = {escape(' | '.join(values))}[/]")
    return tree


def _summary(v: ValidatedIntent) -> str:
    names = [c["name"] for c in v.chains]
    if not names:
        return "valid (no chains)"
    return f"valid ({len(names)} chain{'s' if len(names) != 1 else ''}: {', '.join(names)})"


def _usage_error(message: str) -> NoReturn:
    """One line ``error: ...`` on standard error, exit status 2."""
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    raise typer.Exit(2)


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Intent files: TOSCA (.yaml/.yml), YANG XML (.xml) or YANG JSON (.json); "
                "- reads standard input (needs --format)."
            ),
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    show: Annotated[
        bool, typer.Option("--show", help="Print each valid chain expanded into its uNFs.")
    ] = False,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="Input format, when the extension does not tell."),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Refuse inputs larger than this.")
    ] = 4 * 1024 * 1024,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Also compile, place and plan (as micronf dry-run)."),
    ] = False,
) -> None:
    """Validate intent files against the micronf YANG models; changes nothing.

    Exit status: 0 if every file is valid, 1 if any is invalid, 2 on a usage error.
    """
    if dry_run:
        dry_run_command.run(
            files, fmt=fmt.value if fmt else None, as_json=as_json, max_bytes=max_bytes
        )
    # Usage errors first, before any file is validated or anything printed
    # (typer's own checks of path arguments do not know "-", so none are asked).
    if sum(1 for path in files if is_stdin(path)) > 1:
        _usage_error("standard input (-) can be given once only")
    for path in files:
        try:
            preflight(path, fmt.value if fmt else None)
        except UsageError as exc:
            _usage_error(str(exc))

    report: list[dict[str, Any]] = []
    any_invalid = False
    for path in files:
        name = STDIN_SOURCE if is_stdin(path) else str(path)
        entry: dict[str, Any] = {"file": name}
        try:
            result = load_file(path, fmt.value if fmt else None, max_bytes)
        except ValidationFailed as failed:
            any_invalid = True
            entry.update(valid=False, errors=[p.as_dict() for p in failed.problems])
            if not as_json:
                for p in failed.problems:
                    err.print(f"[red]✗[/] {escape(p.format())}")
        except Exception as exc:  # a bug of ours must still not show a traceback
            any_invalid = True
            p = Problem(
                f"internal error: {type(exc).__name__}: {exc}",
                app_tag="micronf-internal-error",
                source=name,
            )
            entry.update(valid=False, errors=[p.as_dict()])
            if not as_json:
                err.print(f"[red]✗[/] {escape(p.format())}")
        else:
            entry.update(valid=True, chains=[c["name"] for c in result.chains])
            if not as_json:
                out.print(f"[green]✓[/] {escape(name)}: {_summary(result)}")
                if show:
                    intent = Intent.from_validated(result)
                    for chain in intent.chains.values():
                        out.print(_show_chain(chain, intent))
            elif show:
                entry["data"] = result.data
        report.append(entry)
    if as_json:
        out.print_json(json.dumps(report))
    raise typer.Exit(1 if any_invalid else 0)


dry_run_command.register(app)
revisions.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
