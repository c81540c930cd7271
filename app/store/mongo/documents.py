"""Records as MongoDB documents and back: each collection, what a read leaves out, and the
record a document reads as."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

from app.models.audit import AuditEntry
from app.models.flow import TenantLimits
from app.models.outbox import OutboxMessage
from app.models.profile import CampaignMember, Profile, Segment
from app.models.run import EventRecord, Run, RunStatus, StepRecord, StepStatus
from app.models.secret import IntegrationConfig, StoredSecret
from app.models.stats import Period
from app.models.template import MessageTemplate
from app.models.tenant import ApiKey, Role, Tenant, TenantSettings
from app.models.workflow import WorkflowHead, WorkflowVersion

R = TypeVar("R")
Doc = dict[str, Any]
NO_ID = {"_id": False}
# Run fields; a stored run also holds derived fields (its wait key) that are no Run field.
RUN_FIELDS = frozenset(Run.__dataclass_fields__)


@dataclass(frozen=True)
class Collection(Generic[R]):
    """A collection as the shared reads see it: the fields a read leaves out (or keeps), and
    the record a document of it reads as."""

    name: str
    read: Callable[[Doc], R]
    projection: Doc = field(default_factory=lambda: NO_ID)


def within(period: Period) -> Doc:
    return {"$gte": period.since, "$lt": period.until}


def published_fields(head: WorkflowHead) -> Doc:
    fields = (
        "name",
        "trigger_type",
        "active_version",
        "enabled",
        "archived",
        "updated_at",
        "scheduled",
    )
    return {field: getattr(head, field) for field in fields}


def _run(doc: Doc) -> Run:
    fields = {name: value for name, value in doc.items() if name in RUN_FIELDS}
    return Run(**(fields | {"status": RunStatus(doc["status"])}))


def _step(doc: Doc) -> StepRecord:
    return StepRecord(**(doc | {"status": StepStatus(doc["status"])}))


def _integration(doc: Doc) -> IntegrationConfig:
    return IntegrationConfig(**(doc | {"config": orjson.loads(doc["config"])}))


def _api_key(doc: Doc) -> ApiKey:
    return ApiKey(**{**doc, "role": Role(doc["role"])})


def _limits(doc: Doc) -> TenantLimits:
    return TenantLimits.model_validate(doc["doc"])


def _as_stored(doc: Doc) -> Doc:
    return doc


TENANTS = Collection("tenants", lambda doc: Tenant(**doc))
LIMITS = Collection("tenant_limits", _limits)
SETTINGS = Collection("tenant_settings", lambda doc: TenantSettings.model_validate(doc["doc"]))
KEYS = Collection("api_keys", _api_key, {"_id": False, "key_hash": False})
AUDIT = Collection("audit", lambda doc: AuditEntry(**doc))
HEADS = Collection(
    "workflows", lambda doc: WorkflowHead(**doc), {"_id": False, "executions": False}
)
VERSIONS = Collection("workflow_versions", lambda doc: WorkflowVersion(**doc))
EVENTS = Collection("events", lambda doc: EventRecord(**doc))
RUNS = Collection("runs", _run)
STEPS = Collection("steps", _step, {"_id": False, "seq": False})
SECRETS = Collection("secrets", lambda doc: StoredSecret(**doc))
INTEGRATIONS = Collection("integrations", _integration)
PROFILES = Collection("profiles", lambda doc: Profile(**doc))
SEGMENTS = Collection("segments", lambda doc: Segment(**doc))
# A campaign's document, counted before it is a Campaign (see Audience._counted).
CAMPAIGNS = Collection("campaigns", _as_stored)
MEMBERS = Collection(
    "campaign_members",
    lambda doc: CampaignMember(**doc),
    {"_id": False, "campaign_id": True, "user_id": True, "added_at": True},
)
TEMPLATES = Collection("message_templates", lambda doc: MessageTemplate(**doc))
OUTBOX = Collection("outbox", lambda doc: OutboxMessage(**doc))
