"""The store interface every adapter implements, and the rules they share.

Every method takes the tenant id first and reads or writes only that tenant's records; the
one exception is ``api_key_by_hash``, which is how a request learns its tenant.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from app.errors import Conflict, NotFound
from app.models.document import WorkflowDocument
from app.models.tenant import ApiKey, Tenant
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion


class Store(Protocol):
    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        """The tenant, created when missing; the flag says whether it was created now."""

    async def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None: ...

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None: ...

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]: ...

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey: ...

    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        """Version 1 of a new workflow; Conflict if the id is taken by a live workflow. An
        archived workflow of that id is brought back with a new version."""

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        """The next version of an existing workflow (numbered atomically)."""

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead: ...

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]: ...

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]: ...

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        """NotFound for a missing version, and for another tenant's."""

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        """Make a version the active one; its name, trigger and enabled flag become the head's."""

    async def set_enabled(
        self, tenant_id: str, workflow_id: str, enabled: bool
    ) -> WorkflowHead: ...

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead: ...


def now() -> datetime:
    return datetime.now(UTC)


def workflow_not_found(workflow_id: str) -> NotFound:
    return NotFound(f"Workflow {workflow_id!r} was not found.")


def version_not_found(workflow_id: str, version: int) -> NotFound:
    return NotFound(f"Workflow {workflow_id!r} has no version {version}.")


def workflow_exists(workflow_id: str) -> Conflict:
    return Conflict(
        f"Workflow {workflow_id!r} already exists; save a new version with "
        f"PUT /api/workflows/{workflow_id}."
    )


def key_not_found(key_id: str) -> NotFound:
    return NotFound(f"API key {key_id!r} was not found.")


def new_head(tenant_id: str, document: WorkflowDocument, at: datetime) -> WorkflowHead:
    return WorkflowHead(
        tenant_id=tenant_id,
        workflow_id=document.workflow_id,
        name=document.name,
        trigger_type=document.trigger.type,
        latest_version=0,
        active_version=None,
        enabled=False,
        archived=False,
        created_at=at,
        updated_at=at,
    )


def published(head: WorkflowHead, version: WorkflowVersion, at: datetime) -> WorkflowHead:
    """The head once ``version`` is active: it takes the document's name, trigger and state."""
    document = WorkflowDocument.model_validate(version.document)
    return replace(
        head,
        name=document.name,
        trigger_type=document.trigger.type,
        active_version=version.version,
        enabled=document.settings.enabled,
        archived=False,
        updated_at=at,
    )
