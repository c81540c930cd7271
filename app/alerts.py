"""A tenant's failure alert rules, as the API changes them: checked (the workflow exists,
the addresses and the URL pass the email and webhook connectors' own checks) and recorded
in the audit log. The leading scheduler applies them (``app/triggers/alerts.py``)."""

from dataclasses import dataclass, field

from pydantic import ValidationError

from app.audit import CLI, Acting, Audit
from app.errors import ErrorDetail, InvalidInput, NotFound
from app.models.action import Action
from app.models.alert import AlertRule, AlertRules
from app.models.validation import ValidationRules
from app.store.protocol import Store
from app.triggers.alerts import alert_actions

# Where each send's problem is reported, by the alert's action id.
FIELDS = {"email": "email", "webhook": "webhook_url"}


@dataclass(frozen=True)
class Alerts(Acting):
    """Alert rules for ``actor`` (an API key id; ``cli`` by default)."""

    store: Store
    audit: Audit
    # The checks a workflow's actions pass when it is saved.
    rules: ValidationRules
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
        for action in alert_actions(rule.email, rule.webhook_url):
            try:
                Action.model_validate(action.model_dump(), context={"rules": self.rules})
            except ValidationError as exc:
                raise _invalid(n, FIELDS[str(action.id)], exc.errors()[0]["msg"]) from None


def _invalid(n: int, name: str, problem: str) -> InvalidInput:
    return InvalidInput(
        f"Invalid alert rule: rules.{n}.{name}: {problem}",
        [ErrorDetail(("body", "rules", n, name), problem)],
    )
