"""arq's worker with its job path in scripts of ours: a poll takes the due jobs there is room
for (each marked in progress, its run leased, the job read) in one call, and jobs end
together in another.

arq reads the queue, then takes each job in four round trips (WATCH, EXISTS, ZSCORE,
MULTI/PSETEX/EXEC), waiting for room one job at a time, reads it in a transaction of its own
(the job, its retry counter, the abort set) and ends it in a third: a poll of N jobs is
5N + 1 round trips and more, and here one.
The semantics are arq 0.28's (``run_job``): retries (``Retry``, ``max_tries``), the job
timeout, the in-progress mark (kept a while for cron jobs), abort, the counters its health
check reports; over its keys, so that its client (``enqueue_job``, ``Job``) sees the same,
but for one thing. arq leaves a job it runs in its queue at its score, so every read of the
due jobs, on every worker, went past every job in progress anywhere (an ``EXISTS`` of its
mark each), and past its read limit (500 jobs, five workers at the default concurrency) a
take found none due. Here a job taken leaves the queue for the jobs taken (``taken_key``),
scored by when its mark lapses, with its score in the queue kept beside it; it ends off
both, goes back at that score to be run again, and a take puts it back at that score once
its mark has lapsed (its worker died): ahead of the jobs queued after it, as when it stayed.
So while it runs arq's ``Job.status`` says in progress (the mark), but ``Job.info`` has no
score for it and ``Job.result`` (and the wait in ``Job.abort``, whose abort still happens)
finds it in no queue and stops waiting: nothing here waits on a job's result.
"""

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    keep_cronjob_progress,
    result_key_prefix,
    retry_key_prefix,
)
from arq.cron import CronJob
from arq.jobs import SerializationError, deserialize_job_raw, serialize_result
from arq.utils import args_to_string, ms_to_datetime, timestamp_ms, to_ms, truncate
from arq.worker import Function, JobExecutionFailed, Retry, RetryJob, Worker, no_result
from redis.commands.core import AsyncScript

from app.engine.flow.intake import Intake
from app.engine.flow.job_wait import wait_for_job
from app.engine.flow.leases import Leases
from app.engine.flow.pace import Pace
from app.engine.flow.queue import start_job_id
from app.engine.flow.together import Together
from app.engine.redis_keys import run_lease_key, taken_key, taken_scores_key

# arq's own logger, so that its lines per job keep their name and level (DEBUG only here).
ARQ_LOG = logging.getLogger("arq.worker")
LOGGER = logging.getLogger(__name__)
# A job's in-progress mark outlives its run's lease by this much, so that the job delivered
# again after its worker died finds the run's lease gone, not about to go.
IN_PROGRESS_MARGIN = 1.0
# The worker's context entry of the leases taken with start jobs' marks: job id → token.
START_LEASES = "start_leases"
START_SUFFIX = start_job_id("")
# How long arq keeps a job's retry counter (s): TAKE_JOBS's and a retry's.
RETRY_COUNTER_TTL = 88400
# Redis's clock (ms), the jobs taken's: the marks they stand for lapse on it.
REDIS_MS = """
local clock = redis.call('time')
local redis_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""
# KEYS: arq's queue, the jobs taken from it (``taken_key``) and their scores there
# (``taken_scores_key``). ARGV: now (ms), how long an in-progress mark lasts (ms), the marks'
# key prefix, how long a run's lease lasts (ms), the leases' key prefix, the start jobs' id
# suffix, the jobs' and the retry counters' key prefixes, arq's set of jobs to abort ('' when
# the worker aborts none), how many jobs to take at most, where in the queue to start and how
# far to read (arq's read offset and limit), the take's token (``Take.token``: the value of
# its marks and of the leases it takes), how long a retry counter is kept (s).
# First, each job taken whose mark may have lapsed (its worker died, or stalled past it) goes
# back into the queue at the score it had there, ahead of every job queued after it; one whose
# mark lives is scored to when the mark lapses (one in its last millisecond reads PTTL 0, there
# in the script's time but its lapse passed: to now, found gone by the next take, not a span
# out). The jobs taken are timed on Redis's clock, as the marks are: a worker's clock ahead of
# the others' would hold its jobs taken past their marks' lapse if it died (as long as it is
# ahead), and one behind would find every job taken due at each take. Then the due jobs are read
# in queue order, a page at a time (the next page starts past the jobs left due: a job taken
# leaves the queue); each in progress nowhere is taken until there are as many as asked: marked
# in progress with the take's token unless marked already, in one command (what arq's
# start_jobs does under WATCH, in four round trips per job; arq's client only asks whether a
# mark exists, and only the take's own ends and renewals act on it: ``FINISH_JOBS``,
# ``RENEW_MARKS``), moved from the queue to the jobs taken with its score (arq leaves it in
# the queue, where every take on every worker read past it, up to the read limit), its run
# leased with the token when the job is a start job and the lease is free (what the job's walk
# would take next), and read as arq's run_job reads it in a transaction of its own (its body,
# its retry counter counted up, whether it is to be aborted). A due job with a live mark
# (taken by a worker of an older version, which leaves it in the queue, or a cron job's mark
# kept after it ended) is passed over, as arq passes it over. Answers six values per job
# taken: its id, its score, whether its run was leased, its body (false: expired), its try,
# whether it was to be aborted.
TAKE_JOBS = (
    REDIS_MS
    + """
local taken, room, at = {}, tonumber(ARGV[10]), tonumber(ARGV[11])
local stop = at + tonumber(ARGV[12])
local span = tonumber(ARGV[2])
for _, job in ipairs(redis.call('zrangebyscore', KEYS[2], '-inf', redis_ms, 'LIMIT', 0, 100)) do
    local ttl = redis.call('pttl', ARGV[3] .. job)
    if ttl == -2 then
        local score = redis.call('hget', KEYS[3], job) or ARGV[1]
        redis.call('zadd', KEYS[1], 'NX', score, job)
        redis.call('zrem', KEYS[2], job)
        redis.call('hdel', KEYS[3], job)
    else
        redis.call('zadd', KEYS[2], redis_ms + (ttl >= 0 and ttl or span), job)
    end
end
while room > 0 and at < stop do
    local size = math.min(100, stop - at)
    local page = redis.call(
        'zrangebyscore', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', at, size)
    local left = #page / 2  -- of the page's jobs, those still due once it is read
    for i = 1, #page, 2 do
        local job = page[i]
        if room > 0 and redis.call('set', ARGV[3] .. job, ARGV[13], 'NX', 'PX', ARGV[2]) then
            room, left = room - 1, left - 1
            redis.call('zrem', KEYS[1], job)
            redis.call('zadd', KEYS[2], redis_ms + span, job)
            redis.call('hset', KEYS[3], job, page[i + 1])
            local leased = false
            if string.sub(job, -#ARGV[6]) == ARGV[6] then
                local lease = ARGV[5] .. string.sub(job, 1, -#ARGV[6] - 1)
                leased = redis.call('set', lease, ARGV[13], 'NX', 'PX', ARGV[4]) ~= false
            end
            local abort = 0
            if ARGV[9] ~= '' then
                abort = redis.call('zrem', ARGV[9], job)
            end
            local tries = redis.call('incr', ARGV[8] .. job)
            redis.call('expire', ARGV[8] .. job, ARGV[14])
            local body = redis.call('get', ARGV[7] .. job)
            for _, value in ipairs({job, page[i + 1], leased, body, tries, abort}) do
                taken[#taken + 1] = value
            end
        end
    end
    if #page < 2 * size then
        break
    end
    at = at + left
end
return taken
"""
)
# KEYS: arq's queue, the jobs taken from it, their scores there. ARGV[1..5]: the prefixes of
# the in-progress marks, the retry counters and the jobs, arq's set of jobs to abort, the
# results' prefix; then seven values for each job that ended (``End``): its id, the token of
# the take that took it, the score it is due again at ('' once it is done: it leaves the
# queue), its run's lease key ('' for none: the take leased it with the token), its result
# ('' for none), how long the result is kept (ms; '' for ever), how long its mark is kept
# (ms; '': it goes). What arq's finish_job and finish_failed_job do, in a transaction per job,
# with the job taken off the jobs taken; a job run again goes back at its score as it was
# plus arq's push (arq pushes the member it left in the queue); and the lease the job's mark
# took given back if still that token (what ``Leases.give_back`` does), for every job that
# ended while the last call was out. A job whose mark is no longer the take's (its worker
# stalled past the mark: another took the job, or will once a take puts it back) is another
# take's to end: its end here touches none of its keys (the new taker's mark and place among
# the jobs taken, its body, its result), and it is run again (or runs) there, as after a
# crash; the lease is given back all the same, if still this take's.
FINISH_JOBS = """
for i = 6, #ARGV, 7 do
    local job, token, again, lease = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local result, keep = ARGV[i + 4], ARGV[i + 5]
    if redis.call('get', ARGV[1] .. job) == token then
        redis.call('zrem', KEYS[2], job)
        redis.call('hdel', KEYS[3], job)
        local gone = {}
        if ARGV[i + 6] == '' then
            gone[1] = ARGV[1] .. job
        else
            redis.call('pexpire', ARGV[1] .. job, ARGV[i + 6])
        end
        if again == '' then
            gone[#gone + 1] = ARGV[2] .. job
            gone[#gone + 1] = ARGV[3] .. job
            redis.call('zrem', ARGV[4], job)
            redis.call('zrem', KEYS[1], job)
            if result ~= '' and keep == '' then
                redis.call('set', ARGV[5] .. job, result)
            elseif result ~= '' then
                redis.call('set', ARGV[5] .. job, result, 'PX', keep)
            end
        else
            redis.call('zadd', KEYS[1], again, job)
        end
        if #gone > 0 then
            redis.call('del', unpack(gone))
        end
    end
    if lease ~= '' and redis.call('get', lease) == token then
        redis.call('del', lease)
    end
end
return 0
"""
# KEYS[1]: the jobs taken from arq's queue. ARGV: the in-progress marks' key prefix, how long
# a mark lasts from now (ms), then each job running on this worker and the token it was taken
# with. Each mark still the take's is extended, and its job, still taken, scored to when it
# lapses (Redis's clock). Answers each other job and the value of its mark now (false: none):
# its mark lapsed as this worker stalled, and another worker took the job (its take's token)
# or will once a take puts it back; or the job has just ended (its mark gone).
RENEW_MARKS = (
    REDIS_MS
    + """
local lost = {}
for i = 3, #ARGV, 2 do
    local mark = ARGV[1] .. ARGV[i]
    local holder = redis.call('get', mark)
    if holder == ARGV[i + 1] then
        redis.call('pexpire', mark, ARGV[2])
        redis.call('zadd', KEYS[1], 'XX', redis_ms + tonumber(ARGV[2]), ARGV[i])
    else
        lost[#lost + 1] = ARGV[i]
        lost[#lost + 1] = holder
    end
end
return lost
"""
)


@dataclass(frozen=True, slots=True)
class Taken:
    """A job as the marking script took it: ``token`` is the take's (its mark's value);
    ``body`` is None when the job had expired; ``started_ms`` is when it was taken (arq's
    start of a job that fails before its call)."""

    job_id: str
    token: str
    score: int
    body: bytes | None
    job_try: int
    abort: bool
    started_ms: int

    @property
    def task_key(self) -> str:
        """The key of its task among the worker's (arq's ``tasks``, which a stop waits for or
        cancels): the job's id and the take's token. A worker that stalled past a job's mark
        may take the job again while the earlier take still runs: keyed by the job's id
        alone, the later task took the earlier's place, and a stop left that one running."""
        return f"{self.job_id} {self.token}"


@dataclass(frozen=True, slots=True)
class End:
    """How a job ended, for ``FINISH_JOBS``: the token of the take that took it (its end
    acts only on a mark still that take's); done (``again_at`` None) or due again at
    ``again_at`` (ms); the result to keep (None: none) and for how long (ms, at least 1; None:
    for ever); how long its in-progress mark stays (ms; None: it goes at once)."""

    job_id: str
    token: str
    again_at: int | None
    result: bytes | None = None
    result_ms: int | None = None
    mark_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """What a job's body holds, in the order arq's ``deserialize_job_raw`` answers it."""

    name: str = "<unknown>"
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    enqueued_try: int | None = None
    enqueued_ms: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    """A taken job's call: its function, what its body holds, its try."""

    job_id: str
    function: Function | CronJob
    body: Body
    job_try: int

    @property
    def ref(self) -> str:
        """How arq's log lines and results name the job."""
        cron = isinstance(self.function, CronJob)
        return self.body.name if cron else f"{self.job_id}:{self.body.name}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job's call ended, as arq's run_job sorts it: ``finish`` (done, not to be run
    again), the result to keep (``no_result``: none), how far to push a retried job back."""

    finished_ms: int
    finish: bool
    result: Any = no_result
    success: bool = False
    incr_score: int | None = None


def result_ms(forever: bool, keep_s: float) -> int | None:
    """How long a job's result is kept (ms; None: for ever): a millisecond at least, as arq
    keeps any ``keep_result`` above 0 s. Redis refuses ``PX 0`` (what one under half a
    millisecond rounds to) and fails the script, which would leave taken every job ending in
    the same call until its mark lapsed."""
    return None if forever else max(to_ms(keep_s), 1)


def forget(held: dict[str, str], job: Taken | End) -> bool:
    """Take ``job`` off ``held`` (the marks renewed here, or the leases its take took), by
    job id, if its entry there is the job's take's; answers whether it was. A worker that
    stalled past a job's mark may take the job again itself while the first take still runs:
    the first one's end must leave the second's entries (its mark renewed, its lease given
    back at its own end)."""
    if held.get(job.job_id) != job.token:
        return False
    del held[job.job_id]
    return True


class ScriptedWorker(Worker):
    """An arq worker taking, reading and ending jobs in scripts (above); ``intake`` says
    whether new jobs may be taken; each mark lasts a run ``lease`` plus a margin. While it has
    no job, its polls space out up to ``idle_poll_delay`` seconds (``Pace``; None: none do,
    as for a burst)."""

    def __init__(
        self, lease: float, intake: Intake, idle_poll_delay: float | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self.lease = lease
        self.intake = intake
        idle = self.poll_delay_s if idle_poll_delay is None or self.burst else idle_poll_delay
        self.pace = Pace(self.poll_delay_s, idle)
        self.in_progress_timeout_s = lease + IN_PROGRESS_MARGIN
        self._taking: AsyncScript | None = None  # TAKE_JOBS, once the pool is open
        # Set as a job ends: a poll that filled the room takes again then.
        self.room_left = asyncio.Event()
        self._finishing: AsyncScript | None = None  # FINISH_JOBS, once the pool is open
        self._renewing: AsyncScript | None = None  # RENEW_MARKS, once the pool is open
        # A take's token names this worker (host and process) before its own random part: the
        # value of a job's mark says where it runs.
        self.marker = f"{socket.gethostname()}:{os.getpid()}"
        # The jobs running here, each with the token of the take that marked it: renewed while
        # they run, until they end or their marks are found lost.
        self.marks: dict[str, str] = {}
        self._leases: Leases | None = None  # gives back the start jobs' leases
        # The tokens of the runs' leases taken with their start jobs' marks, by job id: the
        # job walks its run under it (advance_run), then it is given back (run_taken). A
        # token is one call's: the leases it took are of different runs.
        self.start_leases: dict[str, str] = {}
        self.ctx[START_LEASES] = self.start_leases
        # The jobs that end while a call of FINISH_JOBS is out go in the next one.
        self._finish = Together(self._finish_jobs)

    async def _poll_iteration(self) -> None:
        await self._poll()
        # arq ends a burst once its queue is empty, which held the jobs being run too: here
        # they are taken out of it, and may come back (run again, or their worker dead).
        while self.burst and self.max_burst_jobs < 0 and await self._jobs_left():
            await asyncio.sleep(self.poll_delay_s)
            await self._poll()
        self.pace.polled(self.busy())
        if self.pace.quiet:
            await self.pace.rest()  # arq's loop then waits no more: its delay counts from the poll

    def busy(self) -> bool:
        """Whether anything runs here: jobs (a subclass's walks too, ``app/worker.py``)."""
        return self.job_counter > 0

    def working(self) -> None:
        """Work was found: polls at the poll delay again, the next at once if quiet."""
        self.pace.working()

    async def _jobs_left(self) -> bool:
        """Whether any job is queued or taken, at one moment: a look at the jobs taken, then
        arq's at its queue, would miss a job another worker takes in between."""
        return bool(await self.pool.exists(self.queue_name, taken_key(self.queue_name)))

    async def _poll(self) -> None:
        """arq's poll, with the jobs there is room for taken in one script call
        (``TAKE_JOBS``) while the intake is open, instead of a read of the queue and then a
        call per job (four round trips each for arq) waiting for room one job at a time."""
        room = self._room()
        if self.burst and self.max_burst_jobs >= 0:
            room = min(room, self.max_burst_jobs - self._jobs_started())
            if room < 1:
                return
        if self.allow_pick_jobs and room > 0 and self.intake.open:
            await self._take_while_due(room)
        if self.allow_abort_jobs:
            await self._cancel_aborted_jobs()
        for key, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[key]
                task.result()  # a failure of the worker's own, not of a job: raised, as arq
        await self.heart_beat()

    async def _take_while_due(self, room: int) -> None:
        """Take up to ``room`` due jobs; while that filled the room (more may be due), take
        again as jobs end, as arq fills room as it frees up, up to arq's read limit in one
        poll. The jobs that end in one turn of the loop leave room taken in one call. No job
        ending within a poll's delay ends the poll: its heart beat (readiness, the health
        check, cron jobs) and its aborts must not wait for long jobs to end."""
        left = self.queue_read_limit
        while True:
            self.room_left.clear()  # before the call: a job ending during it leaves room
            taken = await self._take(min(room, left))
            left -= taken
            if taken < room or left <= 0 or not self._taking_more():
                return
            try:
                async with asyncio.timeout(self.poll_delay_s):
                    await self.room_left.wait()
            except TimeoutError:
                return  # the next poll takes the room, a poll's delay from now
            await asyncio.sleep(0)  # the room other jobs ending meanwhile leave, taken too
            room = self._room()
            if room <= 0 or not self._taking_more():
                return

    def _room(self) -> int:
        """How many more jobs may start now: walks of resumes lent the jobs' room hold it
        too."""
        return self.max_jobs - self.job_counter - self.lent()

    def _taking_more(self) -> bool:
        """Whether a poll goes on taking jobs as room frees up: not while the intake is
        closed, nor once the worker is to stop (``stop_gracefully``: a burst of no more
        jobs) or counts the jobs of a burst."""
        return self.intake.open and not (self.burst and self.max_burst_jobs >= 0)

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self.room_left.set()

    async def _take(self, room: int) -> int:
        """Take up to ``room`` due jobs, each marked in progress, its run leased and the
        job read, and run them, as arq does; answers how many were taken."""
        if self._taking is None:
            self._taking = self.pool.register_script(TAKE_JOBS)
        token = f"{self.marker}:{secrets.token_hex(8)}"
        answer = await self._taking(keys=self.taking_keys(), args=self._taking_args(room, token))
        now = timestamp_ms()
        for n in range(0, len(answer), 6):
            name, score, lease, body, job_try, abort = answer[n : n + 6]
            await self.sem.acquire()  # at once: only a job's end changes the room meanwhile
            self.job_counter += 1
            job_id = name.decode()
            self.marks[job_id] = token
            if lease:
                self.start_leases[job_id] = token
            else:  # an earlier take's (this worker stalled past it): not this take's to walk
                self.start_leases.pop(job_id, None)
            taken = Taken(job_id, token, int(score), body, job_try, bool(abort), now)
            task = self.loop.create_task(self.run_taken(taken))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[taken.task_key] = task
        if answer:
            self.working()
        return len(answer) // 6

    def lent(self) -> int:
        """How much of the jobs' room other walks hold (none here; a subclass's walks of
        resumes, ``app/worker.py``): no new job takes it."""
        return 0

    def taking_keys(self) -> list[str]:
        """The keys of ``TAKE_JOBS`` and ``FINISH_JOBS``: arq's queue, the jobs taken from it
        and their scores there."""
        return [self.queue_name, taken_key(self.queue_name), taken_scores_key(self.queue_name)]

    def _taking_args(self, room: int, token: str) -> list[str | int]:
        return [
            timestamp_ms(),
            int(self.in_progress_timeout_s * 1000),
            in_progress_key_prefix,
            int(self.lease * 1000),
            run_lease_key(""),
            START_SUFFIX,
            job_key_prefix,
            retry_key_prefix,
            abort_jobs_ss if self.allow_abort_jobs else "",
            room,
            self._queue_read_offset,
            self.queue_read_limit,
            token,
            RETRY_COUNTER_TTL,
        ]

    async def run_taken(self, taken: Taken) -> None:
        """arq's run_job for a job the marking script read; then the lease its mark took on
        the job's run is given back, if the job's end did not (it failed, or the job ended
        arq's way)."""
        try:
            call = await self._call_of(taken)
            if call is not None:
                await self._run(taken, call)
        finally:
            forget(self.marks, taken)  # ended (``_end``), or failed before its end
            if forget(self.start_leases, taken):
                if self._leases is None:
                    self._leases = Leases(self.pool, self.lease)
                run_id = taken.job_id.removesuffix(START_SUFFIX)
                await self._leases.give_back(run_id, taken.token)

    async def _call_of(self, taken: Taken) -> Call | None:
        """The job's call; None when the job ended failed instead, as arq ends it: expired,
        unreadable, aborted before it started, of an unknown function."""
        if taken.body is None:
            ARQ_LOG.warning("job %s expired", taken.job_id)
            await self._fail(taken, JobExecutionFailed("job expired"))
            return None
        try:
            body = Body(*deserialize_job_raw(taken.body, deserializer=self.job_deserializer))
        except SerializationError as exc:
            ARQ_LOG.exception("deserializing job %s failed", taken.job_id)
            await self._fail(taken, exc)
            return None
        if taken.abort:
            ARQ_LOG.info("⊘ %s:%s aborted before start", taken.job_id, body.name)
            await self._fail(taken, asyncio.CancelledError(), body)
            return None
        function = self.functions.get(body.name)
        if function is None:
            ARQ_LOG.warning("job %s, function %r not found", taken.job_id, body.name)
            error = JobExecutionFailed(f"function {body.name!r} not found")
            await self._fail(taken, error, body)
            return None
        job_try = max(taken.job_try, body.enqueued_try or 0)
        return await self._within_tries(taken, Call(taken.job_id, function, body, job_try))

    async def _within_tries(self, taken: Taken, call: Call) -> Call | None:
        """The call, unless its job is past its tries (then it ended failed, as arq ends it).
        A job enqueued with a later try than its counter's sets the counter to it."""
        if call.job_try > taken.job_try:
            key = retry_key_prefix + taken.job_id
            await self.pool.setex(key, RETRY_COUNTER_TTL, str(call.job_try))
        function = call.function
        max_tries = self.max_tries if function.max_tries is None else function.max_tries
        if call.job_try <= max_tries:
            return call
        ARQ_LOG.warning("! %s max retries %d exceeded", call.ref, max_tries)
        error = JobExecutionFailed(f"max {max_tries} retries exceeded")
        await self._fail(taken, error, call.body, call.job_try, call.ref)
        return None

    async def _fail(
        self,
        taken: Taken,
        error: BaseException,
        body: Body | None = None,
        job_try: int | None = None,
        ref: str | None = None,
    ) -> None:
        """End a job failed before its call, its result kept as arq keeps it."""
        body = body or Body()
        self.jobs_failed += 1
        result = serialize_result(
            body.name,
            body.args,
            body.kwargs,
            job_try or taken.job_try,
            body.enqueued_ms,
            False,
            error,
            taken.started_ms,
            timestamp_ms(),
            ref or f"{taken.job_id}:{body.name}",
            self.queue_name,
            job_id=taken.job_id,
            serializer=self.job_serializer,
        )
        # Kept as arq's finish_failed_job keeps it: the worker's keep_result, not the job's.
        kept = self.keep_result_forever or self.keep_result_s > 0
        keep_ms = result_ms(self.keep_result_forever, self.keep_result_s)
        end = End(taken.job_id, taken.token, None, result if kept else None, keep_ms)
        await self._end(end)

    async def _run(self, taken: Taken, call: Call) -> None:
        """Call the job's function under the job timeout, then end the job as arq does."""
        ctx = self.ctx | {
            "job_id": taken.job_id,
            "job_try": call.job_try,
            "enqueue_time": ms_to_datetime(call.body.enqueued_ms),
            "score": taken.score,
        }
        if self.on_job_start:
            await self.on_job_start(ctx)
        start_ms = timestamp_ms()
        outcome = await self._outcome(taken, call, ctx, start_ms)
        function = call.function
        forever = (
            self.keep_result_forever
            if function.keep_result_forever is None
            else function.keep_result_forever
        )
        keep_s = self.keep_result_s if function.keep_result_s is None else function.keep_result_s
        result = None
        if outcome.result is not no_result and (forever or keep_s > 0):
            result = self._result(taken, call, outcome, start_ms)
        if self.on_job_end:
            await self.on_job_end(ctx)
        keep_mark = to_ms(keep_cronjob_progress) if isinstance(function, CronJob) else None
        # A job run again: due at its score as it was, pushed back as arq pushes it.
        again_at = None if outcome.finish else taken.score + (outcome.incr_score or 0)
        keep_ms = result_ms(forever, keep_s)
        end = End(taken.job_id, taken.token, again_at, result, keep_ms, keep_mark)
        await self._end(end)
        if self.after_job_end:
            await self.after_job_end(ctx)

    async def _outcome(
        self, taken: Taken, call: Call, ctx: dict[str, Any], start_ms: int
    ) -> Outcome:
        function, body = call.function, call.body
        timeout = self.job_timeout_s if function.timeout_s is None else function.timeout_s
        if ARQ_LOG.isEnabledFor(logging.INFO):
            extra = f" try={call.job_try}" if call.job_try > 1 else ""
            if start_ms - taken.score > 1200:
                extra += f" delayed={(start_ms - taken.score) / 1000:0.2f}s"
            since = (start_ms - body.enqueued_ms) / 1000
            arguments = args_to_string(body.args, body.kwargs)
            ARQ_LOG.info("%6.2fs → %s(%s)%s", since, call.ref, arguments, extra)
        coroutine = function.coroutine(ctx, *body.args, **body.kwargs)
        self.job_tasks[taken.job_id] = task = self.loop.create_task(coroutine)
        try:
            result = await wait_for_job(task, timeout)
        except (Exception, asyncio.CancelledError) as exc:
            return self._ended_by(exc, taken, call, start_ms)
        finally:
            if self.job_tasks.get(taken.job_id) is task:  # not a later take's of the job
                del self.job_tasks[taken.job_id]
        self.jobs_complete += 1
        finished_ms = timestamp_ms()
        if ARQ_LOG.isEnabledFor(logging.INFO):
            shown = "" if result is None or not self.log_results else truncate(repr(result))
            ARQ_LOG.info("%6.2fs ← %s ● %s", (finished_ms - start_ms) / 1000, call.ref, shown)
        return Outcome(finished_ms, finish=True, result=result, success=True)

    def _ended_by(self, exc: BaseException, taken: Taken, call: Call, start_ms: int) -> Outcome:
        """How a call that raised ends, as arq sorts it: retried (``Retry``; cancelled while
        the worker stops, ``RetryJob``), aborted, or failed."""
        finished_ms = timestamp_ms()
        took = (finished_ms - start_ms) / 1000
        if self.retry_jobs and isinstance(exc, Retry):
            self.jobs_retried += 1
            defer = exc.defer_score
            ARQ_LOG.info("%6.2fs ↻ %s retrying job in %0.2fs", took, call.ref, (defer or 0) / 1000)
            push = defer + (finished_ms - taken.score) if defer else defer
            return Outcome(finished_ms, finish=False, incr_score=push)
        if taken.job_id in self.aborting_tasks and isinstance(exc, asyncio.CancelledError):
            self.aborting_tasks.remove(taken.job_id)
            self.jobs_failed += 1
            ARQ_LOG.info("%6.2fs ⊘ %s aborted", took, call.ref)
            return Outcome(finished_ms, finish=True, result=exc)
        if self.retry_jobs and isinstance(exc, (asyncio.CancelledError, RetryJob)):
            self.jobs_retried += 1
            ARQ_LOG.info("%6.2fs ↻ %s cancelled, will be run again", took, call.ref)
            return Outcome(finished_ms, finish=False)
        self.jobs_failed += 1
        extra = getattr(exc, "extra", None)
        ARQ_LOG.exception(
            "%6.2fs ! %s failed, %s: %s",
            took,
            call.ref,
            type(exc).__name__,
            exc,
            extra={"extra": extra() if callable(extra) else extra},
        )
        return Outcome(finished_ms, finish=True, result=exc)

    def _result(self, taken: Taken, call: Call, outcome: Outcome, start_ms: int) -> bytes | None:
        """The job's result as arq keeps it."""
        body = call.body
        return serialize_result(
            body.name,
            body.args,
            body.kwargs,
            call.job_try,
            body.enqueued_ms,
            outcome.success,
            outcome.result,
            start_ms,
            outcome.finished_ms,
            call.ref,
            self.queue_name,
            job_id=taken.job_id,
            serializer=self.job_serializer,
        )

    async def _end(self, end: End) -> None:
        """End a job: its keys go (or it is queued again), its run's lease with them, in one
        script call with every other job ending meanwhile: one round trip per job fewer (the
        lease's), and under load one for many. Its mark is no longer renewed from here: a
        renewal answered after the end finds it gone, and must not call it lost. Needs no
        shield (a task more per job): a job cancelled while it waits (its worker closing)
        has its end sent all the same, since ``Together`` sends whatever was added to it;
        its lease then goes back twice (run_taken gives it back too), each time only if it
        is still this job's."""
        forget(self.marks, end)
        await self._finish([end])
        # Given back with the job's end; had that call failed, run_taken gives it back.
        forget(self.start_leases, end)

    async def _finish_jobs(self, ends: list[End]) -> None:
        if self._finishing is None:
            self._finishing = self.pool.register_script(FINISH_JOBS)
        args: list[str | bytes | int] = [
            in_progress_key_prefix,
            retry_key_prefix,
            job_key_prefix,
            abort_jobs_ss,
            result_key_prefix,
        ]
        for end in ends:
            leased = self.start_leases.get(end.job_id) == end.token  # the mark's token
            lease = run_lease_key(end.job_id.removesuffix(START_SUFFIX)) if leased else ""
            args += [
                end.job_id,
                end.token,
                "" if end.again_at is None else end.again_at,
                lease,
                end.result or "",
                "" if end.result_ms is None else end.result_ms,
                "" if end.mark_ms is None else end.mark_ms,
            ]
        await self._finishing(keys=self.taking_keys(), args=args)

    async def renew_marks(self, seconds: float) -> None:
        """Extend the in-progress marks of the jobs running here to ``seconds`` from now, each
        job's place among the jobs taken with it, in one call; a mark found lost is logged
        and no longer renewed.

        A mark is lost when this worker stalled past it (SIGSTOP, a paused VM, a blocked
        loop): another worker took the job, or will once a take puts it back, and runs it
        too. The job goes on here, as a walk cut off from Redis would: its run's store record
        is the final fence, each save of its walk written only if the run's revision is still
        the one it read (``Store.save_run``), so the first save after the other walker's is
        refused and the walk stops; what it sent meanwhile are the steps in flight at a stall,
        each with its idempotency key, as at a crash. Its end here acts on nothing of the
        job's (``FINISH_JOBS``): the job is the other take's to end."""
        held = dict(self.marks)
        if not held:
            return
        if self._renewing is None:
            self._renewing = self.pool.register_script(RENEW_MARKS)
        args: list[str | int] = [in_progress_key_prefix, int(seconds * 1000)]
        args += chain.from_iterable(held.items())
        answer = await self._renewing(keys=[taken_key(self.queue_name)], args=args)
        lost = self._lost(held, answer)
        if lost:
            held_by = ", ".join(f"{job_id} (now {holder})" for job_id, holder in lost.items())
            LOGGER.warning(
                "%d jobs' in-progress marks lost, this worker stalled past them: %s; another "
                "worker runs each too, their ends here leave them to it, and each walk's saves "
                "go only while its run's revision is the one it read",
                len(lost),
                held_by,
            )

    def _lost(self, held: dict[str, str], answer: list[bytes | None]) -> dict[str, str]:
        """The jobs whose marks ``RENEW_MARKS`` found not theirs (``answer``), each with
        whoever holds its mark now, taken off the marks renewed here; not a job that ended
        while the call was out (its end took its mark off)."""
        lost = {}
        for name, holder in zip(answer[::2], answer[1::2], strict=True):
            assert name is not None
            job_id = name.decode()
            if self.marks.get(job_id) == held[job_id]:
                del self.marks[job_id]
                lost[job_id] = "nobody yet" if holder is None else holder.decode()
        return lost
