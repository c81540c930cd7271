"""A workflow's settings: limits, flow control, send windows and compensation."""

from typing import Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models.action import MAX_EXITS, Action, EventMatch, Goal, RetryPolicy, template_problems
from app.models.flow import (
    Concurrency,
    Debounce,
    FrequencyCap,
    QuietHours,
    RateLimit,
    SendWindow,
    Throttle,
    windows_meet,
)
from app.models.patterns import ID_PATTERN
from app.models.validation import Strict, refusal, rules_of

# What on_failure may run inline: the connectors that send, nothing that walks or waits.
ON_FAILURE_TYPES = ("webhook_call", "send_email", "send_sms", "send_push", "send_whatsapp")
MAX_ON_FAILURE_ACTIONS = 5


class OnFailure(Strict):
    """What a failed run sets off once it is recorded failed: a run of another workflow
    (an error workflow, started on a `workflow_failed` event), inline actions that send, or
    both. Both see the failure as `{{failure.*}}`: `run_id`, `workflow` (id, name, version),
    `step` (id, type), `error` (code, message), `event` (the one that started the run) and
    `links` (the Studio's and the API's). A run started by on_failure never sets off
    on_failure itself, whichever workflow it runs, so handlers cannot loop."""

    workflow_id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description="The error workflow: its published version is started on a "
        "`workflow_failed` event whose data is `{failure: {...}}`. It may be this workflow.",
        examples=["on_call_page"],
    )
    actions: list[Action] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ON_FAILURE_ACTIONS,
        description="Actions sent at once, each at most once per failure: "
        f"{', '.join(ON_FAILURE_TYPES)}; no delay, conditions or retries.",
        examples=[
            [
                {
                    "type": "webhook_call",
                    "data": {
                        "url": "https://hooks.example.com/failed",
                        "json": {"run": "{{failure.run_id}}", "error": "{{failure.error}}"},
                    },
                }
            ]
        ],
    )

    @model_validator(mode="after")
    def _something_to_do(self) -> "OnFailure":
        if self.workflow_id is None and not self.actions:
            raise PydanticCustomError(
                "on_failure", "on_failure needs a workflow_id, actions, or both"
            )
        return self

    @field_validator("actions")
    @classmethod
    def _senders_only(cls, actions: list[Action] | None) -> list[Action] | None:
        for n, action in enumerate(actions or [], start=1):
            if action.type not in ON_FAILURE_TYPES:
                raise PydanticCustomError(
                    "on_failure_action",
                    "on_failure action {n} is a {type}; on_failure sends only: {types}",
                    {"n": n, "type": action.type, "types": ", ".join(ON_FAILURE_TYPES)},
                )
            if action.delay or action.conditions or action.retry or action.template:
                raise PydanticCustomError(
                    "on_failure_action",
                    "on_failure action {n} has a delay, conditions, a retry or a template; "
                    "on_failure actions are sent once, at once, with their own data",
                    {"n": n},
                )
            action.id = action.id or f"on_failure_{n}"
        ids = [action.id for action in actions or []]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("duplicate_id", "on_failure action ids must differ")
        return actions


class WorkflowSettings(Strict):
    enabled: StrictBool = True
    max_executions: int | None = Field(None, ge=1, description="Most runs this workflow starts.")
    timeout: int = Field(300, ge=1, description="Seconds of active execution per run.")
    idempotency_key: str | None = Field(
        None,
        max_length=512,
        description="A template (e.g. `{{order_id}}`): events rendering the same key within the "
        "idempotency window start one run.",
    )
    retry: RetryPolicy | None = Field(None, description="Default retry policy of every action.")
    concurrency: Concurrency | None = Field(None, description="Live runs at once, per key.")
    throttle: Throttle | None = Field(None, description="Run starts per period; more wait.")
    rate_limit: RateLimit | None = Field(None, description="Runs per period; more are dropped.")
    debounce: Debounce | None = Field(None, description="One run per burst of events.")
    priority: StrictInt = Field(
        0,
        ge=0,
        le=86400,
        description="Seconds of head start: when workers are busy, this workflow's runs are "
        "taken before other ready work queued up to this long before them.",
    )
    frequency_cap: FrequencyCap | None = Field(
        None, description="Messages per user per period, counted across workflows."
    )
    frequency_cap_exempt: StrictBool = Field(
        False, description="Ignore the tenant's frequency cap (transactional messages)."
    )
    quiet_hours: QuietHours | None = Field(None, description="Local hours with no messages.")
    send_window: SendWindow | None = Field(None, description="Local hours and days to send in.")
    cancel_on: list[EventMatch] | None = Field(
        None,
        max_length=MAX_EXITS,
        description="Exit events: one of these, with the match rendered when the run started, "
        "cancels a live run at once, wherever it is (a delay, a wait, a step).",
        examples=[[{"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}]],
    )
    goal: Goal | None = Field(
        None,
        description="Conversion goal: the event marks a live run converted (recorded on the "
        "run); with `exit: true` it also ends the run, completed.",
    )
    on_error: Literal["fail", "continue", "compensate"] = Field(
        "fail",
        description="When a step fails for good (retries spent): `fail` the run; `continue` "
        "with the next action (the error is the step's `steps.<id>.error`); or `compensate`: "
        "run the `compensation` actions, then fail the run.",
    )
    compensation: list[Action] | None = Field(
        None, min_length=1, description="The actions `on_error: compensate` runs."
    )
    on_failure: OnFailure | None = Field(
        None,
        description="What a failed run sets off once it is recorded: an error workflow, "
        "inline sends, or both (at most once per failure; never for a run on_failure "
        "started).",
    )

    @model_validator(mode="after")
    def _compensation_with_compensate(self) -> "WorkflowSettings":
        if (self.on_error == "compensate") != (self.compensation is not None):
            raise PydanticCustomError(
                "on_error", "on_error: compensate and compensation actions go together"
            )
        return self

    @model_validator(mode="after")
    def _windows_meet(self) -> "WorkflowSettings":
        quiet, window = self.quiet_hours, self.send_window
        if quiet and window and not windows_meet(quiet.window(), window.window()):
            raise PydanticCustomError(
                "send_window", "quiet_hours cover all of send_window: nothing could be sent"
            )
        return self

    @model_validator(mode="after")
    def _templates_compile(self, info: ValidationInfo) -> "WorkflowSettings":
        rules = rules_of(info)
        if rules is None:
            return self
        # Compensation and on_failure actions check their own templates; no other setting
        # holds "{{" but the templated ones (idempotency_key, limiter keys, exit and goal
        # matches).
        shown = self.model_dump(
            mode="json", exclude={"compensation", "on_failure"}, exclude_none=True
        )
        problems = template_problems(shown, rules, ())
        if problems:
            raise refusal("template", problems)
        return self

    def listened(self) -> list[EventMatch]:
        """The events a run listens to while it lives: exits, then the goal."""
        return [*(self.cancel_on or []), *([self.goal] if self.goal else [])]

    @field_validator("timeout")
    @classmethod
    def _within_limit(cls, value: int, info: ValidationInfo) -> int:
        rules = rules_of(info)
        if rules is not None and value > rules.max_timeout:
            raise PydanticCustomError(
                "limit",
                "timeout is over the limit of {limit} seconds",
                {"limit": rules.max_timeout},
            )
        return value
