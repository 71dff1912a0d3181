"""Everything the ``micronf`` commands print goes through here.

Text that came from an input (file names, names, values, messages quoting
them) is escaped before it reaches the terminal, in one place: the strings
given to :meth:`Stream.line` and the labels of :meth:`Stream.tree` pass
through :func:`micronf.yang.errors.printable` (which
:meth:`~micronf.yang.Problem.format` uses too), so an input cannot move the
cursor, set the window title, hide or reorder text, or print a line of its
own. ``--json`` output is exact JSON with every non-ASCII character as a
``\\u`` escape, which is just as safe.

Output degrades instead of failing: a stream whose encoding cannot show
``✓``/``✗`` (``PYTHONIOENCODING=ascii``, a C locale) gets ``ok``/``error``
instead, and characters it cannot encode become backslash escapes. A closed
or full standard output (``>&-``, ``>/dev/full``) or a closed pipe raises
:class:`OutputUnavailable`, which :func:`run` turns into one line on
standard error and exit status :data:`EXIT_ENVIRONMENT`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TextIO

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from micronf.yang.errors import Problem, printable

#: Exit statuses of every command.
EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
#: The environment, not the input, failed: standard output closed or full,
#: the working directory deleted.
EXIT_ENVIRONMENT = 3

# A part of a line: plain text, or (text, rich style).
Part = str | tuple[str, str]


class OutputUnavailable(Exception):
    """Standard output (or error) cannot be written: closed, full, or a closed pipe."""

    def __init__(self, stream: str, reason: str) -> None:
        super().__init__(f"cannot write to standard {stream}: {reason}")
        self.stream = stream


def _can_encode(stream: TextIO | None, text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


@dataclass
class Stream:
    """One of standard output and standard error, written safely."""

    name: str  # "output" or "error"
    _console: Console | None = field(default=None, repr=False)

    def _file(self) -> TextIO:
        f = sys.stdout if self.name == "output" else sys.stderr
        if f is None:  # started with the descriptor closed (>&-)
            raise OutputUnavailable(self.name, "it is closed")
        return f

    @property
    def console(self) -> Console:
        if self._console is None:
            f = self._file()
            try:
                tty = f.isatty()
            except (OSError, ValueError):
                tty = False
            # Piped output is not cut at 80 columns: trees and error lines stay whole.
            self._console = Console(
                file=f,
                highlight=False,
                soft_wrap=True,
                width=None if tty else 200,
                emoji=False,
                markup=False,
            )
        return self._console

    @property
    def unicode(self) -> bool:
        """Whether the stream can show ✓, ✗ and tree guides."""
        return _can_encode(sys.stdout if self.name == "output" else sys.stderr, "✓✗─│")

    def _encodable(self, text: str) -> str:
        f = self._file()
        encoding = getattr(f, "encoding", None) or "ascii"
        try:
            text.encode(encoding)
            return text
        except (UnicodeEncodeError, LookupError):
            return text.encode(encoding, "backslashreplace").decode(encoding, "replace")

    def _guard(self, write: Callable[[], None]) -> None:
        try:
            write()
            self._file().flush()
        except OutputUnavailable:
            raise
        except (OSError, ValueError) as exc:  # ValueError: a closed file object
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise OutputUnavailable(self.name, reason) from None

    def line(self, *parts: Part) -> None:
        """Print one line; every text part is escaped, styles are ours."""
        text = Text()
        for part in parts:
            if isinstance(part, tuple):
                text.append(self._encodable(printable(part[0])), style=part[1])
            else:
                text.append(self._encodable(printable(part)))
        self._guard(lambda: self.console.print(text))

    def mark(self, ok: bool) -> Part:
        """``✓``/``✗`` in colour, or ``ok``/``error`` where the encoding lacks them."""
        if ok:
            return ("✓" if self.unicode else "ok", "green")
        return ("✗" if self.unicode else "error", "red")

    def problem(self, problem: Problem) -> None:
        """One problem, one escaped line: ``✗ file:line: path: message [app-tag]``."""
        self.line(self.mark(False), " ", problem.format())

    def json(self, value: Any) -> None:
        """Exact JSON (ASCII only: non-ASCII characters and controls as ``\\u`` escapes)."""
        text = json.dumps(value, indent=2, ensure_ascii=True)

        def write() -> None:
            self._file().write(text + "\n")

        self._guard(write)

    def tree(self, root: Part | list[Part], children: Iterable[TreeNode]) -> None:
        """A tree whose labels are escaped like :meth:`line`."""
        tree = Tree(self._label(root), guide_style="dim")
        self._add(tree, children)
        self._guard(lambda: self.console.print(tree))

    def _label(self, parts: Part | list[Part]) -> Text:
        text = Text()
        for part in parts if isinstance(parts, list) else [parts]:
            if isinstance(part, tuple):
                text.append(self._encodable(printable(part[0])), style=part[1])
            else:
                text.append(self._encodable(printable(part)))
        return text

    def _add(self, tree: Tree, children: Iterable[TreeNode]) -> None:
        for child in children:
            self._add(tree.add(self._label(child.label)), child.children)


def chain_list(names: list[str], first: int = 10) -> str:
    """The first chain names, and how many more (an intent may hold thousands)."""
    shown = ", ".join(names[:first])
    return shown if len(names) <= first else f"{shown} and {len(names) - first} more"


@dataclass
class TreeNode:
    """A node of a printed tree: label parts (escaped when printed) and children."""

    label: list[Part]
    children: list[TreeNode] = field(default_factory=list)


out = Stream("output")
err = Stream("error")


def _quiet_stdout() -> None:
    """Point standard output at /dev/null so that the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def run(main: Callable[[], Any]) -> NoReturn:
    """Run a command; the environment's failures become one line and an exit status.

    ``main`` is the click/typer application, which ends with SystemExit.
    """
    code: int | str | None = EXIT_OK
    try:
        try:
            main()
        finally:
            if sys.stdout is not None:
                sys.stdout.flush()
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:
        _stderr_line("interrupted")
        code = 130
    except OutputUnavailable as exc:
        _quiet_stdout()
        _stderr_line(f"error: {exc}")
        code = EXIT_ENVIRONMENT
    except OSError as exc:  # the final flush of a full or closed standard output
        _quiet_stdout()
        _stderr_line(f"error: cannot write to standard output: {exc.strerror or exc}")
        code = EXIT_ENVIRONMENT
    if code not in (EXIT_OK, None) and sys.stdout is not None:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            _quiet_stdout()
    sys.exit(code)


def _stderr_line(text: str) -> None:
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(printable(text) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def usage_error(message: str) -> NoReturn:
    """One line ``error: ...`` on standard error, exit status 2."""
    _stderr_line(f"error: {' '.join(message.split())}")
    raise SystemExit(EXIT_USAGE)


def environment_error(message: str) -> NoReturn:
    """One line ``error: ...`` on standard error, exit status 3."""
    _stderr_line(f"error: {' '.join(message.split())}")
    raise SystemExit(EXIT_ENVIRONMENT)
