"""The NETCONF datastores of the controller: running, candidate, confirmed commit.

``running`` *is* the head revision of the store: reading it reads the
store, writing it commits a new revision (author = the SSH user, channel
``netconf``). ``candidate`` is a scratch copy shared by all sessions; while
nobody has changed it, it follows running, and once changed it is kept in
the store's key/value state so that it survives a controller restart.

A confirmed commit (RFC 6241 section 8.4, ``:confirmed-commit:1.1``) is a
small state machine, also kept in the store's state::

    idle --commit confirmed--> armed --commit (confirming)--> idle
                                 |  \\--commit confirmed (extends)--> armed
                                 |--cancel-commit / timeout / session lost--> reverted (idle)

While armed it remembers the revision to go back to, the deadline, and
either the ``persist`` token or the session that owns it. Going back is a
new revision with the old configuration (the store never rewrites
history). After a restart an armed commit with ``persist`` is armed again
with the time it had left; one bound to a session is reverted at once,
since that session is gone.

Nothing here speaks XML or knows sessions beyond their ids; the NETCONF
operations in :mod:`micronf.controller.northbound` translate.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from micronf.yang import ErrorTag, ErrorType, Problem, ValidationFailed, Validator

from .store import Conflict

log = logging.getLogger("micronf.controller")

CHANNEL = "netconf"
#: Channel of the revision a reverted confirmed commit leaves (author "micronf").
REVERT_CHANNEL = "rollback"
CANDIDATE_KEY = "netconf.candidate"
CONFIRMED_KEY = "netconf.confirmed-commit"
#: RFC 6241: the default confirm-timeout, in seconds.
DEFAULT_CONFIRM_TIMEOUT = 600


class RevisionLike(Protocol):
    @property
    def number(self) -> int: ...

    @property
    def config(self) -> str: ...


class StoreLike(Protocol):
    """What the datastores need of :class:`micronf.controller.store.Store`."""

    def head(self) -> Any: ...

    def head_number(self) -> int | None: ...

    def revision(self, number: int) -> Any: ...

    def commit(
        self,
        config: str,
        *,
        parent: int | None,
        author: str,
        channel: str,
        label: str | None = None,
        comment: str | None = None,
    ) -> Any: ...

    def get_state(self, key: str) -> str | None: ...

    def put_state(self, key: str, value: str | None) -> None: ...


class DatastoreError(Exception):
    """A refused datastore operation, as problems with NETCONF error tags."""

    def __init__(self, problems: list[Problem], info: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.info = info or {}

    @classmethod
    def of(
        cls,
        tag: ErrorTag,
        message: str,
        *,
        error_type: ErrorType = ErrorType.protocol,
        info: dict[str, str] | None = None,
    ) -> DatastoreError:
        return cls([Problem(message, error_type=error_type, error_tag=tag)], info)


@dataclass
class ConfirmedCommit:
    """An armed confirmed commit, as kept in the store's state."""

    rollback_revision: int | None
    rollback_config: str
    deadline: float
    persist: str | None
    session: int | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ConfirmedCommit:
        return cls(**json.loads(text))


#: (event, details) for confirmed-commit events: start, extend, complete, cancel, timeout.
ConfirmedListener = Callable[[str, ConfirmedCommit, str | None], None]
#: (old config, new config, author, session id) after running changed.
CommitListener = Callable[[str, str, str, int | None], None]


def _rev_number(rev: Any) -> int:
    return int(getattr(rev, "number", getattr(rev, "id", 0)))


def _rev_config(rev: Any) -> str:
    return str(rev.config)


class Datastores:
    """Running, candidate and the confirmed-commit state, over one store."""

    def __init__(
        self,
        store: StoreLike,
        validator: Validator | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.validator = validator or Validator()
        self._valid: OrderedDict[bytes, None] = OrderedDict()
        self._head: Any = None
        # This process is the candidate's only writer: read once, then written through.
        self._candidate: str | None = None
        self._candidate_read = False
        self._pending: str | None = None
        self._pending_read = False
        self.clock = clock
        self._timer: asyncio.TimerHandle | None = None
        #: Sessions that changed the candidate since it last followed running.
        self.candidate_editors: set[int] = set()
        self.commit_listeners: list[CommitListener] = []
        self.confirmed_listeners: list[ConfirmedListener] = []

    def validate(self, config: str) -> None:
        """The one validation path (libyang + graph checks); raises ValidationFailed.

        An empty datastore is valid: deleting every chain is a configuration too.
        Validation is a pure function of the configuration, so the last few
        valid ones are remembered: a ``<commit>`` right after an edit that
        was validated (test-then-set) or a ``<validate>`` costs nothing again.
        """
        digest = hashlib.sha256(config.encode()).digest()
        if digest in self._valid:
            self._valid.move_to_end(digest)
            return
        tree = self.validator.parse(config, "json")
        if not tree.empty:
            self.validator.validate(tree)
        self._valid[digest] = None
        if len(self._valid) > 32:
            self._valid.popitem(last=False)

    # -- running -------------------------------------------------------------------

    def head(self) -> Any:
        """The head revision; rebuilt from the store only when its number changed
        (a revision is immutable, and asking for the number is one cheap query)."""
        number = self.store.head_number()
        if number is None:
            return None
        if self._head is None or _rev_number(self._head) != number:
            self._head = self.store.revision(number)
        return self._head

    def running(self) -> str:
        head = self.head()
        return _rev_config(head) if head is not None else "{}"

    def running_revision(self) -> int | None:
        head = self.head()
        return _rev_number(head) if head is not None else None

    def _store_running(
        self,
        config: str,
        author: str,
        session: int | None,
        comment: str | None = None,
        channel: str = CHANNEL,
    ) -> Any:
        """Commit *config* (validated by the caller) as a new revision."""
        old = self.running()
        head = self.head()
        parent = _rev_number(head) if head is not None else None
        try:
            rev = self.store.commit(
                config, parent=parent, author=author, channel=channel, comment=comment
            )
        except Conflict as exc:  # another writer (micronf apply, a replica) was first
            raise DatastoreError.of(
                ErrorTag.in_use,
                f"running changed while this commit was prepared ({exc}); try again",
                error_type=ErrorType.application,
            ) from None
        for listener in self.commit_listeners:
            listener(old, config, author, session)
        return rev

    def write_running(self, config: str, author: str, session: int | None) -> Any:
        """Validate and commit *config* as running (edit-config / copy-config on running)."""
        self._refuse_while_armed(session, None, "change running")
        self.validate(config)
        return self._store_running(config, author, session)

    # -- candidate -----------------------------------------------------------------

    def _kept_candidate(self) -> str | None:
        if not self._candidate_read:
            self._candidate = self.store.get_state(CANDIDATE_KEY)
            self._candidate_read = True
        return self._candidate

    def _keep_candidate(self, config: str | None) -> None:
        self.store.put_state(CANDIDATE_KEY, config)
        self._candidate, self._candidate_read = config, True

    def candidate(self) -> str:
        kept = self._kept_candidate()
        return kept if kept is not None else self.running()

    @property
    def candidate_changed(self) -> bool:
        return self._kept_candidate() is not None

    def write_candidate(self, config: str, session: int | None) -> None:
        if config == self.running():  # back to running: nothing uncommitted any more
            self.discard_changes()
            return
        self._keep_candidate(config)
        if session is not None:
            self.candidate_editors.add(session)

    def discard_changes(self) -> None:
        if self._kept_candidate() is not None:
            self._keep_candidate(None)
        self.candidate_editors.clear()

    def may_lock(self, datastore: str, session: int) -> str | None:
        """RFC 6241 7.5: no candidate lock while others' changes are uncommitted."""
        if datastore == "candidate" and self.candidate_changed:
            others = self.candidate_editors - {session}
            if others or not self.candidate_editors:
                return "the candidate holds uncommitted changes (discard or commit them first)"
        return None

    # -- commit and confirmed commit -----------------------------------------------

    def pending(self) -> ConfirmedCommit | None:
        if not self._pending_read:
            self._pending = self.store.get_state(CONFIRMED_KEY)
            self._pending_read = True
        return ConfirmedCommit.from_json(self._pending) if self._pending else None

    def _keep_pending(self, state: ConfirmedCommit | None) -> None:
        text = state.to_json() if state is not None else None
        self.store.put_state(CONFIRMED_KEY, text)
        self._pending, self._pending_read = text, True

    def _refuse_while_armed(self, session: int | None, persist_id: str | None, what: str) -> None:
        pending = self.pending()
        if pending is None:
            return
        if pending.persist is not None:
            if persist_id == pending.persist:
                return
            raise DatastoreError.of(
                ErrorTag.in_use,
                f"cannot {what}: a confirmed commit is pending (give its persist-id)",
            )
        if pending.session != session:
            raise DatastoreError.of(
                ErrorTag.in_use,
                f"cannot {what}: a confirmed commit of session {pending.session} is pending",
                info={"session-id": str(pending.session)},
            )

    def commit(
        self,
        author: str,
        session: int | None,
        *,
        confirmed: bool = False,
        timeout: int = DEFAULT_CONFIRM_TIMEOUT,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> Any:
        """``<commit>``: candidate -> running; confirmed, extending or confirming.

        Returns the new revision (None when nothing had to be stored).
        """
        pending = self.pending()
        if pending is not None:
            self._refuse_while_armed(session, persist_id, "commit")
        elif persist_id is not None:
            raise DatastoreError.of(
                ErrorTag.invalid_value,
                "persist-id given but no confirmed commit is pending",
                info={"bad-element": "persist-id"},
            )
        candidate = self.candidate()
        self.validate(candidate)  # a failed commit arms nothing and changes nothing
        before = (self.running_revision(), self.running())
        rev = None
        if candidate != before[1] or before[0] is None:
            rev = self._store_running(candidate, author, session)
        self.discard_changes()
        if confirmed:
            state = ConfirmedCommit(
                rollback_revision=pending.rollback_revision if pending else None,
                rollback_config=pending.rollback_config if pending else "",
                deadline=self.clock() + timeout,
                persist=persist,
                session=None if persist is not None else session,
            )
            if pending is None:
                # The rollback point is running before the first confirmed commit.
                state.rollback_revision, state.rollback_config = before
            self._keep_pending(state)
            self._arm(state)
            self._emit("extend" if pending else "start", state, None)
        elif pending is not None:
            self._keep_pending(None)
            self._disarm()
            self._emit("complete", pending, None)
        return rev

    def cancel_commit(self, session: int | None, persist_id: str | None) -> Any:
        """``<cancel-commit>``: revert the pending confirmed commit now."""
        pending = self.pending()
        if pending is None:
            raise DatastoreError.of(
                ErrorTag.operation_failed,
                "no confirmed commit is pending",
                error_type=ErrorType.protocol,
            )
        if pending.persist is not None and persist_id != pending.persist:
            raise DatastoreError.of(
                ErrorTag.invalid_value,
                "cancel-commit of a persistent confirmed commit needs its persist-id",
                info={"bad-element": "persist-id"},
            )
        if pending.persist is None and pending.session != session:
            raise DatastoreError.of(
                ErrorTag.invalid_value,
                f"the confirmed commit belongs to session {pending.session}",
                info={"session-id": str(pending.session)},
            )
        return self._revert(pending, "cancel", "confirmed commit cancelled")

    def session_ended(self, session: int) -> None:
        """A session ended: its candidate edits are forgotten; its confirmed commit reverts."""
        self.candidate_editors.discard(session)
        pending = self.pending()
        if pending is not None and pending.persist is None and pending.session == session:
            self._revert(pending, "cancel", f"session {session} ended before confirming")

    def _revert(self, pending: ConfirmedCommit, event: str, why: str) -> Any:
        # The old configuration is stored before the armed state is cleared: a
        # crash in between reverts again at the next start, which is harmless.
        self._disarm()
        rev = None
        if pending.rollback_config != self.running():
            back = pending.rollback_revision
            rev = self._store_running(
                pending.rollback_config or "{}",
                "micronf",
                None,
                comment=f"{why}; back to revision {back}" if back else why,
                channel=REVERT_CHANNEL,
            )
        self._keep_pending(None)
        self.discard_changes()
        log.info("confirmed commit reverted: %s", why)
        self._emit(event, pending, why)
        return rev

    def _expired(self) -> None:
        self._timer = None
        pending = self.pending()
        if pending is None:
            return
        if pending.deadline > self.clock() + 0.001:  # extended meanwhile
            self._arm(pending)
            return
        self._revert(pending, "timeout", "confirm-timeout expired")

    def _arm(self, state: ConfirmedCommit) -> None:
        self._disarm()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a command-line use): start() arms it later
        self._timer = loop.call_later(max(0.0, state.deadline - self.clock()), self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def start(self) -> None:
        """On a running loop at controller start: re-arm or revert what a restart left."""
        pending = self.pending()
        if pending is None:
            return
        if pending.persist is None:
            self._revert(
                pending, "cancel", "the controller restarted before the commit was confirmed"
            )
        elif pending.deadline <= self.clock():
            self._revert(
                pending, "timeout", "confirm-timeout expired while the controller was down"
            )
        else:
            self._arm(pending)

    def stop(self) -> None:
        self._disarm()

    def _emit(self, event: str, state: ConfirmedCommit, why: str | None) -> None:
        for listener in self.confirmed_listeners:
            listener(event, state, why)


__all__ = [
    "CHANNEL",
    "DEFAULT_CONFIRM_TIMEOUT",
    "ConfirmedCommit",
    "DatastoreError",
    "Datastores",
    "StoreLike",
    "ValidationFailed",
]
