"""Alembic migrations of the intent store, applied automatically when a store opens."""
