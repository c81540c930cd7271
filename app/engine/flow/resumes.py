"""Resumes: the jobs of runs already started (timers of delays and retry waits, waits'
deadlines, wakes of held or answered runs, the reconciler's re-enqueues), on a queue of
their own that workers serve before new work.

arq keeps one sorted set by due time, so a timer that falls due waits behind every start
job queued before it: under a backlog of new runs, the whole backlog. Here a resume is one
member of its own sorted set (``tenant, run, purpose`` as JSON, scored by its due time in
ms of the machine's clock), and a worker takes every due one it has room for in one script
call that also takes each run's lease. A taken member stays in the set, scored when its
claim lapses (a run lease plus a margin, renewed while its walk goes on): if the worker
dies, the member falls due again once the run's lease has lapsed, and another worker takes
it. The member and the lease go together when the walk ends, in one call. A walk that failed
as it will again (``defer``) brings its member back after a wait, doubling each time.
"""

import secrets
from dataclasses import dataclass

import orjson
from arq.utils import timestamp_ms
from redis.asyncio import Redis

from app.engine.flow.together import Together
from app.engine.redis_keys import CLAIMERS, RESUMES, run_lease_key

# KEYS[1]: the resumes, KEYS[2]: the workers claiming them. ARGV: now (ms), most to take,
# claimed until (ms), lease (ms), the run leases' key prefix, this call's token prefix, when
# a busy run's member comes back (ms), the end of the look ahead (ms), this worker's id, how
# long a worker counts as claiming after its last claim (ms). Each due member whose run's
# lease is free is taken (the lease too); one whose run another worker walks comes back
# shortly, as arq's Retry did: the walker may have read the run before it fell due. Answers
# the taken members and their lease tokens, in pairs, the score of the next member to fall
# due (false if none), how many fall due after now until the end of the look ahead, and how
# many workers claim resumes (this one included).
CLAIM = """
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local taken = {}
for i, member in ipairs(due) do
    local token = ARGV[6] .. i
    local lease = ARGV[5] .. cjson.decode(member)[2]
    if redis.call('set', lease, token, 'NX', 'PX', ARGV[4]) then
        redis.call('zadd', KEYS[1], ARGV[3], member)
        table.insert(taken, member)
        table.insert(taken, token)
    else
        redis.call('zadd', KEYS[1], ARGV[7], member)
    end
end
local next = redis.call('zrangebyscore', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local ahead = redis.call('zcount', KEYS[1], '(' .. ARGV[1], ARGV[8])
redis.call('zadd', KEYS[2], ARGV[1], ARGV[9])
redis.call('zremrangebyscore', KEYS[2], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[10]))
return {taken, next[2] or false, ahead, redis.call('zcard', KEYS[2])}
"""
# KEYS[1]: the resumes, then each finished claim's run lease. ARGV: for each claim, its
# member, claimed score and lease token. A member armed again meanwhile (scored anew)
# stays; a lease taken over by another worker stays theirs.
FINISH = """
for i = 2, #KEYS do
    local n = (i - 2) * 3
    if redis.call('get', KEYS[i]) == ARGV[n + 3] then
        redis.call('del', KEYS[i])
    end
    if redis.call('zscore', KEYS[1], ARGV[n + 1]) == ARGV[n + 2] then
        redis.call('zrem', KEYS[1], ARGV[n + 1])
    end
end
"""
# KEYS[1]: the resumes. ARGV[1]: the new claimed score, then pairs of member and old score:
# each member still claimed as it was is claimed until the new score.
RENEW = """
for i = 2, #ARGV, 2 do
    if redis.call('zscore', KEYS[1], ARGV[i]) == ARGV[i + 1] then
        redis.call('zadd', KEYS[1], ARGV[1], ARGV[i])
    end
end
"""
# KEYS[1]: the resumes, KEYS[2]: the run's lease. ARGV: the member's new score, the member,
# its claimed score, the lease's token. A member armed again meanwhile stays as armed; a
# lease taken over by another worker stays theirs.
DEFER = """
if redis.call('zscore', KEYS[1], ARGV[2]) == ARGV[3] then
    redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
end
if redis.call('get', KEYS[2]) == ARGV[4] then
    redis.call('del', KEYS[2])
end
"""
# KEYS[1]: the resumes. ARGV: pairs of member and score: each member falls due at its score
# unless it falls due sooner already, armed or not (a wake brings a timer forward, never
# puts it back; one claimed is brought forward too, so its walk's end leaves it armed).
WAKE = """
for i = 1, #ARGV, 2 do
    local armed = redis.call('zscore', KEYS[1], ARGV[i])
    if not armed or tonumber(armed) > tonumber(ARGV[i + 1]) then
        redis.call('zadd', KEYS[1], ARGV[i + 1], ARGV[i])
    end
end
"""
# KEYS[1]: the resumes. ARGV: the member and the score it was armed at: taken back unless
# armed again since (a wake brought it forward, a worker took it).
TAKE_BACK = """
if redis.call('zscore', KEYS[1], ARGV[1]) == ARGV[2] then
    redis.call('zrem', KEYS[1], ARGV[1])
end
"""
# A claimed member whose run another worker walks comes back this much later.
BUSY_MS = 200
# A worker counts among those claiming resumes this long after its last claim (ms): each
# claims at least once a poll while it has room.
CLAIMING_MS = 5000
# Seconds before a member whose walk failed as it will again comes back, doubling with each
# failure of it in a row in this process, up to the most: not each time its claim lapses.
FAILED_WAIT = 60.0
MAX_FAILED_WAIT = 3600.0


@dataclass
class Claim:
    """A resume a worker took: the run to advance, with its lease taken already."""

    member: bytes
    tenant_id: str
    run_id: str
    token: str  # of the run's lease
    score: int  # the member's score while claimed: when the claim lapses (ms)


@dataclass
class Claimed:
    """What one claim took, when the next resume falls due (ms of the machine's clock;
    None: none is armed), how many fall due within the claim's look ahead, and how many
    workers claim resumes (this one included)."""

    claims: list[Claim]
    next_due: int | None
    ahead: int = 0
    workers: int = 1


class Resumes:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._claim = redis.register_script(CLAIM)
        self._finish = redis.register_script(FINISH)
        self._renew = redis.register_script(RENEW)
        self._defer = redis.register_script(DEFER)
        self._wake = redis.register_script(WAKE)
        self._take_back = redis.register_script(TAKE_BACK)
        # Arms, wakes and finishes of concurrent walks go to Redis together.
        self._arms = Together(self._arm_all)
        self._wakes = Together(self._wake_all)
        self._finishes = Together(self._finish_all)
        self._failures: dict[bytes, int] = {}  # members whose last walks here failed
        self._claimer = secrets.token_hex(8)  # this worker, among those claiming

    async def arm(self, tenant_id: str, run_id: str, purpose: str, score: int) -> None:
        """Have a worker advance the run at ``score`` (ms of the machine's clock). Armed
        twice for one purpose, it runs once (at the later arming's time)."""
        await self._arms([(orjson.dumps([tenant_id, run_id, purpose]), score)])

    async def disarm(self, tenant_id: str, run_id: str, purpose: str) -> None:
        """Take back the run's resume for ``purpose``, claimed or not: a walk that claimed
        it finishes without it (FINISH finds it gone)."""
        await self._redis.zrem(RESUMES, orjson.dumps([tenant_id, run_id, purpose]))

    async def _arm_all(self, members: list[tuple[bytes, int]]) -> None:
        await self._redis.zadd(RESUMES, dict(members))

    async def wake(self, tenant_id: str, run_id: str, purpose: str, score: int) -> None:
        """Have a worker advance the run at ``score`` under the resume for ``purpose``: one
        armed for later is brought forward (a wait's timer, when what it waits for came),
        one due sooner keeps its time. A walk under it that has begun leaves it armed."""
        await self._wakes([(orjson.dumps([tenant_id, run_id, purpose]), score)])

    async def _wake_all(self, members: list[tuple[bytes, int]]) -> None:
        args = [part for member in members for part in member]
        await self._wake(keys=[RESUMES], args=args)

    async def take_back(self, tenant_id: str, run_id: str, purpose: str, score: int) -> None:
        """Take back the run's resume for ``purpose`` armed at ``score``, unless it was
        armed again since (brought forward by a wake, taken by a worker)."""
        member = orjson.dumps([tenant_id, run_id, purpose])
        await self._take_back(keys=[RESUMES], args=[member, score])

    async def arm_absent(self, resumes: list[tuple[str, str, str]], score: int) -> None:
        """Arm each ``(tenant_id, run_id, purpose)`` not armed already, at ``score``: unlike
        ``arm``, one armed keeps its time (a walk's claim, or the wait after a failure)."""
        if resumes:
            members = {orjson.dumps(resume): score for resume in resumes}
            await self._redis.zadd(RESUMES, members, nx=True)

    async def claim(
        self, most: int, seconds: float, lease: float, look_ahead: float = 0
    ) -> Claimed:
        """Take up to ``most`` due resumes, each for ``seconds``, with its run's lease for
        ``lease`` seconds (shorter: the claim outlives the lease); count those falling due
        within ``look_ahead`` seconds."""
        now = timestamp_ms()
        until = now + int(seconds * 1000)
        prefix = secrets.token_hex(8) + ":"
        args: list[int | str] = [now, most, until, int(lease * 1000)]
        args += [run_lease_key(""), prefix, now + BUSY_MS, now + int(look_ahead * 1000)]
        args += [self._claimer, CLAIMING_MS]
        taken, next_due, ahead, workers = await self._claim(keys=[RESUMES, CLAIMERS], args=args)
        claims = []
        for member, token in zip(taken[::2], taken[1::2], strict=True):
            tenant_id, run_id, _ = orjson.loads(member)
            claims.append(Claim(member, tenant_id, run_id, token.decode(), until))
        due = None if next_due is None else int(float(next_due))
        return Claimed(claims, due, int(ahead), int(workers))

    async def finish(self, claim: Claim) -> None:
        """The claimed walk ended: the member goes (unless armed again meanwhile), and the
        run's lease with it."""
        self._failures.pop(claim.member, None)
        await self._finishes([claim])

    async def defer(self, claim: Claim) -> float:
        """The claimed walk failed as it will again: the member comes back after a wait
        (``FAILED_WAIT``, doubling), unless armed again meanwhile, and the run's lease goes.
        Returns the seconds of the wait."""
        failures = self._failures[claim.member] = self._failures.get(claim.member, 0) + 1
        wait: float = min(FAILED_WAIT * 2.0 ** (failures - 1), MAX_FAILED_WAIT)
        until = timestamp_ms() + int(wait * 1000)
        keys = [RESUMES, run_lease_key(claim.run_id)]
        await self._defer(keys=keys, args=[until, claim.member, claim.score, claim.token])
        return wait

    async def _finish_all(self, claims: list[Claim]) -> None:
        keys, args = [RESUMES], list[bytes | str | int]()
        for claim in claims:
            keys.append(run_lease_key(claim.run_id))
            args += [claim.member, claim.score, claim.token]
        await self._finish(keys=keys, args=args)

    async def renew(self, claims: list[Claim], seconds: float) -> None:
        """Keep the members of walks still going claimed ``seconds`` from now."""
        if not claims:
            return
        until = timestamp_ms() + int(seconds * 1000)
        args: list[bytes | int] = [until]
        for claim in claims:
            args += [claim.member, claim.score]
        await self._renew(keys=[RESUMES], args=args)
        for claim in claims:
            claim.score = until

    async def leave(self) -> None:
        """This worker claims no more resumes: a burst is split among the others at once,
        not once its last claim is 5 s old."""
        await self._redis.zrem(CLAIMERS, self._claimer)

    async def left(self) -> int:
        """Resumes armed, due or not, claimed or not."""
        return int(await self._redis.zcard(RESUMES))
