"""micronf.tosca: the micronf TOSCA profile and the TOSCA -> YANG translator."""

from .translate import (
    PROFILE_IMPORT_NAMES,
    SUPPORTED_CRITERIA,
    load_tosca,
    load_tosca_text,
    profile_path,
    translate_file,
    translate_text,
)

__all__ = [
    "PROFILE_IMPORT_NAMES",
    "SUPPORTED_CRITERIA",
    "load_tosca",
    "load_tosca_text",
    "profile_path",
    "translate_file",
    "translate_text",
]
