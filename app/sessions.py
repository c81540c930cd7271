"""Studio sign-in sessions: an opaque random token in an HttpOnly cookie, resolved in Redis.

Redis holds each session under the SHA-256 of its token (a copy of Redis yields no usable
cookie) with an expiry, so every API process shares the sessions and forgets them by itself.
The session keeps the signed-in key's SHA-256 hash, which is what the store keeps too, never
the key. Every request resolves that hash to the key again through the ``KeyCache``, so a
revoked key ends its sessions: at once in the process that revoked it, within
``AUTOMATOR_KEY_CACHE_SECONDS`` in the others.

Failed sign-ins are counted per client address; past ``AUTOMATOR_SIGN_IN_FAILURES`` in
``SIGN_IN_WINDOW`` seconds, sign-ins from that address get 429 until the window ends.
"""

import hashlib
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from app.audit import Audit
from app.engine.redis_keys import PREFIX
from app.errors import KeyExpired, RateLimited, Unauthenticated
from app.models.tenant import ApiKey
from app.ratelimit import RateLimiter
from app.tenancy import KeyCache, hash_key

SIGN_IN_WINDOW = 900
ENDED = "The session has ended (signed out, expired, or its API key was revoked): sign in again."


@dataclass(frozen=True)
class SignedIn:
    """A new session: ``token`` goes in the cookie and nowhere else."""

    token: str
    key: ApiKey


def _session_key(token: str) -> str:
    return f"{PREFIX}:session:{hashlib.sha256(token.encode()).hexdigest()}"


def _failures_key(client: str) -> str:
    return f"{PREFIX}:sign-in-failures:{client}"


class Sessions:
    """Sign in with an API key, resolve a session token to its key, sign out."""

    def __init__(
        self, redis: Redis, keys: KeyCache, audit: Audit, seconds: int, failures: int
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._audit = audit
        self.seconds = seconds
        self._failures = RateLimiter(redis, failures, SIGN_IN_WINDOW)

    async def sign_in(self, secret: str, client: str) -> SignedIn:
        """A session for the key ``secret``, recorded in the audit log with ``client`` (an
        address); Unauthenticated for a bad key, RateLimited when ``client`` failed too
        often."""
        failures = _failures_key(client)
        if (retry_after := await self._failures.spent(failures)) is not None:
            raise _too_many(retry_after)
        try:
            key = await self._keys.authenticate(secret)
        except Unauthenticated:
            if (retry_after := await self._failures.count(failures)) is not None:
                raise _too_many(retry_after) from None
            raise
        token = secrets.token_urlsafe(32)
        await self._redis.set(_session_key(token), hash_key(secret), ex=self.seconds)
        after = {"role": key.role.value, "client": client}
        await self._audit.record(
            key.tenant_id, key.key_id, "session.create", key.key_id, after=after
        )
        return SignedIn(token, key)

    async def caller(self, token: str) -> ApiKey:
        """The key a session was opened with; Unauthenticated once the session has ended."""
        digest = await self._redis.get(_session_key(token))
        if digest is None:
            raise Unauthenticated(ENDED)
        try:
            return await self._keys.authenticate_digest(digest.decode())
        except Unauthenticated as refused:
            await self._redis.delete(_session_key(token))
            if isinstance(refused, KeyExpired):  # its message says when, and what to do
                raise
            raise Unauthenticated(ENDED) from None

    async def sign_out(self, token: str) -> ApiKey | None:
        """End the session (recorded in the audit log); its key, or None when it had already
        ended."""
        try:
            key = await self.caller(token)
        except Unauthenticated:
            return None
        await self._redis.delete(_session_key(token))
        before = {"role": key.role.value}
        await self._audit.record(key.tenant_id, key.key_id, "session.delete", key.key_id, before)
        return key


def _too_many(retry_after: int) -> RateLimited:
    return RateLimited(
        f"Too many failed sign-ins from this address (AUTOMATOR_SIGN_IN_FAILURES); "
        f"retry in {retry_after} s.",
        retry_after=retry_after,
    )
