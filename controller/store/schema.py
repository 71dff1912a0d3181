"""The store's tables (SQLAlchemy Core); migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: One row per revision of the intent. ``number`` is the parent's plus one, so
#: two writers that raced from the same parent collide on the primary key.
revisions = Table(
    "revisions",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("parent", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("label", String(128), nullable=True),
    Column("comment", Text, nullable=True),
    Column("kind", String(8), nullable=False),  # "snapshot" or "delta"
    Column("payload", LargeBinary, nullable=False),  # zlib-compressed JSON
    Column("digest", String(64), nullable=False),  # sha256 of the whole content
    Column("summary", Text, nullable=False),  # JSON: entries added / changed / removed
)

#: Controller state that must survive restarts (candidate, armed confirmed commit).
state = Table(
    "state",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
