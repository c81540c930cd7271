"""What a tenant's connectors need, on MongoDB: secrets (only ever ciphertext) and
configurations."""

from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
from pymongo import ASCENDING

from app.models.secret import IntegrationConfig, StoredSecret
from app.store.errors import integration_not_found, secret_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import INTEGRATIONS, SECRETS, Doc


class Integrations(Connection):
    async def put_secret(
        self, tenant_id: str, name: str, ciphertext: str
    ) -> tuple[StoredSecret, bool]:
        at = self._clock.now()
        result = await self._db.secrets.update_one(
            {"tenant_id": tenant_id, "name": name},
            {
                "$set": {"ciphertext": ciphertext, "updated_at": at},
                "$setOnInsert": {"created_at": at, "rotated_at": None},
            },
            upsert=True,
        )
        stored = await self._find(SECRETS, tenant_id=tenant_id, name=name)
        assert stored is not None
        return stored, result.upserted_id is not None

    async def rotate_secret(self, tenant_id: str, name: str, ciphertext: str) -> StoredSecret:
        at = self._clock.now()
        await self._db.secrets.update_one(
            {"tenant_id": tenant_id, "name": name},
            {"$set": {"ciphertext": ciphertext, "updated_at": at, "rotated_at": at}},
        )
        stored = await self._find(SECRETS, tenant_id=tenant_id, name=name)
        if stored is None:
            raise secret_not_found(name)
        return stored

    async def get_secrets(self, tenant_id: str, names: Sequence[str]) -> list[StoredSecret]:
        return await self._secrets({"tenant_id": tenant_id, "name": {"$in": list(names)}})

    async def list_secrets(self, tenant_id: str) -> list[StoredSecret]:
        return await self._secrets({"tenant_id": tenant_id})

    async def all_secrets(self) -> list[StoredSecret]:
        return await self._secrets({})

    async def _secrets(self, where: Doc) -> list[StoredSecret]:
        return await self._select(SECRETS, where, [("tenant_id", ASCENDING), ("name", ASCENDING)])

    async def delete_secret(self, tenant_id: str, name: str) -> None:
        missing = partial(secret_not_found, name)
        await self._delete("secrets", missing, tenant_id=tenant_id, name=name)

    async def replace_ciphertext(self, tenant_id: str, name: str, old: str, new: str) -> bool:
        result = await self._db.secrets.update_one(
            {"tenant_id": tenant_id, "name": name, "ciphertext": old},
            {"$set": {"ciphertext": new}},
        )
        return bool(result.modified_count)

    async def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        at = self._clock.now()
        result = await self._db.integrations.update_one(
            {"tenant_id": tenant_id, "code": code},
            # Stored as JSON text: a configuration's keys may start with "$" ("$secret").
            {
                "$set": {"config": orjson.dumps(config).decode(), "updated_at": at},
                "$setOnInsert": {"created_at": at},
            },
            upsert=True,
        )
        stored = await self.get_integration(tenant_id, code)
        assert stored is not None
        return stored, result.upserted_id is not None

    async def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None:
        return await self._find(INTEGRATIONS, tenant_id=tenant_id, code=code)

    async def list_integrations(self, tenant_id: str) -> list[IntegrationConfig]:
        return await self._select(INTEGRATIONS, {"tenant_id": tenant_id}, [("code", ASCENDING)])

    async def delete_integration(self, tenant_id: str, code: str) -> None:
        missing = partial(integration_not_found, code)
        await self._delete("integrations", missing, tenant_id=tenant_id, code=code)
