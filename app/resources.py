"""What a process needs to serve: built once at start-up and passed in."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis

from app.settings import Settings
from app.store.base import Store
from app.store.factory import open_store
from app.workflows import DocumentParser, WorkflowService


@dataclass
class Resources:
    settings: Settings
    store: Store
    redis: aioredis.Redis | None
    workflows: WorkflowService


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    store = await open_store(settings)
    redis = aioredis.Redis.from_url(settings.redis_url) if settings.redis_url else None
    try:
        yield Resources(
            settings, store, redis, WorkflowService(store, DocumentParser.from_settings(settings))
        )
    finally:
        if redis is not None:
            await redis.aclose()
        await store.close()
