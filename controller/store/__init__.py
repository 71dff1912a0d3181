"""The intent store (the only code that speaks SQL): revisions of the intent.

See :mod:`.store`; :mod:`.document` splits an intent into entries and
computes the deltas revisions are stored as.
"""

from .store import (
    CHANNELS,
    Conflict,
    NotFound,
    Revision,
    RevisionInfo,
    Store,
    StoreError,
    default_path,
    describe,
    resolve_url,
)

__all__ = [
    "CHANNELS",
    "Conflict",
    "NotFound",
    "Revision",
    "RevisionInfo",
    "Store",
    "StoreError",
    "default_path",
    "describe",
    "resolve_url",
]
