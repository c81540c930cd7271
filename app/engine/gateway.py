"""Calling a connector for a step: find it, prepare its context, run it."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.actions.base import ActionContext, ConnectorError, Services
from app.actions.registry import Registry, UnknownAction


@dataclass(frozen=True)
class Gateway:
    registry: Registry
    services: Services = field(default_factory=Services)
    # Connector code → its configuration from the settings (AUTOMATOR_INTEGRATIONS).
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    async def call(self, action_type: str, params: dict[str, Any], ctx: ActionContext) -> Any:
        try:
            connector, action, inputs = self.registry.resolve(action_type, params)
        except UnknownAction as exc:
            raise ConnectorError(str(exc)) from None
        config = self.configs.get(connector.code, {})
        prepared = replace(ctx, services=self.services, config=config)
        return await connector.execute(action, inputs, prepared)
