"""Validation problems as values.

Every error a user can cause, whether libyang found it or one of the graph
checks did, becomes a :class:`Problem`: a message, the YANG data path of the
offending node, the ``error-app-tag`` and, where the input format gives one,
the file and line. The CLI, NETCONF ``<rpc-error>`` and the dry-run RPC all
render the same value.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input."""

    message: str
    path: str | None = None
    app_tag: str | None = None
    source: str | None = None
    line: int | None = None

    def located(self, source: str | None = None, line: int | None = None) -> Problem:
        """The same problem, with a file (and line) attached where missing."""
        return Problem(
            message=self.message,
            path=self.path,
            app_tag=self.app_tag,
            source=self.source or source,
            line=self.line if self.line is not None else line,
        )

    def format(self) -> str:
        """One line: ``file:line: path: message [app-tag]``."""
        where = self.source or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        text = " ".join(self.message.split())
        parts = [where]
        if self.path:
            parts.append(self.path)
        parts.append(text)
        line = ": ".join(parts)
        if self.app_tag:
            line += f" [{self.app_tag}]"
        return line

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "line": self.line,
            "path": self.path,
            "message": " ".join(self.message.split()),
            "app-tag": self.app_tag,
        }


@dataclass
class ValidationFailed(Exception):
    """Raised with every problem found in one input."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)

    def located(self, source: str) -> ValidationFailed:
        return ValidationFailed([p.located(source) for p in self.problems])
