"""The intent store: numbered revisions of the intent in SQL (the only code that speaks SQL).

Each commit is one transaction that writes one revision: who, when, through
which channel, an optional label and comment, and the configuration. A
revision is stored as a compressed delta of entries against its parent
(:mod:`.document`), with a full snapshot every :data:`SNAPSHOT_EVERY`
revisions so that reading any revision replays a bounded number of deltas.

Revisions are linear: a revision's number is its parent's plus one. A writer
states the parent its change was based on; if another writer committed
first, the commit fails with :class:`Conflict` naming the revision it raced
(optimistic concurrency: checked inside the transaction, and the primary key
makes two inserts of the same number impossible even on PostgreSQL under
READ COMMITTED).

A store keeps the last revision it read or wrote (usually the head) in
memory, keyed by number and digest, with each entry's JSON text: a commit
on top of it compares, digests and serialises only the entries that changed
(:class:`.document.Texts`), and never reads back what it wrote.

SQLite (a file; the default) and PostgreSQL (a URL) are both supported.
Migrations (Alembic) are applied when a store opens. Every failure a user
can meet (a corrupt or foreign file, a locked database, an unreachable
server, a schema newer than this micronf) is a :class:`StoreError` with a
one-line message.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from . import document
from .schema import revisions, state

#: A full snapshot is written every this many revisions (and for the first).
SNAPSHOT_EVERY = 32

#: Seconds a writer waits for another one's lock before giving up (SQLite).
LOCK_TIMEOUT_S = 10.0

CHANNELS = ("file", "netconf", "cli", "rollback")

_T = TypeVar("_T")


class StoreError(Exception):
    """A store that cannot be used; the message is one line for the user."""


class Conflict(StoreError):
    """Another writer committed since the revision a change was based on."""

    def __init__(self, message: str, head: int | None) -> None:
        super().__init__(message)
        self.head = head


class NotFound(StoreError):
    """No such revision."""


@dataclass(frozen=True)
class RevisionInfo:
    """A revision without its configuration (what ``history`` lists)."""

    number: int
    parent: int | None
    created: datetime
    author: str
    channel: str
    label: str | None
    comment: str | None
    digest: str
    stored_bytes: int
    summary: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.number,
            "parent": self.parent,
            "created": self.created.isoformat(),
            "author": self.author,
            "channel": self.channel,
            "label": self.label,
            "comment": self.comment,
            "digest": self.digest,
            "stored-bytes": self.stored_bytes,
            "summary": dict(self.summary),
        }


@dataclass(frozen=True)
class Revision(RevisionInfo):
    """A revision with its configuration: RFC 7951 JSON text of the user's intent."""

    config: str = "{}"

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.config)
        return data


@dataclass
class _Cached:
    """A revision's configuration kept in memory, keyed by number and digest."""

    number: int
    digest: str
    entries: document.Entries
    config: str | None = None


def default_path() -> Path:
    """Where the store lives unless ``--db`` or ``MICRONF_DB`` says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "micronf" / "intent.db"


def resolve_url(where: str | os.PathLike[str] | None = None) -> str:
    """A SQLAlchemy URL from a path, a URL, ``MICRONF_DB`` or the default path."""
    text = os.fspath(where) if where is not None else os.environ.get("MICRONF_DB") or ""
    if not text:
        text = str(default_path())
    if "://" in text:
        if text.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    return f"sqlite:///{Path(text).expanduser().absolute()}"


def describe(url: str) -> str:
    """The URL as shown to users: a path for SQLite, no password for a server."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    return parsed.render_as_string(hide_password=True).replace("+psycopg", "")


class Store:
    """An open intent store. Thread-safe; one per process is enough."""

    def __init__(self, engine: Engine, list_keys: Mapping[str, tuple[str, ...]]) -> None:
        self.engine = engine
        # Writes take SQLite's write lock at BEGIN (see _engine).
        self._writer = engine.execution_options(micronf_write=True)
        self.url = str(engine.url)
        self.where = describe(self.url)
        self.backend = engine.url.get_backend_name()
        self._list_keys = dict(list_keys)
        self._lock = threading.Lock()
        # The last revision read or written (usually the head), and each of its
        # entries' JSON text: the next commit costs the size of its change.
        self._cache: _Cached | None = None
        self._texts = document.Texts()

    # ------------------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        where: str | os.PathLike[str] | None = None,
        *,
        list_keys: Mapping[str, tuple[str, ...]] | None = None,
    ) -> Store:
        """Open (creating and migrating as needed) the store at a path or URL.

        *list_keys* tells which lists split a configuration into entries;
        by default those of micronf's YANG modules.
        """
        url = resolve_url(where)
        if list_keys is None:
            from micronf.yang import default_validator

            list_keys = default_validator().list_keys()
        engine = _engine(url)
        store = cls(engine, list_keys)
        store._guard(store._migrate)
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _migrate(self) -> None:
        cfg = _alembic_config()
        script = ScriptDirectory.from_config(cfg)
        known = {rev.revision for rev in script.walk_revisions()}
        with self._writer.begin() as conn:
            if self.backend == "postgresql":
                # Several controllers may start at once: one migrates, the others wait.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7208315)"))
            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None and current not in known:
                raise StoreError(
                    f"the store {self.where} has schema revision {current}, newer than this "
                    f"micronf knows (up to {script.get_current_head()}): upgrade micronf"
                )
            if current is None:
                foreign = sorted(set(sa.inspect(conn).get_table_names()) - {"alembic_version"})
                if foreign:
                    raise StoreError(
                        f"{self.where} is not a micronf store: it holds other tables "
                        f"({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''})"
                    )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            rev: str | None = MigrationContext.configure(conn).get_current_revision()
            return rev

    # ------------------------------------------------------------------------- reading

    def head(self) -> Revision | None:
        """The latest revision (NETCONF's running datastore), or None for an empty store."""

        def run() -> Revision | None:
            with self.engine.connect() as conn:
                row = conn.execute(
                    self._select_info().order_by(revisions.c.number.desc()).limit(1)
                ).first()
                return None if row is None else self._revision_of(conn, row)

        return self._guard(run)

    def head_number(self) -> int | None:
        return self._guard(self._head_number)

    def revision(self, number: int) -> Revision:
        def run() -> Revision:
            with self.engine.connect() as conn:
                row = conn.execute(self._select_info().where(revisions.c.number == number)).first()
                if row is None:
                    raise NotFound(f"no revision {number} in {self.where}")
                return self._revision_of(conn, row)

        return self._guard(run)

    def entries(self, number: int, digest: str | None = None) -> Mapping[document.EntryId, Any]:
        """The configuration of revision *number* as entries (:mod:`.document`).

        Shared with the store's cache: read it, never modify it (copy the
        mapping to build a new configuration from it). *digest*, when known
        (a :class:`Revision`'s), saves a query to check the cache against.
        """
        with self._lock:
            cached = self._cache
        if cached is not None and (cached.number, cached.digest) == (number, digest):
            return cached.entries

        def run() -> document.Entries:
            with self.engine.connect() as conn:
                stored = conn.execute(
                    sa.select(revisions.c.digest).where(revisions.c.number == number)
                ).scalar()
                if stored is None:
                    raise NotFound(f"no revision {number} in {self.where}")
                return self._entries(conn, number, str(stored)).entries

        return self._guard(run)

    def config_text(self, entries: Mapping[document.EntryId, Any]) -> str:
        """Compact RFC 7951 JSON text of a configuration given as entries, as the
        store writes a revision's :attr:`Revision.config` (memoised per entry)."""
        with self._lock:
            return self._texts.dumps(dict(entries))

    def history(self, limit: int | None = None) -> list[RevisionInfo]:
        """Revisions, newest first."""

        def run() -> list[RevisionInfo]:
            query = self._select_info().order_by(revisions.c.number.desc())
            if limit is not None:
                query = query.limit(limit)
            with self.engine.connect() as conn:
                return [_info(dict(row._mapping)) for row in conn.execute(query)]

        return self._guard(run)

    @staticmethod
    def _select_info() -> sa.Select[Any]:
        """Every column but the payload, and the payload's size."""
        cols = [c for c in revisions.c if c.name != "payload"]
        return sa.select(*cols, sa.func.length(revisions.c.payload).label("stored_bytes"))

    def _head_number(self) -> int | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(revisions.c.number))).scalar()
            return int(value) if value is not None else None

    def _revision_of(self, conn: Connection, row: Any) -> Revision:
        info = _info(dict(row._mapping))
        cached = self._entries(conn, info.number, info.digest)
        with self._lock:
            if cached.config is None:
                cached.config = self._texts.dumps(cached.entries)
            config = cached.config
        return Revision(**{**info.__dict__, "config": config})

    def _entries(self, conn: Connection, number: int, digest: str) -> _Cached:
        """Revision *number* (whose stored digest is *digest*): from the cache, else
        read from the nearest snapshot and its deltas, and checked against the digest."""
        with self._lock:
            cached = self._cache
            if cached is not None and cached.number == number and cached.digest == digest:
                return cached
        base = conn.execute(
            sa.select(sa.func.max(revisions.c.number)).where(
                revisions.c.number <= number, revisions.c.kind == "snapshot"
            )
        ).scalar()
        if base is None:
            raise StoreError(
                f"the store {self.where} is damaged: revision {number} has no snapshot"
            )
        rows = conn.execute(
            sa.select(revisions.c.number, revisions.c.kind, revisions.c.payload, revisions.c.digest)
            .where(revisions.c.number >= base, revisions.c.number <= number)
            .order_by(revisions.c.number)
        ).all()
        entries: document.Entries = {}
        for row in rows:
            body = json.loads(zlib.decompress(row.payload))
            if row.kind == "snapshot":
                entries = document.from_snapshot(body)
            else:
                entries = document.apply(entries, body)
        with self._lock:
            computed = self._texts.digest(entries)
        if computed != rows[-1].digest or computed != digest:
            raise StoreError(
                f"the store {self.where} is damaged: revision {number} does not match its digest"
            )
        return self._remember(_Cached(number, computed, entries))

    def _remember(self, cached: _Cached) -> _Cached:
        """Make *cached* the one revision kept in memory (usually the head)."""
        with self._lock:
            self._cache = cached
            self._texts.keep_only(cached.entries)
        return cached

    # ------------------------------------------------------------------------- writing

    def commit(
        self,
        config: str | Mapping[str, Any],
        *,
        parent: int | None,
        author: str,
        channel: str,
        label: str | None = None,
        comment: str | None = None,
    ) -> Revision:
        """Write a new revision whose parent is *parent* (None: the first one).

        Raises :class:`Conflict` when *parent* is no longer the head.
        """
        data = json.loads(config) if isinstance(config, str) else dict(config)
        return self.commit_entries(
            document.split(data, self._list_keys),
            parent=parent,
            author=author,
            channel=channel,
            label=label,
            comment=comment,
        )

    def commit_entries(
        self,
        entries: Mapping[document.EntryId, Any],
        *,
        parent: int | None,
        author: str,
        channel: str,
        label: str | None = None,
        comment: str | None = None,
    ) -> Revision:
        """:meth:`commit` of a configuration given as entries (:mod:`.document`).

        The entries are kept (as the cached head): do not modify them afterwards.
        Entries that are the very objects of the parent's (:meth:`entries`) cost
        nothing to compare, digest or serialise.
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        new = dict(entries)
        number = 1 if parent is None else parent + 1

        def run() -> Revision:
            with self._lock:
                cached = self._cache
                digest = self._texts.digest(new)
            if parent is None:
                old = _Cached(0, "", {})
            elif cached is not None and cached.number == parent:
                old = cached  # checked against the stored digest below
            else:
                with self.engine.connect() as conn:
                    head = conn.execute(sa.select(sa.func.max(revisions.c.number))).scalar()
                    if head != parent:
                        raise self._conflict(conn, parent, head)
                    stored = conn.execute(
                        sa.select(revisions.c.digest).where(revisions.c.number == parent)
                    ).scalar()
                    old = self._entries(conn, parent, str(stored))
            payload, summary, stored = self._payload(number, old.entries, new)
            created = datetime.now(UTC)
            try:
                with self._writer.begin() as conn:
                    top = conn.execute(
                        sa.select(revisions.c.number, revisions.c.digest)
                        .order_by(revisions.c.number.desc())
                        .limit(1)
                    ).first()
                    head = None if top is None else int(top.number)
                    if head != parent:
                        raise self._conflict(conn, parent, head)
                    if top is not None and top.digest != old.digest:
                        # the cached parent is not what the database holds (it was
                        # replaced under us): read the parent again
                        old = self._entries(conn, int(top.number), str(top.digest))
                        payload, summary, stored = self._payload(number, old.entries, new)
                    conn.execute(
                        revisions.insert().values(
                            number=number,
                            parent=parent,
                            created_at=created,
                            author=author,
                            channel=channel,
                            label=label,
                            comment=comment,
                            kind=_kind(number),
                            payload=payload,
                            digest=digest,
                            summary=json.dumps(summary),
                        )
                    )
            except exc.IntegrityError:
                # Another writer inserted the same number between our check and insert.
                with self.engine.connect() as conn:
                    head = conn.execute(sa.select(sa.func.max(revisions.c.number))).scalar()
                    raise self._conflict(conn, parent, head) from None
            cached_new = self._remember(_Cached(number, digest, stored))
            with self._lock:
                cached_new.config = self._texts.dumps(stored)
            # what reading it back would give, without reading it back
            return Revision(
                number=number,
                parent=parent,
                created=created,
                author=author,
                channel=channel,
                label=label,
                comment=comment,
                digest=digest,
                stored_bytes=len(payload),
                summary=summary,
                config=cached_new.config,
            )

        return self._guard(run)

    @staticmethod
    def _payload(
        number: int, old: document.Entries, new: document.Entries
    ) -> tuple[bytes, dict[str, int], document.Entries]:
        """The stored payload of revision *number* (a snapshot or a delta), its summary,
        and *new* in the order reading the revision back gives."""
        change = document.delta(old, new)
        stored = document.apply(old, change)
        body = document.snapshot(stored) if _kind(number) == "snapshot" else change
        payload = zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)
        return payload, _summary(old, change), stored

    def _conflict(self, conn: Connection, parent: int | None, head: int | None) -> Conflict:
        if head is None or (parent is not None and parent > head):
            return Conflict(
                f"revision {parent} does not exist in {self.where} (head: {head})",
                None if head is None else int(head),
            )
        row = conn.execute(
            sa.select(revisions.c.author, revisions.c.channel, revisions.c.created_at).where(
                revisions.c.number == (parent or 0) + 1
            )
        ).first()
        based = f"revision {parent}" if parent is not None else "an empty store"
        who = f" by {row.author} ({row.channel})" if row is not None else ""
        return Conflict(
            f"conflict: revision {(parent or 0) + 1} was committed{who} after {based}, which "
            f"this change was based on; the head is now revision {head}: "
            "apply the change again on top of it",
            int(head),
        )

    # --------------------------------------------------------------- controller state

    def get_state(self, key: str) -> str | None:
        def run() -> str | None:
            with self.engine.connect() as conn:
                value = conn.execute(sa.select(state.c.value).where(state.c.key == key)).scalar()
                return str(value) if value is not None else None

        return self._guard(run)

    def put_state(self, key: str, value: str | None) -> None:
        """Set (or with None, remove) one item of controller state, atomically."""

        def run() -> None:
            with self._writer.begin() as conn:
                conn.execute(state.delete().where(state.c.key == key))
                if value is not None:
                    conn.execute(
                        state.insert().values(key=key, value=value, updated_at=datetime.now(UTC))
                    )

        self._guard(run)

    # ------------------------------------------------------------------------ errors

    def _guard(self, fn: Callable[[], _T]) -> _T:
        """Run *fn*, turning database failures into one-line :class:`StoreError`s."""
        try:
            return fn()
        except StoreError:
            raise
        except exc.OperationalError as e:
            raise StoreError(_operational(self.where, self.backend, e)) from None
        except exc.DatabaseError as e:
            text = str(e.orig) if e.orig is not None else str(e)
            if "file is not a database" in text or "malformed" in text:
                raise StoreError(
                    f"{self.where} is not a micronf store (not an SQLite database, or damaged)"
                ) from None
            raise StoreError(f"store {self.where}: {_first_line(text)}") from None


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        on_disk = bool(path) and path != ":memory:"
        # Connections are kept open (a pool): opening one costs a few PRAGMAs,
        # and closing the last one checkpoints the WAL into the database file,
        # with its own fsync, on every statement. SQLite checkpoints
        # on its own every 1000 pages instead; closing the store checkpoints.
        engine = sa.create_engine(
            url,
            connect_args={"timeout": LOCK_TIMEOUT_S, "isolation_level": None},
            poolclass=sa.pool.QueuePool if on_disk else sa.pool.NullPool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL: readers never block the writer; a killed writer leaves the
            # previous commit intact. FULL: a commit survives power loss too.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(LOCK_TIMEOUT_S * 1000)}")
            cur.close()
            record.info["owner"] = (os.getpid(), _file_id(path))

        @event.listens_for(engine, "checkout")
        def _on_checkout(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
            # A kept connection is only good in the process that opened it and
            # while the path still names the same file (a database restored or
            # replaced under a running controller is opened anew).
            if on_disk and record.info.get("owner") != (os.getpid(), _file_id(path)):
                raise exc.DisconnectionError("the database file changed")

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A writer takes the write lock at BEGIN: two writers serialise
            # instead of both reading the same head and one failing to upgrade
            # its lock. Readers begin deferred and never block anyone (WAL).
            write = conn.get_execution_options().get("micronf_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5, "application_name": "micronf"},
    )


def _file_id(path: str | None) -> tuple[int, int] | None:
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    return None if st is None else (st.st_dev, st.st_ino)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def _info(row: Mapping[str, Any]) -> RevisionInfo:
    created = row["created_at"]
    if created.tzinfo is None:  # SQLite keeps no time zone; we always write UTC
        created = created.replace(tzinfo=UTC)
    return RevisionInfo(
        number=int(row["number"]),
        parent=row["parent"],
        created=created,
        author=row["author"],
        channel=row["channel"],
        label=row["label"],
        comment=row["comment"],
        digest=row["digest"],
        stored_bytes=int(row["stored_bytes"]),
        summary=json.loads(row["summary"] or "{}"),
    )


def _kind(number: int) -> str:
    """Revisions 1, 1 + SNAPSHOT_EVERY, ... are snapshots; the others deltas."""
    return "snapshot" if number % SNAPSHOT_EVERY == 1 else "delta"


def _summary(old: document.Entries, change: Mapping[str, Any]) -> dict[str, int]:
    added = sum(1 for t, m, k, _ in change["set"] if (t, m, k) not in old)
    return {
        "added": added,
        "changed": len(change["set"]) - added,
        "removed": len(change["del"]),
    }


def _first_line(text: str) -> str:
    return " ".join(text.strip().splitlines()[0].split()) if text.strip() else "error"


def _operational(where: str, backend: str, e: exc.OperationalError) -> str:
    text = str(e.orig) if e.orig is not None else str(e)
    if "database is locked" in text:
        return (
            f"the store {where} is locked by another process "
            f"(waited {LOCK_TIMEOUT_S:g} s); try again"
        )
    if "unable to open database file" in text:
        return f"cannot open the store {where}: check the path and its permissions"
    if "file is not a database" in text:
        return f"{where} is not a micronf store (not an SQLite database, or damaged)"
    if backend == "postgresql":
        return f"cannot reach the PostgreSQL store {where}: {_first_line(text)}"
    return f"store {where}: {_first_line(text)}"
