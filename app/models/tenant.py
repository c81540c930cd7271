"""Tenants, API keys and what each role may do."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from app.models.patterns import ID_PATTERN

# The tenant of the first start's admin key, and of the CLI's store commands unless told.
DEFAULT_TENANT = "default"
# What a new tenant's id may be, wherever one is made (the CLI's create-api-key, the operator
# API): it is written in URLs, file names of exports and log lines.
TenantId = Annotated[StrictStr, Field(pattern=ID_PATTERN, examples=["acme"])]


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


class TenantSettings(BaseModel):
    """How the tenant works, as its admins set it (`PUT /api/tenant/settings`)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"four_eyes_publishing": True}]}
    )

    four_eyes_publishing: StrictBool = Field(
        False,
        description="A version one API key publishes (a save with `publish`, a publish, a "
        "roll back) waits as the workflow's pending publication until another key approves "
        "it (`POST /api/workflows/{workflow_id}/versions/{version}/approve`); runs keep the "
        "version active until then.",
    )


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class KeyScope:
    """What a limited key reaches: the workflows it names and those carrying one of its
    tags (read, write, run control as its role allows), and nothing else of the tenant's."""

    workflows: Sequence[str] = ()
    tags: Sequence[str] = ()

    def sees(self, workflow_id: str, tags: Sequence[str] = ()) -> bool:
        """Whether the workflow (with these tags) is within reach."""
        return workflow_id in self.workflows or not set(tags).isdisjoint(self.tags)

    def describe(self) -> str:
        """How an error message names it: "the workflows a, b and the tags t"."""
        parts = [
            f"the {noun} {', '.join(names)}"
            for noun, names in (("workflows", self.workflows), ("tags", self.tags))
            if names
        ]
        return " and ".join(parts)


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
    # The tags of the workflows this key may see and act on, beside ``workflows``; None:
    # no limit by tag.
    tags: list[str] | None = None
    # When an API process last recorded a request made with it (at most once a minute per
    # process: ``app.tenancy.USE_RECORD_SECONDS``); None: never used.
    last_used_at: datetime | None = None
    # When it stops working; None: never (until revoked).
    expires_at: datetime | None = None

    def can(self, permission: Permission) -> bool:
        return self.revoked_at is None and permission in ROLE_PERMISSIONS[self.role]

    @property
    def scope(self) -> KeyScope | None:
        """What this key is limited to; None: the whole tenant."""
        if self.workflows is None and self.tags is None:
            return None
        return KeyScope(self.workflows or (), self.tags or ())

    def expired(self, at: datetime) -> bool:
        """Whether the key no longer works at ``at`` for its expiry."""
        return self.expires_at is not None and self.expires_at <= at

    def manages_keys(self, at: datetime) -> bool:
        """Whether this key works at ``at`` (neither revoked nor expired) and may make and
        revoke the tenant's keys (an admin limited to some workflows may not). A store keeps
        one such key per tenant."""
        return (
            self.revoked_at is None
            and not self.expired(at)
            and self.role == Role.ADMIN
            and self.scope is None
        )

    def sees(self, workflow_id: str, tags: Sequence[str] = ()) -> bool:
        """Whether this key may see the workflow (and its versions, runs and approvals)
        whose tags are ``tags``."""
        return self.scope is None or self.scope.sees(workflow_id, tags)
