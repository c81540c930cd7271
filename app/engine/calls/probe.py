"""Test calls of one connector action (``POST /api/integrations/test``).

A test call is real: it goes through the gateway that steps use (the connector's
configuration, message templates), with a synthetic run context and its own idempotency key
``integration-test:<id>``. Its outcome is reported, success or failure, never retried.
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.actions.base import ActionContext, ConnectorError, problems_of
from app.actions.registry import CUSTOM_ACTION
from app.clock import Clock
from app.engine.calls.gateway import Gateway
from app.engine.calls.integrations import Configuration
from app.engine.expressions.renderer import Renderer
from app.errors import ErrorDetail, InvalidInput, NotFound
from app.models.ids import new_id

log = logging.getLogger(__name__)
EVENT_TYPE = "integration_test"


@dataclass(frozen=True)
class ProbeCall:
    """What to call: a connector's code, one of its actions, and the action's ``data``
    (templates in it render over the synthetic context: ``{{user.email}}``); ``config``, a
    configuration of the connector to call with instead of the tenant's (not saved yet)."""

    integration: str
    action: str
    data: Mapping[str, Any]
    template: str | None = None
    user: Mapping[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None


@dataclass(frozen=True)
class ProbeOutcome:
    ok: bool
    idempotency_key: str
    duration_ms: float
    output: Any = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class Prober:
    gateway: Gateway
    renderer: Renderer
    clock: Clock
    timeout: float

    async def call(self, tenant_id: str, call: ProbeCall) -> ProbeOutcome:
        """Make the call. Bad requests raise (404 for an unknown integration, 422 for an
        unknown action or data its spec refuses); the connector's failure is an outcome."""
        self._check_action(call)
        integrations = self.gateway.integrations
        configuration = None if call.config is None else integrations.unsaved(call.config)
        test_id = new_id("test")
        context = {
            "user": dict(call.user),
            "event": {"type": EVENT_TYPE, "id": test_id, "time": self.clock.now().isoformat()},
        }
        params = self.renderer.render(dict(call.data), context, "data")
        self._check_data(call, params)
        ctx = ActionContext(
            tenant_id=tenant_id,
            run_id=test_id,
            step_id=call.action,
            idempotency_key=f"integration-test:{test_id}",
            attempt=1,
            event=context,
            template=call.template,
        )
        step = {"connector": call.integration, "action": call.action, "params": params}
        # How long the real call took (a measurement, not the process's clock).
        started = time.monotonic()
        output, error = await self._attempt(step, ctx, configuration)
        elapsed = round((time.monotonic() - started) * 1000, 1)
        return ProbeOutcome(error is None, ctx.idempotency_key, elapsed, output, error)

    def _check_action(self, call: ProbeCall) -> None:
        registry = self.gateway.registry
        connector = registry.get(call.integration)
        if connector is None:
            installed = ", ".join(c.code for c in registry.connectors()) or "none"
            raise NotFound(
                f"Integration {call.integration!r} is not installed; installed: {installed}."
            )
        if call.action not in connector.actions:
            actions = ", ".join(connector.actions)
            raise InvalidInput(
                f"Integration {call.integration!r} has no action {call.action!r}; "
                f"its actions: {actions}.",
                [ErrorDetail(("body", "action"), f"one of: {actions}")],
            )

    def _check_data(self, call: ProbeCall, params: dict[str, Any]) -> None:
        connector = self.gateway.registry.get(call.integration)
        assert connector is not None  # checked by _check_action
        problems = problems_of(connector.actions[call.action], params)
        if problems:
            raise InvalidInput(
                f"The data does not fit {call.integration}.{call.action}: "
                f"{'; '.join(map(str, problems))}",
                [ErrorDetail(("body", *problem.loc), problem.msg) for problem in problems],
            )

    async def _attempt(
        self, step: dict[str, Any], ctx: ActionContext, configuration: Configuration | None
    ) -> tuple[Any, dict[str, Any] | None]:
        try:
            async with asyncio.timeout(self.timeout):
                output = await self.gateway.call(
                    CUSTOM_ACTION, step, ctx, configuration=configuration
                )
                return output, None
        except TimeoutError:
            return None, {"message": f"timed out after {self.timeout} s", "retryable": True}
        except ConnectorError as failed:
            return None, {"message": failed.message, "retryable": failed.retryable}
        except Exception as exc:  # a connector bug is the outcome being tested
            log.exception("connector %s raised in a test call", step["connector"])
            message = f"the connector failed: {type(exc).__name__}: {exc}"
            return None, {"message": message, "retryable": isinstance(exc, OSError)}
