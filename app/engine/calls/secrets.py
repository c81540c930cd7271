"""Secrets: kept encrypted per tenant, referenced as ``{"$secret": "NAME"}`` in action data
and connector configuration, and resolved only when a step calls its connector.

A reference resolves from the environment (``AUTOMATOR_SECRET_<NAME>``) first, where the
tenant may read it (``AUTOMATOR_SECRETS_ENV_TENANTS``), else from the tenant's store. Values
leave this module only towards the connector, masked everywhere else.
"""

import logging
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.actions.base import ConnectorError
from app.actions.references import check_name, references, substitute
from app.engine.calls.keyring import Keyring, Unreadable
from app.engine.calls.masking import LogScrubber, Mask
from app.errors import Conflict, InvalidInput
from app.models.secret import StoredSecret
from app.store.errors import secret_not_found
from app.store.protocol import Store

log = logging.getLogger(__name__)
ENV_PREFIX = "AUTOMATOR_SECRET_"
# Where a missing secret is stored, first in messages the Studio shows as well as the API.
IN_THE_STUDIO = "in the Studio under Governance → Secrets"
MIN_VALUE_CHARS = 4
MAX_VALUE_CHARS = 65_536
MAX_SECRETS = 1000
EVERY_TENANT = "*"


@dataclass(frozen=True)
class SecretInfo:
    """What may be shown of a stored secret: never its value."""

    name: str
    created_at: datetime
    updated_at: datetime
    rotated_at: datetime | None
    shadowed_by_env: bool


@dataclass(frozen=True)
class Resolved:
    """A step's inputs and its connector's configuration with their secrets in place, the
    secrets by name (``context.secrets``), and the mask hiding them again."""

    inputs: dict[str, Any]
    config: dict[str, Any]
    secrets: dict[str, str]
    mask: Mask


# The mask of a call that handles no secret.
NO_MASK = Mask(())


class Secrets:
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        scrubber: LogScrubber,
        env_tenants: Collection[str],
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self._store = store
        self._keyring = keyring
        self._scrubber = scrubber
        self._env_tenants = frozenset(env_tenants)
        self._environ = environ

    def reads_env(self, tenant_id: str) -> bool:
        """Whether the tenant's own references may resolve from the environment."""
        return EVERY_TENANT in self._env_tenants or tenant_id in self._env_tenants

    async def put(self, tenant_id: str, name: str, value: str) -> tuple[SecretInfo, bool]:
        """Create or replace a secret; the flag says whether it was created."""
        check_name(name)
        existing = await self._store.list_secrets(tenant_id)
        if len(existing) >= MAX_SECRETS and name not in {s.name for s in existing}:
            raise Conflict(f"A tenant may store at most {MAX_SECRETS} secrets; delete one first.")
        self._scrubber.remember([value])
        stored, created = await self._store.put_secret(
            tenant_id, name, self._keyring.seal(tenant_id, name, value)
        )
        return self._info(stored), created

    async def rotate(self, tenant_id: str, name: str, value: str) -> SecretInfo:
        """Give an existing secret a new value; the old one is not kept. Steps calling their
        connector from now on get the new value."""
        check_name(name)
        self._scrubber.remember([value])
        token = self._keyring.seal(tenant_id, name, value)
        return self._info(await self._store.rotate_secret(tenant_id, name, token))

    async def delete(self, tenant_id: str, name: str) -> None:
        await self._store.delete_secret(tenant_id, check_name(name))

    async def get(self, tenant_id: str, name: str) -> SecretInfo:
        found = await self._store.get_secrets(tenant_id, [check_name(name)])
        if not found:
            raise secret_not_found(name)
        return self._info(found[0])

    async def list(self, tenant_id: str) -> list[SecretInfo]:
        return [self._info(stored) for stored in await self._store.list_secrets(tenant_id)]

    def _info(self, stored: StoredSecret) -> SecretInfo:
        shadowed = self.reads_env(stored.tenant_id) and bool(self._env(stored.name))
        return SecretInfo(
            stored.name, stored.created_at, stored.updated_at, stored.rotated_at, shadowed
        )

    def _env(self, name: str) -> str:
        return self._environ.get(ENV_PREFIX + name, "")

    async def resolve(self, tenant_id: str, names: Collection[str], *, env: bool) -> dict[str, str]:
        """The values of ``names``: from the environment when ``env``, else the store.
        ConnectorError (final) naming the first secret that is missing or unreadable."""
        values = {name: self._env(name) for name in names if env and self._env(name)}
        wanted = sorted(set(names) - values.keys())
        if wanted:
            values |= self._open(await self._store.get_secrets(tenant_id, wanted))
        for name in sorted(names):
            if name not in values:
                raise _missing(name, env=env)
        self._scrubber.remember(values.values())
        return values

    def _open(self, stored: Sequence[StoredSecret]) -> dict[str, str]:
        values = {}
        for secret in stored:
            try:
                values[secret.name] = self._keyring.open(
                    secret.tenant_id, secret.name, secret.ciphertext
                )
            except Unreadable as exc:
                log.error(
                    "secret %r of tenant %r cannot be decrypted: %s",
                    secret.name,
                    secret.tenant_id,
                    exc,
                )
                raise ConnectorError(
                    f"secret {secret.name!r} cannot be decrypted: {exc} (AUTOMATOR_SECRETS_KEY "
                    "differs between processes, or a key was dropped before re-encryption)"
                ) from None
        return values

    async def for_call(
        self,
        tenant_id: str,
        inputs: dict[str, Any],
        config: Mapping[str, Any],
        *,
        tenant_config: bool,
        referenced: bool = True,
    ) -> Resolved:
        """Resolve a step's references. The deployment's configuration (not the tenant's own)
        may always read the environment; the step's data only where the tenant may.
        ``referenced=False``: the caller knows ``inputs`` hold none."""
        try:
            in_config = references(config, ("config",))
            in_inputs = references(inputs, ("data",)) if referenced else set()
        except InvalidInput as exc:
            raise ConnectorError(exc.message) from None
        if not in_config and not in_inputs:  # most calls: nothing to read, nothing to mask
            return Resolved(inputs=inputs, config=dict(config), secrets={}, mask=NO_MASK)
        env = self.reads_env(tenant_id)
        from_config = await self.resolve(tenant_id, in_config, env=env or not tenant_config)
        from_inputs = await self.resolve(tenant_id, in_inputs, env=env)
        return Resolved(
            inputs=substitute(inputs, from_inputs) if referenced else inputs,
            config=substitute(dict(config), from_config),
            secrets=from_config | from_inputs,
            mask=Mask([*from_config.values(), *from_inputs.values()]),
        )

    async def reencrypt(self) -> int:
        """Encrypt every stored secret anew with the first master key; the count re-encrypted.
        A secret changed meanwhile is left as it is (its new value is already current)."""
        done = 0
        for secret in await self._store.all_secrets():
            try:
                token = self._keyring.reseal(secret.ciphertext)
            except Unreadable as exc:
                raise Unreadable(
                    f"secret {secret.name!r} of tenant {secret.tenant_id!r}: {exc}"
                ) from None
            done += await self._store.replace_ciphertext(
                secret.tenant_id, secret.name, secret.ciphertext, token
            )
        return done


def _missing(name: str, *, env: bool) -> ConnectorError:
    where = f"{IN_THE_STUDIO}, or with PUT /api/secrets/{name}"
    if env:
        where += f" or set {ENV_PREFIX}{name} in the environment of every worker"
    return ConnectorError(f"secret {name!r} is not set: store it {where}")
