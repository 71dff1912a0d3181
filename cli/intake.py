"""Reading intent files: the format is chosen by extension, validation is one path.

``.yaml``/``.yml`` files are TOSCA and go through the translator; ``.xml``
and ``.json`` files are YANG instance data. Either way the result comes
from :func:`micronf.yang.validate_instance`, and every problem is located at
the file it came from.

Only regular files are read (a FIFO would block, ``/dev/zero`` never ends),
and never more than the size limit plus one byte. ``-`` names standard
input, whose format must be given.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from micronf.yang import (
    ValidatedIntent,
    ValidationFailed,
    validate_instance,
)
from micronf.yang.inputs import limit_of, read_regular_file, read_stream
from micronf.yang.validate import cap_problems, check_text

FORMATS = {".yaml": "tosca", ".yml": "tosca", ".xml": "xml", ".json": "json"}

#: The file name that stands for standard input.
STDIN = "-"
#: How problems in standard input are located.
STDIN_SOURCE = "<stdin>"
_CHUNK = 1 << 20


class UsageError(ValueError):
    """A file argument that cannot be used at all: missing, a directory, no format."""


class UnknownFormat(UsageError):
    """The format of a file cannot be told from its name."""


def is_stdin(path: Path | str) -> bool:
    return str(path) == STDIN


def format_of(path: Path, override: str | None = None) -> str:
    if override:
        return override
    if is_stdin(path):
        raise UnknownFormat("standard input (-) has no extension: pass --format tosca|xml|json")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnknownFormat(
            f"cannot tell the format of {path}: name it .yaml/.yml (TOSCA), .xml or .json "
            "(YANG instance data), or pass --format"
        )
    return fmt


def preflight(path: Path, override: str | None = None) -> str:
    """The format of *path*, after checking that it names something to read.

    Raises :class:`UsageError` for a missing file, a directory, an unreadable
    file or an unknown format; other kinds of file (FIFOs, devices) are left
    to :func:`load_file`, which refuses them as invalid input.
    """
    fmt = format_of(path, override)
    if is_stdin(path):
        return fmt
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot access {str(path)!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{str(path)!r} is a directory, not an intent file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"file {str(path)!r} is not readable")
    return fmt


def _load_tosca_file(path: Path, limit: int) -> ValidatedIntent:
    # tosca-parser is slow to import; only TOSCA inputs pay for it.
    from micronf.tosca import load_tosca

    return load_tosca(path, max_bytes=limit)


def _load_tosca_bytes(data: bytes, source: str, limit: int) -> ValidatedIntent:
    from micronf.tosca import load_tosca_text

    text = check_text(data).decode("utf-8")
    return load_tosca_text(text, source, base_dir=Path.cwd(), max_bytes=limit)


def load_file(
    path: Path,
    fmt: str | None = None,
    max_bytes: int | None = None,
    stdin: BinaryIO | None = None,
) -> ValidatedIntent:
    """Validate one intent file (``-``: standard input); raises ValidationFailed located at it."""
    kind = format_of(path, fmt)
    limit = limit_of(max_bytes)
    source = STDIN_SOURCE if is_stdin(path) else str(path)
    try:
        if is_stdin(path):
            data = read_stream(stdin or sys.stdin.buffer, limit)
            if kind == "tosca":
                return _load_tosca_bytes(data, source, limit)
        elif kind == "tosca":
            return _load_tosca_file(path, limit)
        else:
            data = read_regular_file(path, limit)
        return validate_instance(data, kind, max_bytes=limit)
    except ValidationFailed as failed:
        # TOSCA problems found before libyang (shape, imports, tosca-parser)
        # are capped here like those of the YANG path
        raise ValidationFailed(cap_problems(failed.problems)).located(source) from None
