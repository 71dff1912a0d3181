"""``<get-schema>`` (RFC 6022): the YANG text of the modules the server implements.

The module list of the hello, ``netconf-state/schemas`` and the YANG
library (RFC 8525) all come from the same libyang context.
"""

from __future__ import annotations

import hashlib

from micronf.netconf import Operation, Reply, RpcError, Session
from micronf.netconf import xml as nx
from micronf.yang import ErrorTag
from micronf.yang.schema import Schema

from .common import Controller

MON_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
YANG_LIBRARY_REVISION = "2019-01-04"


def module_capabilities(schema: Schema) -> list[str]:
    """Module capabilities of the hello, and the YANG library one (RFC 8526)."""
    caps = [m.capability for m in schema.modules if m.implemented]
    digest = hashlib.sha256("\n".join(m.capability for m in schema.modules).encode())
    content_id = digest.hexdigest()[:16]
    caps.append(
        "urn:ietf:params:netconf:capability:yang-library:1.1"
        f"?revision={YANG_LIBRARY_REVISION}&content-id={content_id}"
    )
    return caps


def operations(ctl: Controller) -> list[Operation]:
    async def get_schema(session: Session, op: nx.Element) -> Reply:
        def text(name: str) -> str | None:
            el = op.find(nx.qname(MON_NS, name))
            return None if el is None else (el.text or "").strip()

        identifier = text("identifier")
        if not identifier:
            raise RpcError.of(
                ErrorTag.missing_element,
                "get-schema needs an identifier",
                info={"bad-element": "identifier"},
            )
        fmt = text("format")
        if fmt and fmt.rpartition(":")[2] != "yang":
            raise RpcError.of(
                ErrorTag.invalid_value,
                f"format {fmt!r}: only yang is served",
                info={"bad-element": "format"},
            )
        source = ctl.schema.schema_source(identifier, text("version") or None)
        if source is None:
            raise RpcError.of(
                ErrorTag.invalid_value,
                f"no schema {identifier!r}"
                + (f" revision {text('version')}" if text("version") else ""),
                info={"bad-element": "identifier"},
            )
        return [nx.element(MON_NS, "data", source, nsmap={None: MON_NS})]

    return [Operation(MON_NS, "get-schema", get_schema, "ietf-netconf-monitoring")]
