"""What one step did to the run: shared by the walk and the control actions it runs."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.models.run import StepStatus


@dataclass
class Outcome:
    """What one step did to the run."""

    status: StepStatus
    next_pc: int
    output: Any = None
    error: dict[str, Any] | None = None
    retry_in: float | None = None
    stop: bool = False
    input: dict[str, Any] | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    wait_until: datetime | None = None
    wait_reason: str = ""


def failed(error: dict[str, Any]) -> str:
    """A run's or a step's error as said in logs and the run's history: ``failed at step
    <id>: <message>``; without the step for an error at none (the run's timeout, an engine
    error before any call)."""
    at = f" at step {error['step_id']}" if error.get("step_id") else ""
    return f"failed{at}: {error.get('message', '')}"


def ended_by(error: dict[str, Any] | None, failure: dict[str, Any]) -> dict[str, Any]:
    """The run's error once ``failure`` (a step's, the run's timeout, an engine error) ends
    it, ``error`` being the one it held: a live run holds one only in its compensation, the
    failure the compensation handles, which stays the run's error with ``failure`` under
    ``compensation``; else ``failure``."""
    return {**error, "compensation": failure} if error else failure
