"""Datastore locks (RFC 6241 section 7.5), held per session, enforced on writes.

The table knows the datastores the server has (``running``, ``candidate``)
and which session holds each; it does not know what a datastore holds.
Whoever owns the datastores may refuse a lock for its own reasons
(``candidate`` with changes of another session) through *may_lock*, and
hears of every release (to discard a released candidate) through
*on_release*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from micronf.yang import ErrorTag, ErrorType

from .errors import RpcError


@dataclass
class LockTable:
    datastores: tuple[str, ...]
    #: (datastore, session id) -> a reason to refuse the lock, or None.
    may_lock: Callable[[str, int], str | None] = lambda _ds, _sid: None
    #: Called with (datastore, session id, whether the session ended) on each release.
    on_release: Callable[[str, int, bool], None] = lambda _ds, _sid, _ended: None
    _held: dict[str, int] = field(default_factory=dict)
    _since: dict[str, datetime] = field(default_factory=dict)

    def since(self, datastore: str) -> datetime | None:
        """When the current lock on *datastore* was taken."""
        return self._since.get(datastore)

    def holder(self, datastore: str) -> int | None:
        return self._held.get(datastore)

    def _known(self, datastore: str) -> None:
        if datastore not in self.datastores:
            raise RpcError.of(
                ErrorTag.invalid_value,
                f"no datastore {datastore!r} (this server has {', '.join(self.datastores)})",
                error_type=ErrorType.protocol,
            )

    def lock(self, datastore: str, session_id: int) -> None:
        self._known(datastore)
        holder = self._held.get(datastore)
        if holder is not None:
            raise RpcError.of(
                ErrorTag.lock_denied,
                f"{datastore} is locked by session {holder}",
                info={"session-id": str(holder)},
            )
        reason = self.may_lock(datastore, session_id)
        if reason:
            raise RpcError.of(ErrorTag.lock_denied, reason, info={"session-id": "0"})
        self._held[datastore] = session_id
        self._since[datastore] = datetime.now(UTC)

    def unlock(self, datastore: str, session_id: int) -> None:
        self._known(datastore)
        holder = self._held.get(datastore)
        if holder != session_id:
            what = "not locked" if holder is None else f"locked by session {holder}"
            raise RpcError.of(
                ErrorTag.operation_failed, f"{datastore} is {what}, not by this session"
            )
        del self._held[datastore]
        self.on_release(datastore, session_id, False)

    def check_write(self, datastore: str, session_id: int) -> None:
        """Refuse a write to *datastore* locked by another session (``in-use``)."""
        holder = self._held.get(datastore)
        if holder is not None and holder != session_id:
            raise RpcError.of(
                ErrorTag.in_use,
                f"{datastore} is locked by session {holder}",
                error_type=ErrorType.protocol,
                info={"session-id": str(holder)},
            )

    def release_all(self, session_id: int) -> None:
        """Release every lock of a session that ended (or was killed)."""
        for datastore, holder in list(self._held.items()):
            if holder == session_id:
                del self._held[datastore]
                self.on_release(datastore, session_id, True)
