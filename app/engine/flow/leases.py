"""Leases in Redis: one holder of a run, or of a named role, at a time across processes.

A lease lapses after its time, so a process that dies never keeps a run or a role for good.
Leases are short and renewed while their holder works: another process takes over a dead
holder's runs within one lease, not after the longest a step may take.
"""

import logging
import secrets
from types import TracebackType

from redis.asyncio import Redis

from app.engine.redis_keys import run_lease_key

log = logging.getLogger(__name__)

# Deletes the lease only if it is still ours: a lease that expired and was taken by another
# worker must not be released by the first one.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


# Extends each lease still ours (KEYS, with ARGV[2..] their tokens, ARGV[1] the new time) and
# answers the keys that are not: taken over after the holder stalled past a lease.
RENEW_ALL = """
local lost = {}
for i, key in ipairs(KEYS) do
    if redis.call('get', key) == ARGV[i + 1] then
        redis.call('pexpire', key, ARGV[1])
    else
        table.insert(lost, key)
    end
end
return lost
"""


class Leadership:
    """One holder of a named role at a time across processes, kept while it renews."""

    def __init__(self, redis: Redis, key: str, seconds: float) -> None:
        self._redis = redis
        self._key = key
        self._ms = int(seconds * 1000)
        self._token = secrets.token_hex(8)
        self._renew = redis.register_script(RENEW)

    async def hold(self) -> bool:
        """True while this process leads: takes the role if free, or renews it if ours."""
        if await self._redis.set(self._key, self._token, nx=True, px=self._ms):
            return True
        return bool(await self._renew(keys=[self._key], args=[self._token, self._ms]))


class Leases:
    """One walker per run at a time, across every worker process. A lease lasts ``seconds``
    unless ``renew`` extends it; the worker renews the leases it holds a few times a lease
    (``app/worker.py``), so a walk may take as long as its steps do."""

    def __init__(self, redis: Redis, seconds: float) -> None:
        self._redis = redis
        self._ms = int(seconds * 1000)
        self._release = redis.register_script(RELEASE)
        self._renew_all = redis.register_script(RENEW_ALL)
        # The leases this process holds now: key → token.
        self._held: dict[str, str] = {}

    def hold(self, run_id: str, token: str | None = None) -> "Hold":
        """``async with hold(run_id) as mine``: whether the lease was taken; a False means
        another worker has the run. With a ``token``, the lease is taken already (a
        resume's claim or the job's take took it) and it is renewed here, but given back
        by whoever took it."""
        return Hold(self, run_id, token)

    async def take(self, key: str, token: str | None) -> str | None:
        """The token the run's lease at ``key`` is held by now, or None: another has it."""
        if token is None:
            mine = secrets.token_hex(8)
            if not await self._redis.set(key, mine, nx=True, px=self._ms):
                return None
            token = mine
        self._held[key] = token
        return token

    async def let_go(self, run_id: str, key: str, token: str, taken_here: bool) -> None:
        """The walk under the lease ended: it is no longer renewed, and given back if it was
        taken here (``take`` without a token)."""
        del self._held[key]
        if taken_here:
            await self.give_back(run_id, token)

    async def give_back(self, run_id: str, token: str) -> None:
        """Release a run's lease taken elsewhere with ``token`` (with its start job's mark),
        if it is still that one."""
        await self._release(keys=[run_lease_key(run_id)], args=[token])

    async def renew(self) -> int:
        """Extend every lease this process holds by a whole lease, in one round trip; a
        lease found taken by another worker is logged (its walk's next save fails on the
        run's revision, so one walker's progress is kept). Answers how many were renewed."""
        held = dict(self._held)
        if not held:
            return 0
        gone = await self._renew_all(keys=list(held), args=[self._ms, *held.values()])
        # A walk that ended while the call was on its way gave its lease back: not lost (a
        # round of 100 timers ending together made this warn of 100).
        lost = [key for key in map(bytes.decode, gone) if self._held.get(key) == held[key]]
        if lost:
            log.warning("%d run leases lost: this worker stalled longer than a lease", len(lost))
        return len(held) - len(gone)


class Hold:
    """``Leases.hold``'s block (a class, not a generator-based context manager: a worker
    enters one per walk)."""

    def __init__(self, leases: Leases, run_id: str, token: str | None) -> None:
        self._leases = leases
        self._run_id = run_id
        self._key = run_lease_key(run_id)
        self._given = token
        self._mine: str | None = None

    async def __aenter__(self) -> bool:
        self._mine = await self._leases.take(self._key, self._given)
        return self._mine is not None

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._mine is not None:
            await self._leases.let_go(self._run_id, self._key, self._mine, self._given is None)
