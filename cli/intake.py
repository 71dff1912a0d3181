"""The command line's side of the intake layer: which files the arguments name.

Formats, the size limit, reading and validation are
:mod:`micronf.yang.inputs`'s; here the arguments of a command become a
list of inputs, with every usage error found before anything is read:

* a file is taken in the format its extension selects, or ``--format``;
* a folder stands for the intent files in it and its sub-folders (by
  extension, sorted, hidden entries skipped), so that ``micronf validate
  examples/*`` and ``micronf validate examples`` both work; a folder with
  none adds nothing, and arguments that name no intent file at all are a
  usage error;
* ``-`` names standard input, whose format must be given, once at most.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from micronf.yang import ValidatedIntent, ValidationFailed
from micronf.yang.inputs import (
    Format,
    extensions_help,
    format_of_name,
    limit_of,
    load,
    load_path,
    read_stream,
)

from .output import environment_error

#: The file name that stands for standard input.
STDIN = "-"
#: How problems in standard input are located.
STDIN_SOURCE = "<stdin>"
#: Most files one folder argument may expand to.
MAX_FOLDER_FILES = 10_000


class UsageError(ValueError):
    """An argument that cannot be used at all: missing, an empty folder, no format."""


def is_stdin(path: Path | str) -> bool:
    return str(path) == STDIN


@dataclass(frozen=True)
class Input:
    """One input to read: a file (or standard input) and its format."""

    path: Path
    format: Format

    @property
    def stdin(self) -> bool:
        return is_stdin(self.path)

    @property
    def source(self) -> str:
        """How problems in this input are located."""
        return STDIN_SOURCE if self.stdin else str(self.path)


def _quoted(path: Path | str) -> str:
    return repr(str(path))


def _folder_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for top, dirs, files in os.walk(folder, onerror=None, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and format_of_name(name) is not None:
                found.append(Path(top) / name)
                if len(found) > MAX_FOLDER_FILES:
                    raise UsageError(
                        f"folder {_quoted(folder)} holds more than {MAX_FOLDER_FILES} "
                        "intent files: name them, or a smaller folder"
                    )
    return found


def inputs_of(paths: list[Path], override: Format | str | None = None) -> list[Input]:
    """The inputs the arguments name; raises :class:`UsageError` on the first bad one."""
    forced = Format(override) if override else None
    if sum(1 for p in paths if is_stdin(p)) > 1:
        raise UsageError("standard input (-) can be given once only")
    out: list[Input] = []
    folders: list[Path] = []
    for path in paths:
        if is_stdin(path):
            if forced is None:
                raise UsageError(
                    "standard input (-) has no extension: pass --format tosca|xml|json"
                )
            out.append(Input(path, forced))
            continue
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise UsageError(f"file {_quoted(path)} does not exist") from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(f"cannot access {_quoted(path)}: {reason}") from None
        if stat.S_ISDIR(st.st_mode):
            # a folder without intent files (examples/traces in examples/*) adds none;
            # arguments that add none at all are a usage error, below
            out += [Input(f, format_of_name(f) or Format.json) for f in _folder_files(path)]
            folders.append(path)
            continue
        fmt = forced or format_of_name(path)
        if fmt is None:
            raise UsageError(
                f"cannot tell the format of {_quoted(path)}: name it {extensions_help()}, "
                "or pass --format"
            )
        if not os.access(path, os.R_OK):
            raise UsageError(f"file {_quoted(path)} is not readable")
        out.append(Input(path, fmt))
    if not out and folders:
        names = ", ".join(_quoted(f) for f in folders)
        raise UsageError(f"no intent files in {names} ({extensions_help()})")
    return out


def preflight(path: Path, override: Format | str | None = None) -> str:
    """The format of the one file *path* names (a usage error if it cannot be read as one)."""
    items = inputs_of([path], override)
    if len(items) != 1:
        raise UsageError(f"{_quoted(path)} is a folder: name the intent files")
    return items[0].format.value


def _working_directory() -> Path | None:
    try:
        return Path.cwd()
    except OSError:  # deleted while we run in it
        return None


def load_input(
    item: Input,
    max_bytes: int | None = None,
    budgets: Mapping[str, int] | None = None,
    stdin: BinaryIO | None = None,
    templates: Mapping[str, str] | None = None,
) -> ValidatedIntent:
    """Validate one input; raises ValidationFailed, every problem located at it."""
    if not item.stdin:
        return load_path(
            item.path, item.format, max_bytes=max_bytes, budgets=budgets, templates=templates
        )
    limit = limit_of(max_bytes)
    stream = stdin or (sys.stdin.buffer if sys.stdin is not None else None)
    if stream is None:
        environment_error("standard input (-) is closed")
    try:
        data = read_stream(stream, limit)
    except ValidationFailed as failed:
        raise failed.located(STDIN_SOURCE) from None
    return load(
        data,
        item.format,
        STDIN_SOURCE,
        base_dir=_working_directory(),
        max_bytes=limit,
        budgets=budgets,
        templates=templates,
    )


def load_file(
    path: Path,
    fmt: str | None = None,
    max_bytes: int | None = None,
    stdin: BinaryIO | None = None,
) -> ValidatedIntent:
    """Validate one named file (``-``: standard input); raises ValidationFailed located at it."""
    (item,) = inputs_of([path], fmt)
    return load_input(item, max_bytes, stdin=stdin)
