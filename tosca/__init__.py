"""micronf.tosca: the micronf TOSCA profile and the TOSCA -> YANG translator.

Modules: :mod:`.source` (reading, size and encoding checks, the one YAML
parse, source lines), :mod:`.shape` (checks before tosca-parser),
:mod:`.imports` (import resolution and the profile), :mod:`.parser`
(running tosca-parser), :mod:`.criteria` (FP policy criteria -> ingress
match) and :mod:`.translate` (node templates and groups -> chains, and the
entry points).
"""

from .criteria import SUPPORTED_CRITERIA
from .imports import PROFILE_IMPORT_NAMES, profile_path
from .translate import load_tosca, load_tosca_text, read_tosca, translate_file, translate_text

__all__ = [
    "PROFILE_IMPORT_NAMES",
    "SUPPORTED_CRITERIA",
    "load_tosca",
    "load_tosca_text",
    "profile_path",
    "read_tosca",
    "translate_file",
    "translate_text",
]
