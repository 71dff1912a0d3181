"""``micronf apply``, ``history``, ``diff``, ``show``, ``rollback``: revisions of the intent.

Thin: every decision is the controller's (:mod:`micronf.controller.intent`);
this module parses arguments, prints, and maps failures to exit codes
(0 done, 1 invalid input / conflict / store error, 2 usage error).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from micronf.yang.errors import printable

from .options import BudgetOption, budgets_of
from .output import Part, err, out

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="MICRONF_DB",
        help=(
            "The intent store: an SQLite file path or a postgresql:// URL "
            "[default: $MICRONF_DB, else ~/.local/share/micronf/intent.db]"
        ),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


class ShowFormat(StrEnum):
    xml = "xml"
    json = "json"
    tosca_summary = "tosca-summary"


def _fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(f"error: {printable(' '.join(message.split()))}\n")
    raise typer.Exit(code)


@contextmanager
def _service(db: str | None) -> Iterator[Any]:
    """The intent service on the store; store errors become one line and exit 1."""
    from micronf.controller.intent import IntentService
    from micronf.controller.store import Store, StoreError
    from micronf.yang import default_validator

    try:
        store = Store.open(db)
    except StoreError as exc:
        _fail(str(exc))
    try:
        yield IntentService(store, default_validator())
    except StoreError as exc:
        _fail(str(exc))
    finally:
        store.close()


def _print_problems(problems: list[Any], as_json: bool) -> None:
    if as_json:
        out.json({"valid": False, "errors": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            err.problem(p)


def _changes_json(changes: list[Any]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in changes]


def print_changes(changes: list[Any]) -> None:
    """One line per change: ``+`` created, ``-`` deleted, ``~`` replaced, as YANG paths."""
    if not changes:
        out.line("no changes")
        return
    for c in changes:
        if c.op == "create":
            value = f" = {c.new}" if c.new and not c.path.endswith("']") else ""
            out.line((f"+ {c.path}", "green"), value)
        elif c.op == "delete":
            out.line((f"- {c.path}", "red"))
        else:
            out.line((f"~ {c.path}", "yellow"), f": {c.old} -> {c.new}")


def _revision_line(info: Any) -> list[Part]:
    """Number, time, author (channel), size, label, comment: the parts of one line
    (label and comment are the user's text: :mod:`.output` escapes them)."""
    when = info.created.strftime("%Y-%m-%d %H:%M:%S")
    s = info.summary
    parts: list[Part] = [
        (f"{info.number:>4}", "bold"),
        f"  {when}  {info.author} ({info.channel})",
        f"  +{s.get('added', 0)} ~{s.get('changed', 0)} -{s.get('removed', 0)}",
    ]
    if info.label:
        parts += ["  ", (info.label, "cyan")]
    if info.comment:
        parts.append(f"  {info.comment}")
    return parts


def apply(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Intent files: TOSCA (.yaml/.yml), YANG XML (.xml, also inside NETCONF "
            "<config>) or YANG JSON (.json).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and show the diff; store nothing.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="The files are the whole intent (default: merged over it)."),
    ] = False,
    label: Annotated[str | None, typer.Option("--label", help="A label for the revision.")] = None,
    comment: Annotated[
        str | None, typer.Option("--comment", help="A comment for the revision.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    budget: BudgetOption = None,
    controller: Annotated[
        str | None,
        typer.Option(
            "--controller", help="Send the files to a controller (HOST:PORT) over NETCONF."
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="NETCONF user (default: your login name).")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="SSH private key (default: ssh-agent, ~/.ssh).")
    ] = None,
    confirm_timeout: Annotated[
        int | None,
        typer.Option(
            "--confirm-timeout",
            min=1,
            help="With --controller: a confirmed commit, reverted after S seconds unless "
            "confirmed with --confirm TOKEN.",
        ),
    ] = None,
    persist: Annotated[
        str | None,
        typer.Option("--persist", help="With --confirm-timeout: the token that confirms it."),
    ] = None,
    confirm: Annotated[
        str | None,
        typer.Option("--confirm", help="With --controller: confirm an earlier confirmed apply."),
    ] = None,
) -> None:
    """Validate files merged over the stored intent and commit them as a new revision.

    A file adds or replaces whole chains, templates and descriptors; --replace
    makes the files the whole intent. The new full intent is validated first:
    an invalid result stores nothing. Prints the changes as YANG data paths and
    the new revision number. Exit status: 0 committed (or nothing to change),
    1 invalid input, conflict or store error, 2 usage error.
    """
    from micronf.cli.intake import UsageError, preflight
    from micronf.controller.intent import default_author
    from micronf.controller.store import Conflict
    from micronf.yang import ValidationFailed

    files = files or []
    if controller is not None:  # the same path over NETCONF (candidate, validate, commit)
        from micronf.cli import remote

        if label or comment or as_json or db:
            _fail("--label, --comment, --json and --db do not go with --controller", 2)
        for path in files:
            try:
                preflight(path)
            except UsageError as exc:
                _fail(str(exc), 2)
        code = remote.run_apply(
            files,
            controller=controller,
            user=user,
            key=key,
            replace=replace,
            dry_run=dry_run,
            confirm_timeout=confirm_timeout,
            persist=persist,
            confirm=confirm,
            show_changes=print_changes,
            say=out.line,
        )
        raise typer.Exit(code)
    if confirm_timeout is not None or confirm is not None or persist or user or key:
        _fail("--user, --key, --confirm-timeout, --persist and --confirm need --controller", 2)
    if not files:
        _fail("give one or more intent files", 2)
    try:
        budgets = budgets_of(budget)
    except ValueError as exc:
        _fail(str(exc), 2)
    formats = []
    for path in files:
        if str(path) == "-":
            _fail("micronf apply reads files, not standard input", 2)
        try:
            formats.append(preflight(path))
        except UsageError as exc:
            _fail(str(exc), 2)
    with _service(db) as svc:
        try:
            inputs = [
                svc.read(path, fmt, budgets=budgets)
                for path, fmt in zip(files, formats, strict=True)
            ]
            plan = svc.plan(inputs, replace=replace)
        except ValidationFailed as failed:
            _print_problems(failed.problems, as_json)
            raise typer.Exit(1) from None
        report: dict[str, Any] = {
            "valid": True,
            "base": plan.base_number,
            "changes": _changes_json(plan.changes),
            "chains": [c["name"] for c in plan.intent.chains],
        }
        if not as_json:
            print_changes(plan.changes)
        if dry_run or not plan.changes:
            report["revision"] = None
            if as_json:
                out.json(report)
            elif dry_run:
                out.line("dry run: nothing stored")
            else:
                out.line(f"nothing to commit: the intent equals revision {plan.base_number}")
            raise typer.Exit(0)
        try:
            rev = svc.commit(
                plan, author=default_author(), channel="file", label=label, comment=comment
            )
        except Conflict as exc:
            _fail(str(exc))
        report["revision"] = rev.number
        if as_json:
            out.json(report)
        else:
            out.line(out.mark(True), f" committed revision {rev.number} to {svc.store.where}")


def history(
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Show the newest N only.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the revisions of the intent, newest first."""
    with _service(db) as svc:
        revs = svc.store.history(limit)
    if as_json:
        out.json([r.as_dict() for r in revs])
        return
    if not revs:
        out.line("no revisions yet: micronf apply FILE stores the first")
        return
    for r in revs:
        out.line(*_revision_line(r))


def diff(
    old: Annotated[int, typer.Argument(help="A revision number.", min=1, show_default=False)],
    new: Annotated[
        int | None,
        typer.Argument(help="Another revision (default: what OLD itself changed).", min=1),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what revision OLD changed, or the changes from revision OLD to NEW."""
    from micronf.controller.store import NotFound

    with _service(db) as svc:
        v = svc.validator
        try:
            if new is None:
                target = svc.store.revision(old)
                base = svc.store.revision(target.parent) if target.parent else None
            else:
                base = svc.store.revision(old)
                target = svc.store.revision(new)
        except NotFound as exc:
            _fail(str(exc))
        a = v.from_dict(base.data) if base and base.data else v.empty()
        b = v.from_dict(target.data) if target.data else v.empty()
        changes = a.diff(b)
    if as_json:
        out.json(
            {
                "from": base.number if base else None,
                "to": target.number,
                "changes": _changes_json(changes),
            }
        )
    else:
        print_changes(changes)


def show(
    revision: Annotated[
        int | None, typer.Option("--revision", "-r", min=1, help="Revision (default: the latest).")
    ] = None,
    fmt: Annotated[
        ShowFormat, typer.Option("--format", help="Output format.")
    ] = ShowFormat.tosca_summary,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the stored intent: YANG XML, YANG JSON, or a summary of its chains."""
    from micronf.controller.store import NotFound

    with _service(db) as svc:
        try:
            rev = svc.store.revision(revision) if revision else svc.store.head()
        except NotFound as exc:
            _fail(str(exc))
        if rev is None:
            _fail("the store holds no revision yet: micronf apply FILE stores the first")
        tree = svc.validator.from_dict(rev.data) if rev.data else svc.validator.empty()
        if as_json or fmt is ShowFormat.json:
            sys.stdout.write(tree.print("json", pretty=True).rstrip() + "\n")
        elif fmt is ShowFormat.xml:
            sys.stdout.write(tree.print("xml", pretty=True).rstrip() + "\n")
        else:
            out.line(f"revision {rev.number} ({rev.author}, {rev.channel})")
            _summary(rev.data, out.line)


def _summary(data: dict[str, Any], emit: Callable[[str], None]) -> None:
    """The chains in TOSCA terms: VNFFG, its VNFs (template@version) and forwarding path."""
    chains = data.get("micronf-sfc:chains", {}).get("chain", [])
    templates = data.get("micronf-catalog:catalog", {}).get("vnf-template", [])
    if templates:
        emit("templates: " + ", ".join(f"{t['name']}@{t['version']}" for t in templates))
    if not chains:
        emit("no chains")
    for c in chains:
        vnfs = [
            f"{v['name']} ({v['template']}"
            + (f"@{v['template-version']}" if "template-version" in v else "")
            + ")"
            for v in c.get("vnf", [])
        ]
        ingress = c.get("ingress", {})
        emit(f"VNFFG {c['name']}: ingress {ingress.get('vnf', '?')}")
        emit("  VNFs: " + ", ".join(vnfs))
        for lk in c.get("link", []):
            labels = f" [{', '.join(lk['label'])}]" if lk.get("label") else ""
            emit(f"  {lk['from']} -> {lk['to']}{labels}")


def rollback(
    revision: Annotated[int, typer.Argument(help="The revision to return to.", min=1)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff; store nothing.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Commit a new revision equal to REVISION (the diff is shown first)."""
    from micronf.controller.intent import default_author
    from micronf.controller.store import Conflict, NotFound
    from micronf.yang import ValidationFailed

    with _service(db) as svc:
        try:
            plan = svc.rollback_plan(revision)
        except NotFound as exc:
            _fail(str(exc))
        except ValidationFailed as failed:
            # a revision valid then but not now (e.g. the built-in catalog changed)
            _print_problems(failed.problems, as_json)
            raise typer.Exit(1) from None
        report: dict[str, Any] = {
            "target": revision,
            "base": plan.base_number,
            "changes": _changes_json(plan.changes),
            "revision": None,
        }
        if not as_json:
            print_changes(plan.changes)
        if dry_run or not plan.changes:
            if as_json:
                out.json(report)
            else:
                out.line(
                    "dry run: nothing stored"
                    if dry_run
                    else f"nothing to commit: the intent already equals revision {revision}"
                )
            raise typer.Exit(0)
        try:
            rev = svc.commit(
                plan,
                author=default_author(),
                channel="rollback",
                comment=f"rollback to revision {revision}",
            )
        except Conflict as exc:
            _fail(str(exc))
        report["revision"] = rev.number
        if as_json:
            out.json(report)
        else:
            out.line(
                out.mark(True), f" committed revision {rev.number} (equal to revision {revision})"
            )


def register(app: typer.Typer) -> None:
    """Add the revision commands to the ``micronf`` command."""
    for fn in (apply, history, diff, show, rollback):
        app.command()(fn)
