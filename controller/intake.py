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
    MAX_INPUT_BYTES,
    Problem,
    ValidatedIntent,
    ValidationFailed,
    validate_instance,
)
from micronf.yang.validate import check_text, too_large

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


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _not_a_file(mode: int) -> ValidationFailed:
    return ValidationFailed(
        [
            Problem(
                f"{_kind(mode)}, not a regular file: micronf reads regular files only",
                app_tag="micronf-not-a-file",
            )
        ]
    )


def _cannot_read(exc: OSError) -> ValidationFailed:
    return ValidationFailed([Problem(f"cannot read: {exc.strerror or exc}")])


def _check_file(path: Path, limit: int) -> None:
    """Refuse what is not a regular file, or is over *limit* bytes, unopened."""
    try:
        st = os.stat(path)  # follows symbolic links, to what would be read
    except OSError as exc:
        raise _cannot_read(exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_a_file(st.st_mode)
    if st.st_size > limit:
        raise too_large(limit, st.st_size)


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of the regular file *path*, refused if over *limit*.

    The file is checked before it is opened and again, on the open file,
    after (it may have been replaced meanwhile); opening does not block
    even if it has become a FIFO, and at most ``limit + 1`` bytes are read.
    """
    _check_file(path, limit)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _cannot_read(exc) from None
    with os.fdopen(fd, "rb") as f:
        try:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise _not_a_file(st.st_mode)
            data = _read_at_most(f, limit + 1)
        except OSError as exc:
            raise _cannot_read(exc) from None
    if len(data) > limit:
        raise too_large(limit)
    return data


def _read_at_most(stream: BinaryIO, count: int) -> bytes:
    """Up to *count* bytes, read in chunks: a huge *count* allocates nothing."""
    chunks = []
    left = count
    while left > 0:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_stream(stream: BinaryIO, limit: int) -> bytes:
    try:
        data = _read_at_most(stream, limit + 1)
    except OSError as exc:
        raise _cannot_read(exc) from None
    if len(data) > limit:
        raise too_large(limit)
    return data


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
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    source = STDIN_SOURCE if is_stdin(path) else str(path)
    try:
        if is_stdin(path):
            data = _read_stream(stdin or sys.stdin.buffer, limit)
            if kind == "tosca":
                return _load_tosca_bytes(data, source, limit)
        elif kind == "tosca":
            _check_file(path, limit)
            return _load_tosca_file(path, limit)
        else:
            data = read_limited(path, limit)
        return validate_instance(data, kind, max_bytes=limit)
    except ValidationFailed as failed:
        raise failed.located(source) from None
