"""What the walker reaches the world through: the ``Effects`` a real run (the store and
the queue) and a dry run (a trace and a virtual clock) each provide, and the guard a message
step passes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.actions.base import ActionContext
from app.engine.walk.launcher import Launch
from app.engine.walk.program import Instruction, Program
from app.models.run import Run, StepRecord


class Effects(Protocol):
    def now(self) -> datetime: ...

    async def checkpoint(self, run: Run, steps: list[StepRecord]) -> bool:
        """Persist the steps, then the run. False: the run changed meanwhile; stop."""

    async def begin(self, run: Run) -> bool:
        """Persist the run's pick-up if no checkpoint of this walk has yet: before its first
        step that is not internal, the run is saved running (the revision guard stops a
        walk of a run paused or cancelled since it was read, before it sends anything).
        False: the run changed meanwhile; stop."""

    async def hold(self, run: Run, steps: list[StepRecord]) -> bool:
        """Keep the steps of an internal step for the run's next checkpoint (a walk resumed
        from the last one takes that step again, the same way). False: stop."""

    async def defer(self, run: Run, job_id: str, reason: str) -> bool:
        """Persist the run and have it advanced at ``run.due_at``. True: keep walking now
        (a dry run fast-forwards); False: the walk ends here."""

    async def call(
        self, instruction: Instruction, params: dict[str, Any], ctx: ActionContext
    ) -> Any:
        """Run a connector action (a dry run answers what would be sent)."""

    async def listen(self, run: Run, job_id: str) -> "Heard":
        """Persist the run parked at its wait (indexed by its correlation key) and have it
        advanced at its deadline; then look for an event accepted in the wait's window so
        far, which an event arriving meanwhile cannot slip past (docs/architecture.md)."""

    async def find_event(self, run: Run, until: datetime | None) -> dict[str, Any] | None:
        """An accepted event answering the run's wait, received in [since, until]."""

    async def fork(self, run: Run, children: list[Run]) -> None:
        """Record the parallel step's children (those not recorded yet) and start them."""

    async def launch(self, launch: Launch) -> Run | None:
        """Start a sub-run (``Launcher.launch``); None: nothing is started (a dry run)."""

    async def children(self, run: Run) -> list[Run]:
        """The children the run's join waits for, as they stand."""

    async def gather(self, run: Run, job_id: str) -> bool:
        """Persist the run parked at its join and have it advanced at ``run.due_at``; then
        read its children. True: the join is decided already, keep walking."""

    async def cancel(self, runs: list[Run], reason: str) -> None:
        """Cancel the runs that lost a join (and the children they wait for)."""

    async def orphaned(self, run: Run) -> bool:
        """Whether ``run`` is a branch whose parent has ended (cancelled as it forked, before
        its walk could cancel the branches it had started); True: the branch is cancelled."""


@dataclass(frozen=True)
class Heard:
    """What parking at a wait came to: ``go_on`` to keep walking now, with the ``event``
    found already accepted (or none: a dry run's clock reached the deadline)."""

    go_on: bool
    event: dict[str, Any] | None = None


@dataclass(frozen=True)
class Hold:
    """A guard's answer for a step about to run: wait until ``until``, else fail (``fail``)
    or skip it, because of ``reason``."""

    reason: str
    until: datetime | None = None
    fail: bool = False


class StepGuard(Protocol):
    async def check(
        self, run: Run, program: Program, instruction: Instruction, now: datetime
    ) -> Hold | None:
        """None lets the step run now (send windows, frequency caps)."""
