"""The store fixture: every contract test runs on each adapter. SQLite on a real file, plain
and encrypted with SQLCipher (AUTOMATOR_STORE_KEY); MongoDB against a real server when AUTOMATOR_TEST_MONGODB_URL is set, else against
pymongo-async-mock (an in-memory stand-in for PyMongo's async client, built on mongomock), so
the adapter's queries still run."""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo_async_mock import AsyncMongoMockClient

from app.clock import SystemClock
from app.store.mongo import MongoStore
from app.store.protocol import Store
from app.store.sqlite import SQLiteStore

MONGODB_URL = os.environ.get("AUTOMATOR_TEST_MONGODB_URL")
# A store key, as `automator store new-key` prints one.
STORE_KEY = "5ec2e7" * 10 + "0123"


class StandInClient(AsyncMongoMockClient):  # type: ignore[misc]
    """The stand-in's one gap with PyMongo's async client: there, ``close()`` is awaited."""

    async def close(self) -> None:
        pass


@pytest.fixture(params=["sqlite", "sqlcipher", "mongo"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "sqlite":
        opened = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    elif request.param == "sqlcipher":
        opened = await SQLiteStore.open(tmp_path / "store.db", SystemClock(), keys=[STORE_KEY])
    else:
        client: Any = (
            AsyncMongoClient(MONGODB_URL, tz_aware=True)
            if MONGODB_URL
            else StandInClient(tz_aware=True)
        )
        opened = await MongoStore.open(
            client, f"automator_test_{uuid.uuid4().hex[:8]}", SystemClock()
        )
    yield opened
    if isinstance(opened, MongoStore) and MONGODB_URL:
        await opened._client.drop_database(opened._db.name)
    await opened.close()
