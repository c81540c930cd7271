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
