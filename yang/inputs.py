"""Reading an input safely: regular files only, never more than the limit.

Every intent file (the CLI's, a TOSCA document's imports) is read here. A
FIFO would block a reader and ``/dev/zero`` never ends, so anything that is
not a regular file is refused before it is opened and again on the open
descriptor (it may have been swapped meanwhile; ``O_NONBLOCK`` keeps the
``open`` itself from waiting on a FIFO). At most ``limit + 1`` bytes are
read, in chunks, so a huge limit allocates nothing up front.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from .errors import Problem, ValidationFailed
from .validate import MAX_INPUT_BYTES, too_large

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK = 1 << 20


def limit_of(max_bytes: int | None) -> int:
    """The input size limit in bytes (``None``: :data:`MAX_INPUT_BYTES`)."""
    return MAX_INPUT_BYTES if max_bytes is None else max_bytes


def _cannot_read(exc: OSError) -> ValidationFailed:
    return ValidationFailed([Problem(f"cannot read the file: {exc.strerror or exc}")])


def _kind(mode: int) -> str:
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def _not_regular(mode: int) -> ValidationFailed:
    what = _kind(mode)
    return ValidationFailed(
        [
            Problem(
                f"cannot read the file: it is {what}; only regular files are read",
                app_tag="micronf-not-a-file",
            )
        ]
    )


def check_regular_file(path: str | os.PathLike[str], limit: int) -> None:
    """Refuse, unopened, what is not a regular file or is over *limit* bytes."""
    try:
        st = os.stat(path)  # follows symbolic links, to what would be read
    except OSError as exc:
        raise _cannot_read(exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(st.st_mode)
    if st.st_size > limit:
        raise too_large(limit, st.st_size)


def read_at_most(stream: BinaryIO, count: int) -> bytes:
    """Up to *count* bytes of *stream*, read in chunks."""
    chunks = []
    left = count
    while left > 0:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file *path*, refused if over *limit*."""
    check_regular_file(path, limit)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise _cannot_read(exc) from None
    with os.fdopen(fd, "rb") as f:
        try:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(st.st_mode)
            data = read_at_most(f, limit + 1)
        except OSError as exc:
            raise _cannot_read(exc) from None
    if len(data) > limit:
        raise too_large(limit, max(st.st_size, len(data)))
    return data


def read_stream(stream: BinaryIO, limit: int) -> bytes:
    """At most *limit* bytes of a stream (standard input), refused if more."""
    try:
        data = read_at_most(stream, limit + 1)
    except OSError as exc:
        raise _cannot_read(exc) from None
    if len(data) > limit:
        raise too_large(limit)
    return data
