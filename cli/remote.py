"""``micronf apply --controller``: send intent files to a controller over NETCONF.

The same path as any OSS client takes, with ncclient: lock the candidate,
start it from running, replace micronf's intent in it (``chains`` and the
user ``catalog``, ``agents``; NACM rules and anything else in running stay), let the
server validate it, show the difference from running, commit (confirmed
with a ``persist`` token when a confirm timeout is given, so that the
commit outlives this command), unlock, and print the new revision.
Files are validated locally first, so a mistake is reported with its file
and line before anything is sent.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from micronf.netconf import BASE_NS
from micronf.netconf import xml as nx
from micronf.yang import DataTree, Problem, ValidationFailed, Validator
from micronf.yang.inputs import limit_of, read_regular_file

from .intake import preflight

SFC_NS = "urn:micronf:yang:micronf-sfc"
CATALOG_NS = "urn:micronf:yang:micronf-catalog"
CTL_NS = "urn:micronf:yang:micronf-controller"
#: The containers `apply` replaces: micronf's intent, nothing else of running.
INTENT = ((SFC_NS, "agents"), (SFC_NS, "chains"), (CATALOG_NS, "catalog"))


class RemoteError(Exception):
    """The controller refused or could not be reached; the message is one line."""


@dataclass
class Target:
    host: str
    port: int
    user: str
    key: Path | None = None
    password: str | None = None
    host_key: Path | None = None


def intent_tree(validator: Validator, files: list[Path]) -> DataTree:
    """The user's intent of *files*, merged, validated locally (problems located)."""
    tree = validator.empty()
    for path in files:
        kind = preflight(path)
        try:
            if kind == "tosca":
                from micronf.tosca import load_tosca

                user_json = load_tosca(path, keep_user_json=True).user_json or "{}"
                part = validator.parse(user_json, "json")
            else:
                data = read_regular_file(path, limit_of(None))
                part = validator.parse(data, "xml" if kind == "xml" else "json")
        except ValidationFailed as failed:
            raise failed.located(str(path)) from None
        tree.merge(part)
    if tree.empty:
        return tree
    try:
        validator.validate(tree)
    except ValidationFailed as failed:
        if len(files) == 1:  # the one-file path says file and line for each problem
            from .intake import load_file

            load_file(files[0])
        raise failed.located(", ".join(map(str, files))) from None
    return tree


def edit_config_xml(tree: DataTree, *, replace: bool = False) -> str:
    """``<config>`` for *tree*, with the semantics of local ``micronf apply``.

    By default every entry of the files (chain, VNF template, uNF descriptor)
    replaces the entry of the same key and the others stay; with *replace*
    the intent containers (present in the files or not) are replaced whole.
    NACM rules and anything else outside micronf's intent are never touched.
    """
    body = tree.print("xml")
    config = nx.from_string(f'<config xmlns="{BASE_NS}">{body}</config>')
    operation = nx.qname(BASE_NS, "operation")
    if replace:
        present = {nx.split(el.tag) for el in nx.children(config)}
        for ns, name in INTENT:
            if (ns, name) not in present:
                config.append(etree.Element(nx.qname(ns, name), nsmap={None: ns}))
    for el in nx.children(config):
        if nx.split(el.tag) not in INTENT:
            continue
        if replace:
            el.set(operation, "replace")
        else:
            for entry in nx.children(el):
                entry.set(operation, "replace")
    return str(etree.tostring(config).decode())


def _connect(target: Target) -> Any:
    from ncclient import manager

    options: dict[str, Any] = {
        "host": target.host,
        "port": target.port,
        "username": target.user,
        "hostkey_verify": False,
        "allow_agent": target.key is None and target.password is None,
        "look_for_keys": target.key is None and target.password is None,
        "timeout": 60,
    }
    if target.host_key is not None:
        parts = target.host_key.read_text(encoding="utf-8").split()
        options.update(hostkey_verify=True, hostkey_b64=parts[1] if len(parts) > 1 else parts[0])
    if target.key is not None:
        options["key_filename"] = str(target.key)
    if target.password is not None:
        options["password"] = target.password
    try:
        return manager.connect(**options)
    except Exception as exc:  # ncclient raises many kinds: say what, in one line
        raise RemoteError(
            f"cannot open a NETCONF session to {target.host}:{target.port} as {target.user}: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def _rpc_problems(exc: Any) -> list[Problem]:
    errors = getattr(exc, "errors", None) or [exc]
    out = []
    for e in errors:
        message = getattr(e, "message", None) or str(e)
        out.append(
            Problem(
                " ".join(str(message).split()),
                path=getattr(e, "path", None),
                app_tag=getattr(e, "app_tag", None) if hasattr(e, "app_tag") else None,
            )
        )
    return out


def _data_tree(validator: Validator, reply: Any) -> DataTree:
    data = reply.data_ele
    body = b"".join(etree.tostring(child) for child in data)
    return validator.parse(body, "xml") if body.strip() else validator.empty()


def apply_remote(
    target: Target,
    files: list[Path],
    *,
    replace: bool = False,
    dry_run: bool = False,
    confirm_timeout: int | None = None,
    persist: str | None = None,
    say: Any = print,
    show_changes: Any = None,
) -> int | None:
    """Send *files* and commit; returns the new revision number (None: no change)."""
    from ncclient.operations import RPCError

    validator = Validator()
    tree = intent_tree(validator, files)
    config = edit_config_xml(tree, replace=replace)
    m = _connect(target)
    try:
        try:
            m.lock("candidate")
            m.discard_changes()
            m.edit_config(target="candidate", config=config)
            running = _data_tree(validator, m.get_config("running"))
            candidate = _data_tree(validator, m.get_config("candidate"))
            diff = running.diff(candidate)
            if show_changes is not None:
                show_changes(diff)
            else:
                for change in diff:
                    mark = {"create": "+", "delete": "-", "replace": "~"}[change.op]
                    detail = f": {change.old} -> {change.new}" if change.op == "replace" else ""
                    say(f"{mark} {change.path}{detail}")
            if not diff or dry_run:
                say("dry run: nothing committed" if dry_run else "nothing to commit")
                m.discard_changes()
                m.unlock("candidate")
                return None
            if confirm_timeout is not None:
                token = persist or secrets.token_hex(8)
                m.commit(confirmed=True, timeout=str(confirm_timeout), persist=token)
            else:
                m.commit()
            m.unlock("candidate")
        except RPCError as exc:
            raise ValidationFailed(
                [p.located(f"{target.host}:{target.port}") for p in _rpc_problems(exc)]
            ) from None
        revision = _revision(m)
        say(f"committed revision {revision}" if revision is not None else "committed")
        if confirm_timeout is not None:
            say(f"confirmed commit: reverts in {confirm_timeout} s unless confirmed with")
            say(
                f"  micronf apply --controller {target.host}:{target.port} --user {target.user} "
                + (f"--key {target.key} " if target.key else "")
                + f"--confirm {token}"
            )
        return revision
    finally:
        m.close_session()


def confirm_remote(target: Target, token: str, *, cancel: bool = False) -> None:
    """Confirm (or cancel) a persistent confirmed commit by its token."""
    from ncclient.operations import RPCError
    from ncclient.xml_ import to_ele

    m = _connect(target)
    try:
        op = "cancel-commit" if cancel else "commit"
        rpc = f'<{op} xmlns="{BASE_NS}"><persist-id>{_escape(token)}</persist-id></{op}>'
        try:
            m.dispatch(to_ele(rpc))
        except RPCError as exc:
            raise ValidationFailed(_rpc_problems(exc)) from None
    finally:
        m.close_session()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _revision(m: Any) -> int | None:
    reply = m.get(filter=("subtree", f'<intent xmlns="{CTL_NS}"/>'))
    found = reply.data_ele.find(f"{{{CTL_NS}}}intent/{{{CTL_NS}}}revision")
    return int(found.text) if found is not None and found.text else None


def parse_controller(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[V6]:PORT``; the port defaults to 830)."""
    host, sep, port = text.rpartition(":")
    if not sep or "]" in port:
        host, port = text, "830"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RemoteError(f"--controller {text!r}: expected HOST:PORT")
    return host, int(port)


def run_apply(
    files: list[Path],
    *,
    controller: str,
    user: str | None,
    key: Path | None,
    replace: bool,
    dry_run: bool,
    confirm_timeout: int | None,
    persist: str | None,
    confirm: str | None,
    show_changes: Any,
    say: Any,
) -> int:
    """``micronf apply --controller``: the exit status (0 done, 1 refused, 2 usage)."""
    import getpass

    try:
        host, port = parse_controller(controller)
        target = Target(host, port, user or getpass.getuser(), key=key)
        if confirm is not None:
            if files:
                raise RemoteError("--confirm takes no files: it confirms an earlier apply")
            confirm_remote(target, confirm)
            say(f"confirmed: the commit {confirm} stays")
            return 0
        if not files:
            raise RemoteError("give intent files (or --confirm TOKEN)")
        apply_remote(
            target,
            files,
            replace=replace,
            dry_run=dry_run,
            confirm_timeout=confirm_timeout,
            persist=persist,
            say=say,
            show_changes=show_changes,
        )
        return 0
    except RemoteError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except ValidationFailed as exc:
        for p in exc.problems:
            sys.stderr.write(f"✗ {p.format()}\n")
        return 1
