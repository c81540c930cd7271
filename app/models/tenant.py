"""Tenants, API keys and what each role may do."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    INGEST = "ingest"


class Permission(StrEnum):
    READ = "read"
    WRITE = "write"
    INGEST = "ingest"
    MANAGE_KEYS = "manage_keys"
    MANAGE_SECRETS = "manage_secrets"
    CONFIGURE = "configure"
    AUDIT = "audit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.EDITOR: frozenset({Permission.READ, Permission.WRITE, Permission.INGEST}),
    Role.VIEWER: frozenset({Permission.READ}),
    Role.INGEST: frozenset({Permission.INGEST}),
}


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    """A stored key: only its SHA-256 hash and a short prefix are kept, never the key."""

    key_id: str
    tenant_id: str
    role: Role
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    # The workflows this key may see and act on (read, write, run control); None: all of
    # the tenant's, and the tenant's other resources too.
    workflows: list[str] | None = None

    def can(self, permission: Permission) -> bool:
        return self.revoked_at is None and permission in ROLE_PERMISSIONS[self.role]

    def sees(self, workflow_id: str) -> bool:
        """Whether this key may see the workflow (and its versions, runs and approvals)."""
        return self.workflows is None or workflow_id in self.workflows
