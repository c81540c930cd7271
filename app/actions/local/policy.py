"""Who may use a local task: the deployment's settings, and the tenant's opt-in."""

from collections.abc import Mapping
from typing import Any

from app.actions.base import ActionContext, ConnectorError
from app.actions.local.deployment import LocalTasks

# The local task types that act on the server, each off until enabled twice.
GUARDED = ("file", "shell")


def how_to_enable(code: str) -> str:
    """What an operator and a tenant do to turn ``code`` on."""
    return (
        f"'{code}' acts on the server and is off: the deployment allows it with "
        f"AUTOMATOR_LOCAL_TASKS={code}, then the tenant opts in with "
        f'PUT /api/integrations/{code} {{"config": {{"enabled": true}}}}'
    )


def tenant_enabled(config: Mapping[str, Any]) -> bool:
    return config.get("enabled") is True


def settings_for(code: str, ctx: ActionContext) -> LocalTasks:
    """The deployment's settings, if ``code`` is enabled for the deployment and the step's
    tenant; else a final error saying how to enable it."""
    local = ctx.services.local
    if local is None or code not in local.allowed or not tenant_enabled(ctx.config):
        raise ConnectorError(how_to_enable(code))
    return local
