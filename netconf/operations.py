"""The dispatch table: (namespace, RPC name) -> the operation that handles it.

An operation family (base session operations, locks, retrieval, editing,
notifications, a server's own RPCs) is one module that builds its
:class:`Operation` values; each declares the capabilities it implements and
the YANG module it belongs to (for NACM ``exec`` rules). The hello is built
from the table, never from a hand-kept list: an operation that is not
registered is not advertised, and a capability without an operation behind
it cannot be claimed except through :meth:`OperationTable.declare`, which a
module uses for a feature that adds parameters to other operations
(``:with-defaults``, ``:interleave``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .xml import Element

if TYPE_CHECKING:
    from .session import Session

#: What a handler returns: None for ``<ok/>``, else the reply's child elements.
Reply = list[Element] | None
Handler = Callable[["Session", Element], Awaitable[Reply]]

BASE_1_0 = "urn:ietf:params:netconf:base:1.0"
BASE_1_1 = "urn:ietf:params:netconf:base:1.1"


@dataclass(frozen=True)
class Operation:
    """One RPC the server answers."""

    namespace: str
    name: str
    handler: Handler
    #: YANG module of the RPC (NACM ``module-name`` of exec rules).
    module: str
    #: Capability URIs this operation implements (its own feature).
    capabilities: tuple[str, ...] = ()
    #: True for the RPCs RFC 8341 always permits (``close-session``).
    always_permitted: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass
class OperationTable:
    """Operations keyed by (namespace, name), and the capabilities they bring."""

    _ops: dict[tuple[str, str], Operation] = field(default_factory=dict)
    _declared: list[str] = field(default_factory=list)

    def register(self, ops: Iterable[Operation]) -> None:
        for op in ops:
            if op.key in self._ops:
                raise ValueError(f"operation {op.namespace} {op.name} registered twice")
            self._ops[op.key] = op

    def declare(self, capability: str) -> None:
        """A capability of a feature that is parameters of registered operations."""
        if capability not in self._declared:
            self._declared.append(capability)

    def lookup(self, namespace: str, name: str) -> Operation | None:
        return self._ops.get((namespace, name))

    def knows_namespace(self, namespace: str) -> bool:
        return any(ns == namespace for ns, _ in self._ops)

    def capabilities(self) -> list[str]:
        """Base capabilities, then every capability of the table, without repeats."""
        caps = [BASE_1_0, BASE_1_1]
        for op in self._ops.values():
            for cap in op.capabilities:
                if cap not in caps:
                    caps.append(cap)
        for cap in self._declared:
            if cap not in caps:
                caps.append(cap)
        return caps

    def operations(self) -> list[Operation]:
        return list(self._ops.values())
