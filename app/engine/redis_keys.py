"""Every Redis key the engine uses (and the API's rate limiter, and the scheduler), built in
one place so that no two uses can collide."""

import hashlib
import hmac
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis

PREFIX = "automator"

SCHEDULER_LEADER = f"{PREFIX}:scheduler:leader"
SCHEDULE_LAST_FIRED = f"{PREFIX}:scheduler:last-fired"
# Set by the reconciler to the Redis server's run id; gone, or another run's, means Redis
# lost its data or may have (flushed, a new server, restarted from a snapshot or failed
# over), and with it deferred jobs: timers are armed again.
QUEUE_MEMORY = f"{PREFIX}:queue:memory"
# Jobs of runs already started, by due time (app/engine/flow/resumes.py).
RESUMES = f"{PREFIX}:resumes"
# The workers that claimed resumes lately, each scored by when it last did (ms).
CLAIMERS = f"{PREFIX}:resumes:claimers"


def taken_key(queue_name: str) -> str:
    """The jobs of arq's queue ``queue_name`` that workers are running, each scored by when
    its in-progress mark lapses as of its worker's last renewal (ms of Redis's clock)
    (``app/engine/flow/scripted_worker.py``)."""
    return f"{queue_name}:taken"


def taken_scores_key(queue_name: str) -> str:
    """The score each job of ``taken_key(queue_name)`` had in the queue: where it goes back
    if its worker dies."""
    return f"{queue_name}:taken:scores"


def rate_key(key_id: str) -> str:
    """Requests of one API key in the current rate-limit window."""
    return f"{PREFIX}:rate:{key_id}"


def hook_rate_key(hook_id: str) -> str:
    """Deliveries to one inbound webhook in the current window; the id comes from a path
    anyone may send to, so it is hashed."""
    return f"{PREFIX}:rate:hook:{hashlib.sha256(hook_id.encode()).hexdigest()}"


def run_lease_key(run_id: str) -> str:
    return f"{PREFIX}:lease:run:{run_id}"


def flow_key(tenant_id: str, scope: str, kind: str, key: str, secret: bytes) -> str:
    """A flow-control key: ``kind`` (slots, waiters, starts, rate, debounce, messages) of
    one rendered ``key`` in ``scope`` (``workflow:<id>`` or ``tenant``). The rendered key
    comes from event data (its length and characters are the sender's), and may be a
    one-time code, a phone number, an email: it is hashed with ``secret``, a key derived
    from the secrets master key (``Keyring.flow_secret``), since a plain hash of so few
    possible values is undone by trying them all."""
    digest = hmac.digest(secret, key.encode(), "sha256").hex()[:32]
    return f"{PREFIX}:flow:{tenant_id}:{scope}:{kind}:{digest}"


def quota_key(tenant_id: str, period_ms: int, window: int) -> str:
    """The tenant's run counter for one quota window (``window`` periods since the epoch)."""
    return f"{PREFIX}:flow:{tenant_id}:quota:{period_ms}:{window}"


async def last_fired(redis: Redis, fields: list[str]) -> list[str | None]:
    """When each schedule (``tenant:workflow``) last fired, as ISO text."""
    if not fields:
        return []
    # redis-py types hash commands as sync-or-async; on the asyncio client they are async.
    values = await cast(Awaitable[list[bytes | None]], redis.hmget(SCHEDULE_LAST_FIRED, fields))
    return [None if value is None else value.decode() for value in values]


async def set_last_fired(redis: Redis, field: str, at: str) -> None:
    await cast(Awaitable[int], redis.hset(SCHEDULE_LAST_FIRED, field, at))
