"""The store interface every adapter implements: one Protocol per domain, composed.

Every method takes the tenant id first and reads or writes only that tenant's records; the
exceptions are ``api_key_by_hash`` and ``hook_by_id``, which are how a request learns its
tenant, and the reads made for work across tenants (the reconciler, the retention job).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.models.alert import AlertRules
from app.models.audit import AuditEntry, AuditFilter
from app.models.bulk import BulkJob
from app.models.document import WorkflowDocument
from app.models.flow import TenantLimits
from app.models.hook import Hook
from app.models.outbox import OutboxFilter, OutboxMessage
from app.models.profile import (
    Campaign,
    CampaignMember,
    Erased,
    Profile,
    ProfileChange,
    ProfileFilter,
    Segment,
    SegmentDefinition,
    Touch,
)
from app.models.retention import Kept, Retention
from app.models.run import (
    Accepted,
    ArmedRun,
    Claim,
    EventFilter,
    EventRecord,
    Run,
    RunFilter,
    RunStatus,
    StepRecord,
)
from app.models.secret import IntegrationConfig, StoredSecret
from app.models.stats import Period, RunTally, VariantTally
from app.models.template import MessageTemplate
from app.models.tenant import ApiKey, Tenant, TenantSettings
from app.models.usage import AiUsage, UsageTally
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion

# The event's correlation key for one shape (its fields at these paths), None if it lacks one.
Correlate = Callable[[Sequence[str]], str | None]


# Not frozen: see the note on EventRecord in app/models/run.py.
@dataclass
class Intake:
    """An event and the runs it should start, with the keys and caps that may refuse them.
    ``correlate`` keys the event for the shapes the tenant's workflows wait for."""

    event: EventRecord
    runs: list[Run]
    event_claim: Claim | None = None
    run_claims: dict[str, Claim] = field(default_factory=dict)
    caps: dict[str, int] = field(default_factory=dict)
    correlate: Correlate | None = None
    # Workflows decided against before the store (conditions, flow control), with the reason.
    skipped: dict[str, str] = field(default_factory=dict)


class AccountStore(Protocol):
    """Tenants, their API keys, flow-control limits and audit trail."""

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        """The tenant, created when missing; the flag says whether it was created now."""

    async def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store ``key``; a Conflict when a key of that hash is stored already (two
        processes bootstrapping one configured key at the same moment), or one of that id
        in the tenant (two requests storing a tenant's first admin key at once)."""

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None: ...

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]: ...

    async def record_key_use(self, tenant_id: str, key_id: str, at: datetime) -> None:
        """Set the key's ``last_used_at`` to ``at`` unless it holds a later time already
        (another process's record that arrived first)."""

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        """The key, revoked (a key revoked already is left as it was). A Conflict when it
        is the tenant's last key that manages keys now (``ApiKey.manages_keys``; an expired
        key does not): told in the write itself, so two revocations at once cannot both pass
        that check."""

    async def get_limits(self, tenant_id: str) -> TenantLimits:
        """The tenant's flow-control limits (none set: empty limits)."""

    async def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        """Replace the tenant's limits."""

    async def get_settings(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings (none set: the defaults)."""

    async def set_settings(self, tenant_id: str, settings: TenantSettings) -> TenantSettings:
        """Replace the tenant's settings."""

    async def add_audit(self, entry: AuditEntry) -> None: ...

    async def list_audit(self, tenant_id: str, where: AuditFilter, page: Page) -> list[AuditEntry]:
        """Newest first; ``page.after`` is the last entry id of the page before."""

    async def list_tenants(self, page: Page) -> list[Tenant]:
        """Every tenant, by tenant id; ``page.after`` is the last tenant id of the page
        before (the operator's listing, the one read of tenants across tenants)."""


class WorkflowStore(Protocol):
    """Workflows: a head per workflow and its immutable versions."""

    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, *, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        """Version 1 of a new workflow; Conflict if the id is taken by a live workflow. An
        archived workflow of that id is brought back with a new version."""

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, *, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        """The next version of an existing workflow (numbered atomically)."""

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead: ...

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]: ...

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]: ...

    async def count_workflows(self, tenant_id: str) -> int:
        """The tenant's workflows not archived."""

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        """NotFound for a missing version, and for another tenant's."""

    async def request_publish(
        self, tenant_id: str, workflow_id: str, version: int, requested_by: str | None
    ) -> WorkflowHead:
        """Make ``version`` the workflow's pending publication (replacing any), leaving the
        active version as it is; NotFound for a version never saved."""

    async def decide_publish(
        self, tenant_id: str, workflow_id: str, pending: WorkflowHead, *, approve: bool
    ) -> WorkflowHead:
        """Clear the pending publication ``pending`` holds, publishing its version if
        ``approve`` (the head keeps its enabled flag and archived state, ``approved``), at
        once; a Conflict when the head's pending publication is no longer
        that one (the same version asked for by the same key): decided or replaced
        meanwhile."""

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        """Make a version the active one; its name, trigger and enabled flag become the head's."""

    async def set_enabled(
        self, tenant_id: str, workflow_id: str, *, enabled: bool
    ) -> WorkflowHead: ...

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead: ...

    async def active_versions(self, tenant_id: str) -> list[WorkflowVersion]:
        """The active version of every enabled, live workflow: what events may start."""

    async def scheduled_versions(self) -> list[WorkflowVersion]:
        """The active version of every enabled, live schedule-triggered workflow, across
        tenants: the one read made for the scheduler, which works for every tenant."""

    async def workflows_revision(self, tenant_id: str) -> str:
        """Changes whenever any of the tenant's workflows changes (cheap to poll)."""


class IntakeStore(Protocol):
    """Events in: their idempotency keys, the runs they start, and what they wake or end."""

    async def accept_event(self, intake: Intake) -> Accepted:
        """Record the event and its runs, unless its idempotency key is held (then the
        original event is returned, marked duplicate). A run whose business key is held, or
        whose workflow reached ``caps[workflow_id]`` runs, is skipped with the reason.

        After the event is written, it is keyed (``intake.correlate``) for every event shape
        of the tenant's workflow versions, and the keys are kept for ``find_event``. Every
        unfinished run listening to one of those keys (``run.listeners``) is marked converted
        (goal) or ended (exit, goal with exit); then every run parked at a wait with one of
        them gets the event as its answer and falls due (``Accepted.woken``). Reading the
        shapes and the waits after writing the event is what makes a wait registered
        concurrently impossible to miss (docs/architecture.md).

        An event with a user id also touches that user's profile (``seen_touch``), and each
        recorded run's context gets the profile as it stands after it under ``profile``."""

    async def accept_events(self, intakes: Sequence[Intake]) -> list[Accepted]:
        """``accept_event`` for each intake, in order, in one store call (a batch of events:
        a later event sees the keys and caps an earlier one took)."""

    async def find_event(
        self, tenant_id: str, key: str, since: datetime, until: datetime | None
    ) -> EventRecord | None:
        """The earliest event accepted with correlation ``key`` received in [since, until]."""

    async def get_event(self, tenant_id: str, event_id: str) -> EventRecord: ...

    async def list_events(
        self, tenant_id: str, where: EventFilter, page: Page
    ) -> list[EventRecord]:
        """Newest first; ``page.after`` is the last event id of the page before."""

    async def count_events(self, tenant_id: str, period: Period) -> int:
        """Events received in the period (and not purged yet)."""

    async def event_types(self, tenant_id: str, limit: int) -> list[str]:
        """The distinct types of the tenant's kept events, in name order, at most ``limit``;
        read through the (tenant, type) index, one probe per type, not event by event."""

    async def purge_claims(self, now: datetime) -> int:
        """Delete idempotency keys expired by ``now``, across tenants (the retention job,
        which purges events with ``purge_batch``); returns how many."""


class RunStore(Protocol):
    """Runs and their step records."""

    async def get_run(self, tenant_id: str, run_id: str) -> Run: ...

    async def add_runs(self, runs: Sequence[Run]) -> None:
        """Record runs started by another run (its parallel branches), each unless a run of
        its id exists already: a repeated fork finds the branches it started."""

    async def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        """Record ``steps`` (always: they happened), then write the run if nobody wrote it
        since it was read (``revision``); on success the revision moves on. False means: read
        it again. One call, so a step costs one round trip to the store. The run is indexed
        by ``run.wait_key`` while it has one, and by its listeners' keys until it finishes;
        ``converted`` is never written here (only the goal event writes it)."""

    async def list_runs(
        self, tenant_id: str, where: RunFilter, page: Page, *, by_id: bool = False
    ) -> list[Run]:
        """Newest first: by creation time then run id when a time bounds them
        (``where.by_time``), else (or ``by_id``) by run id. ``page.after`` is the last run id
        of the page before; by time, that run must still be stored (InvalidInput if not)."""

    async def count_runs(self, tenant_id: str, where: RunFilter) -> int:
        """How many runs ``list_runs`` would list with this filter, all pages together."""

    async def list_steps(self, tenant_id: str, run_id: str) -> list[StepRecord]: ...

    async def workflow_steps(
        self, tenant_id: str, workflow_id: str, limit: int
    ) -> list[StepRecord]:
        """The workflow's latest step records, newest first (the seed's execution logs)."""

    async def run_counts(self, tenant_id: str) -> dict[str, dict[RunStatus, int]]:
        """Runs per workflow and status."""

    async def run_tallies(
        self, tenant_id: str, period: Period, workflow_id: str | None
    ) -> list[RunTally]:
        """Runs created in the period, per workflow (or of one) and status, with their active
        seconds summed."""

    async def variant_tallies(self, tenant_id: str, workflow_id: str) -> list[VariantTally]:
        """The workflow's runs (parallel branches left out) per split and variant, with
        how many converted (``converted`` set by its goal)."""

    async def live_run_counts(self) -> dict[RunStatus, int]:
        """Runs not finished (pending, running, waiting, paused) by status, across tenants:
        the one read made for the metrics gauge."""

    async def due_runs(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        """(tenant id, run id) of live runs due before ``before``, across tenants: the one
        read made for the reconciler, which works for every tenant."""

    async def failed_runs(
        self, since: datetime, until: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[Run]:
        """Failed runs (parallel branches left out) last changed in [since, until), across
        tenants, in (updated at, run id) order after ``after``: the reconciler pages
        through them to hand out again the on_failure jobs Redis may have lost."""

    async def armed_runs(self, after: tuple[datetime, str] | None, limit: int) -> list[ArmedRun]:
        """Every pending or waiting run with a due time (not a running run's lease), with its
        record (None where it does not read), across tenants, in (due at, run id) order
        after ``after``: the timers a queue that lost its data must arm again, a page in one
        read."""


class BulkStore(Protocol):
    """Bulk run commands in progress and done."""

    async def add_bulk_job(self, job: BulkJob) -> None: ...

    async def get_bulk_job(self, tenant_id: str, job_id: str) -> BulkJob:
        """NotFound for a missing id, and for another tenant's."""

    async def save_bulk_job(self, job: BulkJob, cursor: str) -> bool:
        """Write the job's progress if its stored cursor is still ``cursor`` (the one its
        batch started from), so a batch run twice records its work once; False otherwise."""

    async def stalled_bulk_jobs(self, before: datetime, limit: int) -> list[BulkJob]:
        """Jobs still running whose progress was last saved before ``before``, across
        tenants: the one read made for the reconciler, which enqueues their next batch
        again in case Redis lost it."""


class RetentionStore(Protocol):
    """How long each tenant keeps its records, and the retention job's deletes."""

    async def get_retention(self, tenant_id: str) -> Retention | None:
        """The tenant's own retention; None: the deployment's defaults apply."""

    async def set_retention(self, tenant_id: str, retention: Retention) -> None: ...

    async def retentions(self) -> dict[str, Retention]:
        """Every tenant's own retention, across tenants: the one read made for the job."""

    async def purge_batch(
        self,
        kind: Kept,
        before: datetime,
        limit: int,
        tenant_id: str | None,
        skip: Sequence[str] = (),
    ) -> int:
        """Delete at most ``limit`` records of ``kind`` older than ``before`` (runs: only
        finished ones, with their step records), of one tenant or of every tenant but those
        in ``skip``; returns how many. One short write, so ingest waits for none of it."""


class HookStore(Protocol):
    """Inbound webhooks."""

    async def add_hook(self, hook: Hook) -> None: ...

    async def get_hook(self, tenant_id: str, hook_id: str) -> Hook:
        """NotFound for a missing id, and for another tenant's."""

    async def hook_by_id(self, hook_id: str) -> Hook | None:
        """The hook of this id, whichever tenant's: how a delivery to ``/hooks/{hook_id}``,
        which carries no API key, learns its tenant (like ``api_key_by_hash``)."""

    async def list_hooks(self, tenant_id: str, page: Page) -> list[Hook]:
        """By hook id; ``page.after`` is the last hook id of the page before."""

    async def delete_hook(self, tenant_id: str, hook_id: str) -> None:
        """NotFound if the tenant has no such hook."""


class AlertStore(Protocol):
    """Failure alerts: each tenant's alert rules, and the notices sent, each claimed once."""

    async def get_alert_rules(self, tenant_id: str) -> AlertRules | None:
        """The tenant's rules; None when it has set none."""

    async def set_alert_rules(self, tenant_id: str, rules: AlertRules) -> None:
        """Replace the tenant's rules."""

    async def delete_alert_rules(self, tenant_id: str) -> bool:
        """Remove the tenant's rules; False when it had none."""

    async def alert_rules(self) -> dict[str, AlertRules]:
        """Every tenant's rules, across tenants: the one read made for the alerts' check."""

    async def claim_notice(self, tenant_id: str, key: str, at: datetime) -> bool:
        """Record that the notice ``key`` (a failed run's handler, an alert's window) is
        being sent; False when it was claimed already (a job delivered again, a second
        scheduler): then it must not be sent again."""

    async def purge_notices(self, before: datetime) -> int:
        """Delete the claims of notices made before ``before``, across tenants (the
        retention job); returns how many."""


class IntegrationStore(Protocol):
    """What a tenant's connectors need: secrets (only ever ciphertext) and configurations."""

    async def put_secret(
        self, tenant_id: str, name: str, ciphertext: str
    ) -> tuple[StoredSecret, bool]:
        """Create or replace a secret (only ever its ciphertext); the flag says whether it
        was created now."""

    async def rotate_secret(self, tenant_id: str, name: str, ciphertext: str) -> StoredSecret:
        """Replace an existing secret's value and record the rotation; NotFound if missing."""

    async def get_secrets(self, tenant_id: str, names: Sequence[str]) -> list[StoredSecret]:
        """Those of ``names`` the tenant has stored (one read for a step's references)."""

    async def list_secrets(self, tenant_id: str) -> list[StoredSecret]:
        """The tenant's secrets, by name."""

    async def delete_secret(self, tenant_id: str, name: str) -> None:
        """NotFound if the tenant has no such secret."""

    async def all_secrets(self) -> list[StoredSecret]:
        """Every stored secret, across tenants: the one read made for re-encrypting them
        under a new master key."""

    async def replace_ciphertext(self, tenant_id: str, name: str, old: str, new: str) -> bool:
        """Swap a secret's ciphertext for the same value encrypted anew, unless it changed
        since it was read (then False), so a re-encryption never undoes a rotation."""

    async def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        """Create or replace the tenant's configuration of a connector; the flag says
        whether it was created now."""

    async def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None: ...

    async def list_integrations(self, tenant_id: str) -> list[IntegrationConfig]:
        """The tenant's connector configurations, by code."""

    async def delete_integration(self, tenant_id: str, code: str) -> None:
        """NotFound if the tenant has no configuration for ``code``."""


class AudienceStore(Protocol):
    """User profiles, segments and campaigns."""

    async def get_profile(self, tenant_id: str, user_id: str) -> Profile:
        """NotFound for a user without a profile, and for another tenant's."""

    async def list_profiles(
        self, tenant_id: str, where: ProfileFilter, page: Page
    ) -> list[Profile]:
        """By user id; ``page.after`` is the last user id of the page before."""

    async def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange:
        """Merge ``touch`` into the user's profile, created when missing (``apply``)."""

    async def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        """Create or replace a segment; the flag says whether it was created now."""

    async def get_segment(self, tenant_id: str, segment_id: str) -> Segment: ...

    async def list_segments(self, tenant_id: str, page: Page) -> list[Segment]:
        """By segment id; ``page.after`` is the last segment id of the page before."""

    async def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool:
        """Add a member, creating the campaign (named ``name``, else its id) on its first
        member. False when the user was a member already."""

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign: ...

    async def list_campaigns(self, tenant_id: str, page: Page) -> list[Campaign]:
        """By campaign id, with member counts."""

    async def erase_user(self, tenant_id: str, user_id: str) -> Erased:
        """Remove a person's data everywhere it is kept: their profile and campaign
        memberships are deleted; their events keep only type, times and runs; their runs
        keep only workflow, status, times and history (context, variables, outputs gone) and
        answer to no user; their runs' step inputs, outputs and errors and outbox messages
        are gone. Nothing of it stays in the store's files where the adapter can see to it
        (SQLite: zeroed free space, the WAL truncated)."""

    async def campaign_members(
        self, tenant_id: str, campaign_id: str, page: Page
    ) -> list[CampaignMember]:
        """By user id; NotFound for a campaign that does not exist."""


class TemplateStore(Protocol):
    """Message templates, by name."""

    async def create_template(self, template: MessageTemplate) -> MessageTemplate:
        """Store a new message template; Conflict if the tenant has one of that name."""

    async def update_template(self, template: MessageTemplate) -> MessageTemplate:
        """Replace a template's subject, text and html (its ``created_at`` is kept);
        NotFound if the tenant has none of that name."""

    async def get_template(self, tenant_id: str, name: str) -> MessageTemplate:
        """NotFound for a missing name, and for another tenant's."""

    async def list_templates(self, tenant_id: str, page: Page) -> list[MessageTemplate]:
        """By name; ``page.after`` is the last name of the page before."""

    async def delete_template(self, tenant_id: str, name: str) -> None:
        """NotFound if the tenant has no template of that name."""


class OutboxStore(Protocol):
    """The dev outbox: channel messages kept instead of sent, newest first."""

    async def add_outbox_message(self, message: OutboxMessage) -> OutboxMessage:
        """Keep ``message``; the one already kept for its tenant and idempotency key if
        there is one (a retried step stores its message once)."""

    async def get_outbox_message(self, tenant_id: str, message_id: str) -> OutboxMessage:
        """NotFound for a missing id, and for another tenant's."""

    async def list_outbox(
        self, tenant_id: str, where: OutboxFilter, page: Page
    ) -> list[OutboxMessage]:
        """Newest first; ``page.after`` is the last message id of the page before."""


class UsageStore(Protocol):
    """What AI calls spent, per call, summed when asked."""

    async def add_ai_usage(self, usage: AiUsage) -> None:
        """Record one call (a repeated step attempt spent again, so it counts again)."""

    async def ai_usage(
        self, tenant_id: str, period: Period, workflow_id: str | None = None
    ) -> dict[str, UsageTally]:
        """The tenant's calls in ``period`` (by their time), summed per workflow id (``""``
        for calls outside runs); only ``workflow_id``'s when given."""

    async def run_ai_usage(self, tenant_id: str, run_id: str) -> UsageTally:
        """The calls of one run, summed (zero when it made none)."""


class Store(
    AccountStore,
    WorkflowStore,
    IntakeStore,
    RunStore,
    BulkStore,
    HookStore,
    RetentionStore,
    AlertStore,
    IntegrationStore,
    AudienceStore,
    TemplateStore,
    OutboxStore,
    UsageStore,
    Protocol,
):
    """Everything the service keeps, behind one object per process."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
