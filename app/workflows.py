"""Workflow lifecycle: validate, save as immutable versions, publish, enable, archive, import
and export, each change recorded in the audit log. The API and the CLI share it."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

from pydantic import ValidationError

from app.actions.local.policy import GUARDED, how_to_enable, tenant_enabled
from app.actions.references import references
from app.actions.registry import Registry, action_types
from app.audit import CLI, Audit
from app.engine.expressions.conditions import value_problem
from app.engine.expressions.renderer import Renderer
from app.errors import (
    AutomatorError,
    ErrorDetail,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    located,
    shown,
)
from app.models import jsonc, patterns
from app.models.document import WorkflowDocument
from app.models.tenant import KeyScope
from app.models.validation import ValidationRules
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.settings import Settings
from app.store.errors import not_pending, workflow_exists
from app.store.protocol import Store
from app.task_config.source import SourceText
from app.task_config.translate import documents, is_task_config
from app.triggers.matcher import Matcher

ImportStatus = Literal["created", "updated", "unchanged", "error"]
# A listing of every live workflow: far more than a tenant holds.
EVERY_WORKFLOW = Page(limit=10_000)


@dataclass(frozen=True)
class ImportResult:
    source: str
    status: ImportStatus
    workflow_id: str | None = None
    version: int | None = None
    error: dict[str, Any] | None = None
    # What the file held that was deliberately not imported (seed 002's logging section).
    notes: tuple[str, ...] = ()
    # The document imported (or found unchanged), whose warnings its caller may give.
    document: WorkflowDocument | None = None


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
            refused_types={
                code: how_to_enable(code) for code in GUARDED if code not in settings.local_tasks
            },
            max_actions=settings.max_actions,
            max_timeout=settings.max_workflow_timeout,
            check_data=registry.problems,
            check_template=Renderer().syntax_problem,
            check_condition=value_problem,
        )
        return cls(rules, settings.max_workflow_bytes)

    def parse(self, raw: bytes | str) -> WorkflowDocument:
        self.check_size(raw)
        return self.validate(jsonc.loads(raw))

    def check_size(self, raw: bytes | str) -> None:
        if len(raw) > self.max_bytes:
            raise PayloadTooLarge(
                f"The workflow document is {len(raw)} bytes, over the limit of "
                f"{self.max_bytes} bytes (AUTOMATOR_MAX_WORKFLOW_BYTES)."
            )

    def validate(self, data: Any) -> WorkflowDocument:
        try:
            return WorkflowDocument.model_validate(data, context={"rules": self.rules})
        except ValidationError as exc:
            raise invalid_document(exc, data) from None


@dataclass(frozen=True)
class WorkflowService:
    """The workflow lifecycle as the API and the CLI share it: every change is saved and
    recorded in the audit log, by ``actor``.

    Publishing is where a secret's use is approved: a run sends a secret's value only if its
    version says so, and only versions an actor who may use secrets (an admin, the CLI)
    published run with references in them. Anyone who may write saves such versions as
    drafts."""

    store: Store
    parser: DocumentParser
    audit: Audit
    actor: str | None = field(default=None)
    uses_secrets: bool = True
    # This process's matcher, told of every change so that its next event sees it.
    matcher: Matcher | None = None
    # The deployment's connector configurations (AUTOMATOR_INTEGRATIONS): a local task
    # enabled there is enabled for every tenant that configures none of its own.
    connector_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # What the acting key is limited to (None: the whole tenant).
    scope: KeyScope | None = None

    def acting_as(self, actor: str | None, *, uses_secrets: bool) -> "WorkflowService":
        """The same service acting for ``actor`` (an API key id): the author of the versions
        it saves and of its audit entries. Without one (the CLI) versions have no author and
        the audit log names ``cli``. It publishes versions that refer to secrets only when
        ``uses_secrets``."""
        return replace(self, actor=actor, uses_secrets=uses_secrets)

    def limited_to(self, scope: KeyScope | None) -> "WorkflowService":
        """The same service saving only the workflows within ``scope`` (a limited key's)."""
        return replace(self, scope=scope)

    @property
    def _auditor(self) -> str:
        return CLI if self.actor is None else self.actor

    async def create(self, tenant_id: str, document: WorkflowDocument, *, publish: bool) -> Saved:
        """Save ``document`` as version 1 of a new workflow, active if ``publish``."""
        saved = await self._create(tenant_id, document, publish=publish)
        after = workflow_state(saved.head, saved.version.document)
        await self.audit.record(
            tenant_id, self._auditor, "workflow.create", document.workflow_id, after=after
        )
        return saved

    async def update(self, tenant_id: str, document: WorkflowDocument, *, publish: bool) -> Saved:
        """Save ``document`` as the workflow's next immutable version, active if ``publish``."""
        before = await self.store.get_workflow(tenant_id, document.workflow_id)
        saved = await self._update(tenant_id, document, publish=publish)
        after = workflow_state(saved.head, saved.version.document)
        await self.audit.record(
            tenant_id,
            self._auditor,
            "workflow.update",
            document.workflow_id,
            workflow_state(before),
            after,
        )
        return saved

    async def _create(self, tenant_id: str, document: WorkflowDocument, *, publish: bool) -> Saved:
        await self._check_saveable(tenant_id, document)
        now = await self._publishes_now(tenant_id, document, publish)
        head, version = await self.store.create_workflow(
            tenant_id, document, self.actor, publish=now
        )
        return await self._saved(Saved(head, version), awaits_approval=publish and not now)

    async def _update(self, tenant_id: str, document: WorkflowDocument, *, publish: bool) -> Saved:
        await self._check_saveable(tenant_id, document)
        now = await self._publishes_now(tenant_id, document, publish)
        head, version = await self.store.add_version(tenant_id, document, self.actor, publish=now)
        return await self._saved(Saved(head, version), awaits_approval=publish and not now)

    async def _publishes_now(
        self, tenant_id: str, document: WorkflowDocument, publish: bool
    ) -> bool:
        """Whether a save asked to publish makes its version active at once: not under
        four-eyes publishing, where it waits for another key's approval instead."""
        if not publish or await self._four_eyes(tenant_id):
            return False
        self._check_publishable(document.canonical())
        return True

    async def _saved(self, saved: Saved, *, awaits_approval: bool) -> Saved:
        self._changed(saved.head.tenant_id)
        if not awaits_approval:
            return saved
        version = saved.version.version
        head = await self._request(saved.head.tenant_id, saved.head.workflow_id, version)
        return Saved(head, saved.version)

    async def _four_eyes(self, tenant_id: str) -> bool:
        """Whether the tenant publishes with four eyes, for an API key: the CLI, run by
        whoever runs the deployment, publishes at once."""
        if self.actor is None:
            return False
        return (await self.store.get_settings(tenant_id)).four_eyes_publishing

    async def _request(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        """Make ``version`` the workflow's publication waiting for another key's approval."""
        head = await self.store.request_publish(tenant_id, workflow_id, version, self.actor)
        after = {"version": version, "requested_by": self._auditor}
        await self.audit.record(
            tenant_id, self._auditor, "workflow.publish_request", workflow_id, after=after
        )
        return head

    async def _check_saveable(self, tenant_id: str, document: WorkflowDocument) -> None:
        """What this actor and tenant allow a save, beyond the document's own rules."""
        await self._check_scope(tenant_id, document)
        await self._check_local_tasks(tenant_id, document)
        await self._check_error_workflow(tenant_id, document)
        await self._check_sub_workflows(tenant_id, document)

    async def _check_scope(self, tenant_id: str, document: WorkflowDocument) -> None:
        """Forbidden when a limited key would save a workflow out of its reach, or change
        tags that are not its own (so a workflow leaves no other key's reach by its hand
        either); a workflow it names is its own whatever its tags."""
        scope = self.scope
        workflow_id = document.workflow_id
        if scope is None or workflow_id in scope.workflows:
            return
        if not scope.sees(workflow_id, document.tags):
            raise _out_of_reach(scope, workflow_id)
        before = await self._head(tenant_id, workflow_id)
        if before is not None and not scope.sees(workflow_id, before.tags):
            raise workflow_exists(workflow_id)  # archived, out of reach: not to be taken
        changed = set(document.tags).symmetric_difference(before.tags if before else ())
        foreign = sorted(changed.difference(scope.tags))
        if foreign:
            raise Forbidden(
                f"This key is limited to {scope.describe()}: it adds or removes only those "
                f"tags, not {', '.join(foreign)}.",
                [ErrorDetail(("body", "tags"), f"may not change {', '.join(foreign)}")],
            )

    async def _head(self, tenant_id: str, workflow_id: str) -> WorkflowHead | None:
        try:
            return await self.store.get_workflow(tenant_id, workflow_id)
        except NotFound:
            return None

    async def _check_local_tasks(self, tenant_id: str, document: WorkflowDocument) -> None:
        """InvalidInput when the document uses a local task the tenant has not opted in to
        (the deployment's refusal came with the document's validation)."""
        used = sorted({action.type for action in document.all_actions()} & set(GUARDED))
        for code in used:
            own = await self.store.get_integration(tenant_id, code)
            config = own.config if own is not None else self.connector_defaults.get(code, {})
            if not tenant_enabled(config):
                raise InvalidInput(
                    f"Invalid workflow: {how_to_enable(code)}",
                    [ErrorDetail(("body", "actions"), f"uses {code}, not enabled for this tenant")],
                )

    async def _check_error_workflow(self, tenant_id: str, document: WorkflowDocument) -> None:
        """InvalidInput when ``settings.on_failure`` names a workflow the tenant does not
        have (or has archived), or one the acting key cannot see; naming the workflow
        itself is allowed."""
        on_failure = document.settings.on_failure
        named = None if on_failure is None else on_failure.workflow_id
        if named is None or named == document.workflow_id:
            return
        if not await self._within_reach(tenant_id, named):
            raise InvalidInput(
                f"Invalid workflow: settings.on_failure.workflow_id: no workflow {named!r} in "
                "this tenant; create the error workflow first",
                [ErrorDetail(("body", "settings", "on_failure", "workflow_id"), "not found")],
            )

    async def _check_sub_workflows(self, tenant_id: str, document: WorkflowDocument) -> None:
        """InvalidInput when a limited key's document starts (``trigger_workflow``) a
        workflow out of the key's reach. A key over the whole tenant may name one it has
        not created yet: its runs then fail at that step."""
        scope = self.scope
        if scope is None:
            return
        started = {
            action.sub_workflow().workflow_id
            for action in document.all_actions()
            if action.type == "trigger_workflow"
        }
        for named in sorted(started - {document.workflow_id}):
            if not await self._within_reach(tenant_id, named):
                raise InvalidInput(
                    f"Invalid workflow: trigger_workflow: no workflow {named!r} within "
                    f"this key's reach ({scope.describe()})",
                    [ErrorDetail(("body", "actions"), f"starts {named}, not found")],
                )

    async def _within_reach(self, tenant_id: str, workflow_id: str) -> bool:
        """Whether the workflow exists, is not archived and the acting key sees it. A
        limited key gets one answer for a workflow out of its reach and a missing one, so
        it learns nothing of the rest of the tenant."""
        head = await self._head(tenant_id, workflow_id)
        if head is None or head.archived:
            return False
        return self.scope is None or self.scope.sees(workflow_id, head.tags)

    def _changed(self, tenant_id: str) -> None:
        if self.matcher is not None:
            self.matcher.forget(tenant_id)

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> Saved:
        """Make ``version`` the active one (also to roll back); under four-eyes publishing,
        the workflow's publication waiting for another key's approval."""
        saved = await self.store.get_version(tenant_id, workflow_id, version)
        if await self._four_eyes(tenant_id):
            head = await self.store.get_workflow(tenant_id, workflow_id)
            if head.active_version != version:  # the active one asks for nothing
                await self._request(tenant_id, workflow_id, version)
            return await self.current(tenant_id, workflow_id)
        self._check_publishable(saved.document, version)
        change = partial(self.store.publish, tenant_id, workflow_id, version)
        await self._change_head(tenant_id, workflow_id, "workflow.publish", change)
        return await self.current(tenant_id, workflow_id)

    async def decide(
        self,
        tenant_id: str,
        workflow_id: str,
        version: int,
        *,
        approve: bool,
        comment: str | None = None,
    ) -> Saved:
        """Approve (make active) or reject the workflow's pending publication of ``version``.
        Forbidden for the key that asked for it to approve it; rejecting one's own request
        withdraws it. Conflict when ``version`` is not the one waiting."""
        head = await self.store.get_workflow(tenant_id, workflow_id)
        if head.pending_version != version:
            raise not_pending(workflow_id, version)
        if approve:
            await self._check_approver(head, version)
        after = await self.store.decide_publish(tenant_id, workflow_id, head, approve=approve)
        self._changed(tenant_id)
        decision = {
            "version": version,
            "requested_by": CLI if head.pending_by is None else head.pending_by,
            ("approved_by" if approve else "rejected_by"): self._auditor,
            "comment": comment,
        }
        await self.audit.record(
            tenant_id,
            self._auditor,
            "workflow.publish_approve" if approve else "workflow.publish_reject",
            workflow_id,
            workflow_state(head),
            workflow_state(after) | decision,
        )
        return await self.current(tenant_id, workflow_id)

    async def _check_approver(self, head: WorkflowHead, version: int) -> None:
        if self.actor is not None and head.pending_by == self.actor:
            raise Forbidden(
                f"Four-eyes publishing: this key asked for version {version} of "
                f"{head.workflow_id!r} to be published, so another key (editor or admin) must "
                "approve it. This key may withdraw it with POST .../reject.",
                [ErrorDetail(("path", "version"), "requested by this key")],
            )
        saved = await self.store.get_version(head.tenant_id, head.workflow_id, version)
        self._check_publishable(saved.document, version)

    def _check_publishable(self, document: Mapping[str, Any], version: int | None = None) -> None:
        """Forbidden when this actor may not publish ``document`` because it refers to
        secrets: whoever wrote it chose where their values go."""
        if self.uses_secrets:
            return
        names = references(document.get("actions", []), ("actions",), unrendered=True)
        if not names:
            return
        which = f"version {version}" if version is not None else "it as a draft (publish=false)"
        raise Forbidden(
            f"Only an admin may publish a version that uses secrets ({', '.join(sorted(names))}): "
            f"its runs would send their values where it says. Save {which}, then ask an admin "
            "to publish it (POST /api/workflows/{id}/versions/{version}/publish).",
            [ErrorDetail(("body", "actions"), "refers to secrets; an admin must publish it")],
        )

    async def set_enabled(self, tenant_id: str, workflow_id: str, *, enabled: bool) -> Saved:
        """Let the workflow start runs, or stop it from starting any (live runs go on)."""
        change = partial(self.store.set_enabled, tenant_id, workflow_id, enabled=enabled)
        action = "workflow.enable" if enabled else "workflow.disable"
        await self._change_head(tenant_id, workflow_id, action, change)
        return await self.current(tenant_id, workflow_id)

    async def archive(self, tenant_id: str, workflow_id: str) -> None:
        """Stop the workflow matching events; its versions are kept."""
        change = partial(self.store.archive, tenant_id, workflow_id)
        await self._change_head(tenant_id, workflow_id, "workflow.archive", change)

    async def _change_head(
        self,
        tenant_id: str,
        workflow_id: str,
        action: str,
        change: Callable[[], Awaitable[WorkflowHead]],
    ) -> None:
        """Apply ``change`` to the workflow's head and record it, with the head before and
        after."""
        before = await self.store.get_workflow(tenant_id, workflow_id)
        after = await change()
        self._changed(tenant_id)
        await self.audit.record(
            tenant_id,
            self._auditor,
            action,
            workflow_id,
            workflow_state(before),
            workflow_state(after),
        )

    async def current(self, tenant_id: str, workflow_id: str) -> Saved:
        """The head and the version it serves: the published one, else the newest draft."""
        head = await self.store.get_workflow(tenant_id, workflow_id)
        number = head.active_version or head.latest_version
        return Saved(head, await self.store.get_version(tenant_id, workflow_id, number))

    async def versions(
        self, tenant_id: str, workflow_id: str
    ) -> tuple[WorkflowHead, list[WorkflowVersion]]:
        """The head and every saved version, oldest first."""
        head = await self.store.get_workflow(tenant_id, workflow_id)
        return head, await self.store.list_versions(tenant_id, workflow_id)

    async def version(self, tenant_id: str, workflow_id: str, number: int) -> Saved:
        """The head and one saved version."""
        head = await self.store.get_workflow(tenant_id, workflow_id)
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

    async def export_all(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every live workflow's export, by id."""
        heads = await self.store.list_workflows(tenant_id, WorkflowFilter(), EVERY_WORKFLOW)
        return [await self.export(tenant_id, head.workflow_id) for head in heads]

    async def import_many(
        self, tenant_id: str, files: list[tuple[str, bytes]]
    ) -> list[ImportResult]:
        """Create or update the workflows of each file; one bad file is reported and the
        rest go on. A refused file (it saves nothing) is tried again while others go in,
        so files may name each other's workflows (``settings.on_failure``) in any order."""
        results = [await self.import_file(tenant_id, source, raw) for source, raw in files]
        while refused := [n for n, result in enumerate(results) if _refused(result)]:
            again = {n: await self.import_file(tenant_id, *files[n]) for n in refused}
            if all(_refused(result) for result in again.values()):
                break
            for n, result in again.items():
                results[n] = result
        return [one for result in results for one in result]

    async def import_file(self, tenant_id: str, source: str, raw: bytes) -> list[ImportResult]:
        """The workflows of one file: a workflow document, or seed 002's configuration file
        of named workflows (docs/cli.md), all of whose workflows are imported, or none when
        any part of it is refused (one error result naming the line)."""
        try:
            self.parser.check_size(raw)
            if not is_task_config(jsonc.loads(raw)):
                return [await self.import_one(tenant_id, source, raw)]
            translated = documents(SourceText.parse(source, raw), self.parser.validate)
            for document, _ in translated:
                await self._check_saveable_in_file(tenant_id, document)
        except AutomatorError as exc:
            return [ImportResult(source, "error", error=exc.body())]
        results = []
        for document, notes in translated:
            result = await self._save_imported(tenant_id, source, document)
            await self._record_import(tenant_id, result)
            results.append(replace(result, notes=tuple(notes)))
        return results

    async def _check_saveable_in_file(self, tenant_id: str, document: WorkflowDocument) -> None:
        try:
            await self._check_saveable(tenant_id, document)
            await self._publishes_now(tenant_id, document, publish=True)
        except AutomatorError as exc:  # the same refusal, naming which of the file's workflows
            message = f"workflow '{document.workflow_id}': {exc.message}"
            raise type(exc)(message, exc.details) from None

    async def import_one(self, tenant_id: str, source: str, raw: bytes) -> ImportResult:
        """Create or update the workflow of one file, recorded in the audit log unless it
        was unchanged or refused (the error is in the result)."""
        try:
            document = self.parser.parse(raw)
            result = await self._save_imported(tenant_id, source, document)
        except AutomatorError as exc:
            return ImportResult(source, "error", error=exc.body())
        await self._record_import(tenant_id, result)
        return result

    async def _save_imported(
        self, tenant_id: str, source: str, document: WorkflowDocument
    ) -> ImportResult:
        workflow_id = document.workflow_id
        try:
            current = await self.current(tenant_id, workflow_id)
        except NotFound:
            saved = await self._create(tenant_id, document, publish=True)
            version = saved.version.version
            return ImportResult(source, "created", workflow_id, version, document=document)
        if current.version.document == document.canonical() and not current.head.archived:
            version = current.version.version
            return ImportResult(source, "unchanged", workflow_id, version, document=document)
        saved = await self._update(tenant_id, document, publish=True)
        version = saved.version.version
        return ImportResult(source, "updated", workflow_id, version, document=document)

    async def _record_import(self, tenant_id: str, result: ImportResult) -> None:
        if result.status in ("created", "updated") and result.workflow_id is not None:
            after = {"latest_version": result.version, "source": result.source}
            await self.audit.record(
                tenant_id,
                self._auditor,
                "workflow.import",
                result.workflow_id,
                after=after | {"result": result.status},
            )


def _out_of_reach(scope: KeyScope, workflow_id: str) -> Forbidden:
    limit = f"This key is limited to {scope.describe()}"
    if scope.tags:
        return Forbidden(
            f"{limit}: it cannot save {workflow_id!r} without one of its tags.",
            [ErrorDetail(("body", "tags"), "must keep one of this key's tags")],
        )
    return Forbidden(
        f"{limit}: it cannot save {workflow_id!r}.",
        [ErrorDetail(("body", "workflow_id"), "outside this key's workflows")],
    )


def _refused(results: list[ImportResult]) -> bool:
    return any(result.status == "error" for result in results)


def workflow_state(head: WorkflowHead, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """A workflow as the audit log shows it; with the document of a version just saved."""
    state: dict[str, Any] = {
        "name": head.name,
        "latest_version": head.latest_version,
        "active_version": head.active_version,
        "enabled": head.enabled,
        "archived": head.archived,
    }
    return state if document is None else state | {"document": document}


def invalid_document(exc: ValidationError, data: Any = None) -> InvalidInput:
    """The 422 of a refused document: every problem with its location; the message says
    the first, with the action it is in ("actions.0.conditions.0 (in action 'welcome',
    send_email): value: ...")."""
    errors = exc.errors(include_url=False, include_input=False)
    details = [ErrorDetail(located(error["loc"]), patterns.message(error)) for error in errors]
    first = details[0]
    where = ".".join(str(part) for part in first.loc) or "document"
    action = _action_at(data, tuple(errors[0]["loc"]))
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return InvalidInput(f"Invalid workflow: {where}{action}: {first.msg}{more}", details)


def _action_at(data: Any, loc: tuple[str | int, ...]) -> str:
    """`` (in action 'welcome', send_email)`` for the innermost action on the path ``loc``
    of the raw document (an object with a ``type`` reached through a list), else ""."""
    found, node = "", data
    for part in loc:
        if part == "data":  # an action's inputs hold no actions, only values
            break
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            if isinstance(node, dict) and isinstance(node.get("type"), str):
                name, kind = node.get("id"), node["type"][:64]
                found = (
                    f" (in action {shown(name)}, {kind})"
                    if isinstance(name, str)
                    else (f" (in a {kind} action)")
                )
        else:
            break
    return found
