"""Connector configuration: the deployment's (``AUTOMATOR_INTEGRATIONS``) and each tenant's.

A tenant's configuration of a connector replaces the deployment's for that tenant's runs; it
is not merged. Merging would let a tenant keep the deployment's credentials while pointing
the connector somewhere else (its own base URL); replacing means a tenant that configures a
connector brings all of its configuration.

A process keeps each tenant's configuration of a connector for a moment
(``AUTOMATOR_INTEGRATIONS_CACHE_SECONDS``), as it keeps tenants' limits: a step's call reads
it from memory, not the store (three webhook calls made three store reads per run). A change
reaches every process's calls within that time; the object it was made through forgets its
copy at once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from app.actions.references import references
from app.actions.registry import Registry
from app.clock import Clock
from app.errors import ErrorDetail, NotFound, PayloadTooLarge
from app.kept import Kept
from app.models import jsonc
from app.models.secret import IntegrationConfig
from app.store.errors import integration_not_found
from app.store.protocol import Store

MAX_CONFIG_BYTES = 65_536
# A tenant and a connector's code.
Key = tuple[str, str]


@dataclass(frozen=True)
class Configuration:
    """The configuration a connector gets for a tenant's step, and whose it is."""

    values: Mapping[str, Any]
    tenant: bool


class Integrations:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        defaults: Mapping[str, Mapping[str, Any]],
        clock: Clock,
        seconds: float,
    ) -> None:
        self._store = store
        self._registry = registry
        self._defaults = defaults
        # Each (tenant, connector)'s configuration, kept for ``seconds``.
        self._configurations = Kept(self._configuration, clock, seconds)

    async def for_call(self, tenant_id: str, code: str) -> Configuration:
        """The configuration a step's call to connector ``code`` gets, read from the store
        at most once per ``seconds`` (calls finding the copy old together share one read)."""
        return await self._configurations.get((tenant_id, code))

    async def _configuration(self, key: Key) -> Configuration:
        own = await self._store.get_integration(*key)
        if own is None:
            return Configuration(self._defaults.get(key[1], {}), tenant=False)
        return Configuration(own.config, tenant=True)

    def unsaved(self, config: dict[str, Any]) -> Configuration:
        """A tenant's configuration not saved yet (a test call's), checked as ``put`` checks
        one: its secret references resolve as the tenant's own configuration's do."""
        _check(config)
        return Configuration(config, tenant=True)

    def has_default(self, code: str) -> bool:
        return code in self._defaults

    async def put(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        """Create or replace the tenant's configuration of an installed connector."""
        if self._registry.get(code) is None:
            installed = ", ".join(c.code for c in self._registry.connectors()) or "none"
            message = f"No installed connector has the code {code[:100]!r}; installed: {installed}."
            # A 404, as for any resource the path names that is not there.
            raise NotFound(message, [ErrorDetail(("path", "code"), "not an installed connector")])
        _check(config)
        try:
            return await self._store.put_integration(tenant_id, code, config)
        finally:
            self._configurations.forget((tenant_id, code))

    async def get(self, tenant_id: str, code: str) -> IntegrationConfig:
        found = await self._store.get_integration(tenant_id, code)
        if found is None:
            raise integration_not_found(code)
        return found

    async def list(self, tenant_id: str) -> list[IntegrationConfig]:
        return await self._store.list_integrations(tenant_id)

    async def delete(self, tenant_id: str, code: str) -> None:
        try:
            await self._store.delete_integration(tenant_id, code)
        finally:
            self._configurations.forget((tenant_id, code))


def _check(config: dict[str, Any]) -> None:
    """What ``put`` refuses, located in the request's ``config``: values no store keeps, a
    configuration over the size limit, a malformed secret reference."""
    jsonc.check_values(config, ("body", "config"))  # what no store keeps, by its field
    size = len(orjson.dumps(config))
    if size > MAX_CONFIG_BYTES:
        raise PayloadTooLarge(
            f"config is {size} bytes of JSON; the limit is {MAX_CONFIG_BYTES}.",
            [ErrorDetail(("body", "config"), f"at most {MAX_CONFIG_BYTES} bytes of JSON")],
        )
    references(config, ("body", "config"))
