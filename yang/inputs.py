"""The intake layer: formats, the size limit and safe reading, below ``yang`` and ``tosca``.

Every intent enters through here, whatever the command (``validate``,
``apply``) or the channel (a file, standard input, a NETCONF payload):

* :data:`FORMATS` is the one table of input formats: for each, the file
  name extensions that select it, a sniff of its first bytes (so that a
  ``.json`` file holding XML, or a file that is no document at all, is
  named as such without quoting its bytes), and the reader that validates
  it (YANG instance data here, TOSCA in :mod:`micronf.tosca`, imported only
  when a TOSCA input comes: tosca-parser is slow to import);
* :func:`limit_of` is the one place that decides the size limit
  (:data:`MAX_INPUT_BYTES` unless the caller gives one);
* :func:`read_regular_file` and :func:`read_stream` read at most
  ``limit + 1`` bytes, and only from regular files: a FIFO would block a
  reader and ``/dev/zero`` never ends, so anything else is refused before
  it is opened and again on the open descriptor (``O_NONBLOCK`` keeps the
  ``open`` itself from waiting on a FIFO);
* :func:`check_text`: UTF-8 only, a byte-order mark dropped, no NUL bytes.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .errors import ErrorTag, Problem, ValidationFailed

if TYPE_CHECKING:
    from .validator import ValidatedIntent

#: Inputs larger than this are refused before parsing (override per call).
MAX_INPUT_BYTES = 4 * 1024 * 1024

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- the size limit


def limit_of(max_bytes: int | None) -> int:
    """The input size limit in bytes (``None``: :data:`MAX_INPUT_BYTES`)."""
    return MAX_INPUT_BYTES if max_bytes is None else max_bytes


def too_large(limit: int, size: int | None = None) -> ValidationFailed:
    """The error for an input over *limit* bytes (*size* bytes, if known)."""
    what = "input is" if size is None else f"input is {size} bytes,"
    return ValidationFailed(
        [
            Problem(
                f"{what} more than the limit of {limit} bytes (raise it with --max-bytes)",
                app_tag="micronf-input-too-large",
                error_tag=ErrorTag.too_big,
            )
        ]
    )


def check_size(data: bytes, max_bytes: int | None) -> None:
    limit = limit_of(max_bytes)
    if len(data) > limit:
        raise too_large(limit, len(data))


# --------------------------------------------------------------------------- text

_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_WIDE_ENCODINGS = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def _looks_wide(raw: bytes) -> bool:
    """UTF-16 or UTF-32 text: a byte-order mark, or ASCII padded with NULs."""
    if raw.startswith(_WIDE_BOMS):
        return True
    head = raw[:256]
    for enc in _WIDE_ENCODINGS:
        unit = 4 if "32" in enc else 2
        chunk = head[: len(head) // unit * unit]
        try:
            text = chunk.decode(enc)
        except UnicodeDecodeError:
            continue
        if text.strip() and all(c in "\t\n\r" or " " <= c <= "~" for c in text):
            return True
    return False


def check_text(raw: bytes) -> bytes:
    """*raw* without a UTF-8 byte-order mark; refuses what is not UTF-8 text.

    libyang reads UTF-8 only and, given other bytes, reports garbled
    characters; XML 1.0 requires accepting a leading byte-order mark.
    """
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    if _looks_wide(raw):
        raise ValidationFailed(
            [
                Problem(
                    "input is not UTF-8 (looks like UTF-16/32): micronf reads UTF-8 only",
                    app_tag="micronf-bad-encoding",
                    error_tag=ErrorTag.malformed_message,
                )
            ]
        )
    if b"\x00" in raw:
        raise ValidationFailed(
            [
                Problem(
                    "input holds NUL bytes: not a text document",
                    app_tag="malformed-message",
                    error_tag=ErrorTag.malformed_message,
                )
            ]
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValidationFailed(
            [
                Problem(
                    f"input is not valid UTF-8 at byte {exc.start} (line {line})",
                    app_tag="micronf-bad-encoding",
                    line=line,
                    error_tag=ErrorTag.malformed_message,
                )
            ]
        ) from None
    return raw


# --------------------------------------------------------------------------- formats


class Format(StrEnum):
    tosca = "tosca"
    xml = "xml"
    json = "json"


#: A reader: (bytes, source name, folder for relative references, size limit,
#: budgets) -> the validated intent; raises ValidationFailed.
Reader = Callable[..., "ValidatedIntent"]


def _first(raw: bytes) -> bytes:
    """The first significant byte (after a BOM and white space), b'' if none."""
    text = raw[len(_UTF8_BOM) :] if raw.startswith(_UTF8_BOM) else raw
    stripped = text[:4096].lstrip()
    return stripped[:1]


def _sniff_xml(raw: bytes) -> str | None:
    first = _first(raw)
    if first in (b"", b"<"):
        return None
    if first in (b"{", b"["):
        return "it looks like JSON, not XML: name it .json or pass --format json"
    return "it does not look like XML (an XML document starts with '<')"


def _sniff_json(raw: bytes) -> str | None:
    first = _first(raw)
    if first in (b"", b"{", b"["):
        return None
    if first == b"<":
        return "it looks like XML, not JSON: name it .xml or pass --format xml"
    return "it does not look like JSON (YANG JSON data is an object, starting with '{')"


def _sniff_tosca(raw: bytes) -> str | None:
    if _first(raw) == b"<":
        return "it looks like XML, not TOSCA YAML: name it .xml or pass --format xml"
    return None


@dataclass(frozen=True)
class FormatSpec:
    """One input format: how it is recognised and read."""

    format: Format
    extensions: tuple[str, ...]
    description: str
    #: why the first bytes cannot be this format (None: they can)
    sniff: Callable[[bytes], str | None]
    #: "module:function" of the reader, imported on first use
    reader: str


FORMATS: dict[Format, FormatSpec] = {
    spec.format: spec
    for spec in (
        FormatSpec(
            Format.tosca, (".yaml", ".yml"), "TOSCA", _sniff_tosca, "micronf.tosca:read_tosca"
        ),
        FormatSpec(
            Format.xml, (".xml",), "YANG instance data (XML)", _sniff_xml, f"{__name__}:read_xml"
        ),
        FormatSpec(
            Format.json,
            (".json",),
            "YANG instance data (JSON)",
            _sniff_json,
            f"{__name__}:read_json",
        ),
    )
}

_BY_EXTENSION = {ext: spec.format for spec in FORMATS.values() for ext in spec.extensions}


def format_of_name(name: str | os.PathLike[str]) -> Format | None:
    """The format a file name's extension selects, or None."""
    return _BY_EXTENSION.get(Path(name).suffix.lower())


def extensions_help() -> str:
    """``.yaml/.yml (TOSCA), .xml or .json (...)`` for messages."""
    return ", ".join(f"{'/'.join(s.extensions)} ({s.description})" for s in FORMATS.values())


def _reader(fmt: Format) -> Reader:
    module, _, function = FORMATS[fmt].reader.partition(":")
    reader: Reader = getattr(importlib.import_module(module), function)
    return reader


def read_instance(
    data: bytes,
    fmt: Format,
    budgets: Mapping[str, int] | None,
    limit: int,
) -> ValidatedIntent:
    from .validate import validate_instance  # validate imports this module

    return validate_instance(data, fmt.value, max_bytes=limit, budgets=budgets)


def read_xml(
    data: bytes,
    source: str,
    base_dir: Path | None,
    limit: int,
    budgets: Mapping[str, int] | None = None,
) -> ValidatedIntent:
    return read_instance(data, Format.xml, budgets, limit)


def read_json(
    data: bytes,
    source: str,
    base_dir: Path | None,
    limit: int,
    budgets: Mapping[str, int] | None = None,
) -> ValidatedIntent:
    return read_instance(data, Format.json, budgets, limit)


def load(
    data: bytes,
    fmt: Format | str,
    source: str,
    *,
    base_dir: Path | None = None,
    max_bytes: int | None = None,
    budgets: Mapping[str, int] | None = None,
    templates: Mapping[str, str] | None = None,
) -> ValidatedIntent:
    """Validate an input held in memory; every problem is located at ``source``.

    ``templates`` gives the VNFD names of a foreign TOSCA document (a
    Tacker VNFFG descriptor) their micronf templates.

    ``base_dir`` is where relative references (TOSCA imports) are looked
    up; None when there is no such folder (standard input with the working
    directory gone).
    """
    fmt = Format(fmt)
    limit = limit_of(max_bytes)
    try:
        check_size(data, limit)
        check_text(data)  # encoding and NUL bytes are named before a wrong format
        refused = FORMATS[fmt].sniff(data)
        if refused is not None:
            raise ValidationFailed(
                [
                    Problem(
                        refused,
                        app_tag="micronf-wrong-format",
                        error_tag=ErrorTag.malformed_message,
                    )
                ]
            )
        if fmt is Format.tosca:
            return _reader(fmt)(data, source, base_dir, limit, budgets, templates=templates)
        return _reader(fmt)(data, source, base_dir, limit, budgets)
    except ValidationFailed as failed:
        from .validate import cap_problems

        raise ValidationFailed(cap_problems(failed.problems)).located(source) from None


def load_path(
    path: str | os.PathLike[str],
    fmt: Format | str | None = None,
    *,
    max_bytes: int | None = None,
    budgets: Mapping[str, int] | None = None,
    templates: Mapping[str, str] | None = None,
) -> ValidatedIntent:
    """Read and validate one file; relative references are resolved next to it."""
    source = str(path)
    chosen = Format(fmt) if fmt else format_of_name(path)
    if chosen is None:
        raise ValueError(f"cannot tell the format of {source}")
    limit = limit_of(max_bytes)
    try:
        data = read_regular_file(path, limit)
    except ValidationFailed as failed:
        raise failed.located(source) from None
    folder = Path(path).resolve().parent  # imports are relative to the real file
    return load(
        data,
        chosen,
        source,
        base_dir=folder,
        max_bytes=limit,
        budgets=budgets,
        templates=templates,
    )


# --------------------------------------------------------------------------- reading


def _cannot_read(exc: OSError) -> ValidationFailed:
    return ValidationFailed(
        [
            Problem(
                f"cannot read the file: {exc.strerror or exc}",
                error_tag=ErrorTag.operation_failed,
            )
        ]
    )


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
                error_tag=ErrorTag.operation_failed,
            )
        ]
    )


def check_regular_file(path: str | os.PathLike[str], limit: int) -> None:
    """Refuse, unopened, what is not a regular file or is over *limit* bytes."""
    try:
        st = os.stat(path)  # follows symbolic links, to what would be read
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the name
        raise _cannot_read(exc if isinstance(exc, OSError) else OSError(str(exc))) from None
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
