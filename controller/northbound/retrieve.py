"""``<get>`` and ``<get-config>`` (RFC 6241 7.1, 7.7), with subtree and XPath
filters (``:xpath``), with-defaults (RFC 6243) and NACM read pruning.

``<get-config>`` returns the user's configuration only. ``<get>`` adds, as
read-only data, the built-in catalog (the uNF descriptors and VNF templates
micronf ships, which chains' leafrefs point at; shown as configuration the
user cannot change, the NMDA ``<system>`` idea without a separate
datastore), the YANG library (RFC 8525) and NETCONF monitoring state
(RFC 6022).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from micronf.netconf import BASE_NS, Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.netconf.base import datastore_param, param
from micronf.netconf.subtree import apply as subtree
from micronf.yang import ErrorTag
from micronf.yang.filter import WithDefaults, builtin_catalog_json, render_xml

from .common import NC_CAP, Controller, failing, readable

WD_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
MON_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
WITH_DEFAULTS_CAP = (
    f"{NC_CAP}:with-defaults:1.0?basic-mode=explicit"
    "&also-supported=report-all,report-all-tagged,trim"
)
XPATH_CAP = f"{NC_CAP}:xpath:1.0"


def _key_test(ctl: Controller) -> Callable[[nx.Element], bool]:
    keys = ctl.schema.list_keys

    def is_key(el: nx.Element) -> bool:
        return _is_key(keys, el)

    return is_key


def _is_key(list_keys: dict[tuple[str, ...], frozenset[str]], el: nx.Element) -> bool:
    names: list[str] = []
    cur = el.getparent()
    while cur is not None and cur.tag != nx.qname(BASE_NS, "data"):
        names.append(nx.split(cur.tag)[1])
        cur = cur.getparent()
    keys = list_keys.get(tuple(reversed(names)))
    return keys is not None and nx.split(el.tag)[1] in keys


def _with_defaults(op: nx.Element) -> WithDefaults | None:
    el = op.find(nx.qname(WD_NS, "with-defaults"))
    if el is None:
        return None
    try:
        return WithDefaults((el.text or "").strip())
    except ValueError:
        raise RpcError.of(
            ErrorTag.invalid_value,
            f"with-defaults {el.text!r}: one of {', '.join(m.value for m in WithDefaults)}",
            info={"bad-element": "with-defaults"},
        ) from None


def _xpath(ctl: Controller, filter_el: nx.Element) -> str:
    select = filter_el.get("select")
    if not select:
        raise RpcError.of(
            ErrorTag.missing_attribute,
            "an XPath filter needs a select attribute",
            info={"bad-attribute": "select", "bad-element": "filter"},
        )
    # XML prefixes of the request -> module names, as libyang's XPath wants them.
    modules_by_ns = ctl.schema.namespace_modules
    out = select
    for prefix, ns in (filter_el.nsmap or {}).items():
        if prefix and ns in modules_by_ns:
            out = out.replace(f"{prefix}:", f"{modules_by_ns[ns]}:")
    return str(out)


def _filtered(
    ctl: Controller,
    content: str,
    op: nx.Element,
    *,
    system: str | None = None,
    state: str | None = None,
) -> Reply:
    filter_el = param(op, "filter")
    kind = filter_el.get("type", "subtree") if filter_el is not None else None
    if kind not in (None, "subtree", "xpath"):
        raise RpcError.of(
            ErrorTag.bad_attribute,
            f"filter type {kind!r}: subtree or xpath",
            info={"bad-attribute": "type", "bad-element": "filter"},
        )
    with failing():
        text = render_xml(
            ctl.validator,
            content,
            with_defaults=_with_defaults(op),
            xpath=_xpath(ctl, filter_el) if kind == "xpath" else None,
            system_json=system,
            state_xml=state,
        )
    data = nx.from_string(f'<data xmlns="{BASE_NS}">{text}</data>')
    if kind == "subtree":
        kept = subtree(nx.children(data), filter_el, _key_test(ctl))
        data = nx.element(BASE_NS, "data", nsmap={None: BASE_NS})
        for el in kept:
            data.append(el)
    return [data]


def monitoring_xml(ctl: Controller, capabilities: list[str]) -> str:
    """``ietf-netconf-monitoring:netconf-state`` (RFC 6022) as XML."""
    root = nx.element(MON_NS, "netconf-state", nsmap={None: MON_NS, "ncm": MON_NS})
    caps = nx.sub(root, MON_NS, "capabilities")
    for cap in capabilities:
        nx.sub(caps, MON_NS, "capability", cap)
    stores = nx.sub(root, MON_NS, "datastores")
    server = ctl.server
    for name in ("running", "candidate"):
        ds = nx.sub(stores, MON_NS, "datastore")
        nx.sub(ds, MON_NS, "name", name)
        holder = server.locks.holder(name) if server else None
        if holder is not None and server is not None:
            locks = nx.sub(ds, MON_NS, "locks")
            lock = nx.sub(locks, MON_NS, "global-lock")
            nx.sub(lock, MON_NS, "locked-by-session", str(holder))
            nx.sub(lock, MON_NS, "locked-time", _time(server.locks.since(name)))
    schemas = nx.sub(root, MON_NS, "schemas")
    for m in ctl.schema.modules:
        schema = nx.sub(schemas, MON_NS, "schema")
        nx.sub(schema, MON_NS, "identifier", m.name)
        nx.sub(schema, MON_NS, "version", m.revision or "")
        nx.sub(schema, MON_NS, "format", "ncm:yang")
        nx.sub(schema, MON_NS, "namespace", m.namespace)
        nx.sub(schema, MON_NS, "location", "NETCONF")
    sessions = nx.sub(root, MON_NS, "sessions")
    for s in ctl.sessions():
        el = nx.sub(sessions, MON_NS, "session")
        nx.sub(el, MON_NS, "session-id", str(s.id))
        nx.sub(el, MON_NS, "transport", "ncm:netconf-ssh")
        nx.sub(el, MON_NS, "username", s.username)
        nx.sub(el, MON_NS, "login-time", _time(s.login_time))
        nx.sub(el, MON_NS, "in-rpcs", str(s.in_rpcs))
        nx.sub(el, MON_NS, "in-bad-rpcs", str(s.in_bad_rpcs))
        nx.sub(el, MON_NS, "out-rpc-errors", str(s.out_rpc_errors))
        nx.sub(el, MON_NS, "out-notifications", str(s.out_notifications))
    return nx.to_bytes(root).decode().split("?>", 1)[1]


CTL_NS = "urn:micronf:yang:micronf-controller"


def intent_xml(ctl: Controller) -> str:
    """``micronf-controller:intent``: the head revision behind running."""
    root = nx.element(CTL_NS, "intent", nsmap={None: CTL_NS})
    head = ctl.datastores.head()
    if head is not None:
        nx.sub(root, CTL_NS, "revision", str(ctl.datastores.running_revision()))
        for name in ("author", "channel"):
            value = getattr(head, name, None)
            if value:
                nx.sub(root, CTL_NS, name, str(value))
    return nx.to_bytes(root).decode().split("?>", 1)[1]


def _time(when: datetime | None) -> str:
    return (when or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")


def operations(ctl: Controller) -> list[Operation]:
    async def get(session: Session, op: nx.Element) -> Reply:
        content = readable(session, ctl.datastores.running())
        state = (
            ctl.schema.yang_library_xml()
            + monitoring_xml(ctl, session.server.capabilities())
            + intent_xml(ctl)
        )
        return _filtered(ctl, content, op, system=builtin_catalog_json(), state=state)

    async def get_config(session: Session, op: nx.Element) -> Reply:
        source = datastore_param(op, "source")
        content = readable(session, ctl.datastore(source))
        return _filtered(ctl, content, op)

    return [
        Operation(BASE_NS, "get", get, "ietf-netconf", (XPATH_CAP, WITH_DEFAULTS_CAP)),
        Operation(
            BASE_NS, "get-config", get_config, "ietf-netconf", (XPATH_CAP, WITH_DEFAULTS_CAP)
        ),
    ]
