"""The errors a store raises: the database's own failures, and each record's NotFound or
Conflict, worded once for both adapters."""

from pymongo.errors import PyMongoError

from app.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from app.sqlite_file import operational_errors


def store_errors() -> tuple[type[Exception], ...]:
    """Failures of the database rather than of the request: worth trying again later. Read
    by except clauses when something was raised: SQLite's are its driver's, SQLCipher's
    once a process opened an encrypted store (``app.sqlite_file``)."""
    return (OSError, PyMongoError, *operational_errors())


def key_exists() -> Conflict:
    return Conflict("An API key with this id or secret is already stored.")


def key_not_found(key_id: str) -> NotFound:
    return NotFound(f"API key {key_id!r} was not found.")


def last_manager(key_id: str) -> Conflict:
    return Conflict(
        f"API key {key_id!r} is the tenant's last admin key: revoked, no key could "
        "manage keys. Create another admin key first (POST /api/keys), then revoke "
        "this one."
    )


def workflow_not_found(workflow_id: str) -> NotFound:
    return NotFound(f"Workflow {workflow_id!r} was not found.")


def version_not_found(workflow_id: str, version: int) -> NotFound:
    return NotFound(f"Workflow {workflow_id!r} has no version {version}.")


def workflow_exists(workflow_id: str) -> Conflict:
    return Conflict(
        f"Workflow {workflow_id!r} already exists; save a new version with "
        f"PUT /api/workflows/{workflow_id}."
    )


def event_not_found(event_id: str) -> NotFound:
    return NotFound(f"Event {event_id!r} was not found.")


def run_not_found(run_id: str) -> NotFound:
    return NotFound(f"Run {run_id!r} was not found.")


def cursor_run_gone(run_id: str) -> InvalidInput:
    """A listing by time goes on after its cursor's run, which it must read."""
    return InvalidInput(
        f"after names run {run_id!r}, which is not stored (or no longer: retention may have "
        "removed it), so a listing by time cannot go on after it. List again from the first "
        "page, without after.",
        [ErrorDetail(("query", "after"), "the run_id of a run listed on the page before")],
    )


def hook_not_found(hook_id: str) -> NotFound:
    return NotFound(f"Hook {hook_id!r} was not found.")


def bulk_job_not_found(job_id: str) -> NotFound:
    return NotFound(f"Bulk job {job_id!r} was not found.")


def secret_not_found(name: str) -> NotFound:
    return NotFound(f"Secret {name!r} was not found.")


def integration_not_found(code: str) -> NotFound:
    return NotFound(f"No configuration of {code!r} is stored for this tenant.")


def profile_not_found(user_id: str) -> NotFound:
    return NotFound(f"No profile for user {user_id!r}.")


def segment_not_found(segment_id: str) -> NotFound:
    return NotFound(f"Segment {segment_id!r} was not found.")


def campaign_not_found(campaign_id: str) -> NotFound:
    return NotFound(f"Campaign {campaign_id!r} was not found.")


def not_pending(workflow_id: str, version: int) -> Conflict:
    return Conflict(
        f"Version {version} of workflow {workflow_id!r} is not waiting for approval (decided "
        f"or replaced meanwhile): read GET /api/workflows/{workflow_id} for its pending "
        "publication."
    )


def template_not_found(name: str) -> NotFound:
    return NotFound(f"Message template {name!r} was not found.")


def template_exists(name: str) -> Conflict:
    return Conflict(
        f"Message template {name!r} already exists; change it with PUT /api/templates/{name}."
    )


def outbox_message_not_found(message_id: str) -> NotFound:
    return NotFound(f"Outbox message {message_id!r} was not found.")
