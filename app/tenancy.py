"""Tenants and API keys: issuing, hashing and resolving keys.

Keys are 256 bits from ``secrets``; a fast SHA-256 is the right hash for such keys (slow
password hashes guard guessable secrets, and would cost every request milliseconds).
"""

import hashlib
import secrets
from dataclasses import dataclass

from app.errors import Unauthenticated
from app.models.tenant import ApiKey, Role
from app.store.base import Store, now

KEY_PREFIX = "atm_"
DEFAULT_TENANT = "default"


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``secret`` is shown once and never stored."""

    key: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_key(
    store: Store, tenant_id: str, role: Role, name: str = "", secret: str | None = None
) -> IssuedKey:
    """Create the tenant when missing and a key for it (``secret`` given, or generated)."""
    await store.ensure_tenant(tenant_id, tenant_id)
    secret = secret or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        key_id="key_" + secrets.token_hex(8),
        tenant_id=tenant_id,
        role=role,
        name=name,
        prefix=secret[:8],
        created_at=now(),
    )
    await store.add_api_key(key, hash_key(secret))
    return IssuedKey(key, secret)


async def authenticate(store: Store, secret: str) -> ApiKey:
    key = await store.api_key_by_hash(hash_key(secret))
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("The API key is not valid.")
    return key


async def bootstrap(store: Store, secret: str | None) -> IssuedKey | None:
    """On first start: the ``default`` tenant and an admin key. None when it already exists,
    unless ``secret`` is a key not stored yet (so a configured bootstrap key always works)."""
    _, created = await store.ensure_tenant(DEFAULT_TENANT, "Default")
    if secret is not None and await store.api_key_by_hash(hash_key(secret)) is None:
        return await issue_key(store, DEFAULT_TENANT, Role.ADMIN, "bootstrap", secret)
    if created and secret is None:
        return await issue_key(store, DEFAULT_TENANT, Role.ADMIN, "bootstrap")
    return None
