"""micronf.yang: the YANG modules and the one validation path (libyang).

Everything that enters micronf is validated here; see :mod:`.validate`.
"""

from .context import MODULES, modules_dir, new_context, shared_context
from .errors import ErrorTag, ErrorType, Problem, ValidationFailed
from .inputs import MAX_INPUT_BYTES
from .validate import ValidatedIntent, validate_dict, validate_instance

__all__ = [
    "MAX_INPUT_BYTES",
    "MODULES",
    "ErrorTag",
    "ErrorType",
    "Problem",
    "ValidatedIntent",
    "ValidationFailed",
    "modules_dir",
    "new_context",
    "shared_context",
    "validate_dict",
    "validate_instance",
]
