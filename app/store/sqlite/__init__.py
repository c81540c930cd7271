"""The embedded store: one SQLite file in WAL mode, a module per domain, one thread."""

from app.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
