"""Approvals: a run parked at an ``approval`` step until someone decides, or its timeout.

The run is the approval's record, as it is a wait's: the step parks the run ``waiting`` with
a wait on the decision (``Wait.event`` is ``@approval``, a type no event can have), and a
decision (``POST /api/approvals/{id}/approve``, or a signed link) is written onto the parked
run under its revision guard, so exactly one decision, or the timeout, wins. An approval's
id names its run, step and loop iteration, so a step before it can already send its links.

Signed links carry the tenant, the approval, the decision and an expiry, with an HMAC-SHA256
over them under a key derived from the secrets master key: every process that reads stored
secrets can check them, and nothing is stored per link.
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

from app.engine.expressions.renderer import Renderer
from app.engine.walk.arms import iteration
from app.engine.walk.outcome import Outcome
from app.engine.walk.program import Instruction, Kind, Program
from app.engine.walk.waits import correlation_key
from app.models.action import Action
from app.models.run import Run, StepStatus, Wait
from app.models.validation import delay_seconds

# The wait's event type: no accepted event can carry it (event types start alphanumeric).
APPROVAL_EVENT = "@approval"
SEPARATOR = "~"  # in no run id, action id or iteration
# What the links' key is derived for, from the secrets master key.
APPROVAL_LINKS = "automator approval links v1"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# What a decision records in the step's output, and the arm it sends the run down.
DECIDED = {Decision.APPROVE: "approved", Decision.REJECT: "rejected"}
TIMED_OUT = "timed_out"
ARM = {"approved": 0, "rejected": 1, TIMED_OUT: 2}


def approval_id(run: Run, action_id: str) -> str:
    """The id of the approval ``action_id`` of ``run`` in its current loop iteration."""
    return SEPARATOR.join((run.run_id, action_id, iteration(run)))


def run_of(approval: str) -> str | None:
    """The run id an approval id names; None for a malformed id."""
    parts = approval.rsplit(SEPARATOR, 2)
    return parts[0] if len(parts) == 3 and all(parts) else None


def approval_of(wait: Wait | None) -> str | None:
    """The approval a run's wait is for, if it waits for a decision."""
    if wait is None or wait["event"] != APPROVAL_EVENT:
        return None
    return wait["match"]["approval_id"]


@dataclass(frozen=True)
class Links:
    """Signs and checks the links that decide an approval without an API key."""

    keys: Sequence[bytes]  # the first signs; any one checks (the master key rotates)
    base_url: str

    def link(self, tenant_id: str, approval: str, decision: Decision, expires: datetime) -> str:
        expiry = int(expires.timestamp())
        query = {
            "tenant": tenant_id,
            "expires": expiry,
            "signature": self._sign(self.keys[0], tenant_id, approval, decision, expiry),
        }
        path = f"/approvals/{quote(approval, safe='')}/{decision}"
        return f"{self.base_url.rstrip('/')}{path}?{urlencode(query)}"

    def valid(
        self, tenant_id: str, approval: str, decision: Decision, expires: int, signature: str
    ) -> bool:
        """Whether ``signature`` was made by one of our keys for exactly these values."""
        given = signature.encode()
        return any(
            hmac.compare_digest(
                self._sign(key, tenant_id, approval, decision, expires).encode(), given
            )
            for key in self.keys
        )

    @staticmethod
    def _sign(key: bytes, tenant_id: str, approval: str, decision: Decision, expires: int) -> str:
        message = "\n".join((tenant_id, approval, decision.value, str(expires)))
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()

    def context(self, run: Run, program: Program, now: datetime, scale: float) -> dict[str, Any]:
        """``approval`` for templates: the id and links of the next approval step from the
        run's position (the one a step before it announces); empty when none follows."""
        upcoming = program.next_approval(run.pc)
        if upcoming is None:
            return {}
        action = upcoming.action
        approval = approval_id(run, str(action.id))
        expires = now + timedelta(seconds=delay_seconds(action.approval().timeout) * scale)
        urls = {
            f"{decision}_url": self.link(run.tenant_id, approval, decision, expires)
            for decision in Decision
        }
        return {"approval": {"id": approval, **urls}}


# A dry run's links: shaped like real ones, valid nowhere.
SAMPLE_LINKS = Links((b"dry run",), "http://dry-run.invalid")


def begin_approval(
    action: Action,
    run: Run,
    context: Mapping[str, Any],
    renderer: Renderer,
    now: datetime,
    scale: float,
) -> Wait:
    """The wait a run parks at for an approval step: its id, message and deadline."""
    spec = action.approval()
    approval = approval_id(run, str(action.id))
    match = {"approval_id": approval}
    wait: Wait = {
        "step": action.id,
        "event": APPROVAL_EVENT,
        "match": match,
        "key": correlation_key(APPROVAL_EVENT, match),
        "started_at": now.isoformat(),
        "since": now.isoformat(),
        "deadline": (now + timedelta(seconds=delay_seconds(spec.timeout) * scale)).isoformat(),
    }
    if spec.message is not None:
        where = f"action {action.id} data"
        wait["message"] = str(renderer.render({"message": spec.message}, context, where)["message"])
    return wait


def decision_of(decision: Decision, by: str, at: datetime, comment: str | None) -> dict[str, Any]:
    """What a decision writes onto the parked run (``wait.resolved``)."""
    return {
        "decision": DECIDED[decision],
        "decided_by": by,
        "decided_at": at.isoformat(),
        "comment": comment,
    }


def decided(wait: Wait, instruction: Instruction, now: datetime) -> Outcome:
    """The approval step's outcome: the decision (or the timeout), who made it and when, and
    the arm it takes."""
    resolved = wait.get("resolved") or {
        "decision": TIMED_OUT,
        "decided_by": None,
        "decided_at": now.isoformat(),
        "comment": None,
    }
    assert instruction.kind == Kind.APPROVAL
    approval = wait["match"]["approval_id"]
    asked = {"approval_id": approval, "deadline": wait["deadline"]}
    if "message" in wait:
        asked["message"] = wait["message"]
    output = {"approval_id": approval, **resolved}
    next_pc = instruction.arms[ARM[resolved["decision"]]]
    return Outcome(StepStatus.COMPLETED, next_pc, output=output, input=asked)
