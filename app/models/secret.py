"""Stored secrets and each tenant's connector configuration, as the store keeps them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The key of a reference, {"$secret": "NAME"}, in action data and connector configuration.
SECRET_REF = "$secret"  # noqa: S105 - the key of a secret reference, not a secret


@dataclass(frozen=True)
class StoredSecret:
    """A secret as stored: ``ciphertext`` is a Fernet token the store cannot read."""

    tenant_id: str
    name: str
    ciphertext: str
    created_at: datetime
    updated_at: datetime
    rotated_at: datetime | None = None


@dataclass(frozen=True)
class IntegrationConfig:
    """A tenant's configuration of one connector; secret values appear only as references
    (``{"$secret": "NAME"}``)."""

    tenant_id: str
    code: str
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime
