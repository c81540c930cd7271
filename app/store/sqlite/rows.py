"""Records as SQLite rows and back: each table's columns, how a row reads, how a record is
written."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

import orjson

from app.models.audit import AuditEntry
from app.models.flow import TenantLimits
from app.models.outbox import OutboxMessage
from app.models.profile import Campaign, CampaignMember, Profile, Segment
from app.models.run import EventRecord, Run, RunStatus, StepRecord, StepStatus
from app.models.secret import IntegrationConfig, StoredSecret
from app.models.template import MessageTemplate
from app.models.tenant import ApiKey, Role, Tenant, TenantSettings
from app.models.timestamps import fresh_text, iso_text
from app.models.workflow import WorkflowHead, WorkflowVersion

R = TypeVar("R")


@dataclass(frozen=True)
class Table(Generic[R]):
    """What the shared reads select from a table, and the record a row of it reads as."""

    name: str
    columns: str
    read: Callable[[Any], R]


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _as_stored(value: Any) -> Any:
    return value


# How a column reads, by its name: times are ISO text, documents JSON, flags integers.
DECODE: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(
        (
            "created_at",
            "updated_at",
            "rotated_at",
            "revoked_at",
            "first_seen",
            "last_seen",
            "added_at",
            "pending_at",
            "last_used_at",
            "expires_at",
        ),
        _time,
    ),
    **dict.fromkeys(("document", "config", "conditions", "attributes"), orjson.loads),
    "role": Role,
    "enabled": bool,
    "archived": bool,
    "scheduled": bool,
    # A key's limits: NULL is none (a head's tags column is never NULL).
    **dict.fromkeys(
        ("workflows", "tags"), lambda text: None if text is None else orjson.loads(text)
    ),
}


def table(name: str, record: Callable[..., R], columns: Sequence[str], **computed: str) -> Table[R]:
    """A table whose rows read as ``record`` with a field per column (and per ``computed``
    expression, by its keyword), each decoded by its name."""
    fields = [*columns, *computed]

    def read(row: Any) -> R:
        values = zip(fields, row, strict=True)
        return record(**{field: DECODE.get(field, _as_stored)(value) for field, value in values})

    return Table(name, ", ".join([*columns, *computed.values()]), read)


def stamp(at: datetime) -> str:
    """A UTC time as text of fixed width, so that text order is time order. An instant in
    UTC with a fraction of a second (the clock's, nearly always) reads so in its ISO text,
    which its row and its runs' rows have made already (``iso_text``)."""
    if at.tzinfo is UTC and at.microsecond:
        return iso_text(at)
    return _stamp(at)


@lru_cache(maxsize=1024)
def _stamp(at: datetime) -> str:
    """``stamp`` of any instant, kept for the last instants stamped: an event's is stamped
    four times (its keys, its user's profile's first and last seen and update), and
    instants equal in any zone stamp alike."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


RUN_COLUMNS = (
    "tenant_id, run_id, workflow_id, user_id, status, due_at, created_at, updated_at, revision, "
    "doc, converted"
)
# The rest of a run is one JSON document: every field without a column of its own.
RUN_STATE = tuple(field.name for field in fields(Run) if field.name not in RUN_COLUMNS.split(", "))


def run_row(run: Run) -> tuple[Any, ...]:
    status, due_at, updated_at, doc = run_changes(run)
    return (
        run.tenant_id,
        run.run_id,
        run.workflow_id,
        run.user_id,
        status,
        due_at,
        iso_text(run.created_at),
        updated_at,
        run.revision,
        doc,
        None if run.converted is None else orjson.dumps(run.converted),
    )


def run_changes(run: Run) -> tuple[str, str | None, str, bytes]:
    """The columns of a run's row a save rewrites: status, due time, last update, document
    (the document serialised once per save, nothing else a save leaves alone)."""
    return (
        run.status.value,
        fresh_text(run.due_at) if run.due_at else None,
        fresh_text(run.updated_at),
        orjson.dumps({name: getattr(run, name) for name in RUN_STATE}),
    )


def _run(row: Any) -> Run:
    return Run(
        tenant_id=row[0],
        run_id=row[1],
        workflow_id=row[2],
        user_id=row[3],
        status=RunStatus(row[4]),
        due_at=_time(row[5]),
        created_at=datetime.fromisoformat(row[6]),
        updated_at=datetime.fromisoformat(row[7]),
        revision=row[8],
        converted=None if row[10] is None else orjson.loads(row[10]),
        **orjson.loads(row[9]),
    )


def _event(row: Any) -> EventRecord:
    doc = orjson.loads(row[0])
    times = {k: datetime.fromisoformat(doc[k]) for k in ("timestamp", "received_at")}
    return EventRecord(**(doc | times))


def _step(row: Any) -> StepRecord:
    doc = orjson.loads(row[0])
    times = {k: datetime.fromisoformat(doc[k]) for k in ("started_at", "finished_at")}
    return StepRecord(**(doc | times | {"status": StepStatus(doc["status"])}))


def _audit(row: Any) -> AuditEntry:
    doc = orjson.loads(row[0])
    return AuditEntry(**(doc | {"at": datetime.fromisoformat(doc["at"])}))


def _limits(row: Any) -> TenantLimits:
    return TenantLimits.model_validate_json(row[0])


def head_row(head: WorkflowHead) -> tuple[Any, ...]:
    return (
        head.tenant_id,
        head.workflow_id,
        head.name,
        head.trigger_type,
        head.latest_version,
        head.active_version,
        int(head.enabled),
        int(head.archived),
        head.created_at.isoformat(),
        head.updated_at.isoformat(),
        int(head.scheduled),
        orjson.dumps(head.tags).decode(),
        head.pending_version,
        head.pending_by,
        None if head.pending_at is None else head.pending_at.isoformat(),
    )


def profile_row(profile: Profile) -> tuple[Any, ...]:
    return (
        profile.tenant_id,
        profile.user_id,
        stamp(profile.first_seen),
        stamp(profile.last_seen),
        profile.event_count,
        stamp(profile.updated_at),
        profile.revision,
        orjson.dumps(profile.attributes),
    )


def template_row(template: MessageTemplate) -> tuple[Any, ...]:
    return (
        template.tenant_id,
        template.name,
        template.subject,
        template.text,
        template.html,
        template.created_at.isoformat(),
        template.updated_at.isoformat(),
    )


TENANTS = table("tenants", Tenant, ("tenant_id", "name", "created_at"))
LIMITS = Table("tenant_limits", "doc", _limits)
SETTINGS = Table("tenant_settings", "doc", lambda row: TenantSettings.model_validate_json(row[0]))
KEYS = table(
    "api_keys",
    ApiKey,
    (
        "key_id",
        "tenant_id",
        "role",
        "name",
        "prefix",
        "created_at",
        "revoked_at",
        "workflows",
        "tags",
        "last_used_at",
        "expires_at",
    ),
)
AUDIT = Table("audit", "doc", _audit)
HEADS = table(
    "workflows",
    WorkflowHead,
    (
        "tenant_id",
        "workflow_id",
        "name",
        "trigger_type",
        "latest_version",
        "active_version",
        "enabled",
        "archived",
        "created_at",
        "updated_at",
        "scheduled",
        "tags",
        "pending_version",
        "pending_by",
        "pending_at",
    ),
)
HEAD_COLUMNS = 15
VERSIONS = table(
    "workflow_versions",
    WorkflowVersion,
    ("tenant_id", "workflow_id", "version", "document", "created_at", "created_by"),
)
EVENTS = Table("events", "doc", _event)
RUNS = Table("runs", RUN_COLUMNS, _run)
STEPS = Table("steps", "doc", _step)
SECRETS = table(
    "secrets",
    StoredSecret,
    ("tenant_id", "name", "ciphertext", "created_at", "updated_at", "rotated_at"),
)
INTEGRATIONS = table(
    "integrations",
    IntegrationConfig,
    ("tenant_id", "code", "config", "created_at", "updated_at"),
)
PROFILES = table(
    "profiles",
    Profile,
    (
        "tenant_id",
        "user_id",
        "first_seen",
        "last_seen",
        "event_count",
        "updated_at",
        "revision",
        "attributes",
    ),
)
SEGMENTS = table(
    "segments",
    Segment,
    ("tenant_id", "segment_id", "name", "description", "conditions", "created_at", "updated_at"),
)
CAMPAIGNS = table(
    "campaigns",
    Campaign,
    ("tenant_id", "campaign_id", "name", "created_at"),
    members="(SELECT count(*) FROM campaign_members m WHERE m.tenant_id = campaigns.tenant_id "
    "AND m.campaign_id = campaigns.campaign_id)",
)
MEMBERS = table("campaign_members", CampaignMember, ("campaign_id", "user_id", "added_at"))
TEMPLATES = table(
    "message_templates",
    MessageTemplate,
    ("tenant_id", "name", "subject", "text", "html", "created_at", "updated_at"),
)
OUTBOX = table(
    "outbox",
    OutboxMessage,
    (
        "tenant_id",
        "message_id",
        "channel",
        "recipient",
        "subject",
        "text",
        "html",
        "idempotency_key",
        "run_id",
        "step_id",
        "workflow_id",
        "created_at",
    ),
)


def outbox_row(message: OutboxMessage) -> tuple[Any, ...]:
    return (
        message.tenant_id,
        message.message_id,
        message.channel,
        message.recipient,
        message.subject,
        message.text,
        message.html,
        message.idempotency_key,
        message.run_id,
        message.step_id,
        message.workflow_id,
        message.created_at.isoformat(),
    )
