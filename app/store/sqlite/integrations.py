"""What a tenant's connectors need, on SQLite: secrets (only ever ciphertext) and
configurations."""

from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson

from app.models.secret import IntegrationConfig, StoredSecret
from app.store.errors import integration_not_found, secret_not_found
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import (
    INTEGRATIONS,
    SECRETS,
    marks,
)


class Integrations(Connection):
    def put_secret(self, tenant_id: str, name: str, ciphertext: str) -> tuple[StoredSecret, bool]:
        at = self._clock.now().isoformat()
        with self._transaction() as db:
            created = self._find(SECRETS, tenant_id=tenant_id, name=name) is None
            db.execute(
                f"INSERT INTO secrets ({SECRETS.columns}) VALUES (?, ?, ?, ?, ?, NULL) "
                "ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, "
                "updated_at = excluded.updated_at",
                (tenant_id, name, ciphertext, at, at),
            )
            stored = self._find(SECRETS, tenant_id=tenant_id, name=name)
        assert stored is not None
        return stored, created

    def rotate_secret(self, tenant_id: str, name: str, ciphertext: str) -> StoredSecret:
        at = self._clock.now().isoformat()
        with self._transaction() as db:
            db.execute(
                "UPDATE secrets SET ciphertext = ?, updated_at = ?, rotated_at = ? "
                "WHERE tenant_id = ? AND name = ?",
                (ciphertext, at, at, tenant_id, name),
            )
            stored = self._find(SECRETS, tenant_id=tenant_id, name=name)
        if stored is None:
            raise secret_not_found(name)
        return stored

    def get_secrets(self, tenant_id: str, names: Sequence[str]) -> list[StoredSecret]:
        rows = self._all(
            f"SELECT {SECRETS.columns} FROM secrets WHERE tenant_id = ? "
            f"AND name IN ({marks(names)}) ORDER BY name",
            tenant_id,
            *names,
        )
        return [SECRETS.read(row) for row in rows]

    def list_secrets(self, tenant_id: str) -> list[StoredSecret]:
        return self._select(SECRETS, [("tenant_id = ?", tenant_id)], "name")

    def delete_secret(self, tenant_id: str, name: str) -> None:
        self._delete("secrets", partial(secret_not_found, name), tenant_id=tenant_id, name=name)

    def all_secrets(self) -> list[StoredSecret]:
        return self._select(SECRETS, [], "tenant_id, name")

    def replace_ciphertext(self, tenant_id: str, name: str, old: str, new: str) -> bool:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE secrets SET ciphertext = ? "
                "WHERE tenant_id = ? AND name = ? AND ciphertext = ?",
                (new, tenant_id, name, old),
            ).rowcount
        return bool(changed)

    def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        at = self._clock.now().isoformat()
        with self._transaction() as db:
            created = self.get_integration(tenant_id, code) is None
            db.execute(
                f"INSERT INTO integrations ({INTEGRATIONS.columns}) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, code) DO UPDATE SET config = excluded.config, "
                "updated_at = excluded.updated_at",
                (tenant_id, code, orjson.dumps(config), at, at),
            )
            stored = self.get_integration(tenant_id, code)
        assert stored is not None
        return stored, created

    def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None:
        return self._find(INTEGRATIONS, tenant_id=tenant_id, code=code)

    def list_integrations(self, tenant_id: str) -> list[IntegrationConfig]:
        return self._select(INTEGRATIONS, [("tenant_id = ?", tenant_id)], "code")

    def delete_integration(self, tenant_id: str, code: str) -> None:
        missing = partial(integration_not_found, code)
        self._delete("integrations", missing, tenant_id=tenant_id, code=code)
