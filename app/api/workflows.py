"""Workflow documents: create, version, publish, enable, archive, validate, import, export.

Bodies are read as JSON with ``//`` comments allowed, so the seed documents paste as written.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from app.api.deps import AuditDep, Reader, ResourcesDep, WorkflowsDep, Writer
from app.api.errors import ERROR_RESPONSES, LIMIT_RESPONSES
from app.api.events import EventAccepted
from app.api.examples import WORKFLOW_EXAMPLE
from app.api.runs import StepRead
from app.api.schemas.page import Page
from app.audit import Audit, record_imports, workflow_state
from app.engine.expressions.conditions import compile_conditions
from app.engine.walk.dry_run import dry_run
from app.errors import AutomatorError, Conflict, ErrorDetail, InvalidInput
from app.models import jsonc
from app.models.document import ID_PATTERN
from app.models.run import RunStatus
from app.models.tenant import ApiKey
from app.models.workflow import Page as PageQuery
from app.models.workflow import WorkflowFilter, WorkflowHead, WorkflowVersion
from app.triggers.ingest import EVENT_EXAMPLE, EventIn, JsonObject, UserObject, run_context
from app.triggers.preview import sample_event
from app.workflows import Saved, WorkflowService

router = APIRouter(prefix="/api/workflows", tags=["workflows"], responses=ERROR_RESPONSES)

WorkflowId = Annotated[str, Path(pattern=ID_PATTERN)]
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]
DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/WorkflowDocument"},
                "example": WORKFLOW_EXAMPLE,
            }
        },
    }
}
RUN_NOW_EXAMPLES: dict[str, Any] = {
    "site": {"summary": "Run for one site", "value": {"data": {"site": "s1"}}}
}
Publish = Annotated[
    bool, Query(description="Make the saved version the active one (false keeps a draft).")
]


class WorkflowRead(BaseModel):
    """A workflow as it stands, with the document of the version it serves."""

    workflow_id: str
    name: str
    trigger_type: str
    version: int = Field(description="The version shown: the active one, else the newest.")
    latest_version: int
    active_version: int | None
    enabled: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any]

    @classmethod
    def of(cls, saved: Saved) -> "WorkflowRead":
        head = saved.head
        return cls(
            workflow_id=head.workflow_id,
            name=head.name,
            trigger_type=head.trigger_type,
            version=saved.version.version,
            latest_version=head.latest_version,
            active_version=head.active_version,
            enabled=head.enabled,
            archived=head.archived,
            created_at=head.created_at,
            updated_at=head.updated_at,
            document=saved.version.document,
        )


class WorkflowSummary(BaseModel):
    workflow_id: str
    name: str
    trigger_type: str
    latest_version: int
    active_version: int | None
    enabled: bool
    archived: bool
    updated_at: datetime

    @classmethod
    def of(cls, head: WorkflowHead) -> "WorkflowSummary":
        return cls.model_validate(head, from_attributes=True)


class WorkflowList(Page[WorkflowSummary]):
    """A page of workflows, by id."""


class VersionSummary(BaseModel):
    version: int
    active: bool
    created_at: datetime
    created_by: str | None


class VersionRead(VersionSummary):
    document: dict[str, Any]


class ValidationResult(BaseModel):
    valid: bool
    document: dict[str, Any] | None = Field(None, description="The canonical document, ids added.")
    error: dict[str, Any] | None = Field(None, description="The error, in the one error shape.")


class ImportItem(BaseModel):
    source: str
    status: Literal["created", "updated", "unchanged", "error"]
    workflow_id: str | None
    version: int | None
    error: dict[str, Any] | None


class ImportReport(BaseModel):
    results: list[ImportItem]


def _version_summary(version: WorkflowVersion, head: WorkflowHead) -> VersionSummary:
    return VersionSummary(
        version=version.version,
        active=version.version == head.active_version,
        created_at=version.created_at,
        created_by=version.created_by,
    )


@router.post("", status_code=201, openapi_extra=DOCUMENT_BODY)
async def create_workflow(
    request: Request, caller: Writer, workflows: WorkflowsDep, audit: AuditDep,
    publish: Publish = True,
) -> WorkflowRead:  # fmt: skip
    """Create a workflow from its document (version 1). `//` comments are allowed."""
    document = workflows.parser.parse(await request.body())
    saved = await workflows.create(caller.tenant_id, document, publish)
    after = workflow_state(saved.head, saved.version.document)
    await audit.record(caller.tenant_id, caller.key_id, "workflow.create", document.workflow_id,
                       after=after)  # fmt: skip
    return WorkflowRead.of(saved)


async def _change_head(
    caller: ApiKey, workflows: WorkflowService, audit: Audit, workflow_id: str, action: str,
    change: Callable[[], Awaitable[WorkflowHead]],
) -> WorkflowHead:  # fmt: skip
    """Apply ``change`` to the workflow's head and record it, with the head before and after."""
    before = await workflows.store.get_workflow(caller.tenant_id, workflow_id)
    after = await change()
    await audit.record(caller.tenant_id, caller.key_id, action, workflow_id,
                       workflow_state(before), workflow_state(after))  # fmt: skip
    return after


@router.get("")
async def list_workflows(
    caller: Reader,
    workflows: WorkflowsDep,
    trigger_type: str | None = None,
    enabled: bool | None = None,
    include_archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[
        str | None, Query(description="The last workflow_id of the page before.")
    ] = None,
) -> WorkflowList:
    """The tenant's workflows, ordered by id, filtered by trigger type and enabled state."""
    heads = await workflows.store.list_workflows(
        caller.tenant_id,
        WorkflowFilter(trigger_type, enabled, include_archived),
        PageQuery(limit, after),
    )
    return WorkflowList.after_last(
        [WorkflowSummary.of(h) for h in heads], limit, lambda item: item.workflow_id
    )


@router.post("/validate", openapi_extra=DOCUMENT_BODY)
async def validate_workflow(
    request: Request, caller: Reader, workflows: WorkflowsDep
) -> ValidationResult:
    """Check a document against every rule without saving it."""
    try:
        document = workflows.parser.parse(await request.body())
    except AutomatorError as exc:
        return ValidationResult(valid=False, error=exc.body())
    return ValidationResult(valid=True, document=document.canonical())


@router.post(
    "/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/WorkflowDocument"},
                    },
                    "example": [WORKFLOW_EXAMPLE],
                },
            },
        }
    },
)
async def import_workflows(
    request: Request, caller: Writer, workflows: WorkflowsDep, audit: AuditDep
) -> ImportReport:
    """Create or update many workflows: files in a multipart form (`files`), or a JSON array
    (comments allowed). An unchanged document makes no new version; a bad one is reported in
    its result and the others are still imported."""
    files = await _import_files(request)
    results = await workflows.import_many(caller.tenant_id, files)
    await record_imports(audit, caller.tenant_id, caller.key_id, results)
    return ImportReport(
        results=[ImportItem.model_validate(r, from_attributes=True) for r in results]
    )


async def _import_files(request: Request) -> list[tuple[str, bytes]]:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:
            uploads = [item for item in form.getlist("files") if isinstance(item, UploadFile)]
            return [
                (upload.filename or f"file {i}", await upload.read())
                for i, upload in enumerate(uploads)
            ]
    body = jsonc.loads(await request.body())
    documents = body if isinstance(body, list) else [body]
    return [(f"item {i}", orjson.dumps(document)) for i, document in enumerate(documents)]


@router.get("/export")
async def export_workflows(caller: Reader, workflows: WorkflowsDep) -> list[dict[str, Any]]:
    """Every live workflow's current document, ready to import elsewhere."""
    heads = await workflows.store.list_workflows(
        caller.tenant_id, WorkflowFilter(), PageQuery(limit=10_000)
    )
    return [await workflows.export(caller.tenant_id, head.workflow_id) for head in heads]


class WorkflowStatus(BaseModel):
    workflow_id: str
    name: str
    trigger_type: str
    enabled: bool
    active_version: int | None
    runs: dict[str, int] = Field(description="Runs by status.")


class StatusReport(BaseModel):
    workflows: list[WorkflowStatus]
    runs: dict[str, int] = Field(description="All the tenant's runs by status.")


class LogReport(BaseModel):
    workflow_id: str
    entries: list[StepRead] = Field(description="Newest first.")


class WorkflowTest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"event": EVENT_EXAMPLE}]}
    )

    event: EventIn


class WorkflowTestResult(BaseModel):
    workflow_id: str
    version: int
    matched: bool = Field(description="Whether the event meets the trigger's conditions.")
    conditions: list[dict[str, Any]]
    status: RunStatus = Field(description="How the run would end.")
    error: dict[str, Any] | None
    trace: list[dict[str, Any]] = Field(
        description="Steps and waits in order; `at` is seconds after the event."
    )


@router.get("/status")
async def workflows_status(caller: Reader, resources: ResourcesDep) -> StatusReport:
    """Every live workflow with its state and its runs by status (the seed's status call)."""
    heads = await resources.store.list_workflows(
        caller.tenant_id, WorkflowFilter(), PageQuery(limit=10_000)
    )
    counts = await resources.store.run_counts(caller.tenant_id)
    totals: dict[str, int] = {}
    for by_status in counts.values():
        for status, count in by_status.items():
            totals[status] = totals.get(status, 0) + count
    workflows = [
        WorkflowStatus(
            workflow_id=head.workflow_id,
            name=head.name,
            trigger_type=head.trigger_type,
            enabled=head.enabled,
            active_version=head.active_version,
            runs={str(k): v for k, v in counts.get(head.workflow_id, {}).items()},
        )
        for head in heads
    ]
    return StatusReport(workflows=workflows, runs=totals)


@router.get("/logs")
async def workflow_logs(
    workflow_id: Annotated[str, Query(pattern=ID_PATTERN)],
    caller: Reader,
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> LogReport:
    """The workflow's latest step records, newest first (the seed's execution logs)."""
    await resources.store.get_workflow(caller.tenant_id, workflow_id)
    steps = await resources.store.workflow_steps(caller.tenant_id, workflow_id, limit)
    entries = [StepRead.of(step) for step in steps]
    return LogReport(workflow_id=workflow_id, entries=entries)


@router.get("/{workflow_id}")
async def get_workflow(
    workflow_id: WorkflowId, caller: Reader, workflows: WorkflowsDep
) -> WorkflowRead:
    """The workflow and the document of its active version (or newest draft)."""
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))


@router.put("/{workflow_id}", openapi_extra=DOCUMENT_BODY)
async def update_workflow(
    workflow_id: WorkflowId,
    request: Request,
    caller: Writer,
    workflows: WorkflowsDep,
    audit: AuditDep,
    publish: Publish = True,
) -> WorkflowRead:
    """Save a new immutable version of the workflow."""
    document = workflows.parser.parse(await request.body())
    if document.workflow_id != workflow_id:
        raise InvalidInput(
            "The document's workflow_id differs from the one in the path.",
            [ErrorDetail(("body", "workflow_id"), f"must be {workflow_id!r}, as in the path")],
        )
    before = await workflows.store.get_workflow(caller.tenant_id, workflow_id)
    saved = await workflows.update(caller.tenant_id, document, publish)
    after = workflow_state(saved.head, saved.version.document)
    await audit.record(caller.tenant_id, caller.key_id, "workflow.update", workflow_id,
                       workflow_state(before), after)  # fmt: skip
    return WorkflowRead.of(saved)


@router.delete("/{workflow_id}", status_code=204)
async def archive_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep, audit: AuditDep
) -> Response:
    """Archive the workflow: it stops matching events; its versions are kept."""
    archive = partial(workflows.store.archive, caller.tenant_id, workflow_id)
    await _change_head(caller, workflows, audit, workflow_id, "workflow.archive", archive)
    return Response(status_code=204)


@router.get("/{workflow_id}/export")
async def export_workflow(
    workflow_id: WorkflowId, caller: Reader, workflows: WorkflowsDep
) -> dict[str, Any]:
    """The workflow's current document, as it would be imported."""
    return await workflows.export(caller.tenant_id, workflow_id)


@router.get("/{workflow_id}/versions")
async def list_versions(
    workflow_id: WorkflowId, caller: Reader, workflows: WorkflowsDep
) -> list[VersionSummary]:
    """Every saved version, oldest first."""
    head = await workflows.store.get_workflow(caller.tenant_id, workflow_id)
    versions = await workflows.store.list_versions(caller.tenant_id, workflow_id)
    return [_version_summary(version, head) for version in versions]


@router.get("/{workflow_id}/versions/{version}")
async def get_version(
    workflow_id: WorkflowId, version: VersionNumber, caller: Reader, workflows: WorkflowsDep
) -> VersionRead:
    """One saved version and its document."""
    head = await workflows.store.get_workflow(caller.tenant_id, workflow_id)
    found = await workflows.store.get_version(caller.tenant_id, workflow_id, version)
    return VersionRead(**_version_summary(found, head).model_dump(), document=found.document)


@router.post("/{workflow_id}/versions/{version}/publish")
async def publish_version(
    workflow_id: WorkflowId, version: VersionNumber, caller: Writer, workflows: WorkflowsDep,
    audit: AuditDep,
) -> WorkflowRead:  # fmt: skip
    """Make a version the active one (also to roll back)."""
    publish = partial(workflows.store.publish, caller.tenant_id, workflow_id, version)
    await _change_head(caller, workflows, audit, workflow_id, "workflow.publish", publish)
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))


@router.post("/{workflow_id}/test")
async def test_workflow(
    workflow_id: WorkflowId, body: WorkflowTest, caller: Reader, resources: ResourcesDep
) -> WorkflowTestResult:
    """Run the workflow's current version on a sample event through the real engine, with
    connectors stubbed and delays fast-forwarded: what would be sent, when, and why.
    Nothing is sent or stored."""
    saved = await resources.workflows.current(caller.tenant_id, workflow_id)
    program = resources.programs.put(saved.version)
    event = sample_event(caller.tenant_id, body.event.type, body.event.user, body.event.data)
    context = run_context(event)
    conditions = compile_conditions(program.document.trigger.conditions)
    run, trace = await dry_run(
        program, caller.tenant_id, context, resources.renderer, resources.registry
    )
    return WorkflowTestResult(
        workflow_id=workflow_id, version=program.version, matched=conditions(context),
        conditions=conditions.explain(context), status=run.status, error=run.error, trace=trace,
    )  # fmt: skip


class RunNow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: UserObject = Field(default_factory=dict)
    data: JsonObject = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=256)


@router.post("/{workflow_id}/run", status_code=202, responses=LIMIT_RESPONSES)
async def run_workflow(
    workflow_id: WorkflowId,
    caller: Writer,
    resources: ResourcesDep,
    body: Annotated[RunNow | None, Body(openapi_examples=RUN_NOW_EXAMPLES)] = None,
) -> EventAccepted:
    """Start one run of the workflow's active version now, whatever its trigger (the seed's
    run now); its trigger conditions are not checked. A rate limit or the tenant's quota
    refusing the run answers 429 naming the limit, with `Retry-After`."""
    head = await resources.store.get_workflow(caller.tenant_id, workflow_id)
    if head.active_version is None or head.archived:
        raise Conflict(f"Workflow {workflow_id!r} has no published version to run.")
    version = await resources.store.get_version(caller.tenant_id, workflow_id, head.active_version)
    body = body or RunNow()
    event = EventIn(
        type="run_now", user=body.user, data=body.data, idempotency_key=body.idempotency_key
    )
    return EventAccepted.of(await resources.engine.ingestor.start(version, event, strict=True))


@router.post("/{workflow_id}/enable")
async def enable_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep, audit: AuditDep
) -> WorkflowRead:
    """Let the workflow start runs again."""
    enable = partial(workflows.store.set_enabled, caller.tenant_id, workflow_id, True)
    await _change_head(caller, workflows, audit, workflow_id, "workflow.enable", enable)
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))


@router.post("/{workflow_id}/disable")
async def disable_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep, audit: AuditDep
) -> WorkflowRead:
    """Stop the workflow from starting runs; live runs go on."""
    disable = partial(workflows.store.set_enabled, caller.tenant_id, workflow_id, False)
    await _change_head(caller, workflows, audit, workflow_id, "workflow.disable", disable)
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))
