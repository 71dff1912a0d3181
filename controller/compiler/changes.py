"""What a compiler pass did, or declined to do, and why.

Every pass returns its new graph with a list of :class:`Change` values: one
per optimisation applied (``applied=True``) and one per optimisation it
looked at and could not prove safe from the descriptors (``applied=False``).
The dry-run report and the closing note of a compilation are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from micronf.models.graph import UnfGraph


@dataclass(frozen=True, order=True)
class Change:
    pass_name: str
    action: str  # removed | shared | parallelised | kept
    nodes: tuple[str, ...]
    reason: str
    applied: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "pass": self.pass_name,
            "action": self.action,
            "unf": list(self.nodes),
            "reason": self.reason,
            "applied": self.applied,
        }


@dataclass(frozen=True)
class PassResult:
    graph: UnfGraph
    changes: tuple[Change, ...]

    @property
    def applied(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.applied)

    @property
    def refused(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.applied)
