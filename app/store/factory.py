"""Choose and open the store the settings ask for."""

from pymongo import AsyncMongoClient

from app.settings import Settings
from app.store.mongo import MongoStore
from app.store.protocol import Store
from app.store.sqlite import SQLiteStore


async def open_store(settings: Settings) -> Store:
    if settings.mongodb_url:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            settings.mongodb_url, tz_aware=True
        )
        return await MongoStore.open(client, settings.mongodb_database, settings.profile_max_bytes)
    return await SQLiteStore.open(settings.sqlite_path, settings.profile_max_bytes)
