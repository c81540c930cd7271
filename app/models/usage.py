"""What language model calls spent: one record per AI step attempt (or copilot draft)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AiUsage:
    """Tokens and cost (US dollars) of one AI call. ``workflow_id`` and ``run_id`` are
    empty for calls outside runs (the copilot)."""

    tenant_id: str
    workflow_id: str
    run_id: str
    step_id: str
    model: str
    input_tokens: int
    output_tokens: int
    cost: float
    at: datetime


@dataclass(frozen=True)
class UsageTally:
    """AI calls summed: of one workflow, one run, or a tenant."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    def __add__(self, other: "UsageTally") -> "UsageTally":
        return UsageTally(
            self.calls + other.calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost + other.cost,
        )
