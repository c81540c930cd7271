"""Workflow lifecycle: validate, save as immutable versions, publish, import and export."""

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import ValidationError

from app.actions.registry import Registry, action_types
from app.errors import AutomatorError, ErrorDetail, InvalidInput, NotFound, PayloadTooLarge
from app.models import jsonc
from app.models.document import ValidationRules, WorkflowDocument
from app.models.workflow import WorkflowHead, WorkflowVersion
from app.settings import Settings
from app.store.protocol import Store

ImportStatus = Literal["created", "updated", "unchanged", "error"]


@dataclass(frozen=True)
class ImportResult:
    source: str
    status: ImportStatus
    workflow_id: str | None = None
    version: int | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class Saved:
    head: WorkflowHead
    version: WorkflowVersion


@dataclass(frozen=True)
class DocumentParser:
    """Turns JSON text (``//`` comments allowed) into a document checked against every rule."""

    rules: ValidationRules
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings, registry: Registry) -> "DocumentParser":
        rules = ValidationRules(
            action_types=action_types(),
            max_actions=settings.max_actions,
            max_timeout=settings.max_workflow_timeout,
            check_data=registry.problems,
        )
        return cls(rules, settings.max_workflow_bytes)

    def parse(self, raw: bytes | str) -> WorkflowDocument:
        if len(raw) > self.max_bytes:
            raise PayloadTooLarge(
                f"The workflow document is {len(raw)} bytes, over the limit of "
                f"{self.max_bytes} bytes (AUTOMATOR_MAX_WORKFLOW_BYTES)."
            )
        return self.validate(jsonc.loads(raw))

    def validate(self, data: Any) -> WorkflowDocument:
        try:
            return WorkflowDocument.model_validate(data, context={"rules": self.rules})
        except ValidationError as exc:
            raise invalid_document(exc) from None


@dataclass(frozen=True)
class WorkflowService:
    store: Store
    parser: DocumentParser
    actor: str | None = field(default=None)

    def acting_as(self, actor: str | None) -> "WorkflowService":
        """The same service recording ``actor`` (an API key id) as the author of saves."""
        return replace(self, actor=actor)

    async def create(self, tenant_id: str, document: WorkflowDocument, publish: bool) -> Saved:
        head, version = await self.store.create_workflow(tenant_id, document, self.actor, publish)
        return Saved(head, version)

    async def update(self, tenant_id: str, document: WorkflowDocument, publish: bool) -> Saved:
        head, version = await self.store.add_version(tenant_id, document, self.actor, publish)
        return Saved(head, version)

    async def current(self, tenant_id: str, workflow_id: str) -> Saved:
        """The head and the version it serves: the published one, else the newest draft."""
        head = await self.store.get_workflow(tenant_id, workflow_id)
        number = head.active_version or head.latest_version
        return Saved(head, await self.store.get_version(tenant_id, workflow_id, number))

    async def export(self, tenant_id: str, workflow_id: str) -> dict[str, Any]:
        """The current document, with ``settings.enabled`` as the workflow stands now, so
        importing the export reproduces the workflow."""
        saved = await self.current(tenant_id, workflow_id)
        document = saved.version.document
        if saved.head.enabled == document.get("settings", {}).get("enabled", True):
            return document
        settings = {**document.get("settings", {}), "enabled": saved.head.enabled}
        return {**document, "settings": settings}

    async def import_many(
        self, tenant_id: str, files: list[tuple[str, bytes]]
    ) -> list[ImportResult]:
        """Create or update each document; one bad file is reported and the rest go on."""
        return [await self.import_one(tenant_id, source, raw) for source, raw in files]

    async def import_one(self, tenant_id: str, source: str, raw: bytes) -> ImportResult:
        try:
            document = self.parser.parse(raw)
            return await self._save_imported(tenant_id, source, document)
        except AutomatorError as exc:
            return ImportResult(source, "error", error=exc.body())

    async def _save_imported(
        self, tenant_id: str, source: str, document: WorkflowDocument
    ) -> ImportResult:
        workflow_id = document.workflow_id
        try:
            current = await self.current(tenant_id, workflow_id)
        except NotFound:
            saved = await self.create(tenant_id, document, publish=True)
            return ImportResult(source, "created", workflow_id, saved.version.version)
        if current.version.document == document.canonical() and not current.head.archived:
            return ImportResult(source, "unchanged", workflow_id, current.version.version)
        saved = await self.update(tenant_id, document, publish=True)
        return ImportResult(source, "updated", workflow_id, saved.version.version)


def invalid_document(exc: ValidationError) -> InvalidInput:
    details = [
        ErrorDetail(tuple(error["loc"]), error["msg"])
        for error in exc.errors(include_url=False, include_input=False)
    ]
    first = details[0]
    where = ".".join(str(part) for part in first.loc) or "document"
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return InvalidInput(f"Invalid workflow: {where}: {first.msg}{more}", details)
