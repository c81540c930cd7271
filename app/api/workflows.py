"""Workflow documents: create, version, publish, enable, archive, validate, import, export.

Bodies are read as JSON with ``//`` comments allowed, so the seed documents paste as written.
Each route parses, authorises, calls one service (app/workflows.py, app/runs.py) and shapes
its answer.
"""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Query, Request, Response
from starlette.datastructures import UploadFile

from app.api.bodies import JsonRoute
from app.api.deps import Reader, ResourcesDep, RunsDep, StoreDep, WorkflowsDep, Writer
from app.api.errors import ERROR_RESPONSES, LIMIT_RESPONSES
from app.api.examples import WORKFLOW_EXAMPLE
from app.api.schemas.approvals import DecisionBody
from app.api.schemas.events import EventAccepted
from app.api.schemas.experiments import ExperimentReport, SplitRead
from app.api.schemas.runs import StepRead
from app.api.schemas.workflows import (
    ImportItem,
    ImportReport,
    LogReport,
    RunNow,
    StatusReport,
    ValidationResult,
    ValidationWarning,
    VersionRead,
    VersionSummary,
    WorkflowList,
    WorkflowRead,
    WorkflowSaved,
    WorkflowSummary,
    WorkflowTest,
    WorkflowTestResult,
)
from app.errors import AutomatorError, ErrorDetail, InvalidInput
from app.experiments import experiment_report
from app.models import jsonc
from app.models.patterns import ID_PATTERN
from app.models.workflow import Page as PageQuery
from app.models.workflow import WorkflowFilter
from app.triggers.preview import import_warnings, warnings

router = APIRouter(
    prefix="/api/workflows", tags=["workflows"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

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
# What validate takes: any JSON (comments allowed), whose faults it reports with a 200.
CHECKED_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "description": "A workflow document (WorkflowDocument) to check; what is "
                    "wrong with it is the answer, not a 422."
                },
                "example": WORKFLOW_EXAMPLE,
            }
        },
    }
}
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            },
            "application/json": {
                # Any JSON: each item's faults are reported in its result (200), not refused.
                "schema": {
                    "description": "An array of workflow documents (WorkflowDocument), or one; "
                    "comments allowed. A document that is not valid is reported in its result."
                },
                "example": [WORKFLOW_EXAMPLE],
            },
        },
    }
}
RUN_NOW_EXAMPLES: dict[str, Any] = {
    "site": {"summary": "Run for one site", "value": {"data": {"site": "s1"}}},
    "test": {
        "summary": "A test run to yourself, delays skipped",
        "value": {"user": {"id": "me", "email": "me@example.com"}, "skip_delays": True},
    },
}
Publish = Annotated[
    bool,
    Query(
        description="Make the saved version the active one (false keeps a draft); under "
        "four-eyes publishing, the one waiting for another key's approval."
    ),
]
DECISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "The version is not the one waiting for approval"}
}
# The body is optional, so its schema is no plain reference that would carry the model's.
COMMENT_EXAMPLE = {"comment": {"value": {"comment": "Checked the new subject line."}}}


@router.post("", status_code=201, openapi_extra=DOCUMENT_BODY)
async def create_workflow(
    request: Request,
    caller: Writer,
    workflows: WorkflowsDep,
    resources: ResourcesDep,
    publish: Publish = True,
) -> WorkflowSaved:
    """Create a workflow from its document (version 1). `//` comments are allowed. The
    answer's `warnings` are those `validate` gives: they do not stop the save."""
    document = workflows.parser.parse(await request.body())
    saved = await workflows.create(caller.tenant_id, document, publish=publish)
    found = await warnings(resources.gateway, caller.tenant_id, document)
    return WorkflowSaved.of_save(saved, found)


@router.get("")
async def list_workflows(
    caller: Reader,
    workflows: WorkflowsDep,
    trigger_type: str | None = None,
    enabled: bool | None = None,
    include_archived: bool = False,
    tag: Annotated[
        str | None, Query(max_length=40, description="Only the workflows carrying this tag.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[
        str | None, Query(description="The last workflow_id of the page before.")
    ] = None,
) -> WorkflowList:
    """The tenant's workflows, ordered by id, filtered by trigger type, enabled state and
    tag. A key limited to workflows or tags lists those it sees."""
    heads = await workflows.store.list_workflows(
        caller.tenant_id,
        WorkflowFilter(trigger_type, enabled, include_archived, tag),
        PageQuery(limit, after),
    )
    shown = [WorkflowSummary.of(h) for h in heads if caller.sees(h.workflow_id, h.tags)]
    return WorkflowList(  # a limited key's page holds its workflows of the page read
        items=shown, next_after=heads[-1].workflow_id if len(heads) == limit else None
    )


@router.post("/validate", openapi_extra=CHECKED_BODY)
async def validate_workflow(
    request: Request, caller: Reader, workflows: WorkflowsDep, resources: ResourcesDep
) -> ValidationResult:
    """Check a document against every rule without saving it. No body at all is a 422, as
    for any route that requires one; a body that is not a valid document is a 200 saying
    why. A valid one comes with `warnings`: the actions that would fail if a run reached
    them now (a message template not created yet), which do not stop a save."""
    body = await request.body()
    if not body:
        raise InvalidInput(
            "A workflow document is required.", [ErrorDetail(("body",), "Field required")]
        )
    try:
        document = workflows.parser.parse(body)
    except AutomatorError as exc:
        return ValidationResult(valid=False, error=exc.body())
    found = await warnings(resources.gateway, caller.tenant_id, document)
    return ValidationResult(
        valid=True,
        document=document.canonical(),
        warnings=[ValidationWarning.model_validate(w, from_attributes=True) for w in found],
    )


@router.post("/import", openapi_extra=IMPORT_BODY)
async def import_workflows(
    request: Request, caller: Writer, workflows: WorkflowsDep, resources: ResourcesDep
) -> ImportReport:
    """Create or update many workflows: files in a multipart form (`files`), or a JSON array
    (comments allowed). An unchanged document makes no new version; a bad one is reported in
    its result and the others are still imported. Each imported one comes with the
    `warnings` `validate` gives: they do not stop the import."""
    results = await workflows.import_many(caller.tenant_id, await _import_files(request))
    items = []
    for result in results:
        found = await import_warnings(resources.gateway, caller.tenant_id, result.document)
        item = ImportItem.model_validate(result, from_attributes=True)
        item.warnings = [ValidationWarning.model_validate(w, from_attributes=True) for w in found]
        items.append(item)
    return ImportReport(results=items)


async def _import_files(request: Request) -> list[tuple[str, bytes]]:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:
            parts = form.getlist("files")
            uploads = [item for item in parts if isinstance(item, UploadFile)]
            if len(uploads) < len(parts):
                # A text field was skipped before: a 200 that imported nothing.
                raise InvalidInput(
                    "Each `files` part must be a file upload (with a filename), not a text field.",
                    [ErrorDetail(("body", "files"), "send each workflow as a file part")],
                )
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
    return await workflows.export_all(caller.tenant_id)


@router.get("/status")
async def workflows_status(caller: Reader, runs: RunsDep) -> StatusReport:
    """Every live workflow with its state and its runs by status (the seed's status call)."""
    return StatusReport.of(await runs.status(caller.tenant_id))


@router.get("/logs")
async def workflow_logs(
    workflow_id: Annotated[str, Query(pattern=ID_PATTERN)],
    caller: Reader,
    runs: RunsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> LogReport:
    """The workflow's latest step records, newest first (the seed's execution logs)."""
    steps = await runs.workflow_logs(caller.tenant_id, workflow_id, limit)
    return LogReport(workflow_id=workflow_id, entries=[StepRead.of(step) for step in steps])


@router.get("/{workflow_id}/experiments")
async def get_experiments(
    workflow_id: WorkflowId, caller: Reader, store: StoreDep
) -> ExperimentReport:
    """The workflow's A/B splits: per split and variant (the holdout included) its runs,
    their conversions to the workflow's goal (`settings.goal`), the conversion rate with a
    95 % Wilson score interval, and the uplift against the holdout. Over the runs still
    kept; parallel branches are not counted."""
    splits = await experiment_report(store, caller.tenant_id, workflow_id)
    return ExperimentReport(workflow_id=workflow_id, splits=[SplitRead.of(s) for s in splits])


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
    resources: ResourcesDep,
    publish: Publish = True,
) -> WorkflowSaved:
    """Save a new immutable version of the workflow. The document's `workflow_id` must be
    the path's (a 422 otherwise): JSON Schema cannot state a rule across path and body. The
    answer's `warnings` are those `validate` gives: they do not stop the save."""
    document = workflows.parser.parse(await request.body())
    if document.workflow_id != workflow_id:
        raise InvalidInput(
            "The document's workflow_id differs from the one in the path.",
            [ErrorDetail(("body", "workflow_id"), f"must be {workflow_id!r}, as in the path")],
        )
    saved = await workflows.update(caller.tenant_id, document, publish=publish)
    found = await warnings(resources.gateway, caller.tenant_id, document)
    return WorkflowSaved.of_save(saved, found)


@router.delete("/{workflow_id}", status_code=204)
async def archive_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep
) -> Response:
    """Archive the workflow: it stops matching events; its versions are kept."""
    await workflows.archive(caller.tenant_id, workflow_id)
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
    head, versions = await workflows.versions(caller.tenant_id, workflow_id)
    return [VersionSummary.of(version, head) for version in versions]


@router.get("/{workflow_id}/versions/{version}")
async def get_version(
    workflow_id: WorkflowId, version: VersionNumber, caller: Reader, workflows: WorkflowsDep
) -> VersionRead:
    """One saved version and its document."""
    return VersionRead.of_saved(await workflows.version(caller.tenant_id, workflow_id, version))


@router.post("/{workflow_id}/versions/{version}/publish")
async def publish_version(
    workflow_id: WorkflowId, version: VersionNumber, caller: Writer, workflows: WorkflowsDep
) -> WorkflowRead:
    """Make a version the active one (also to roll back). Under four-eyes publishing it
    becomes the workflow's `pending_approval` instead, and the active version stays until
    another key approves it."""
    return WorkflowRead.of(await workflows.publish(caller.tenant_id, workflow_id, version))


@router.post("/{workflow_id}/versions/{version}/approve", responses=DECISION_RESPONSES)
async def approve_version(
    workflow_id: WorkflowId,
    version: VersionNumber,
    caller: Writer,
    workflows: WorkflowsDep,
    body: Annotated[DecisionBody | None, Body(openapi_examples=COMMENT_EXAMPLE)] = None,
) -> WorkflowRead:
    """Approve the version waiting for approval (four-eyes publishing; editor or admin): it
    becomes the active one. 403 for the key that asked for it; 409 when it is not the one
    waiting. Recorded in the audit log with who asked and who approved."""
    comment = body.comment if body is not None else None
    decided = await workflows.decide(
        caller.tenant_id, workflow_id, version, approve=True, comment=comment
    )
    return WorkflowRead.of(decided)


@router.post("/{workflow_id}/versions/{version}/reject", responses=DECISION_RESPONSES)
async def reject_version(
    workflow_id: WorkflowId,
    version: VersionNumber,
    caller: Writer,
    workflows: WorkflowsDep,
    body: Annotated[DecisionBody | None, Body(openapi_examples=COMMENT_EXAMPLE)] = None,
) -> WorkflowRead:
    """Reject the version waiting for approval (editor or admin; the key that asked for it
    withdraws it so): nothing is published, the active version stays. 409 when it is not
    the one waiting. Recorded in the audit log."""
    comment = body.comment if body is not None else None
    decided = await workflows.decide(
        caller.tenant_id, workflow_id, version, approve=False, comment=comment
    )
    return WorkflowRead.of(decided)


@router.post("/{workflow_id}/test")
async def test_workflow(
    workflow_id: WorkflowId, body: WorkflowTest, caller: Reader, runs: RunsDep
) -> WorkflowTestResult:
    """Run the workflow's current version on a sample event through the real engine, with
    connectors stubbed and delays fast-forwarded: what would be sent, when, and why.
    Nothing is sent or stored."""
    script = None if body.script is None else body.script.script()
    trial = await runs.try_current(caller.tenant_id, workflow_id, body.event, script)
    return WorkflowTestResult.of(workflow_id, trial)


@router.post("/{workflow_id}/run", status_code=202, responses=LIMIT_RESPONSES)
async def run_workflow(
    workflow_id: WorkflowId,
    caller: Writer,
    runs: RunsDep,
    body: Annotated[RunNow | None, Body(openapi_examples=RUN_NOW_EXAMPLES)] = None,
) -> EventAccepted:
    """Start one run of the workflow's active version now, whatever its trigger (the seed's
    run now); its trigger conditions are not checked. `skip_delays` makes it a test run
    that passes over every step's delay (its branches' and sub-runs' too), each noted in
    its history, so a workflow with a 3-day delay can be tried end to end now. A rate limit
    or the tenant's quota refusing the run answers 429 naming the limit, with
    `Retry-After`."""
    body = body or RunNow()
    accepted = await runs.run_now(
        caller.tenant_id,
        workflow_id,
        body.user,
        body.data,
        body.idempotency_key,
        skip_delays=body.skip_delays,
    )
    return EventAccepted.of(accepted)


@router.post("/{workflow_id}/enable")
async def enable_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep
) -> WorkflowRead:
    """Let the workflow start runs again."""
    return WorkflowRead.of(await workflows.set_enabled(caller.tenant_id, workflow_id, enabled=True))


@router.post("/{workflow_id}/disable")
async def disable_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep
) -> WorkflowRead:
    """Stop the workflow from starting runs; live runs go on."""
    return WorkflowRead.of(
        await workflows.set_enabled(caller.tenant_id, workflow_id, enabled=False)
    )
