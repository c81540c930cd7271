"""Records the store's contract tests build: documents, events, runs, claims."""

from datetime import timedelta
from typing import Any

from app.models.document import WorkflowDocument
from app.models.run import Claim, EventRecord, Run, RunStatus
from tests.clock import now


def document(
    workflow_id: str = "wf", trigger: str = "user_signup", **changes: Any
) -> WorkflowDocument:
    return WorkflowDocument.model_validate(
        {
            "workflow_id": workflow_id,
            "name": f"{workflow_id} name",
            "trigger": {"type": trigger},
            "actions": [{"type": "send_email"}],
            **changes,
        }
    )


def event(event_id: str = "ev1", key: str | None = None, tenant_id: str = "acme") -> EventRecord:
    at = now()
    return EventRecord(
        tenant_id, event_id, "user_signup", {"id": "u1"}, {"plan": "pro"}, at, at, key
    )


def run(run_id: str, workflow_id: str = "wf", tenant_id: str = "acme", **changes: Any) -> Run:
    at = now()
    fields: dict[str, Any] = {
        "run_id": run_id,
        "tenant_id": tenant_id,
        "workflow_id": workflow_id,
        "version": 1,
        "event_id": "ev1",
        "user_id": "u1",
        "status": RunStatus.PENDING,
        "context": {"plan": "pro", "user": {"id": "u1"}},
        "created_at": at,
        "updated_at": at,
        "due_at": at,
    }
    return Run(**(fields | changes))


def ids(found: list[Run]) -> list[str]:
    return [run.run_id for run in found]


def claim(key: str, owner: str, seconds: float = 3600) -> Claim:
    return Claim(key, owner, now() + timedelta(seconds=seconds))
