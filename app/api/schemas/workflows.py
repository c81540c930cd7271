"""What the workflows API reads and answers: workflows, versions, imports, status, logs, tests
and run-now requests."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from app.api.schemas.page import Page
from app.api.schemas.runs import StepRead
from app.engine.walk.dry_run import Script
from app.models.run import RunStatus
from app.models.workflow import WorkflowHead, WorkflowVersion
from app.runs import Status, Trial
from app.triggers.ingest import (
    EVENT_EXAMPLE,
    EVENT_FIELDS,
    ClientKey,
    EventIn,
    JsonObject,
    UserObject,
)
from app.triggers.preview import ActionWarning
from app.workflows import Saved


class PendingRead(BaseModel):
    """A publication waiting for a second key's approval (four-eyes publishing)."""

    version: int
    requested_by: str = Field(description="The API key id that asked for it, or `cli`.")
    requested_at: datetime

    @classmethod
    def of(cls, head: WorkflowHead) -> "PendingRead | None":
        if head.pending_version is None or head.pending_at is None:
            return None
        by = head.pending_by or "cli"
        return cls(version=head.pending_version, requested_by=by, requested_at=head.pending_at)


class WorkflowRead(BaseModel):
    """A workflow as it stands, with the document of the version it serves."""

    workflow_id: str
    name: str
    trigger_type: str
    version: int = Field(description="The version shown: the active one, else the newest.")
    latest_version: int
    active_version: int | None
    enabled: bool
    archived: bool
    tags: list[str] = Field(description="The newest version's tags.")
    pending_approval: PendingRead | None = Field(
        description="The version waiting for another key's approval before it becomes "
        "active (four-eyes publishing); null when none waits."
    )
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any]

    @classmethod
    def of(cls, saved: Saved) -> "WorkflowRead":
        head = saved.head
        return cls(
            workflow_id=head.workflow_id,
            name=head.name,
            trigger_type=head.trigger_type,
            version=saved.version.version,
            latest_version=head.latest_version,
            active_version=head.active_version,
            enabled=head.enabled,
            archived=head.archived,
            tags=head.tags,
            pending_approval=PendingRead.of(head),
            created_at=head.created_at,
            updated_at=head.updated_at,
            document=saved.version.document,
        )


class WorkflowSummary(BaseModel):
    workflow_id: str
    name: str
    trigger_type: str
    latest_version: int
    active_version: int | None
    enabled: bool
    archived: bool
    tags: list[str] = Field(description="The newest version's tags.")
    pending_version: int | None = Field(
        description="The version waiting for another key's approval (four-eyes publishing)."
    )
    updated_at: datetime

    @classmethod
    def of(cls, head: WorkflowHead) -> "WorkflowSummary":
        return cls.model_validate(head, from_attributes=True)


class WorkflowList(Page[WorkflowSummary]):
    """A page of workflows, by id."""


VersionStatus = Literal["active", "pending_approval", "inactive"]


class VersionSummary(BaseModel):
    version: int
    active: bool
    status: VersionStatus = Field(
        description="`active`: runs start on it; `pending_approval`: published, waiting for "
        "another key's approval (four-eyes publishing); `inactive`: a draft or an earlier "
        "version."
    )
    created_at: datetime
    created_by: str | None

    @classmethod
    def of(cls, version: WorkflowVersion, head: WorkflowHead) -> "VersionSummary":
        return cls(
            version=version.version,
            active=version.version == head.active_version,
            status=_status(version.version, head),
            created_at=version.created_at,
            created_by=version.created_by,
        )


def _status(version: int, head: WorkflowHead) -> VersionStatus:
    if version == head.active_version:
        return "active"
    return "pending_approval" if version == head.pending_version else "inactive"


class VersionRead(VersionSummary):
    document: dict[str, Any]

    @classmethod
    def of_saved(cls, saved: Saved) -> "VersionRead":
        summary = VersionSummary.of(saved.version, saved.head)
        return cls(**summary.model_dump(), document=saved.version.document)


class ValidationWarning(BaseModel):
    """An action that would fail if a run reached it now, whatever its event."""

    action_id: str
    action_type: str
    message: str = Field(
        examples=[
            "message template 'cart_reminder' was not found; create it in the Studio under "
            "Governance → Message templates, or with POST /api/templates"
        ]
    )


class WorkflowSaved(WorkflowRead):
    """A workflow as a save (create or update) left it, with what `validate` warns of."""

    warnings: list[ValidationWarning] = Field(
        description="The actions of the saved document that would fail if a run reached them "
        "now, whatever its event (a webhook to an address the guard refuses, a message "
        "template or a secret not created yet), as `POST /api/workflows/validate` gives them. "
        "The save stands: fix what they name before the first run."
    )

    @classmethod
    def of_save(cls, saved: Saved, found: list[ActionWarning]) -> "WorkflowSaved":
        shown = [ValidationWarning.model_validate(w, from_attributes=True) for w in found]
        return cls(**dict(WorkflowRead.of(saved)), warnings=shown)


class ValidationResult(BaseModel):
    valid: bool
    document: dict[str, Any] | None = Field(None, description="The canonical document, ids added.")
    error: dict[str, Any] | None = Field(None, description="The error, in the one error shape.")
    warnings: list[ValidationWarning] = Field(
        default_factory=list,
        description="Of a valid document: the actions that would fail if a run reached them "
        "now, whatever its event (a message template or a secret not created yet, a channel "
        "with no provider). They do not stop a save: create what they name before the first "
        "run. `POST /api/workflows/{id}/test` checks the data rendered for an event.",
    )


class ImportItem(BaseModel):
    source: str
    status: Literal["created", "updated", "unchanged", "error"]
    workflow_id: str | None
    version: int | None
    error: dict[str, Any] | None
    notes: list[str] = Field(
        default_factory=list,
        description="What the file held that was not imported (seed 002's logging, a "
        "disabled schedule).",
    )
    warnings: list[ValidationWarning] = Field(
        default_factory=list,
        description="Of a workflow imported or found unchanged: its actions that would fail "
        "if a run reached them now, as `POST /api/workflows/validate` gives them (a message "
        "template or a secret not created yet). The import stands.",
    )


class ImportReport(BaseModel):
    results: list[ImportItem]


class WorkflowStatus(BaseModel):
    workflow_id: str
    name: str
    trigger_type: str
    enabled: bool
    active_version: int | None
    runs: dict[str, int] = Field(description="Runs by status.")


class StatusReport(BaseModel):
    workflows: list[WorkflowStatus]
    runs: dict[str, int] = Field(description="All the tenant's runs by status.")

    @classmethod
    def of(cls, status: Status) -> "StatusReport":
        workflows = [
            WorkflowStatus(
                workflow_id=one.head.workflow_id,
                name=one.head.name,
                trigger_type=one.head.trigger_type,
                enabled=one.head.enabled,
                active_version=one.head.active_version,
                runs=one.runs,
            )
            for one in status.workflows
        ]
        return cls(workflows=workflows, runs=status.runs)


class LogReport(BaseModel):
    workflow_id: str
    entries: list[StepRead] = Field(description="Newest first.")


class CannedStep(BaseModel):
    """What a step's connector answers in a scripted test: an ``output``, or a failure."""

    model_config = ConfigDict(extra="forbid")

    output: Any = None
    fail: str | None = Field(None, min_length=1, description="Fail with this message.")
    retryable: bool = Field(False, description="The failure may be retried (its policy).")


class CannedEvent(BaseModel):
    """The event a wait_for_event step receives in a scripted test (its type is the one
    the step waits for)."""

    model_config = ConfigDict(extra="forbid")

    user: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)


class ScriptIn(BaseModel):
    """Canned answers by step id, so every branch can be tested before publishing."""

    model_config = ConfigDict(extra="forbid")

    steps: dict[str, CannedStep] = Field(default_factory=dict)
    events: dict[str, CannedEvent] = Field(
        default_factory=dict, description="Wait steps answered by an event, not a timeout."
    )

    def script(self) -> Script:
        outputs = {k: v.output for k, v in self.steps.items() if v.fail is None}
        failures = {k: (v.fail, v.retryable) for k, v in self.steps.items() if v.fail is not None}
        events = {k: v.model_dump() for k, v in self.events.items()}
        return Script(outputs, failures, events)


SCRIPT_EXAMPLE: dict[str, Any] = {
    "event": EVENT_EXAMPLE,
    "script": {
        "steps": {"a1": {"fail": "mailbox full", "retryable": False}},
        "events": {"wait_purchase": {"data": {"order_id": "o-1"}}},
    },
}


class WorkflowTest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"event": EVENT_EXAMPLE}, SCRIPT_EXAMPLE]},
    )

    event: EventIn
    script: ScriptIn | None = Field(
        None,
        description="Canned outputs and failures per step, and events for its waits; "
        "each trace entry that used one says so in `canned` (output, failure, event).",
    )

    @model_validator(mode="before")
    @classmethod
    def _event_under_event(cls, value: Any) -> Any:
        """An event sent as the body itself (``{"type": ..., "data": ...}``) was refused as
        "event: Field required" and its fields as extra inputs: say where it goes."""
        if not isinstance(value, dict) or "event" in value or not EVENT_FIELDS & set(value):
            return value
        message = (
            'the event goes under event: {"event": {"type": ..., "user": ..., "data": ...}}; '
            f"the body takes {', '.join(cls.model_fields)}"
        )
        raise PydanticCustomError("event_under_event", "{message}", {"message": message})


class WorkflowTestResult(BaseModel):
    workflow_id: str
    version: int
    matched: bool = Field(description="Whether the event meets the trigger's conditions.")
    conditions: list[dict[str, Any]]
    status: RunStatus = Field(description="How the run would end.")
    error: dict[str, Any] | None
    trace: list[dict[str, Any]] = Field(
        description="Steps and waits in order; `at` is seconds after the event."
    )

    @classmethod
    def of(cls, workflow_id: str, trial: Trial) -> "WorkflowTestResult":
        return cls(
            workflow_id=workflow_id,
            version=trial.version,
            matched=trial.matched,
            conditions=trial.conditions,
            status=trial.run.status,
            error=trial.run.error,
            trace=trial.trace,
        )


class RunNow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: UserObject = Field(default_factory=dict)
    data: JsonObject = Field(default_factory=dict)
    idempotency_key: ClientKey | None = None
    skip_delays: StrictBool = Field(
        False,
        description="A test run: every step's delay is passed over (noted in the run's "
        "history) instead of waited out; waits for events, approvals and send windows "
        "are not delays and still wait. Messages are sent.",
    )
