"""Runs, their steps, and the events that start them."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})


@dataclass
class Run:
    """One execution of one workflow version. ``pc`` is the position in the version's compiled
    program; ``revision`` guards every write, so a control call and a worker never overwrite
    each other's changes."""

    run_id: str
    tenant_id: str
    workflow_id: str
    version: int
    event_id: str
    user_id: str | None
    status: RunStatus
    context: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    pc: int = 0
    attempt: int = 1
    delay_served: bool = False
    vars: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    active_seconds: float = 0.0
    error: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    revision: int = 0

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class StepStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    RETRYING = "retrying"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepRecord:
    """One attempt of one action. ``input`` is the rendered data with secrets masked."""

    tenant_id: str
    run_id: str
    workflow_id: str
    step_id: str
    action_type: str
    attempt: int
    status: StepStatus
    started_at: datetime
    finished_at: datetime
    idempotency_key: str
    input: dict[str, Any] | None = None
    output: Any = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class EventRecord:
    tenant_id: str
    event_id: str
    type: str
    user: dict[str, Any]
    data: dict[str, Any]
    timestamp: datetime
    received_at: datetime
    idempotency_key: str | None = None
    run_ids: list[str] = field(default_factory=list)
    workflow_ids: list[str] = field(default_factory=list)

    @property
    def user_id(self) -> str | None:
        user_id = self.user.get("id")
        return None if user_id is None else str(user_id)


@dataclass(frozen=True)
class Claim:
    """An idempotency key held until ``expires_at``: an event key, or a workflow's business
    key for one run."""

    key: str
    owner: str
    expires_at: datetime


@dataclass(frozen=True)
class Accepted:
    """What the store made of an event: the runs it recorded, or the original event's."""

    event: EventRecord
    duplicate: bool
    runs: list[Run]
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunFilter:
    workflow_id: str | None = None
    status: RunStatus | None = None
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
