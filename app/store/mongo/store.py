"""The production store: MongoDB through PyMongo's native async client, a module per domain
(no transactions: each domain's module says how its writes stay consistent)."""

import asyncio
from collections.abc import Sequence

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from app.clock import Clock
from app.models.profile import MAX_BYTES
from app.store.mongo.accounts import Accounts
from app.store.mongo.alerts import Alerts
from app.store.mongo.audience import Audience
from app.store.mongo.bulk import BulkJobs
from app.store.mongo.documents import Doc
from app.store.mongo.erasure import Erasure
from app.store.mongo.hooks import Hooks
from app.store.mongo.indexes import INDEXES, RETIRED
from app.store.mongo.intake import EventIntake
from app.store.mongo.integrations import Integrations
from app.store.mongo.outbox import Outbox
from app.store.mongo.retention import Retentions
from app.store.mongo.runs import Runs
from app.store.mongo.templates import Templates
from app.store.mongo.usage import Usage
from app.store.mongo.workflows import Workflows


class MongoStore(
    Accounts,
    Workflows,
    EventIntake,
    Runs,
    BulkJobs,
    Hooks,
    Integrations,
    Audience,
    Templates,
    Outbox,
    Usage,
    Erasure,
    Retentions,
    Alerts,
):
    """Every domain's methods on one database."""

    @classmethod
    async def open(
        cls,
        client: AsyncMongoClient[Doc],
        database: str,
        clock: Clock,
        profile_max_bytes: int = MAX_BYTES,
    ) -> "MongoStore":
        store = cls(client, database, clock, profile_max_bytes)
        for name, indexes in INDEXES.items():
            await create_indexes(store._db[name], indexes)
        for name, retired in RETIRED.items():
            await drop_indexes(store._db[name], retired)
        return store


# What MongoDB answers a process creating a collection or an index that another process is
# creating at the same moment: NamespaceExists, IndexBuildAborted, IndexBuildAlreadyInProgress.
CONCURRENT_BUILD = frozenset({48, 276, 285})
BUILD_ATTEMPTS = 20


async def create_indexes(
    collection: AsyncCollection[Doc], indexes: Sequence[IndexModel], pause: float = 0.5
) -> None:
    """Create ``indexes`` (a no-op for those in place); when another process starting at the
    same time is building them, wait for it and look again."""
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        try:
            await collection.create_indexes(list(indexes))
            return
        except OperationFailure as exc:
            if exc.code not in CONCURRENT_BUILD or attempt == BUILD_ATTEMPTS:
                raise
        await asyncio.sleep(pause)


async def drop_indexes(collection: AsyncCollection[Doc], names: Sequence[str]) -> None:
    """Drop the indexes ``names`` where they are; another process starting at the same time
    may have dropped one first (MongoDB's IndexNotFound)."""
    for name in sorted(set(names) & set(await collection.index_information())):
        try:
            await collection.drop_index(name)
        except OperationFailure:
            if name in await collection.index_information():
                raise
