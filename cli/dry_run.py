"""``micronf dry-run FILE...``: validate, compile, place and plan; change nothing.

The new intent is the files merged over the stored head revision (as
``micronf apply`` would make it; ``--replace``: the files alone), and the
current intent is that head revision. With no store (``--db``, else
``MICRONF_DB``, else the default path, which must exist: a dry run creates
nothing) the files together are the new intent and the current one is
empty. The new intent is compiled, placed on the registered agents and
planned against the current one, and the command prints the compiled
graph as a tree, the optimisation report, the placement and the actions;
``--json`` prints the same for machines and ``--graph FILE`` draws naive
and compiled graphs with Graphviz. Costs come from
``bench/results/processor_cycles.json`` when the data plane has measured
them (or ``--cycles FILE``), else from the descriptors.

Exit status: 0 when the intent can be deployed, 1 when it is invalid or
cannot be placed, 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.tree import Tree

from micronf.yang import Problem, ValidatedIntent, ValidationFailed, default_validator
from micronf.yang.errors import printable

from .intake import STDIN_SOURCE, UsageError, is_stdin, load_file, preflight
from .output import chain_list

if TYPE_CHECKING:  # the compiler and the models load only when a dry run runs
    from micronf.controller.dry_run import DryRunResult
    from micronf.models import Intent

_WIDTH = None if sys.stdout is not None and sys.stdout.isatty() else 200  # None: closed (>&-)


def escape(text: str) -> str:
    """Input text for a rich markup string: controls, bidi and newlines made
    visible (:func:`~micronf.yang.errors.printable`), then markup escaped."""
    return _markup_escape(printable(text))


out = Console(highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)

#: Where the data plane's benchmark writes measured cycles per packet.
MEASURED_CYCLES = Path("bench/results/processor_cycles.json")


def _usage(message: str) -> NoReturn:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    raise typer.Exit(2)


def measured_cycles(path: Path) -> dict[str, float]:
    """Class -> cycles per packet from a measurement file (tolerant of its layout)."""
    data: Any = json.loads(path.read_text())
    if isinstance(data, dict):
        for key in ("processors", "classes", "cycles"):
            if isinstance(data.get(key), dict):
                data = data[key]
                break
    out_: dict[str, float] = {}
    if not isinstance(data, dict):
        return out_
    for cls, value in data.items():
        if not (isinstance(cls, str) and cls[:1].isupper()):
            continue
        if isinstance(value, dict):
            value = next(
                (value[k] for k in ("cycles_per_packet", "cycles", "median") if k in value), None
            )
        if isinstance(value, int | float) and value > 0:
            out_[cls] = float(value)
    return out_


def merge_intents(results: list[ValidatedIntent]) -> dict[str, Any]:
    """One datastore from several validated files: entries with the same key are replaced."""
    keys = default_validator().list_keys()
    merged: dict[str, Any] = {}
    for r in results:
        for top, content in r.data.items():
            into = merged.setdefault(top, {})
            for member, value in content.items():
                key = keys.get(f"{top}/{member}")
                if key is None or not isinstance(value, list):
                    into[member] = value
                    continue
                have = {tuple(str(e.get(k)) for k in key): e for e in into.get(member, [])}
                for entry in value:
                    have[tuple(str(entry.get(k)) for k in key)] = entry
                into[member] = list(have.values())
    return merged


def _fail(problems: list[Problem], as_json: bool, source: str | None = None) -> NoReturn:
    if source:
        problems = [p if p.source else p.located(source) for p in problems]
    if as_json:
        out.print_json(json.dumps({"valid": False, "errors": [p.as_dict() for p in problems]}))
    else:
        for p in problems:
            err.print(f"[red]✗[/] {escape(p.format())}")
    raise typer.Exit(1)


# ------------------------------------------------------------------------ output


def _short(unf: str, chain: str) -> str:
    return unf[len(chain) + 1 :] if unf.startswith(chain + ".") else unf


def show_graph(result: DryRunResult) -> list[Tree]:
    g = result.compilation.graph
    p = result.placement
    groups = {m: members for _, members, _ in g.parallel_groups() for m in members}
    trees = []
    for chain in g.entries:
        c = result.intent.chains[chain]
        tree = Tree(
            f"[bold]chain {escape(chain)}[/]  ingress {escape(c.ingress_agent or '?')}/"
            f"{escape(c.ingress_port)} ({escape(c.match.describe())}) -> egress "
            f"{escape(c.egress_agent or '?')}/{escape(c.egress_port)}"
        )
        for nid in g.chain_order(chain):
            node = g.nodes[nid]
            outs = []
            for e in g.successors_of_chain(nid, chain):
                tag = f" [{','.join(e.labels)}]" if e.labels else ""
                kind = {"branch": " (branch)", "sync": " (sync)"}.get(e.kind.value, "")
                outs.append(_short(e.target, chain) + tag + kind)
            where = p.unfs[nid]
            origin = ", ".join(f"{o.vnf}.{o.node}" for o in node.origins if o.chain == chain)
            flags = []
            if node.shared:
                flags.append("shared by " + ", ".join(node.chains))
            if nid in groups:
                others = [_short(m, chain) for m in groups[nid] if m != nid]
                flags.append("parallel with " + ", ".join(others))
            if where.instances > 1:
                flags.append(f"{where.instances} instances")
            text = (
                f"{escape(_short(nid, chain))}: [green]{escape(node.unf_class)}[/]  "
                f"from {escape(origin)}  @ {escape(where.agent)} core {where.core}"
                + (f"  ({escape('; '.join(flags))})" if flags else "")
                + (f"  -> {escape(', '.join(outs))}" if outs else "  -> leaves")
            )
            tree.add(text)
        trees.append(tree)
    return trees


def show_report(result: DryRunResult) -> None:
    r = result.report
    out.print("[bold]Optimisation report[/]")
    out.print(
        f"  uNFs: {r['unfs_naive']} naive -> {r['unfs_compiled']} compiled: "
        f"{len(r['removed'])} removed, {len(r['shared'])} shared, "
        f"{len(r['parallelised'])} parallelised"
    )
    sources = sorted({s.split(": ")[1] for s in r["cost_source"]})
    out.print(
        f"  estimated cycles per packet: {r['cycles_naive']} naive -> "
        f"{r['cycles_compiled']} compiled ({r['saving_percent']}% saved; "
        f"costs from {', '.join(sources)})"
    )
    for ch in result.compilation.applied:
        if ch.pass_name == "inline":
            continue
        out.print(
            f"  [green]{escape(ch.action)}[/] {escape(', '.join(ch.nodes))}: {escape(ch.reason)}"
        )
    refused = result.compilation.refused
    if refused:
        out.print("  not proven safe (left as they are):")
        for ch in refused:
            out.print(
                f"    {escape(ch.pass_name)} {escape(' + '.join(ch.nodes))}: {escape(ch.reason)}"
            )


def show_placement(result: DryRunResult) -> None:
    out.print("[bold]Placement[/]")
    by_agent: dict[str, dict[int, list[str]]] = {}
    order = {n: i for i, n in enumerate(result.compilation.graph.topological_order())}
    for p in sorted(result.placement.unfs.values(), key=lambda p: order[p.unf]):
        for core in sorted(set(p.cores)):
            by_agent.setdefault(p.agent, {}).setdefault(core, []).append(p.unf)
    for agent, cores in sorted(by_agent.items()):
        total = len(result.intent.agents[agent].cores)
        busy = result.placement.loads.get(agent, 0.0)
        out.print(
            f"  agent {escape(agent)}: {len(cores)} of {total} cores ({busy:.2f} cores busy "
            "at the expected rates)"
        )
        for core, unfs in sorted(cores.items()):
            out.print(f"    core {core}: {escape(', '.join(unfs))}")
    for t in result.placement.tunnels:
        out.print(
            f"  tunnel {t.name} (tag {t.tag}): {escape(t.edge.source)} on {escape(t.source_agent)}"
            f" -> {escape(t.edge.target)} on {escape(t.target_agent)} via "
            f"{escape(t.source_port)} -> {escape(t.target_port)}"
            + (f" ({escape(t.remote_address)})" if t.remote_address else "")
        )


def show_actions(result: DryRunResult) -> None:
    out.print(f"[bold]Actions[/] ({len(result.actions)}, against the {result.current} intent)")
    for i, a in enumerate(result.actions, start=1):
        out.print(
            f"  {i:3d}. {a.operation:<11} {escape(a.agent)}  {escape(a.target)}: {escape(a.detail)}"
        )


# ------------------------------------------------------------------------ command


def _existing_store(db: str | None) -> str | None:
    """The store URL to read, or None when there is no store (a dry run creates none)."""
    from micronf.controller.store import resolve_url

    url = resolve_url(db)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        return None
    return url


def _from_store(
    url: str, files: list[Path], fmt: str | None, replace: bool, as_json: bool
) -> tuple[Intent, Intent | None, int, str]:
    """(new intent, current intent, generation, what current is) from the store."""
    from micronf.controller.intent import IntentService
    from micronf.controller.store import Store, StoreError
    from micronf.models import Intent

    validator = default_validator()
    try:
        with Store.open(url) as store:
            svc = IntentService(store, validator)
            formats = [preflight(path, fmt) for path in files]
            inputs = [svc.read(p, f) for p, f in zip(files, formats, strict=True)]
            plan = svc.plan(inputs, replace=replace)
            base = plan.base
    except StoreError as exc:
        sys.stderr.write(f"error: {' '.join(str(exc).split())}\n")
        raise typer.Exit(1) from None
    except ValidationFailed as failed:
        _fail(failed.problems, as_json)
    new = Intent.from_validated(plan.intent)
    if base is None or not base.data:
        return new, None, 1, "empty (no revision stored)"
    current = Intent.from_validated(validator.validate(validator.from_dict(base.data)))
    return new, current, base.number + 1, f"stored revision {base.number}"


def run(
    files: list[Path],
    *,
    fmt: str | None = None,
    db: str | None = None,
    replace: bool = False,
    as_json: bool = False,
    graph: Path | None = None,
    passes: dict[str, bool] | None = None,
    cycles: Path | None = None,
    shares: list[str] | None = None,
    max_bytes: int = 4 * 1024 * 1024,
    desired: Path | None = None,
) -> NoReturn:
    """The dry run of *files* (shared by ``dry-run`` and ``validate --dry-run``)."""
    if sum(1 for path in files if is_stdin(path)) > 1:
        _usage("standard input (-) can be given once only")
    for path in files:
        try:
            preflight(path, fmt)
        except UsageError as exc:
            _usage(str(exc))
    label_share: dict[str, float] = {}
    for item in shares or []:
        name, _, value = item.partition("=")
        try:
            label_share[name] = float(value)
        except ValueError:
            _usage(f"--share takes LABEL=FRACTION, not {item!r}")
    if graph is not None and graph.parent and not graph.parent.is_dir():
        _usage(f"cannot write {str(graph)!r}: no such folder")
    if desired is not None and desired.exists() and not desired.is_dir():
        _usage(f"--desired {str(desired)!r}: not a folder")

    url = _existing_store(db)
    if url is not None:
        if any(is_stdin(p) for p in files):
            _usage("a dry run against the store reads files, not standard input")
        intent, current, generation, current_name = _from_store(url, files, fmt, replace, as_json)
        if not as_json:
            for path in files:
                out.print(f"[green]✓[/] {escape(str(path))}: valid")
            out.print(f"against {escape(current_name)}")
        _finish(
            intent,
            current,
            generation,
            current_name,
            files,
            as_json,
            graph,
            passes,
            cycles,
            label_share,
            desired,
        )
    results = []
    for path in files:
        name = STDIN_SOURCE if is_stdin(path) else str(path)
        try:
            results.append(load_file(path, fmt, max_bytes))
        except ValidationFailed as failed:
            _fail(failed.problems, as_json)
        if not as_json:
            chains = [c["name"] for c in results[-1].chains]
            plural = "s" if len(chains) != 1 else ""
            listed = f": {chain_list(chains)}" if chains else ""
            out.print(f"[green]✓[/] {escape(name)}: valid ({len(chains)} chain{plural}{listed})")
    data = results[0].data if len(results) == 1 else merge_intents(results)
    from micronf.models import Intent

    _finish(
        Intent.from_data(data),
        None,
        1,
        "empty",
        files,
        as_json,
        graph,
        passes,
        cycles,
        label_share,
        desired,
    )


def _finish(
    intent: Intent,
    current: Intent | None,
    generation: int,
    current_name: str,
    files: list[Path],
    as_json: bool,
    graph: Path | None,
    passes: dict[str, bool] | None,
    cycles: Path | None,
    label_share: dict[str, float],
    desired_dir: Path | None = None,
) -> NoReturn:
    from micronf.controller.compiler import CostModel
    from micronf.controller.dry_run import dry_run

    from .draw import DrawError, to_dot, write_picture

    if not intent.chains:
        _fail(
            [Problem("the intent has no chains: nothing to compile", "/micronf-sfc:chains")],
            as_json,
        )

    source = cycles or (MEASURED_CYCLES if MEASURED_CYCLES.is_file() else None)
    measured: dict[str, float] = {}
    if source is not None:
        try:
            measured = measured_cycles(source)
        except (OSError, ValueError) as exc:
            _usage(f"cannot read measured cycles from {source}: {exc}")
    model = CostModel(measured=measured, label_share=label_share)
    try:
        result = dry_run(
            intent,
            current,
            overrides=passes,
            model=model,
            generation=generation,
            current_name=current_name,
        )
        validator = default_validator()  # the built-in catalog: autoscale reads can-scale
        for desired in result.desired.values():
            validator.validate(validator.from_dict({"micronf-agent:agent": {"desired": desired}}))
    except ValidationFailed as failed:
        _fail(failed.problems, as_json, None if len(files) > 1 else str(files[0]))

    if graph is not None:
        try:
            where = {u: f"{p.agent}/{p.core}" for u, p in result.placement.unfs.items()}
            dot = to_dot(result.compilation.naive, result.compilation.graph, where)
            write_picture(dot, graph)
        except (DrawError, OSError) as exc:
            _usage(str(exc))
    written = _write_desired(result.desired, desired_dir) if desired_dir is not None else []
    if as_json:
        out.print_json(
            json.dumps({"valid": True, "files": [str(f) for f in files], **result.to_json()})
        )
        raise typer.Exit(0)
    out.print()
    out.print(
        f"[bold]Compiled graph[/] ({len(result.compilation.graph.nodes)} uNFs; naive "
        f"{len(result.compilation.naive.nodes)})"
    )
    for tree in show_graph(result):
        out.print(tree)
    out.print()
    show_report(result)
    out.print()
    show_placement(result)
    out.print()
    show_actions(result)
    if graph is not None:
        out.print(f"\ngraph drawn to {escape(str(graph))}")
    for path in written:
        out.print(
            f"desired graph of agent {escape(path.stem)} written to {escape(str(path))} "
            "(run it: micronf dataplane run FILE --rx PORT=IN.pcap --tx PORT=OUT.pcap)"
        )
    raise typer.Exit(0)


def command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Intent files (TOSCA .yaml/.yml, YANG .xml or .json); - reads standard input.",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    graph: Annotated[
        Path | None,
        typer.Option(
            "--graph",
            help="Draw naive and compiled graphs to this file (.svg, .png, .pdf or .dot).",
        ),
    ] = None,
    desired: Annotated[
        Path | None,
        typer.Option(
            "--desired",
            help="Write each agent's desired graph (micronf-agent JSON, what "
            "`micronf dataplane run` runs) to DIR/<agent>.json.",
            metavar="DIR",
        ),
    ] = None,
    dedup: Annotated[
        bool | None, typer.Option("--dedup/--no-dedup", help="Switch the dedup pass.")
    ] = None,
    parallelize: Annotated[
        bool | None,
        typer.Option("--parallelize/--no-parallelize", help="Switch the parallelize pass."),
    ] = None,
    consolidate: Annotated[
        bool | None,
        typer.Option("--consolidate/--no-consolidate", help="Switch the consolidate pass."),
    ] = None,
    cycles: Annotated[
        Path | None,
        typer.Option("--cycles", help="Measured cycles per packet per class (JSON)."),
    ] = None,
    share: Annotated[
        list[str] | None,
        typer.Option("--share", help="Share of packets with a result, e.g. http=1.0 (repeatable)."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Input format when the extension does not tell."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="MICRONF_DB",
            help=(
                "The intent store to plan against: an SQLite file path or a postgresql:// URL "
                "[default: $MICRONF_DB, else ~/.local/share/micronf/intent.db if it exists]"
            ),
            show_default=False,
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="The files are the whole new intent (default: merged)."),
    ] = False,
) -> None:
    """Validate, compile, place and plan against the current intent; change nothing.

    Exit status: 0 if the intent can be deployed, 1 if it is invalid or cannot be
    placed, 2 on a usage error.
    """
    from micronf.controller.compiler import SWITCHABLE

    switches = dict(zip(SWITCHABLE, (dedup, parallelize, consolidate), strict=True))
    passes = {k: v for k, v in switches.items() if v is not None}
    if fmt is not None and fmt not in ("tosca", "xml", "json"):
        _usage(f"--format is tosca, xml or json, not {fmt!r}")
    run(
        files,
        fmt=fmt,
        db=db,
        replace=replace,
        as_json=as_json,
        graph=graph,
        passes=passes,
        cycles=cycles,
        shares=share,
        desired=desired,
    )


def _write_desired(desired: Mapping[str, Any], folder: Path) -> list[Path]:
    """One micronf-agent document per agent, validated already; the written paths."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for agent, graph in sorted(desired.items()):
            path = folder / f"{agent}.json"
            doc = {"micronf-agent:agent": {"desired": graph}}
            path.write_text(json.dumps(doc, indent=2) + "\n")
            paths.append(path)
    except OSError as exc:
        _usage(f"--desired {str(folder)!r}: {exc.strerror or exc}")
    return paths


def register(app: typer.Typer) -> None:
    app.command("dry-run")(command)
