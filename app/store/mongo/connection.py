"""The MongoDB database, as every domain's methods use it: the shared reads (a record by its
key, a page of records, records in order)."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.clock import Clock
from app.models.profile import MAX_BYTES
from app.models.workflow import Page
from app.store.mongo.documents import Collection, Doc

R = TypeVar("R")


class Connection:
    def __init__(
        self,
        client: AsyncMongoClient[Doc],
        database: str,
        clock: Clock,
        profile_max_bytes: int = MAX_BYTES,
    ) -> None:
        self._client = client
        self._clock = clock
        self._db: AsyncDatabase[Doc] = client[database]
        self._profile_max_bytes = profile_max_bytes

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        await self._db.command("ping")

    async def _find(self, kind: Collection[R], /, **key: Any) -> R | None:
        """The record whose fields hold these values, None if there is none."""
        doc = await self._db[kind.name].find_one(key, kind.projection)
        return None if doc is None else kind.read(doc)

    async def _get_one(
        self, kind: Collection[R], missing: Callable[[], Exception], /, **key: Any
    ) -> R:
        """The record whose fields hold these values; ``missing()`` is raised if none."""
        found = await self._find(kind, **key)
        if found is None:
            raise missing()
        return found

    async def _select(
        self, kind: Collection[R], query: Doc, order: Sequence[tuple[str, int]] = (), limit: int = 0
    ) -> list[R]:
        """The records matching ``query``, in ``order``, at most ``limit`` (0: all)."""
        cursor = self._db[kind.name].find(query, kind.projection).limit(limit)
        if order:
            cursor = cursor.sort(list(order))
        return [kind.read(doc) async for doc in cursor]

    async def _page(
        self, kind: Collection[R], page: Page, by: str, query: Doc, *, newest_first: bool = False
    ) -> list[R]:
        """A page of the matching records ordered by the unique field ``by``: ascending from
        after ``page.after``, or descending from before it."""
        if not newest_first:
            query = {**query, by: {"$gt": page.after or ""}}
        elif page.after is not None:
            query = {**query, by: {"$lt": page.after}}
        order = DESCENDING if newest_first else ASCENDING
        return await self._select(kind, query, [(by, order)], page.limit)

    async def _delete(
        self, collection: str, missing: Callable[[], Exception], /, **key: Any
    ) -> None:
        """Delete the document whose fields hold these values; ``missing()`` is raised if none."""
        result = await self._db[collection].delete_one(key)
        if result.deleted_count == 0:
            raise missing()
