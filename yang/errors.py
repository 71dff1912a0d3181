"""Validation problems as values.

Every error a user can cause, whether libyang found it or one of the graph
checks did, becomes a :class:`Problem`: a message, the YANG data path of the
offending node, the ``error-app-tag`` and, where the input format gives one,
the file and line. The CLI, NETCONF ``<rpc-error>`` and the dry-run RPC all
render the same value.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from enum import StrEnum

# Characters that act on a terminal or hide or reorder text instead of
# showing as themselves: controls (C0, DEL, C1: ESC starts ANSI sequences),
# format characters (bidi overrides, zero-width joiners, BOM), line and
# paragraph separators, lone surrogates (undecodable bytes).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escape_char(c: str) -> str:
    code = ord(c)
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """*text* with every character that could act on a terminal written as an escape.

    This is the one escaping of micronf: everything that came from an input
    (names, values, file names, messages quoting them) passes through it
    before it reaches a terminal or a log line. Printable characters of any
    script stay as they are; ``\\x1b``, ``\\n``, ``\\u202e`` are shown
    as such.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, without a per-character walk
    return "".join(
        _escape_char(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text
    )


class ErrorType(StrEnum):
    """RFC 6241 ``error-type``: the layer where an error occurred."""

    transport = "transport"
    rpc = "rpc"
    protocol = "protocol"
    application = "application"


class ErrorTag(StrEnum):
    """RFC 6241 Appendix A ``error-tag`` values."""

    in_use = "in-use"
    invalid_value = "invalid-value"
    too_big = "too-big"
    missing_attribute = "missing-attribute"
    bad_attribute = "bad-attribute"
    unknown_attribute = "unknown-attribute"
    missing_element = "missing-element"
    bad_element = "bad-element"
    unknown_element = "unknown-element"
    unknown_namespace = "unknown-namespace"
    access_denied = "access-denied"
    lock_denied = "lock-denied"
    resource_denied = "resource-denied"
    rollback_failed = "rollback-failed"
    data_exists = "data-exists"
    data_missing = "data-missing"
    operation_not_supported = "operation-not-supported"
    operation_failed = "operation-failed"
    malformed_message = "malformed-message"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``error_type`` and ``error_tag`` are those of RFC 6241 so that NETCONF
    renders a problem as an ``<rpc-error>`` without translation; a problem
    found in the content of a configuration is, by default, an
    ``application`` / ``invalid-value`` error.
    """

    message: str
    path: str | None = None
    app_tag: str | None = None
    source: str | None = None
    line: int | None = None
    error_type: ErrorType = ErrorType.application
    error_tag: ErrorTag = ErrorTag.invalid_value

    def located(self, source: str | None = None, line: int | None = None) -> Problem:
        """The same problem, with a file (and line) attached where missing."""
        return replace(
            self,
            source=self.source or source,
            line=self.line if self.line is not None else line,
        )

    def format(self) -> str:
        """One line: ``file:line: path: message [app-tag]``, safe for a terminal.

        Every part may hold text from the input, so every part is escaped
        (:func:`printable`); the message's runs of white space become one space.
        """
        where = printable(self.source or "<input>")
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.path:
            parts.append(printable(self.path))
        parts.append(printable(" ".join(self.message.split())))
        line = ": ".join(parts)
        if self.app_tag:
            line += f" [{printable(self.app_tag)}]"
        return line

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "line": self.line,
            "path": self.path,
            "message": " ".join(self.message.split()),
            "app-tag": self.app_tag,
            "error-type": self.error_type.value,
            "error-tag": self.error_tag.value,
        }


@dataclass
class ValidationFailed(Exception):
    """Raised with every problem found in one input."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)

    def located(self, source: str) -> ValidationFailed:
        return ValidationFailed([p.located(source) for p in self.problems])
