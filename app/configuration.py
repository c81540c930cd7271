"""A tenant's configuration as its admins change it: secrets, connector integrations,
flow-control limits and segments. Each change is recorded in the audit log, by the service's
``actor``, once it succeeded; the API and the CLI share these calls."""

from dataclasses import dataclass, field
from typing import Any

from app.actions.ai.summary import AiSummary, summarise
from app.actions.ai.task import AiConnector
from app.audit import CLI, Acting, Audit, State
from app.engine.calls.integrations import Integrations
from app.engine.calls.secrets import SecretInfo, Secrets
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.models.flow import TenantLimits
from app.models.profile import Segment, SegmentDefinition
from app.models.secret import IntegrationConfig
from app.models.tenant import TenantSettings
from app.store.protocol import Store


@dataclass(frozen=True)
class Configuration(Acting):
    store: Store
    audit: Audit
    secrets: Secrets
    integrations: Integrations
    # This process's cache of tenant limits (with Redis only), forgotten on a change.
    limits: TenantLimitsCache | None = None
    actor: str = field(default=CLI)

    async def _record(
        self,
        tenant_id: str,
        action: str,
        entity_id: str,
        before: State = None,
        after: State = None,
    ) -> None:
        await self.audit.record(tenant_id, self.actor, action, entity_id, before, after)

    async def put_secret(self, tenant_id: str, name: str, value: str) -> tuple[SecretInfo, bool]:
        """Create or replace a secret; the flag says whether it was created."""
        info, created = await self.secrets.put(tenant_id, name, value)
        action = "secret.create" if created else "secret.update"
        await self._record(tenant_id, action, name, after={"name": name})
        return info, created

    async def rotate_secret(self, tenant_id: str, name: str, value: str) -> SecretInfo:
        """Give an existing secret a new value (NotFound when there is none)."""
        info = await self.secrets.rotate(tenant_id, name, value)
        await self._record(tenant_id, "secret.rotate", name, after={"name": name})
        return info

    async def delete_secret(self, tenant_id: str, name: str) -> None:
        await self.secrets.delete(tenant_id, name)
        await self._record(tenant_id, "secret.delete", name, {"name": name})

    async def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        """Create or replace the tenant's configuration of an installed connector; the flag
        says whether it was created."""
        stored, created = await self.integrations.put(tenant_id, code, config)
        action = "integration.create" if created else "integration.update"
        await self._record(tenant_id, action, code, after={"config": config})
        return stored, created

    async def ai_providers(self, tenant_id: str) -> AiSummary:
        """The AI providers the tenant's calls use now (its own, else the deployment's), as
        a person reads them: never a key."""
        configuration = await self.integrations.for_call(tenant_id, AiConnector.code)
        return summarise(configuration.values, tenant=configuration.tenant)

    async def delete_integration(self, tenant_id: str, code: str) -> None:
        await self.integrations.delete(tenant_id, code)
        await self._record(tenant_id, "integration.delete", code)

    async def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        """Replace the tenant's limits; this process applies them at once, others once their
        cache expires."""
        before = await self.store.get_limits(tenant_id)
        saved = await self.store.set_limits(tenant_id, limits)
        await self._record(tenant_id, "tenant.limits", tenant_id, _limits(before), _limits(saved))
        if self.limits is not None:
            self.limits.forget(tenant_id)
        return saved

    async def set_settings(self, tenant_id: str, settings: TenantSettings) -> TenantSettings:
        """Replace the tenant's settings; every process reads them on each publish."""
        before = await self.store.get_settings(tenant_id)
        saved = await self.store.set_settings(tenant_id, settings)
        await self._record(
            tenant_id, "tenant.settings", tenant_id, before.model_dump(), saved.model_dump()
        )
        return saved

    async def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        """Define a segment, or replace the one of that id; the flag says whether it was
        created."""
        segment, created = await self.store.save_segment(tenant_id, segment_id, definition)
        action = "segment.create" if created else "segment.update"
        after = {"name": definition.name, "conditions": definition.conditions}
        await self._record(tenant_id, action, segment_id, after=after)
        return segment, created


def _limits(limits: TenantLimits) -> dict[str, Any]:
    state: dict[str, Any] = limits.model_dump(mode="json", exclude_unset=True)
    return state
