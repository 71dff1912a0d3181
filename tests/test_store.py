"""The intent store on SQLite and on a real PostgreSQL: revisions, deltas, conflicts,
migrations, damaged and foreign databases, and a writer killed mid-commit."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from intents import EXAMPLE, chains

from micronf.controller.store import Conflict, NotFound, Store, StoreError
from micronf.controller.store import store as store_module


def same(a: str | dict[str, Any], b: dict[str, Any]) -> bool:
    return (json.loads(a) if isinstance(a, str) else a) == b


def test_commit_and_read_back(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert store.head() is None and store.history() == []
        r1 = store.commit(EXAMPLE, parent=None, author="ann", channel="file", label="v1")
        assert (r1.number, r1.parent, r1.author, r1.channel, r1.label) == (
            1,
            None,
            "ann",
            "file",
            "v1",
        )
        assert same(r1.config, EXAMPLE)
        two = chains(2)
        r2 = store.commit(two, parent=1, author="bob", channel="cli", comment="two chains")
        assert r2.parent == 1 and r2.summary == {"added": 2, "changed": 0, "removed": 1}
    with Store.open(store_url) as again:  # a new process's view: nothing cached
        head = again.head()
        assert head is not None and head.number == 2 and same(head.config, two)
        assert same(again.revision(1).config, EXAMPLE)
        assert [r.number for r in again.history()] == [2, 1]
        assert [r.number for r in again.history(limit=1)] == [2]
        with pytest.raises(NotFound):
            again.revision(7)


def test_a_revision_costs_the_size_of_its_change(store_url: str) -> None:
    with Store.open(store_url) as store:
        first = store.commit(chains(200), parent=None, author="a", channel="file")
        second = store.commit(chains(200, changed=7), parent=1, author="a", channel="file")
        assert second.summary == {"added": 0, "changed": 1, "removed": 0}
        assert second.stored_bytes * 20 < first.stored_bytes


def test_every_revision_reads_back_across_snapshots(store_url: str) -> None:
    n = store_module.SNAPSHOT_EVERY + 8
    with Store.open(store_url) as store:
        parent = None
        for i in range(n):
            parent = store.commit(
                chains(5, variant=i, changed=i % 5), parent=parent, author="a", channel="file"
            ).number
    with Store.open(store_url) as fresh:
        for i in range(n):
            assert same(fresh.revision(i + 1).config, chains(5, variant=i, changed=i % 5))


def test_a_stale_parent_is_a_conflict_naming_the_revision_it_raced(store_url: str) -> None:
    with Store.open(store_url) as a, Store.open(store_url) as b:
        a.commit(EXAMPLE, parent=None, author="ann", channel="file")
        a.commit(chains(1), parent=1, author="ann", channel="netconf")
        with pytest.raises(Conflict) as info:
            b.commit(chains(2), parent=1, author="bob", channel="file")
        assert info.value.head == 2
        assert "revision 2 was committed by ann (netconf)" in str(info.value)
        assert b.head_number() == 2


def test_concurrent_writers_never_lose_an_update(store_url: str) -> None:
    with Store.open(store_url) as s:
        s.commit(EXAMPLE, parent=None, author="seed", channel="file")
    writers = 6
    barrier = threading.Barrier(writers)
    results: list[Any] = [None] * writers

    def write(i: int) -> None:
        with Store.open(store_url) as store:
            barrier.wait()
            try:
                results[i] = store.commit(
                    chains(1, variant=i, changed=0), parent=1, author=f"w{i}", channel="cli"
                ).number
            except Conflict as exc:
                results[i] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [r for r in results if isinstance(r, int)]
    assert winners == [2]
    assert all(isinstance(r, Conflict) and r.head == 2 for r in results if not isinstance(r, int))
    with Store.open(store_url) as s:
        assert s.head_number() == 2


def test_controller_state_survives_reopening(store_url: str) -> None:
    with Store.open(store_url) as s:
        assert s.get_state("candidate") is None
        s.put_state("candidate", '{"x": 1}')
        s.put_state("candidate", '{"x": 2}')
    with Store.open(store_url) as s:
        assert s.get_state("candidate") == '{"x": 2}'
        s.put_state("candidate", None)
        assert s.get_state("candidate") is None


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(store_module.resolve_url(url), poolclass=sa.pool.NullPool)


def test_migrations_run_from_the_first_one_upward(store_url: str) -> None:
    cfg = store_module._alembic_config()
    engine = _engine(store_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        assert "state" not in sa.inspect(conn).get_table_names()
    with Store.open(store_url) as s:
        assert s.schema_revision() == "0002"
        r = s.commit(EXAMPLE, parent=None, author="a", channel="file")
        assert r.summary == {"added": 2, "changed": 0, "removed": 0}  # the agent and the chain
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        assert "state" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    with Store.open(store_url) as s:  # and up again, keeping the revision
        assert s.head_number() == 1


def test_a_schema_newer_than_the_code_is_refused(store_url: str) -> None:
    Store.open(store_url).close()
    engine = _engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"schema revision 0099, newer than this micronf"):
        Store.open(store_url)


def test_a_foreign_database_is_refused(store_url: str) -> None:
    engine = _engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id integer primary key)"))
    engine.dispose()
    with pytest.raises(
        StoreError, match=r"is not a micronf store: it holds other tables \(customers\)"
    ):
        Store.open(store_url)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "intent.db"
    bad.write_bytes(b"this is not sqlite\n" * 200)
    with pytest.raises(StoreError, match="is not a micronf store"):
        Store.open(bad)
    assert bad.read_bytes() == b"this is not sqlite\n" * 200


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(f"postgresql://nobody@/x?host={tmp_path}&port=1")
    assert str(info.value).startswith("cannot reach the PostgreSQL store")
    assert "\n" not in str(info.value)


def test_a_locked_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "intent.db"
    Store.open(path).close()
    monkeypatch.setattr(store_module, "LOCK_TIMEOUT_S", 0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # the writer waits for the lock, then gives up with one line (opening
        # already needs the lock: migrations are checked in a write transaction)
        with pytest.raises(StoreError, match="is locked by another process") as info:
            Store.open(path).commit(EXAMPLE, parent=None, author="a", channel="file")
        assert "\n" not in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


WRITER = """
import json, sys
sys.path.insert(0, {tests!r})
from intents import chains
from micronf.controller.store import Store
store = Store.open({url!r})
i = 0
while True:
    head = store.head_number()
    store.commit(chains(300, variant=i, changed=i % 300), parent=head, author="w", channel="cli")
    i += 1
    print(i, flush=True)
"""


def test_a_writer_killed_mid_commit_leaves_the_previous_revision(store_url: str) -> None:
    tests = str(Path(__file__).resolve().parent)
    with Store.open(store_url) as s:
        s.commit(EXAMPLE, parent=None, author="seed", channel="file")
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER.format(tests=tests, url=store_url)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one commit done: the writer is in its loop
        time.sleep(0.05 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        with Store.open(store_url) as s:
            head = s.head()
            assert head is not None
            for n in range(max(1, head.number - 3), head.number + 1):
                s.revision(n)  # every revision still reads back and matches its digest
            s.commit(EXAMPLE, parent=head.number, author="after", channel="file")
