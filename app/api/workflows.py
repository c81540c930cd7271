"""Workflow documents: create, version, publish, enable, archive, validate, import, export.

Bodies are read as JSON with ``//`` comments allowed, so the seed documents paste as written.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from app.api.deps import Reader, WorkflowsDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.examples import WORKFLOW_EXAMPLE
from app.errors import AutomatorError, ErrorDetail, InvalidInput
from app.models import jsonc
from app.models.document import ID_PATTERN
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.workflows import Saved

router = APIRouter(prefix="/api/workflows", tags=["workflows"], responses=ERROR_RESPONSES)

WorkflowId = Annotated[str, Path(pattern=ID_PATTERN)]
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


class WorkflowList(BaseModel):
    items: list[WorkflowSummary]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


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
    request: Request, caller: Writer, workflows: WorkflowsDep, publish: Publish = True
) -> WorkflowRead:
    """Create a workflow from its document (version 1). `//` comments are allowed."""
    document = workflows.parser.parse(await request.body())
    return WorkflowRead.of(await workflows.create(caller.tenant_id, document, publish))


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
        Page(limit, after),
    )
    next_after = heads[-1].workflow_id if len(heads) == limit else None
    return WorkflowList(items=[WorkflowSummary.of(h) for h in heads], next_after=next_after)


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
    request: Request, caller: Writer, workflows: WorkflowsDep
) -> ImportReport:
    """Create or update many workflows: files in a multipart form (`files`), or a JSON array
    (comments allowed). An unchanged document makes no new version; a bad one is reported in
    its result and the others are still imported."""
    files = await _import_files(request)
    results = await workflows.import_many(caller.tenant_id, files)
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
        caller.tenant_id, WorkflowFilter(), Page(limit=10_000)
    )
    return [await workflows.export(caller.tenant_id, head.workflow_id) for head in heads]


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
    publish: Publish = True,
) -> WorkflowRead:
    """Save a new immutable version of the workflow."""
    document = workflows.parser.parse(await request.body())
    if document.workflow_id != workflow_id:
        raise InvalidInput(
            "The document's workflow_id differs from the one in the path.",
            [ErrorDetail(("body", "workflow_id"), f"must be {workflow_id!r}, as in the path")],
        )
    return WorkflowRead.of(await workflows.update(caller.tenant_id, document, publish))


@router.delete("/{workflow_id}", status_code=204)
async def archive_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep
) -> Response:
    """Archive the workflow: it stops matching events; its versions are kept."""
    await workflows.store.archive(caller.tenant_id, workflow_id)
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
    workflow_id: WorkflowId, version: int, caller: Reader, workflows: WorkflowsDep
) -> VersionRead:
    """One saved version and its document."""
    head = await workflows.store.get_workflow(caller.tenant_id, workflow_id)
    found = await workflows.store.get_version(caller.tenant_id, workflow_id, version)
    return VersionRead(**_version_summary(found, head).model_dump(), document=found.document)


@router.post("/{workflow_id}/versions/{version}/publish")
async def publish_version(
    workflow_id: WorkflowId, version: int, caller: Writer, workflows: WorkflowsDep
) -> WorkflowRead:
    """Make a version the active one (also to roll back)."""
    await workflows.store.publish(caller.tenant_id, workflow_id, version)
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))


@router.post("/{workflow_id}/enable")
async def enable_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep
) -> WorkflowRead:
    """Let the workflow start runs again."""
    await workflows.store.set_enabled(caller.tenant_id, workflow_id, True)
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))


@router.post("/{workflow_id}/disable")
async def disable_workflow(
    workflow_id: WorkflowId, caller: Writer, workflows: WorkflowsDep
) -> WorkflowRead:
    """Stop the workflow from starting runs; live runs go on."""
    await workflows.store.set_enabled(caller.tenant_id, workflow_id, False)
    return WorkflowRead.of(await workflows.current(caller.tenant_id, workflow_id))
