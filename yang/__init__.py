"""micronf.yang: the YANG modules and the one validation path (libyang).

Everything that enters micronf is validated here: :class:`Validator` is the
one libyang adapter (see :mod:`.validator`); :func:`validate_instance` is the
one-shot path for files (see :mod:`.validate`).
"""

from .context import MODULES, modules_dir, new_context
from .errors import ErrorTag, ErrorType, Problem, ValidationFailed
from .inputs import MAX_INPUT_BYTES
from .validate import default_validator, validate_dict, validate_instance
from .validator import Change, DataTree, Phase, ValidatedIntent, Validator

__all__ = [
    "MAX_INPUT_BYTES",
    "MODULES",
    "Change",
    "DataTree",
    "ErrorTag",
    "ErrorType",
    "Phase",
    "Problem",
    "ValidatedIntent",
    "ValidationFailed",
    "Validator",
    "default_validator",
    "modules_dir",
    "new_context",
    "validate_dict",
    "validate_instance",
]
