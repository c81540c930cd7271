"""Persistence behind one narrow interface, with SQLite and MongoDB adapters."""
