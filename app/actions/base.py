"""The connector interface: what every action implementation looks like."""

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


class ConnectorError(Exception):
    """An action failed. ``retryable`` says whether trying again may help (a 5xx, a timeout)
    or not (a 4xx, bad input); ``retry_after`` is the wait the remote side asked for, in
    seconds."""

    def __init__(self, message: str, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class ActionSpec:
    """Input and output JSON Schemas of one action, checked when a workflow is saved."""

    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class ActionContext:
    """What a connector gets besides its parameters. ``idempotency_key`` is stable across
    retries of the same step (``run id:action id:iteration``): pass it on so a retry does not
    act twice."""

    tenant_id: str
    run_id: str
    step_id: str
    idempotency_key: str
    attempt: int
    secrets: dict[str, str] = field(default_factory=dict)
    template: str | None = None


class Connector(Protocol):
    code: ClassVar[str]
    actions: ClassVar[dict[str, ActionSpec]]

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        """Do the action; raise ConnectorError on failure. The result becomes the step output."""
