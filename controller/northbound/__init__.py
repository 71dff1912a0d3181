"""The controller's NETCONF northbound: micronf's operations on the netconf/ layer.

:func:`build_server` registers every operation family into one
:class:`~micronf.netconf.OperationTable` (the hello is built from it),
wires the lock table to the datastores and the session hooks to the
confirmed-commit state machine and notifications.
"""

from __future__ import annotations

import json
from typing import Any

from micronf.netconf import LockTable, NetconfServer, OperationTable, ServerConfig, base
from micronf.yang.schema import Schema

from ..datastores import Datastores
from . import candidate, dryrun, editing, monitoring, notifications, retrieve
from .common import Controller
from .notifications import Notifier

__all__ = ["Controller", "Notifier", "build_server"]


def _nacm(ds: Datastores) -> Any:
    data = json.loads(ds.running())
    return data.get("ietf-netconf-acm:nacm")


def build_server(datastores: Datastores, config: ServerConfig) -> tuple[NetconfServer, Controller]:
    schema = Schema(datastores.validator)
    ctl = Controller(datastores, schema)
    table = OperationTable()
    table.register(base.operations())
    table.register(retrieve.operations(ctl))
    table.register(editing.operations(ctl))
    table.register(candidate.operations(ctl))
    table.register(monitoring.operations(ctl))
    table.register(notifications.operations(ctl))
    table.register(dryrun.operations(ctl))

    def released(datastore: str, session_id: int, ended: bool) -> None:
        # RFC 6241 8.3.5.2: a candidate locked by a session that ends is discarded
        # (an explicit unlock keeps the changes for a later commit).
        if datastore == "candidate" and ended:
            datastores.discard_changes()

    locks = LockTable(("running", "candidate"), may_lock=datastores.may_lock, on_release=released)
    server = NetconfServer(
        config,
        table,
        locks,
        schema,
        nacm_config=lambda: _nacm(datastores),
        extra_capabilities=lambda: monitoring.module_capabilities(schema),
    )
    ctl.server = server
    notifier = Notifier(ctl)
    ctl.extra["notifier"] = notifier
    datastores.commit_listeners.append(notifier.config_change)
    datastores.confirmed_listeners.append(notifier.confirmed)

    server.on_session_end(lambda session: datastores.session_ended(session.id))
    return server, ctl
