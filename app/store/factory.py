"""Choose and open the store the settings ask for."""

from pymongo import AsyncMongoClient

from app.clock import Clock
from app.settings import Settings
from app.store.mongo import MongoStore
from app.store.protocol import Store
from app.store.sqlite import SQLiteStore


async def open_store(settings: Settings, clock: Clock) -> Store:
    if settings.mongodb_url:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            settings.mongodb_url, tz_aware=True
        )
        return await MongoStore.open(
            client, settings.mongodb_database, clock, settings.profile_max_bytes
        )
    return await SQLiteStore.open(
        settings.sqlite_path, clock, settings.profile_max_bytes, settings.store_keys
    )
