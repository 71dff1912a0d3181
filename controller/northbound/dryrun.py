"""``micronf-sfc:dry-run``: validate an intent against the models without changing anything.

The input is YANG instance data (``<config>``) or a TOSCA document
(``<tosca>``). Until the compiler lands, the answer is validation only:
``valid`` and the problems found (no graph, no actions).
"""

from __future__ import annotations

from micronf.netconf import Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.yang import ErrorTag, ValidationFailed
from micronf.yang.edit import EditOp, apply_edit

from .common import Controller
from .editing import config_xml

SFC_NS = "urn:micronf:yang:micronf-sfc"


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
        try:
            if config is not None:
                content, _ = apply_edit(ctl.validator, None, config_xml(config), EditOp.replace)
                ctl.datastores.validate(content)
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
        return out

    return [Operation(SFC_NS, "dry-run", dry_run, "micronf-sfc")]
