"""Stored workflows: the head record and its immutable versions."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class WorkflowVersion:
    """One saved document. Versions are never changed once written."""

    tenant_id: str
    workflow_id: str
    version: int
    document: dict[str, Any]
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class WorkflowHead:
    """What is live for one workflow: its newest and its published version, and its state."""

    tenant_id: str
    workflow_id: str
    name: str
    trigger_type: str
    latest_version: int
    active_version: int | None
    enabled: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
    # The active version has a schedule among its ``triggers`` (``trigger_type`` is its
    # first trigger's): what the scheduler reads besides schedule-typed heads.
    scheduled: bool = False
    # The newest version's tags: what lists filter by and keys limited by tag reach.
    tags: list[str] = field(default_factory=list)
    # A publication waiting for a second key (four-eyes publishing): the version, the key
    # that asked for it (None: the CLI) and when.
    pending_version: int | None = None
    pending_by: str | None = None
    pending_at: datetime | None = None


@dataclass(frozen=True)
class WorkflowFilter:
    trigger_type: str | None = None
    enabled: bool | None = None
    include_archived: bool = False
    tag: str | None = None


@dataclass(frozen=True)
class Page:
    """Paging by position after a workflow id, so pages stay stable while others are added."""

    limit: int = 100
    after: str | None = None
