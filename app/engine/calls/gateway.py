"""Calling a connector for a step: find it, prepare its context, run it."""

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.actions.base import (
    ActionContext,
    Connector,
    ConnectorError,
    Message,
    Services,
    problems_of,
)
from app.actions.references import references
from app.actions.registry import Registry, UnknownAction
from app.engine.calls.integrations import Configuration, Integrations
from app.engine.calls.masking import Mask
from app.engine.calls.messages import MessageTemplates
from app.engine.calls.secrets import Resolved, Secrets
from app.store.errors import store_errors

# How a step's message is made: rendered for a run, or only looked up before any event.
MessageOf = Callable[[ActionContext, Mapping[str, Any]], Awaitable[Message | None]]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rehearsal:
    """A step's call rehearsed: the ``reason`` it would fail, else the ``draft`` of what it
    would send (None when its connector drafts nothing)."""

    reason: str | None = None
    draft: Any = None


@dataclass(frozen=True)
class Gateway:
    registry: Registry
    secrets: Secrets
    # Each connector's configuration: the tenant's own, else the deployment's.
    integrations: Integrations
    services: Services = field(default_factory=Services)
    # Renders the stored message template an action names (``"template": "welcome_email"``).
    templates: MessageTemplates | None = None

    async def call(
        self,
        action_type: str,
        params: dict[str, Any],
        ctx: ActionContext,
        *,
        referenced: bool = True,
        configuration: Configuration | None = None,
    ) -> Any:
        """Run the step's connector action with its secrets resolved; whatever it returns or
        raises comes back with those secrets masked. ``referenced=False``: the step's data
        is known to hold no secret reference (its version's, compiled once), so it is not
        searched for one. ``configuration``: the connector's, instead of the one the
        tenant's steps get (a test call of a change not saved yet)."""
        connector, action, inputs = self._resolve(action_type, params)
        prepared, resolved = await self._prepare(
            connector, inputs, ctx, self._message, referenced=referenced, given=configuration
        )
        try:
            output = await connector.execute(action, resolved.inputs, prepared)
        except ConnectorError as exc:
            raise resolved.mask.error(exc) from None
        except Exception as exc:
            log.exception("connector %s raised", connector.code)
            raise resolved.mask.error(ConnectorError.unexpected(exc)) from None
        return resolved.mask.data(output)

    async def rehearse(
        self, action_type: str, params: dict[str, Any], ctx: ActionContext
    ) -> Rehearsal:
        """The step's call rehearsed, not made (a dry run's answer): why it would fail now,
        or what it would send. It would fail when no connector has the action, a secret it
        names does not exist, its message template is missing or does not render, its
        inputs break the action's spec, the connector says it cannot (a channel with no
        provider and no outbox), or its ``draft`` of the call refuses the rendered
        ``params`` (an email to nobody); else it would send that draft."""
        try:
            connector, action, inputs, prepared, mask = await self._checked(
                action_type, params, ctx, self._message
            )
        except ConnectorError as exc:
            return Rehearsal(reason=exc.message)
        try:
            drafted = _ask(connector, "draft", action, inputs, prepared)
        except ConnectorError as exc:
            # The draft holds the secrets resolved, as a call does: its refusal is masked.
            return Rehearsal(reason=mask.error(exc).message)
        return Rehearsal(draft=mask.data(drafted))

    async def would_fail_for_any_event(
        self, action_type: str, params: dict[str, Any], ctx: ActionContext
    ) -> str | None:
        """Why ``rehearse`` would find the step failing, before any event is known (a
        document being checked, its data not rendered): the same checks but the draft, and
        the message template is only looked up, as rendering it needs the event."""
        try:
            await self._checked(action_type, params, ctx, self._stored_message)
        except ConnectorError as exc:
            return exc.message
        return None

    async def _checked(
        self, action_type: str, params: dict[str, Any], ctx: ActionContext, message: MessageOf
    ) -> tuple[Connector, str, dict[str, Any], ActionContext, Mask]:
        """The step's connector, action, inputs, prepared context and the mask of the
        secrets it holds, once its spec and the connector's ``unready`` pass; the reason
        they do not, as a ConnectorError."""
        connector, action, inputs = self._resolve(action_type, params)
        prepared, resolved = await self._prepare(connector, inputs, ctx, message)
        problems = problems_of(connector.actions[action], inputs)
        if problems:
            raise ConnectorError("; ".join(map(str, problems)))
        # The check is handed the secrets resolved, as a draft and a call are: what it says
        # (a refusal, or its own failure) is masked as theirs is.
        try:
            reason = _ask(connector, "unready", action, inputs, prepared)
        except ConnectorError as exc:
            raise resolved.mask.error(exc) from None
        if reason is not None:
            raise ConnectorError(resolved.mask.text(reason))
        return connector, action, inputs, prepared, resolved.mask

    def _resolve(
        self, action_type: str, params: dict[str, Any]
    ) -> tuple[Connector, str, dict[str, Any]]:
        try:
            return self.registry.resolve(action_type, params)
        except UnknownAction as exc:
            raise ConnectorError(str(exc)) from None

    async def _prepare(
        self,
        connector: Connector,
        inputs: dict[str, Any],
        ctx: ActionContext,
        message_of: MessageOf,
        *,
        referenced: bool = True,
        given: Configuration | None = None,
    ) -> tuple[ActionContext, Resolved]:
        """The connector's context for this step: its configuration (``given``, else the
        tenant's), the secrets resolved and the message ``message_of`` makes."""
        try:
            configuration = given or await self.integrations.for_call(ctx.tenant_id, connector.code)
            resolved = await self.secrets.for_call(
                ctx.tenant_id,
                inputs,
                configuration.values,
                tenant_config=configuration.tenant,
                referenced=referenced,
            )
            message = await message_of(ctx, inputs)
        except store_errors() as exc:
            raise ConnectorError(f"the store could not be read: {exc}", retryable=True) from None
        prepared = ctx.prepared(self.services, resolved.config, resolved.secrets, message)
        return prepared, resolved

    async def _stored_message(
        self, ctx: ActionContext, inputs: Mapping[str, Any]
    ) -> Message | None:
        """The stored template the step names, as written (not rendered)."""
        if ctx.template is None:
            return ctx.message
        if self.templates is None:
            raise ConnectorError("message templates are not available in this process")
        return await self.templates.stored(ctx.tenant_id, ctx.template)

    async def _message(self, ctx: ActionContext, inputs: Mapping[str, Any]) -> Message | None:
        """The stored template the step names, rendered over its unresolved ``inputs``."""
        if ctx.template is None:
            return ctx.message
        if self.templates is None:
            raise ConnectorError("message templates are not available in this process")
        variables = inputs.get("variables")
        given = variables if isinstance(variables, Mapping) else {}
        if references(given, ("data", "variables")):
            # Editors change stored templates, so a template could show a secret anywhere in
            # a message whose recipient an event chooses; no admin approved that.
            raise ConnectorError(
                "data.variables refers to a secret, and a message template may not show one:"
                " put the value in the action's own fields instead"
            )
        return await self.templates.message(ctx.tenant_id, ctx.template, ctx.event, given)


def _ask(connector: Connector, hook: str, *args: Any) -> Any:
    """What the connector's optional ``hook`` (``unready``, ``draft``) answers; None when it
    has none. Anything but a ConnectorError it raises is a bug in the connector: logged,
    and said as the step's failure, as a call's would be, rather than failing the request
    that checks or tries the workflow."""
    answer = getattr(connector, hook, None)
    if answer is None:
        return None
    try:
        return answer(*args)
    except ConnectorError:
        raise
    except Exception as exc:
        log.exception("connector %s raised in %s", connector.code, hook)
        raise ConnectorError(
            f"the connector {connector.code} failed in its {hook}: {type(exc).__name__}: {exc}"
            " (a bug in the connector; the service's log has the traceback)"
        ) from None
