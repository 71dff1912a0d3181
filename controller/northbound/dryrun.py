"""``micronf-sfc:dry-run``: validate, compile, place and plan an intent; change nothing.

The input is YANG instance data (``<config>``) or a TOSCA document
(``<tosca>``). The answer is ``valid``, the problems found, and, for a
valid intent, the actions a commit would take against running (the
compiler's :func:`micronf.controller.dry_run.dry_run`, as ``micronf
dry-run`` does). The compiled graph itself (``anydata graph``) is not
returned yet.
"""

from __future__ import annotations

from typing import Any

from micronf.netconf import Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.yang import ErrorTag, ValidationFailed
from micronf.yang.edit import EditOp, apply_edit

from .common import Controller
from .editing import config_xml

SFC_NS = "urn:micronf:yang:micronf-sfc"


#: The planner's verbs -> the kinds of ``dry-run/output/action/operation``.
_KIND = {"deploy": "create", "connect": "create", "remove": "delete"}


def _plan(ctl: Controller, content: str) -> Any:
    """The compiler's dry run of *content* over running (None for an empty intent)."""
    from micronf.controller.dry_run import dry_run
    from micronf.models import Intent

    validator = ctl.validator
    new_tree = validator.parse(content, "json")
    if new_tree.empty:
        return None
    new = Intent.from_validated(validator.validate(new_tree))
    running = validator.parse(ctl.datastores.running(), "json")
    current = None if running.empty else Intent.from_validated(validator.validate(running))
    return dry_run(new, current, current_name=f"revision {ctl.datastores.running_revision()}")


def operations(ctl: Controller) -> list[Operation]:
    async def dry_run(session: Session, op: nx.Element) -> Reply:
        config = op.find(nx.qname(SFC_NS, "config"))
        tosca = op.find(nx.qname(SFC_NS, "tosca"))
        if (config is None) == (tosca is None):
            raise RpcError.of(
                ErrorTag.missing_element if config is None else ErrorTag.bad_element,
                "dry-run takes one of <config> or <tosca>",
                info={"bad-element": "dry-run"},
            )
        problems = []
        result = None
        try:
            if config is not None:
                content, _ = apply_edit(ctl.validator, None, config_xml(config), EditOp.replace)
                ctl.datastores.validate(content)
                result = _plan(ctl, content)
            else:
                # tosca-parser is slow to import; only TOSCA dry runs pay for it.
                from micronf.tosca import load_tosca_text

                load_tosca_text(tosca.text or "", "<tosca>")
        except ValidationFailed as failed:
            problems = failed.problems
        valid = nx.element(SFC_NS, "valid", "false" if problems else "true", nsmap={None: SFC_NS})
        out = [valid]
        for p in problems:
            err = nx.element(SFC_NS, "error", nsmap={None: SFC_NS})
            if p.path:
                nx.sub(err, SFC_NS, "path", p.path)
            nx.sub(err, SFC_NS, "message", p.message)
            if p.app_tag:
                nx.sub(err, SFC_NS, "app-tag", p.app_tag)
            out.append(err)
        for seq, action in enumerate(result.actions if result else (), start=1):
            el = nx.element(SFC_NS, "action", nsmap={None: SFC_NS})
            nx.sub(el, SFC_NS, "seq", str(seq))
            nx.sub(el, SFC_NS, "operation", _KIND.get(action.operation, "update"))
            nx.sub(el, SFC_NS, "agent", action.agent)
            # The planner's own verb stays visible: the YANG enum has three kinds only.
            nx.sub(el, SFC_NS, "target", f"{action.operation} {action.target}")
            out.append(el)
        return out

    return [Operation(SFC_NS, "dry-run", dry_run, "micronf-sfc")]
