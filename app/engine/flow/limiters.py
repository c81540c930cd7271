"""Flow-control state in Redis: each limiter is one Lua script, so a decision and its
bookkeeping are atomic across every API and worker process.

- Concurrency: a sorted set of the runs holding a slot, scored by when the slot lapses (a
  run's due time plus a grace), and a sorted set of the runs waiting, by arrival. A slot is
  given back when its run ends, pauses or is cancelled, and lapses if nobody gives it back
  (a worker died), so a slot never leaks for longer than its lease.
- Throttle: the scheduled start times of runs (a sliding-window log); a new run starts at
  the earliest time that keeps every window of ``period`` at ``limit`` starts or fewer.
- Rate limit: the same log of admitted runs; a run over ``limit`` is refused.
- Quota: a counter per window of ``period`` aligned to the epoch.
- Debounce: the burst's current run, its first event's time and its due time.
- Frequency cap: a log of messages per user (31 days), shared by every workflow.

Members are run ids (or step idempotency keys), so a reservation can be given back exactly.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import Redis

from app.engine.expressions.renderer import Renderer
from app.engine.redis_keys import flow_key

ACQUIRE = """
local now, expiry, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local gates = #KEYS / 2
for i = 1, gates do
    local slots = KEYS[2 * i - 1]
    redis.call('zremrangebyscore', slots, '-inf', now)
    if not redis.call('zscore', slots, member)
        and redis.call('zcard', slots) >= tonumber(ARGV[5 + i]) then
        redis.call('zadd', KEYS[2 * i], 'NX', ARGV[4], member)
        redis.call('pexpire', KEYS[2 * i], ARGV[5])
        return {i, redis.call('zrange', slots, 0, 0)[1]}
    end
end
for i = 1, gates do
    local slots = KEYS[2 * i - 1]
    redis.call('zadd', slots, expiry, member)
    if redis.call('pttl', slots) < expiry - now then
        redis.call('pexpire', slots, expiry - now)
    end
    redis.call('zrem', KEYS[2 * i], member)
end
return {0}
"""

EXTEND = """
local now, expiry, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for _, slots in ipairs(KEYS) do
    if redis.call('zscore', slots, member) then
        redis.call('zadd', slots, expiry, member)
        if redis.call('pttl', slots) < expiry - now then
            redis.call('pexpire', slots, expiry - now)
        end
    end
end
return 0
"""

# Frees the member's slots and its places in line; answers who to wake: the oldest
# waiters, as many as there are free slots.
RELEASE = """
local woken = {}
for i = 1, #KEYS / 2 do
    local slots, waiters = KEYS[2 * i - 1], KEYS[2 * i]
    redis.call('zrem', slots, ARGV[2])
    redis.call('zrem', waiters, ARGV[2])
    redis.call('zremrangebyscore', slots, '-inf', ARGV[1])
    local free = tonumber(ARGV[2 + i]) - redis.call('zcard', slots)
    if free > 0 then
        for _, run in ipairs(redis.call('zrange', waiters, 0, free - 1)) do
            redis.call('zrem', waiters, run)
            table.insert(woken, run)
        end
    end
end
return woken
"""

# Starts stay in order (never before the latest one), and a new start comes at least
# ``period`` after the limit-th latest, so no window of ``period`` holds more than ``limit``.
THROTTLE = """
local now, period, limit = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local key, ignore = KEYS[1], ARGV[6]
redis.call('zremrangebyscore', key, '-inf', now - period)
local skip = -1
if ignore ~= '' then
    skip = redis.call('zrevrank', key, ignore) or -1
end
local function latest(rank)
    if skip >= 0 and rank >= skip then rank = rank + 1 end
    local found = redis.call('zrevrange', key, rank, rank, 'WITHSCORES')
    if found[2] then return tonumber(found[2]) end
    return nil
end
local at = math.max(now, tonumber(ARGV[2]))
local last = latest(0)
if last and last > at then at = last end
local nth = latest(limit - 1)
if nth and nth + period > at then at = nth + period end
redis.call('zadd', key, at, ARGV[5])
redis.call('pexpire', key, at + period - now)
return at
"""

RATE = """
local now, period, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local key = KEYS[1]
redis.call('zremrangebyscore', key, '-inf', now - period)
local count = redis.call('zcard', key)
if ARGV[5] ~= '' and redis.call('zscore', key, ARGV[5]) then count = count - 1 end
if count >= limit then
    local oldest = redis.call('zrange', key, 0, 0, 'WITHSCORES')
    return math.max(tonumber(oldest[2]) + period - now, 1)
end
redis.call('zadd', key, now, ARGV[4])
redis.call('pexpire', key, period)
return 0
"""

QUOTA = """
local used = tonumber(redis.call('get', KEYS[1]) or '0')
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, used} end
used = redis.call('incrby', KEYS[1], ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[3])
return {1, used}
"""

GIVE_BACK = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('decrby', KEYS[1], ARGV[1]) end
return 0
"""

DEBOUNCE = """
local now, period, max_delay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('hmget', KEYS[1], 'run', 'first', 'due')
local first, due = tonumber(state[2]), tonumber(state[3])
local previous = ''
if state[1] and due and now < due then
    previous = state[1]
else
    first, due = now, 0
end
local new_due = now + period
if max_delay >= 0 and first + max_delay < new_due then new_due = first + max_delay end
redis.call('hset', KEYS[1], 'run', ARGV[4], 'first', first, 'due', new_due,
           'previous', previous, 'previous_due', due)
redis.call('pexpire', KEYS[1], new_due - now + 1000)
return {previous, new_due}
"""

UNDO_DEBOUNCE = """
if redis.call('hget', KEYS[1], 'run') ~= ARGV[1] then return 0 end
local state = redis.call('hmget', KEYS[1], 'previous', 'previous_due')
if not state[1] or state[1] == '' then
    redis.call('del', KEYS[1])
else
    redis.call('hset', KEYS[1], 'run', state[1], 'due', state[2], 'previous', '')
end
return 1
"""

# A message already counted (a retried step) is let through; otherwise it is counted only
# if every cap (limit, period pairs) still has room.
MESSAGE = """
local now = tonumber(ARGV[1])
if redis.call('zscore', KEYS[1], ARGV[2]) then return {0, 0} end
redis.call('zremrangebyscore', KEYS[1], '-inf', now - tonumber(ARGV[3]))
for i = 4, #ARGV, 2 do
    local limit, period = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local since = '(' .. (now - period)
    if redis.call('zcount', KEYS[1], since, '+inf') >= limit then
        local oldest = redis.call('zrangebyscore', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        return {(i - 2) / 2, math.max(tonumber(oldest[2]) + period - now, 1)}
    end
end
redis.call('zadd', KEYS[1], now, ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
return {0, 0}
"""


def rendered_key(
    renderer: Renderer, template: str | None, context: Mapping[str, Any], where: str
) -> str:
    """A limiter's key for this event: its template rendered (TemplateError when it cannot
    be), or "" for a limiter without a key, which holds for its whole scope."""
    if template is None:
        return ""
    return str(renderer.render({"key": template}, context, where)["key"])


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def instant(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


@dataclass(frozen=True)
class Gate:
    """A concurrency limit on one rendered key."""

    slots: str
    waiters: str
    limit: int
    label: str


@dataclass(frozen=True)
class Held:
    """A run refused a slot: the gate that is full and a run holding it."""

    gate: Gate
    holder: str | None


@dataclass(frozen=True)
class Cap:
    limit: int
    period: float
    label: str


class Limiters:
    """The flow-control scripts over one Redis, and the keys of their state (hashed with
    ``secret``, ``Keyring.flow_secret``)."""

    def __init__(self, redis: Redis, secret: bytes) -> None:
        self._scripts = {
            name: redis.register_script(source)
            for name, source in {
                "acquire": ACQUIRE,
                "extend": EXTEND,
                "release": RELEASE,
                "throttle": THROTTLE,
                "rate": RATE,
                "quota": QUOTA,
                "give_back": GIVE_BACK,
                "debounce": DEBOUNCE,
                "undo_debounce": UNDO_DEBOUNCE,
                "message": MESSAGE,
            }.items()
        }
        self._redis = redis
        self._secret = secret

    def key(self, tenant_id: str, scope: str, kind: str, rendered: str) -> str:
        """The key of ``kind``'s state for the ``rendered`` key in ``scope``
        (``redis_keys.flow_key``)."""
        return flow_key(tenant_id, scope, kind, rendered, self._secret)

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=args)

    async def acquire(
        self,
        gates: list[Gate],
        member: str,
        arrival: datetime,
        expires: datetime,
        now: datetime,
        waiter_ttl: float,
    ) -> Held | None:
        """Take a slot at every gate, or none: then the run waits in line at the full one."""
        keys = [key for gate in gates for key in (gate.slots, gate.waiters)]
        args = [ms(now), ms(expires), member, ms(arrival), int(waiter_ttl * 1000)]
        found = await self._run("acquire", keys, args + [gate.limit for gate in gates])
        if found[0] == 0:
            return None
        holder = found[1].decode() if len(found) > 1 and found[1] else None
        return Held(gates[found[0] - 1], holder)

    async def extend(
        self, gates: list[Gate], member: str, expires: datetime, now: datetime
    ) -> None:
        """Keep the member's slots until ``expires`` (it waits in a delay until then)."""
        await self._run("extend", [gate.slots for gate in gates], [ms(now), ms(expires), member])

    async def release(self, gates: list[Gate], member: str, now: datetime) -> list[str]:
        """Give the member's slots back; returns the waiting runs to wake, oldest first."""
        keys = [key for gate in gates for key in (gate.slots, gate.waiters)]
        woken = await self._run("release", keys, [ms(now), member, *(g.limit for g in gates)])
        return list(dict.fromkeys(run.decode() for run in woken))

    async def reserve_start(
        self,
        key: str,
        member: str,
        limit: int,
        period: float,
        not_before: datetime,
        now: datetime,
        ignore: str | None,
    ) -> datetime:
        """The start time given to ``member`` under a throttle (``ignore``: a run it replaces)."""
        args = [ms(now), ms(not_before), int(period * 1000), limit, member, ignore or ""]
        return instant(int(await self._run("throttle", [key], args)))

    async def forget(self, key: str, member: str) -> None:
        """Give back a throttle or rate-limit reservation."""
        await self._redis.zrem(key, member)

    async def take_rate(
        self,
        key: str,
        member: str,
        limit: int,
        period: float,
        now: datetime,
        ignore: str | None,
    ) -> float | None:
        """None when admitted; else the seconds until a run would be."""
        args = [ms(now), int(period * 1000), limit, member, ignore or ""]
        wait = int(await self._run("rate", [key], args))
        return None if wait == 0 else wait / 1000

    async def rate_used(self, key: str, period: float, now: datetime) -> int:
        """Runs admitted within the window of ``period`` ending ``now``."""
        return int(await self._redis.zcount(key, f"({ms(now) - int(period * 1000)}", "+inf"))

    async def take_quota(self, key: str, runs: int, limit: int, ttl: float) -> tuple[bool, int]:
        """Count ``runs`` against the window if they fit; returns whether, and the count."""
        taken, used = await self._run("quota", [key], [runs, limit, int(ttl * 1000)])
        return bool(taken), int(used)

    async def give_back_quota(self, key: str, runs: int) -> None:
        await self._run("give_back", [key], [runs])

    async def quota_used(self, key: str) -> int:
        value = await self._redis.get(key)
        return int(value or 0)

    async def debounce(
        self, key: str, member: str, now: datetime, period: float, max_delay: float | None
    ) -> tuple[str | None, datetime]:
        """Make ``member`` the burst's run: returns the run it replaces (None for a new
        burst) and when it is due."""
        wait_max = -1 if max_delay is None else int(max_delay * 1000)
        args = [ms(now), int(period * 1000), wait_max, member]
        previous, due = await self._run("debounce", [key], args)
        return (previous.decode() or None), instant(int(due))

    async def undo_debounce(self, key: str, member: str) -> None:
        """``member`` was never recorded: the run it replaced is the burst's run again."""
        await self._run("undo_debounce", [key], [member])

    async def count_message(
        self, key: str, member: str, caps: list[Cap], now: datetime, retention: float
    ) -> tuple[Cap, float] | None:
        """Count one message unless a cap is reached: then that cap and the seconds until
        it has room again."""
        args: list[Any] = [ms(now), member, int(retention * 1000)]
        for cap in caps:
            args += [cap.limit, int(cap.period * 1000)]
        index, wait = cast(list[int], await self._run("message", [key], args))
        return None if index == 0 else (caps[index - 1], wait / 1000)
