"""Notifications (RFC 5277): ``<create-subscription>`` to the ``NETCONF`` stream,
interleaved with RPCs on the same session (``:interleave``).

Events: ``netconf-config-change`` (RFC 6470) after every commit of running,
``netconf-confirmed-commit`` for each step of a confirmed commit, and
``micronf-sfc:chain-status-change`` when the reconciler reports a chain's
conditions (:meth:`Notifier.chain_status`). There is no replay.
"""

from __future__ import annotations

from micronf.netconf import NOTIF_NS, Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.netconf.subtree import apply as subtree
from micronf.yang import ErrorTag
from micronf.yang.edit import changes

from ..datastores import ConfirmedCommit
from .common import Controller

NCN_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"
SFC_NS = "urn:micronf:yang:micronf-sfc"
NOTIFICATION_CAP = "urn:ietf:params:netconf:capability:notification:1.0"
INTERLEAVE_CAP = "urn:ietf:params:netconf:capability:interleave:1.0"
STREAM = "NETCONF"


class Notifier:
    """Builds event payloads and sends them to every subscribed session."""

    def __init__(self, ctl: Controller) -> None:
        self.ctl = ctl

    def send(self, payload: nx.Element) -> None:
        ns, name = nx.split(payload.tag)
        module = self.ctl.schema.namespace_modules.get(ns, "")
        for session in self.ctl.sessions():
            if not session.subscribed:
                continue
            engine = session.nacm()
            if engine is not None and not engine.may_notify(
                session.username, session.user.groups, module, name
            ):
                continue  # RFC 8341 3.4.6: dropped for this subscriber only
            if session.subscription is not None:
                kept = subtree([payload], session.subscription, lambda _el: False)
                if not kept:
                    continue
            session.notify(nx.from_string(nx.to_bytes(payload)))

    def config_change(self, old: str, new: str, author: str, session_id: int | None) -> None:
        if not any(s.subscribed for s in self.ctl.sessions()):
            return  # computing the edits costs a diff: only for someone listening
        root = nx.element(NCN_NS, "netconf-config-change", nsmap={None: NCN_NS})
        by = nx.sub(root, NCN_NS, "changed-by")
        if session_id is None:
            nx.sub(by, NCN_NS, "server")
        else:
            nx.sub(by, NCN_NS, "username", author)
            nx.sub(by, NCN_NS, "session-id", str(session_id))
        nx.sub(root, NCN_NS, "datastore", "running")
        for change in changes(self.ctl.validator, old, new):
            edit = nx.sub(root, NCN_NS, "edit")
            nx.sub(edit, NCN_NS, "target", change.path)
            nx.sub(
                edit,
                NCN_NS,
                "operation",
                "replace" if change.operation == "update" else change.operation,
            )
        self.send(root)

    def confirmed(self, event: str, state: ConfirmedCommit, why: str | None) -> None:
        root = nx.element(NCN_NS, "netconf-confirmed-commit", nsmap={None: NCN_NS})
        if state.session is not None:
            nx.sub(root, NCN_NS, "session-id", str(state.session))
        nx.sub(root, NCN_NS, "confirm-event", event)
        self.send(root)

    def chain_status(self, chain: str, conditions: list[dict[str, str]]) -> None:
        root = nx.element(SFC_NS, "chain-status-change", nsmap={None: SFC_NS})
        nx.sub(root, SFC_NS, "chain", chain)
        for cond in conditions:
            el = nx.sub(root, SFC_NS, "condition")
            for key, value in cond.items():
                nx.sub(el, SFC_NS, key, value)
        self.send(root)


def operations(ctl: Controller) -> list[Operation]:
    async def create_subscription(session: Session, op: nx.Element) -> Reply:
        def child(name: str) -> nx.Element | None:
            return op.find(nx.qname(NOTIF_NS, name))

        if session.subscribed:
            raise RpcError.of(ErrorTag.operation_failed, "this session is already subscribed")
        stream = child("stream")
        if stream is not None and (stream.text or "").strip() != STREAM:
            raise RpcError.of(
                ErrorTag.invalid_value,
                f"no stream {stream.text!r} (this server has {STREAM})",
                info={"bad-element": "stream"},
            )
        for name in ("startTime", "stopTime"):
            if child(name) is not None:
                raise RpcError.of(
                    ErrorTag.operation_failed,
                    f"{name}: this server keeps no notifications to replay",
                    info={"bad-element": name},
                )
        filter_el = child("filter")
        if filter_el is not None and filter_el.get("type", "subtree") != "subtree":
            raise RpcError.of(
                ErrorTag.operation_failed,
                "notification filters are subtree filters only",
                info={"bad-element": "filter"},
            )
        session.subscription = filter_el
        session.subscribed = True
        return None

    return [
        Operation(
            NOTIF_NS,
            "create-subscription",
            create_subscription,
            "notifications",
            (NOTIFICATION_CAP, INTERLEAVE_CAP),
        )
    ]
