"""The ``micronf`` command line.

One console script; every command has ``--help``, prints for people by
default and for machines with ``--json``. Exit codes: 0 success, 1 invalid
input, 2 usage error, 3 the environment failed (standard output closed or
full); everything printed goes through :mod:`.output`, which escapes input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from micronf.yang import ErrorTag, Problem, ValidatedIntent, ValidationFailed
from micronf.yang.inputs import MAX_INPUT_BYTES, Format

from . import controller as controller_cmd
from . import dry_run as dry_run_command
from . import revisions
from . import user as user_cmd
from .dataplane import app as dataplane_app
from .intake import UsageError, inputs_of, load_input
from .options import BudgetOption, budgets_of
from .output import (
    EXIT_INVALID,
    EXIT_OK,
    OutputUnavailable,
    TreeNode,
    chain_list,
    err,
    out,
    run,
    usage_error,
)

if TYPE_CHECKING:  # the models load only where a command needs them (start-up time)
    from micronf.models import Chain, Intent

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


app.add_typer(dataplane_app, name="dataplane")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.line(f"micronf {version('micronf')}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Options common to every command (the help text is the app's)."""


def _show_chain(chain: Chain, intent: Intent) -> None:
    """Print a chain as a tree of its VNFs and their uNFs (every label escaped)."""
    graph = chain.expand(intent.catalog)
    vnodes: list[TreeNode] = []
    for vname in chain.vnf_order():
        inst = chain.vnfs[vname]
        vnode = TreeNode([(f"VNF {vname}", "cyan"), f" (template {inst.template})"])
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
            flags = [f for f, on in (("stateful", d.stateful), ("may-drop", d.may_drop)) if on]
            node = TreeNode(
                [
                    f"{unf.id}: ",
                    (d.unf_class, "green"),
                    f" {d.cost} cyc/pkt  {access}"
                    + (f"  ({', '.join(flags)})" if flags else "")
                    + (f"  -> {', '.join(outs)}" if outs else "  -> egress"),
                ]
            )
            for pname, values in unf.parameters.items():
                if values:
                    node.children.append(TreeNode([(f"{pname} = {' | '.join(values)}", "dim")]))
            vnode.children.append(node)
        vnodes.append(vnode)
    out.tree(
        [
            (f"chain {chain.name}", "bold"),
            f"  ingress {chain.ingress_port} ({chain.match.describe()})"
            f" -> egress {chain.egress_port}",
        ],
        vnodes,
    )


def _template_setting(text: str) -> tuple[str, str]:
    """``VNFD=TEMPLATE`` (``--template``) -> (VNFD, TEMPLATE); ValueError if malformed."""
    vnfd, sep, name = text.partition("=")
    if not sep or not vnfd.strip() or not name.strip():
        raise ValueError(f"--template takes VNFD=TEMPLATE, e.g. VNFD1=edge-firewall (got {text!r})")
    return vnfd.strip(), name.strip()


def _summary(v: ValidatedIntent) -> str:
    names = [c["name"] for c in v.chains]
    if not names:
        return "valid (no chains)"
    return f"valid ({len(names)} chain{'s' if len(names) != 1 else ''}: {chain_list(names)})"


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
    ] = MAX_INPUT_BYTES,
    budget: BudgetOption = None,
    template: Annotated[
        list[str] | None,
        typer.Option(
            "--template",
            metavar="VNFD=TEMPLATE",
            help=(
                "The micronf VNF template for a VNFD name of a Tacker VNFFG descriptor "
                "(repeatable): such a document is then translated."
            ),
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Also compile, place and plan (as micronf dry-run)."),
    ] = False,
) -> None:
    """Validate intent files against the micronf YANG models; changes nothing.

    A folder stands for the intent files in it (recursively). Exit status: 0 if
    every file is valid, 1 if any is invalid, 2 on a usage error, 3 when the
    environment fails (standard output closed or full).
    """
    if dry_run:
        dry_run_command.run(
            files, fmt=fmt.value if fmt else None, as_json=as_json, max_bytes=max_bytes
        )
    # Usage errors first, before any file is validated or anything printed
    # (typer's own checks of path arguments do not know "-", so none are asked).
    try:
        budgets = budgets_of(budget)
        templates = dict(_template_setting(t) for t in template or [])
        inputs = inputs_of(files, fmt.value if fmt else None)
    except (UsageError, ValueError) as exc:
        usage_error(str(exc))

    report: list[dict[str, Any]] = []
    any_invalid = False
    for item in inputs:
        entry: dict[str, Any] = {"file": item.source}
        try:
            result = load_input(item, max_bytes, budgets, templates=templates)
        except ValidationFailed as failed:
            any_invalid = True
            entry.update(valid=False, errors=[p.as_dict() for p in failed.problems])
            if not as_json:
                for p in failed.problems:
                    err.problem(p)
        except OutputUnavailable:
            raise
        except Exception as exc:  # a bug of ours must still not show a traceback
            any_invalid = True
            p = Problem(
                f"internal error: {type(exc).__name__}: {exc}",
                app_tag="micronf-internal-error",
                source=item.source,
                error_tag=ErrorTag.operation_failed,
            )
            entry.update(valid=False, errors=[p.as_dict()])
            if not as_json:
                err.problem(p)
        else:
            entry.update(valid=True, chains=[c["name"] for c in result.chains])
            if not as_json:
                out.line(out.mark(True), f" {item.source}: {_summary(result)}")
                if show:
                    from micronf.models import Intent

                    intent = Intent.from_validated(result)
                    for chain in intent.chains.values():
                        _show_chain(chain, intent)
            elif show:
                entry["data"] = result.data
        report.append(entry)
    if as_json:
        out.json(report)
    raise typer.Exit(EXIT_INVALID if any_invalid else EXIT_OK)


app.command("controller")(controller_cmd.controller)  # NETCONF northbound daemon
app.add_typer(user_cmd.app, name="user")  # NETCONF users of the controller
dry_run_command.register(app)
revisions.register(app)


def main() -> None:
    run(app)
