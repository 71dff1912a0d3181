"""Reading intent files: the format is chosen by extension, validation is one path.

``.yaml``/``.yml`` files are TOSCA and go through the translator; ``.xml``
and ``.json`` files are YANG instance data. Either way the result comes
from :func:`micronf.yang.validate_instance`, and every problem is located at
the file it came from.
"""

from __future__ import annotations

from pathlib import Path

from micronf.yang import Problem, ValidatedIntent, ValidationFailed, validate_instance
from micronf.yang.validate import check_size

FORMATS = {".yaml": "tosca", ".yml": "tosca", ".xml": "xml", ".json": "json"}


class UnknownFormat(ValueError):
    """The format of a file cannot be told from its name."""


def format_of(path: Path, override: str | None = None) -> str:
    if override:
        return override
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnknownFormat(
            f"cannot tell the format of {path}: name it .yaml/.yml (TOSCA), .xml or .json "
            "(YANG instance data), or pass --format"
        )
    return fmt


def load_file(path: Path, fmt: str | None = None, max_bytes: int | None = None) -> ValidatedIntent:
    """Validate one intent file; raises ValidationFailed located at *path*."""
    kind = format_of(path, fmt)
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed([Problem(f"cannot read: {exc.strerror}", source=source)]) from None
    try:
        check_size(data, max_bytes)
        if kind == "tosca":
            # tosca-parser is slow to import; only TOSCA inputs pay for it.
            from micronf.tosca import load_tosca

            return load_tosca(path)
        return validate_instance(data, kind, max_bytes=max_bytes)
    except ValidationFailed as failed:
        raise failed.located(source) from None
