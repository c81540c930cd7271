"""A tenant's failure alert rules: when a workflow's share of failed runs over a window
passes a threshold, notify (email, webhook) once per window."""

from typing import Any

from pydantic import ConfigDict, Field, StrictFloat, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.models.patterns import ID_PATTERN
from app.models.validation import Strict

MAX_RULES = 20
MAX_RECIPIENTS = 10
# A day: a rule over a longer window would read more runs than a tick should.
MAX_WINDOW_MINUTES = 1440
RULE_EXAMPLE: dict[str, Any] = {
    "rule_id": "checkout-failing",
    "workflow_id": "checkout",
    "window_minutes": 15,
    "threshold": 0.2,
    "min_runs": 10,
    "email": ["ops@example.com"],
}


class AlertRule(Strict):
    """One rule: over the last ``window_minutes``, among the runs of ``workflow_id`` (each
    workflow on its own when null) started in the window that have ended, the share that
    failed reaches ``threshold`` and they are at least ``min_runs``: notify once per
    window."""

    rule_id: str = Field(pattern=ID_PATTERN, examples=["checkout-failing"])
    workflow_id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description="The workflow watched; null: every workflow, each on its own rate.",
    )
    window_minutes: StrictInt = Field(
        60, ge=1, le=MAX_WINDOW_MINUTES, description="The window the rate is read over."
    )
    threshold: StrictFloat | StrictInt = Field(
        0.5,
        gt=0,
        le=1,
        description="The share of ended runs that failed (0.2: one in five) that alerts.",
    )
    min_runs: StrictInt = Field(
        5,
        ge=1,
        le=100_000,
        description="Ended runs in the window needed before the rate counts, so that one "
        "failed run of one does not page.",
    )
    email: list[str] | None = Field(
        None,
        min_length=1,
        max_length=MAX_RECIPIENTS,
        description="Addresses the alert is emailed to (the tenant's email configuration).",
        examples=[["ops@example.com"]],
    )
    webhook_url: str | None = Field(
        None,
        max_length=2048,
        description="A URL the alert is POSTed to as JSON (signed as `webhook_call` signs).",
        examples=["https://hooks.example.com/automator-alerts"],
    )

    @model_validator(mode="after")
    def _somewhere_to_send(self) -> "AlertRule":
        if not self.email and not self.webhook_url:
            raise PydanticCustomError(
                "alert_channel", "an alert rule needs email addresses, a webhook_url, or both"
            )
        return self


class AlertRules(Strict):
    """Every alert rule of a tenant."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"rules": [RULE_EXAMPLE]}]})

    rules: list[AlertRule] = Field(max_length=MAX_RULES)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[AlertRule]) -> list[AlertRule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.rule_id in seen:
                raise PydanticCustomError(
                    "duplicate_rule", "rule_id {rule_id} is used twice", {"rule_id": rule.rule_id}
                )
            seen.add(rule.rule_id)
        return rules
