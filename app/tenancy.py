"""Tenants and API keys: issuing, hashing, resolving, expiring and revoking keys.

Keys are 256 bits from ``secrets``; a fast SHA-256 is the right hash for such keys (slow
password hashes guard guessable secrets, and would cost every request milliseconds).
"""

import asyncio
import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic_core import to_jsonable_python

from app.audit import CLI, OPERATOR, Acting, Audit
from app.clock import Clock
from app.errors import Conflict, ErrorDetail, InvalidInput, KeyExpired, NotFound, Unauthenticated
from app.models.stats import Period
from app.models.tenant import DEFAULT_TENANT, ApiKey, Role, Tenant
from app.store.protocol import Store

KEY_PREFIX = "atm_"
MAX_CACHED_KEYS = 10_000
# A process records a key's use in the store at most once per this many seconds: a busy key
# costs one write a minute, not one a request. A key's ``last_used_at`` is so at most this
# old while it is in use (and a process that dies loses only a write on its way).
USE_RECORD_SECONDS = 60.0
# Unknown and revoked keys are answered alike, so a caller learns nothing of which it held.
NOT_VALID = (
    "The API key is not valid: this service does not know it, or it was revoked. Send the "
    "whole key as it was printed (atm_...); an admin can make another (POST /api/keys, or "
    "automator create-api-key on the service's host)."
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``secret`` is shown once and never stored; ``notice``: what its creator
    should know (the tenant's admin keys all expire)."""

    key: ApiKey
    secret: str
    notice: str | None = None


@dataclass(frozen=True)
class RevokedKey:
    """A revoked key; ``notice``: what its revoker should know (the tenant's admin keys left
    all expire)."""

    key: ApiKey
    notice: str | None = None


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_key(
    store: Store,
    clock: Clock,
    tenant_id: str,
    role: Role,
    name: str = "",
    secret: str | None = None,
    workflows: list[str] | None = None,
    tags: list[str] | None = None,
    expires_at: datetime | None = None,
    key_id: str | None = None,
) -> IssuedKey:
    """Create the tenant when missing and a key for it (``secret`` given, or generated;
    ``key_id`` given, or generated: a Conflict when the tenant holds a key of that id)."""
    await store.ensure_tenant(tenant_id, tenant_id)
    secret = secret or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        key_id=key_id or "key_" + secrets.token_hex(8),
        tenant_id=tenant_id,
        role=role,
        name=name,
        prefix=secret[:8],
        created_at=clock.now(),
        workflows=workflows,
        tags=tags,
        expires_at=expires_at,
    )
    await store.add_api_key(key, hash_key(secret))
    return IssuedKey(key, secret)


class KeyCache:
    """Valid keys remembered for ``seconds``, so a request does not read the store to learn
    whose key it carries. A key revoked in another process stops working within ``seconds``;
    in this process, at once (``forget``).

    A key past its ``expires_at`` is refused saying so; a key is remembered no longer than
    it works.

    A key's use is recorded (``last_used_at``) when it is read from the store, at most once
    per ``USE_RECORD_SECONDS``, by a write the request does not wait for; a remembered key is
    read again by the time its next use is due, so a request served from memory costs
    nothing more."""

    def __init__(self, store: Store, clock: Clock, seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._seconds = seconds
        self._keys: dict[str, tuple[ApiKey, float]] = {}
        # When each key's next use is recorded (monotonic seconds), by key id.
        self._record_after: dict[str, float] = {}
        self._recording: set[asyncio.Task[None]] = set()

    async def authenticate(self, secret: str) -> ApiKey:
        return await self.authenticate_digest(hash_key(secret))

    async def authenticate_digest(self, digest: str) -> ApiKey:
        """The key whose SHA-256 is ``digest`` (what a sign-in session keeps)."""
        cached = self._keys.get(digest)
        if cached is not None and cached[1] > self._clock.monotonic():
            return cached[0]
        self._keys.pop(digest, None)  # out of date, if there
        key = await self._store.api_key_by_hash(digest)
        if key is None or key.revoked_at is not None:
            raise Unauthenticated(NOT_VALID)
        life = self._life(key)
        if len(self._keys) >= MAX_CACHED_KEYS:
            self._keys.clear()
            self._record_after.clear()
        now = self._clock.monotonic()
        self._keys[digest] = (key, min(now + life, self._used(key, now)))
        return key

    def _life(self, key: ApiKey) -> float:
        """Seconds the key may be remembered: ``seconds``, or until it expires if sooner;
        KeyExpired once it has."""
        if key.expires_at is None:
            return self._seconds
        left = (key.expires_at - self._clock.now()).total_seconds()
        if left <= 0:
            raise KeyExpired(
                f"The API key {key.prefix}… expired at {utc_text(key.expires_at)}: use "
                "another key, or ask an admin for a new one (POST /api/keys)."
            )
        return min(self._seconds, left)

    def forget(self, key_id: str) -> None:
        self._keys = {d: entry for d, entry in self._keys.items() if entry[0].key_id != key_id}

    def _used(self, key: ApiKey, now: float) -> float:
        """Record the key's use unless this process did in the last ``USE_RECORD_SECONDS``;
        when the next use is to be recorded."""
        due = self._record_after.get(key.key_id)
        if due is not None and now < due:
            return due
        due = self._record_after[key.key_id] = now + USE_RECORD_SECONDS
        recording = asyncio.create_task(self._record(key, self._clock.now()))
        self._recording.add(recording)
        recording.add_done_callback(self._recording.discard)
        return due

    async def _record(self, key: ApiKey, at: datetime) -> None:
        try:
            await self._store.record_key_use(key.tenant_id, key.key_id, at)
        except Exception:  # the request has its answer; the key's next due use records it
            logger.warning("The use of API key %s was not recorded", key.key_id, exc_info=True)

    async def recorded(self) -> None:
        """Wait for the uses being recorded (before the store closes)."""
        await asyncio.gather(*self._recording)


async def bootstrap(store: Store, clock: Clock, secret: str | None) -> IssuedKey | None:
    """On first start: the ``default`` tenant and an admin key. None when it already exists,
    unless ``secret`` is a key not stored yet (so a configured bootstrap key always works)."""
    _, created = await store.ensure_tenant(DEFAULT_TENANT, "Default")
    if secret is not None and await store.api_key_by_hash(hash_key(secret)) is None:
        try:
            return await issue_key(store, clock, DEFAULT_TENANT, Role.ADMIN, "bootstrap", secret)
        except Conflict:
            return None  # another process starting at the same moment stored it

    if created and secret is None:
        return await issue_key(store, clock, DEFAULT_TENANT, Role.ADMIN, "bootstrap")
    return None


@dataclass(frozen=True)
class ApiKeys(Acting):
    """Issuing and revoking a tenant's keys, each recorded in the audit log by ``actor``."""

    store: Store
    clock: Clock
    audit: Audit
    cache: KeyCache
    actor: str = field(default=CLI)

    async def create(
        self,
        tenant_id: str,
        role: Role,
        name: str,
        workflows: list[str] | None = None,
        tags: list[str] | None = None,
        expires_at: datetime | None = None,
        key_id: str | None = None,
    ) -> IssuedKey:
        """A new key for the tenant, limited to ``workflows`` and to the workflows carrying
        one of ``tags`` if either is named, working until ``expires_at`` if given, whose id
        is ``key_id`` if given; its secret is in the answer only, with a notice when the
        tenant's admin keys all expire."""
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput(
                f"expires_at {utc_text(expires_at)} is not in the future (now "
                f"{utc_text(now)}): give a later time, or none for a key that does not expire.",
                [ErrorDetail(("body", "expires_at"), "must be in the future")],
            )
        issued = await issue_key(
            self.store,
            self.clock,
            tenant_id,
            role,
            name,
            workflows=workflows,
            tags=tags,
            expires_at=expires_at,
            key_id=key_id,
        )
        key = issued.key
        after = {
            "key_id": key.key_id,
            "role": key.role,
            "name": key.name,
            "prefix": key.prefix,
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
            "workflows": key.workflows,
            "tags": key.tags,
            "expires_at": key.expires_at,
        }
        await self.audit.record(
            tenant_id, self.actor, "api_key.create", key.key_id, after=to_jsonable_python(after)
        )
        if not (key.manages_keys(now) and key.expires_at is not None):
            return issued
        notice = expiring_admins(await self.store.list_api_keys(tenant_id), now)
        return IssuedKey(key, issued.secret, notice)

    async def revoke(self, tenant_id: str, key_id: str) -> RevokedKey:
        """Revoke a key: this process refuses it at once, others once their cache expires.
        The tenant's last live admin key over the whole tenant is kept (the store refuses
        it, in the same write, so two admins revoking each other's keys at once cannot both
        succeed): without it, no key could make or revoke keys, and only someone on the
        server could let the tenant in. An admin key revoked comes with a notice when the
        tenant's admin keys left all expire, as the key's creation does."""
        revoked = await self.store.revoke_api_key(tenant_id, key_id)
        self.cache.forget(key_id)
        after = {"revoked_at": to_jsonable_python(revoked.revoked_at)}
        await self.audit.record(tenant_id, self.actor, "api_key.revoke", key_id, after=after)
        if revoked.role != Role.ADMIN:
            return RevokedKey(revoked)
        keys = await self.store.list_api_keys(tenant_id)
        return RevokedKey(revoked, expiring_admins(keys, self.clock.now()))


def expiring_admins(keys: Sequence[ApiKey], now: datetime) -> str | None:
    """What to tell when every key that manages the tenant's keys expires (None when one
    does not, or none works): a tenant whose last one has expired can be let in again only
    from the server."""
    managers = [key for key in keys if key.manages_keys(now)]
    expiries = [key.expires_at for key in managers if key.expires_at is not None]
    if not managers or len(expiries) < len(managers):
        return None
    return (
        f"Every admin key of the tenant expires, the last at {utc_text(max(expiries))}: "
        "after that no key can create or revoke keys, and only the deployment's operator "
        "(`automator create-api-key` on the server, or the operator API) can let the tenant "
        "in. Create an admin key without an expiry before then."
    )


def utc_text(at: datetime) -> str:
    """``2026-12-14T10:00:00Z``: an instant as a message shows it."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TenantSummary:
    """What the operator sees of a tenant at a glance."""

    tenant: Tenant
    # Keys that work (neither revoked nor expired), by role (every role, 0 included).
    live_keys: dict[Role, int]
    # Workflows not archived.
    workflows: int
    # Events received in the last 24 hours (and not purged yet).
    events_last_24h: int


@dataclass(frozen=True)
class Tenants(Acting):
    """Tenants as the deployment's operator makes and reads them (the operator API), each
    made recorded in its own audit log by ``actor``."""

    store: Store
    clock: Clock
    api_keys: ApiKeys
    actor: str = field(default=OPERATOR)

    async def create(self, tenant_id: str, name: str) -> tuple[Tenant, IssuedKey]:
        """A new tenant and its first admin key (whose secret is in the answer only).

        A creation that stopped between the two writes (the tenant stored, its key not) is
        completed by the same request made again: a tenant of that name with no key at all
        gets its first admin key. The key's id is the tenant's own (``first_key_id``), so of
        two such requests at once one stores it and the other is the Conflict any tenant
        that exists gets (whose keys are then left as they are)."""
        tenant, created = await self.store.ensure_tenant(tenant_id, name)
        if not created and (tenant.name != name or await self.store.list_api_keys(tenant_id)):
            raise tenant_exists(tenant_id)
        if created:
            after = {"tenant_id": tenant.tenant_id, "name": tenant.name}
            audit = self.api_keys.audit
            await audit.record(tenant_id, self.actor, "tenant.create", tenant_id, after=after)
        keys = self.api_keys.acting_as(self.actor)
        try:
            first = await keys.create(
                tenant_id, Role.ADMIN, "first admin", key_id=first_key_id(tenant_id)
            )
        except Conflict:  # another request for this tenant stored its first key meanwhile
            raise tenant_exists(tenant_id) from None
        return tenant, first

    async def add_admin_key(self, tenant_id: str, name: str) -> IssuedKey:
        """Another admin key over the whole tenant (whose secret is in the answer only): the
        way back in for a tenant whose admin keys are all revoked, expired or lost. A
        NotFound when there is no such tenant (this makes none)."""
        await self._tenant(tenant_id)
        return await self.api_keys.acting_as(self.actor).create(tenant_id, Role.ADMIN, name)

    async def summary(self, tenant_id: str) -> TenantSummary:
        """The tenant and its counts (a NotFound naming the listing when there is none): a
        read of its keys, one count of its workflows, one of a day of its events."""
        tenant = await self._tenant(tenant_id)
        now = self.clock.now()
        keys = await self.store.list_api_keys(tenant_id)
        live = Counter(key.role for key in keys if key.revoked_at is None and not key.expired(now))
        day = Period(now - timedelta(days=1), now)
        return TenantSummary(
            tenant,
            {role: live[role] for role in Role},
            await self.store.count_workflows(tenant_id),
            await self.store.count_events(tenant_id, day),
        )

    async def _tenant(self, tenant_id: str) -> Tenant:
        """The tenant, or a NotFound naming the listing."""
        tenant = await self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"No tenant {tenant_id}: GET /api/operator/tenants lists them.")
        return tenant


def first_key_id(tenant_id: str) -> str:
    """The id of the first admin key the operator API makes for the tenant: one per tenant,
    so a store holds it once however many requests make it."""
    return "key_" + hashlib.sha256(f"first admin key of {tenant_id}".encode()).hexdigest()[:16]


def tenant_exists(tenant_id: str) -> Conflict:
    return Conflict(
        f"Tenant {tenant_id} exists already: choose another tenant_id, or give it "
        f"another admin key with POST /api/operator/tenants/{tenant_id}/keys (or "
        f"`automator create-api-key --tenant {tenant_id} --role admin` on the server, or "
        "POST /api/keys with one of its admin keys)."
    )
