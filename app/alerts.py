"""A tenant's failure alert rules, as the API changes them: checked (the workflow exists,
the addresses and the URL pass the email and webhook connectors' own checks, the URL the
address guard too) and recorded in the audit log. The leading scheduler applies them
(``app/triggers/alerts.py``)."""

from dataclasses import dataclass, field

from pydantic import ValidationError

from app.actions.base import templated
from app.audit import CLI, Acting, Audit
from app.engine.calls.gateway import Gateway
from app.errors import ErrorDetail, InvalidInput, NotFound
from app.models.action import Action
from app.models.alert import AlertRule, AlertRules
from app.models.validation import ValidationRules
from app.store.protocol import Store
from app.triggers.alerts import alert_actions
from app.triggers.preview import would_fail

# Where each send's problem is reported, by the alert's action id.
FIELDS = {"email": "email", "webhook": "webhook_url"}
# The workflow an alert's call is checked as part of: none, the tenant's own.
ALERT = "alert"
AS_WRITTEN = "is sent to as written: a template ({{ ... }}) is not taken here; write it in full"


@dataclass(frozen=True)
class Alerts(Acting):
    """Alert rules for ``actor`` (an API key id; ``cli`` by default)."""

    store: Store
    audit: Audit
    # The checks a workflow's actions pass when it is saved.
    rules: ValidationRules
    # The connectors as runs call them: the webhook call judges the URL.
    gateway: Gateway
    actor: str = field(default=CLI)

    async def read(self, tenant_id: str) -> AlertRules:
        """The tenant's rules (none: an empty list)."""
        return await self.store.get_alert_rules(tenant_id) or AlertRules(rules=[])

    async def set(self, tenant_id: str, rules: AlertRules) -> AlertRules:
        """Replace the tenant's rules once each is checked; recorded in the audit log."""
        for n, rule in enumerate(rules.rules):
            await self._check(tenant_id, n, rule)
        before = await self.read(tenant_id)
        await self.store.set_alert_rules(tenant_id, rules)
        await self._record(tenant_id, "tenant.alerts", before, rules)
        return rules

    async def delete(self, tenant_id: str) -> None:
        """Remove every rule of the tenant; NotFound when it has none."""
        before = await self.read(tenant_id)
        if not await self.store.delete_alert_rules(tenant_id):
            raise NotFound("This tenant has no alert rules: set them with PUT /api/tenant/alerts.")
        await self._record(tenant_id, "tenant.alerts_delete", before, None)

    async def _record(
        self, tenant_id: str, action: str, before: AlertRules, after: AlertRules | None
    ) -> None:
        shown = None if after is None else after.model_dump(mode="json")
        await self.audit.record(
            tenant_id, self.actor, action, tenant_id, before.model_dump(mode="json"), shown
        )

    async def _check(self, tenant_id: str, n: int, rule: AlertRule) -> None:
        if rule.workflow_id is not None:
            try:
                await self.store.get_workflow(tenant_id, rule.workflow_id)
            except NotFound:
                raise _invalid(n, "workflow_id", f"no workflow {rule.workflow_id!r}") from None
        _as_written(n, rule)
        for action in alert_actions(rule.email, rule.webhook_url):
            try:
                Action.model_validate(action.model_dump(), context={"rules": self.rules})
            except ValidationError as exc:
                raise _invalid(n, FIELDS[str(action.id)], exc.errors()[0]["msg"]) from None
        if rule.webhook_url:
            await self._check_url(tenant_id, n, rule.webhook_url)

    async def _check_url(self, tenant_id: str, n: int, url: str) -> None:
        """Refuse a URL the webhook call would refuse whatever the alert: one it cannot
        parse (``https://``, ``http://[::1``), or whose host the address guard refuses
        before resolving it (127.0.0.1, 10.0.0.5, a metadata service). A workflow's save
        only warns of these (its data may be a template); a rule's URL is final as given.
        An email's channel with no provider is left to the send, as a workflow's is."""
        (webhook,) = alert_actions(None, url)
        refused = await would_fail(self.gateway, tenant_id, ALERT, webhook)
        if refused is not None:
            # The connector names its input; the rule's field is named instead.
            raise _invalid(n, "webhook_url", refused.removeprefix("data.url: "))


def _as_written(n: int, rule: AlertRule) -> None:
    """Refuse a template in an address or the URL: the send renders them as its action's
    data, so one reading the alert would be judged (the address guard, the email check) only
    once it alerts, and any other fails each send. Checked here, not by the model, which
    reads the rules saved before too."""
    for i, address in enumerate(rule.email or []):
        if templated(address):
            raise _invalid(n, "email", AS_WRITTEN, i)
    if templated(rule.webhook_url):
        raise _invalid(n, "webhook_url", AS_WRITTEN)


def _invalid(n: int, name: str, problem: str, *inner: int) -> InvalidInput:
    """``problem`` of the field ``name`` of rule ``n`` (at ``inner`` in it: an address)."""
    where = ".".join(map(str, (name, *inner)))
    return InvalidInput(
        f"Invalid alert rule: rules.{n}.{where}: {problem}",
        [ErrorDetail(("body", "rules", n, name, *inner), problem)],
    )
