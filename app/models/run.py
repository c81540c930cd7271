"""Runs, their steps, and the events that start them."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, NotRequired, TypedDict

from app.models.timestamps import fresh_text, iso_text


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Run control (``POST /api/runs/{run_id}/<command>``): what the engine applies
# (app/engine/walk/control.py) and the CLI sends. No docstring: OpenAPI would show it.
class Command(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    RETRY = "retry"
    SKIP = "skip"


FINISHED = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
# States of a run that has not ended (paused included).
UNFINISHED_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING, RunStatus.PAUSED)
# States in which a run parked at a wait_for_event step can be resumed by its event.
PARKED = frozenset({RunStatus.WAITING, RunStatus.PAUSED})
# The wait reason of a run waiting out the backoff before its failed step's next attempt.
RETRY_WAIT = "retry"
# The moves into waiting that begin no wait: a note on the way, a resume of a paused wait.
WAIT_KEPT = frozenset({RunStatus.WAITING.value, RunStatus.PAUSED.value})


# The start of the note a change of variables through the API leaves in a run's history,
# followed by their names (letters, digits and _), comma-separated: what tells a walk that
# lost a save to a pause which names an operator set on the paused run.
VARIABLES_NOTE = "variables changed: "


# One turn in a run's history: a change of status, or a note on the way (``from`` is ``to``).
# ``at`` is an ISO time. The functional form because ``from`` is a keyword.
Transition = TypedDict("Transition", {"at": str, "from": str, "to": str, "reason": str})


class Wait(TypedDict):
    """The event a wait_for_event step waits for: its type, the match rendered in the run's
    context, the correlation key it is indexed by, its window (ISO times) and, once an event
    answered it, ``resolved`` (that event as a later step reads it). An approval step waits
    the same way for a decision (app/engine/walk/approvals.py)."""

    step: str | None
    event: str
    match: dict[str, str]
    key: str
    started_at: str
    since: str
    deadline: str
    resolved: NotRequired[dict[str, Any]]
    # An approval's message, rendered when the run reached it.
    message: NotRequired[str]


# What a listener's event does to the run: cancel it (an exit event), mark it converted (a
# goal), or both.
ListenerAction = Literal["cancel", "goal", "goal_exit"]


class Listener(TypedDict):
    """An event that acts on the run while it lives (``settings.cancel_on``, ``settings.goal``),
    its match rendered when the run started."""

    event: str
    match: dict[str, str]
    key: str
    on: ListenerAction


class Loop(TypedDict):
    """A loop the run is inside: its rendered items and the position in them."""

    items: list[Any]
    index: int


class Parent(TypedDict):
    """A child run's parent: its ``run_id``, the ``step`` (a parallel or trigger_workflow
    action) that started the child and, for a parallel branch, the ``branch`` name; for a
    sub-run, whether the parent ``wait``s for it."""

    run_id: str
    step: str
    branch: str | None
    wait: NotRequired[bool]


class JoinedChild(TypedDict):
    run_id: str
    branch: str | None


JoinMode = Literal["all", "any", "first"]


class Join(TypedDict):
    """The children a run waits for at a parallel or trigger_workflow step: the ``mode``
    (all, any, first) and ``count`` needed (None: all of them)."""

    step: str
    mode: JoinMode
    count: int | None
    children: list[JoinedChild]


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
    # The retry policy's count of attempts at the current step: a retry through the API
    # starts it again at 1 (a fresh budget), with the attempts before it in earlier_attempts.
    attempt: int = 1
    earlier_attempts: int = 0
    delay_served: bool = False
    vars: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    active_seconds: float = 0.0
    error: dict[str, Any] | None = None
    history: list[Transition] = field(default_factory=list)
    revision: int = 0
    wait: Wait | None = None
    # Fixed when the run starts.
    listeners: list[Listener] = field(default_factory=list)
    # Set once, by the goal event (its type, id and time); never written by a walk.
    converted: dict[str, Any] | None = None
    # The variant each split action sent the run down (split id → variant name, "holdout").
    variants: dict[str, str] = field(default_factory=dict)
    # The loops the run is inside, outermost first, by loop id.
    loops: dict[str, Loop] = field(default_factory=dict)
    parent: Parent | None = None
    # Sub-workflow levels above this run (0: started by an event, a schedule or the API).
    depth: int = 0
    # A test run (run now with skip_delays): its steps' delays are passed over, each noted
    # in its history. Fixed when it starts; its branches and sub-runs carry it.
    skip_delays: bool = False
    join: Join | None = None
    # How many forks the run has made: a fork's children are named by it, so a retried
    # parallel step starts fresh branches while a repeated one finds its own.
    forks: int = 0
    # The at_most_once call under way, recorded before it is made: its idempotency key,
    # attempt and start. Found set by a later walk, the call's outcome is unknown.
    call_started: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def branch(self) -> bool:
        """A parallel branch: part of its parent's run, not a run of its own."""
        return self.parent is not None and self.parent.get("branch") is not None

    @property
    def wait_key(self) -> str | None:
        """The correlation key an arriving event resumes this run by, while it is parked at
        a wait that no event has answered yet."""
        wait = self.wait
        if wait is None or "resolved" in wait or self.status not in PARKED:
            return None
        return wait["key"]

    @property
    def wait_reason(self) -> str | None:
        """Why the run waits (the reason of the move that began its wait: ``delay``,
        ``retry``, ``waiting for approval ...``); None unless it is waiting. A pause and a
        resume leave the wait as it was, so the move back from paused is no new reason."""
        return self.began_wait if self.status == RunStatus.WAITING else None

    @property
    def began_wait(self) -> str | None:
        """The reason of the move that began the run's latest wait, whatever its status now
        (paused in that wait, or moved on from it)."""
        for turn in reversed(self.history):
            if turn["to"] == RunStatus.WAITING and turn["from"] not in WAIT_KEPT:
                return turn["reason"]
        return None

    @property
    def pause_turn(self) -> int | None:
        """Where in ``history`` the move that paused the run is, while it is paused (notes
        made since, such as variables set, come after it)."""
        if self.status != RunStatus.PAUSED:
            return None
        paused = RunStatus.PAUSED.value
        for at in range(len(self.history) - 1, -1, -1):
            turn = self.history[at]
            if turn["to"] == paused and turn["from"] != paused:
                return at
        return None

    @property
    def call_attempt(self) -> int:
        """The attempt at the current step's call, counting every one made (retries through
        the API included): what step records, connectors, templates and readers see."""
        return self.earlier_attempts + self.attempt

    def timer(self, kind: str) -> str:
        """The id of the resume the walker arms for a wait of ``kind`` (a delay, a retry, an
        event's deadline...) at the run's step and attempt. A control command that moves the
        wait re-arms it under this id, so it runs once, when the command says, instead of
        also firing late for nothing (and holding a burst worker till then)."""
        return f"{self.run_id}:{self.pc}:{kind}:{self.call_attempt}"

    @property
    def listen_keys(self) -> list[str]:
        """The correlation keys of the events the run listens to, while it is unfinished."""
        return [] if self.finished else [one["key"] for one in self.listeners]

    def move(self, status: RunStatus, at: datetime, reason: str = "") -> None:
        """Change status, recording the transition in ``history``."""
        if self.status != status:
            self.history.append(
                {
                    "at": fresh_text(at),
                    "from": self.status.value,
                    "to": status.value,
                    "reason": reason,
                }
            )
        self.status = status

    def note(self, at: datetime, reason: str) -> None:
        """A turn in the run's history that is no change of status."""
        status = self.status.value
        self.history.append({"at": fresh_text(at), "from": status, "to": status, "reason": reason})

    def set_vars(self, changes: dict[str, Any], at: datetime) -> None:
        """Set variables (a None value removes one) as an operator does, noting their names."""
        self.vars = changed_vars(self.vars, changes)
        self.updated_at = at
        self.note(at, VARIABLES_NOTE + ", ".join(sorted(changes)))

    def vars_set_after_a_move(self, turns: int) -> set[str]:
        """The names of the variables set as ``set_vars`` does after the first move of the
        run (a pause, a resume...) past its first ``turns`` turns of history."""
        names: set[str] = set()
        moved = False
        for turn in self.history[turns:]:
            if turn["from"] != turn["to"]:
                moved = True
            elif moved and turn["reason"].startswith(VARIABLES_NOTE):
                names.update(turn["reason"].removeprefix(VARIABLES_NOTE).split(", "))
        return names


def changed_vars(variables: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``variables`` with ``changes`` made, as a new dict: a None value removes its name."""
    changed = dict(variables)
    for name, value in changes.items():
        if value is None:
            changed.pop(name, None)
        else:
            changed[name] = value
    return changed


class StepStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    RETRYING = "retrying"
    SKIPPED = "skipped"
    # An at_most_once call that may or may not have been made: not made again.
    UNKNOWN = "unknown"


# Not frozen: a walk builds one per step, and a frozen dataclass's __init__ (each field set
# through object.__setattr__) costs three times a plain one's. Nothing changes one once built.
@dataclass
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


# Not frozen, nor are Accepted, Profile, Touch, ProfileChange and the store's Intake: these
# are built for every event accepted, where a frozen dataclass's __init__, each field
# set through object.__setattr__, cost three times a plain one's. Nothing changes one once
# built; a changed copy comes from dataclasses.replace.
@dataclass
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
    # What the intake decided, kept for the event log: workflows that listen for the type but
    # started no run, and why; runs whose wait it answered; runs it ended (exits, goals).
    skipped: dict[str, str] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    # The event this one replays (``POST /api/events/{id}/replay``).
    replay_of: str | None = None

    @property
    def user_id(self) -> str | None:
        user_id = self.user.get("id")
        return None if user_id is None else str(user_id)

    def context(self) -> dict[str, Any]:
        """The event as runs see it: its data at the root, then ``user`` and ``event``."""
        about = {"type": self.type, "id": self.event_id, "time": iso_text(self.timestamp)}
        return {**self.data, "user": self.user, "event": about}

    def view(self) -> dict[str, Any]:
        """The event as a later step reads it (``steps.<id>.output.event``)."""
        return {
            "type": self.type,
            "id": self.event_id,
            "time": self.timestamp.isoformat(),
            "received_at": self.received_at.isoformat(),
            "user": self.user,
            "data": self.data,
        }


@dataclass(frozen=True)
class Claim:
    """An idempotency key held until ``expires_at``: an event key, or a workflow's business
    key for one run."""

    key: str
    owner: str
    expires_at: datetime


@dataclass
class ArmedRun:
    """A pending or waiting run's timer as the store holds it: whose, when it falls due, and
    the run itself, or None when its record does not read (its timer is armed all the same,
    and its walk backs off)."""

    tenant_id: str
    run_id: str
    due_at: datetime
    run: Run | None


# Not frozen: see the note on EventRecord above.
@dataclass
class Accepted:
    """What the store made of an event: the runs it recorded, or the original event's."""

    event: EventRecord
    duplicate: bool
    runs: list[Run]
    skipped: dict[str, str] = field(default_factory=dict)
    # Runs parked at a wait that this event answered: they are due and need a worker.
    woken: list[Run] = field(default_factory=list)
    # Runs this event ended (an exit event, a goal that exits): their concurrency slots go.
    ended: list[Run] = field(default_factory=list)


@dataclass(frozen=True)
class EventFilter:
    """The event log's filters; ``since``/``until`` bound the time received."""

    type: str | None = None
    user_id: str | None = None
    idempotency_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class RunFilter:
    workflow_id: str | None = None
    status: RunStatus | None = None
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Runs of these workflows only (a limited key's reach), beside ``workflow_id``.
    workflow_ids: Sequence[str] | None = None

    @property
    def by_time(self) -> bool:
        """Whether a time bounds the runs: listed newest first by creation time (then run
        id), the order of the store's index of it, so a page reads its runs and no more."""
        return self.since is not None or self.until is not None
