"""The audit log: who changed what, when, and from what to what."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One change. ``actor`` is the API key id that made it (``cli`` for the command line);
    ``before`` and ``after`` are the entity's state around it, secrets masked."""

    tenant_id: str
    entry_id: str
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
