"""What the approvals API reads and answers."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.approvals import ApprovalState
from app.models.run import RunStatus


class DecisionBody(BaseModel):
    """An optional comment kept with the decision (in the step's output and the audit log)."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=2000, examples=["Budget checked."])


class ApprovalRead(BaseModel):
    """An approval as its run shows it."""

    approval_id: str = Field(examples=["run_019ad3c2b1e04f6a2c9d81e7~manager_ok~0"])
    run_id: str
    workflow_id: str
    step_id: str
    status: Literal["pending", "approved", "rejected", "timed_out", "not_waiting"] = Field(
        description="`pending` while the run waits for a decision; `not_waiting` when the run "
        "has not reached the step yet, or ended before a decision."
    )
    run_status: RunStatus
    message: str | None = Field(description="The step's message, rendered for this run.")
    deadline: str | None = Field(description="When the on_timeout actions run (ISO 8601).")
    decided_by: str | None = Field(
        description="The API key id that decided, or `signed link`; null until decided."
    )
    decided_at: str | None = None
    comment: str | None = None
    already_decided: bool = Field(
        False, description="True when this request changed nothing: it was decided before."
    )

    @classmethod
    def of(cls, state: ApprovalState, *, already_decided: bool = False) -> "ApprovalRead":
        return cls.model_validate(
            {**state.__dict__, "already_decided": already_decided}, from_attributes=False
        )
