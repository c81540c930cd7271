"""The production store: MongoDB, a module per domain."""

from app.store.mongo.store import MongoStore

__all__ = ["MongoStore"]
