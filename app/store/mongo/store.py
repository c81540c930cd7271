"""The production store: MongoDB through PyMongo's native async client, a module per domain
(no transactions: each domain's module says how its writes stay consistent)."""

from pymongo import AsyncMongoClient

from app.models.profile import MAX_BYTES
from app.store.mongo.accounts import Accounts
from app.store.mongo.audience import Audience
from app.store.mongo.documents import Doc
from app.store.mongo.indexes import INDEXES
from app.store.mongo.intake import EventIntake
from app.store.mongo.integrations import Integrations
from app.store.mongo.outbox import Outbox
from app.store.mongo.runs import Runs
from app.store.mongo.templates import Templates
from app.store.mongo.usage import Usage
from app.store.mongo.workflows import Workflows


class MongoStore(
    Accounts, Workflows, EventIntake, Runs, Integrations, Audience, Templates, Outbox, Usage
):
    """Every domain's methods on one database."""

    @classmethod
    async def open(
        cls, client: AsyncMongoClient[Doc], database: str, profile_max_bytes: int = MAX_BYTES
    ) -> "MongoStore":
        store = cls(client, database, profile_max_bytes)
        for name, indexes in INDEXES.items():
            await store._db[name].create_indexes(indexes)
        return store
