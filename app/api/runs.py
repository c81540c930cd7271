"""Runs: list, inspect, and control."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.convertors import StringConvertor, register_url_convertor

from app.api.bodies import JsonRoute
from app.api.cursors import run_cursor
from app.api.deps import BulkRunsDep, Reader, RunsDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.bulk import BulkAccepted, BulkIn, BulkJobRead
from app.api.schemas.runs import RunList, RunListItem, RunRead, VariablesIn
from app.api.scope import reachable_workflows
from app.models.instant import Instant
from app.models.run import Command, RunFilter, RunStatus
from app.models.workflow import Page as PageQuery

router = APIRouter(
    prefix="/api/runs", tags=["runs"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


class CommandConvertor(StringConvertor):
    """Matches only a run command, so `POST /api/runs/bulk/{job_id}` or
    `POST /api/runs/{run_id}/variables` is a 405 naming the methods that path has, not a 422
    from this route about an unknown command."""

    regex = "|".join(command.value for command in Command)


register_url_convertor("run_command", CommandConvertor())


@router.get("")
async def list_runs(
    caller: Reader,
    runs: RunsDep,
    workflow_id: str | None = None,
    status: RunStatus | None = None,
    user_id: str | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(description="The last run_id of the page before.")] = None,
) -> RunList:
    """The tenant's runs, newest first, filtered by workflow, status, user and time: by run
    id, or with `since` or `until` by `created_at` then run id, each page going on after its
    last run (a 422 naming `after` once that run is no longer stored). A key limited to
    workflows or tags lists the runs of the workflows it sees."""
    reach = await reachable_workflows(caller, runs.store)
    where = RunFilter(workflow_id, status, user_id, since, until, workflow_ids=reach)
    found = await runs.list_runs(caller.tenant_id, where, PageQuery(limit, run_cursor(after)))
    return RunList.after_last([RunListItem.at(run) for run in found], limit, lambda r: r.run_id)


@router.post(
    "/bulk",
    status_code=202,
    responses={200: {"model": BulkAccepted, "description": "A dry run: the runs it matches."}},
)
async def bulk_runs(
    body: BulkIn, response: Response, caller: Writer, bulk: BulkRunsDep
) -> BulkAccepted:
    """`retry`, `cancel`, `pause` or `resume` every run the filter (those of `GET /api/runs`)
    matches. A dry run (`"dry_run": true`) answers 200 with how many runs it would touch; a
    real one answers 202 with a job id at once and works through the runs in the background,
    in batches of `AUTOMATOR_BULK_BATCH_SIZE`, leaving runs created after the request alone.
    Recorded once in the audit log (`run.bulk`) with the filter and the count."""
    plan = await bulk.request(
        caller.tenant_id, body.action, body.filter.run_filter(), dry_run=body.dry_run
    )
    if plan.job is None:
        response.status_code = 200
        return BulkAccepted(dry_run=True, matched=plan.matched, job_id=None)
    return BulkAccepted(dry_run=False, matched=plan.matched, job_id=plan.job.job_id)


@router.get("/bulk/{job_id}")
async def get_bulk_job(job_id: str, caller: Reader, bulk: BulkRunsDep) -> BulkJobRead:
    """A bulk command's progress: runs handled and changed so far, and each run it could not
    be applied to with why (its state does not allow the command, or it is gone)."""
    return BulkJobRead.of(await bulk.read(caller.tenant_id, job_id))


@router.get("/{run_id}")
async def get_run(run_id: str, caller: Reader, runs: RunsDep) -> RunRead:
    """A run with its variables, step outputs, history of transitions and step records."""
    return RunRead.of_record(await runs.read(caller.tenant_id, run_id))


@router.patch("/{run_id}/variables", responses={409: {"description": "Not paused or waiting"}})
async def set_variables(run_id: str, body: VariablesIn, caller: Writer, runs: RunsDep) -> RunRead:
    """Set run variables (`vars`, what `{{ vars.* }}` reads) on a paused or waiting run
    before it goes on: name → value, `null` removes one. A running or ended run is a 409
    naming its state. Recorded in the run's history and in the audit log
    (`run.variables`, the values before and after)."""
    return RunRead.of_record(await runs.set_variables(caller.tenant_id, run_id, body.root))


@router.post(
    "/{run_id}/{command:run_command}",
    responses={409: {"description": "Not allowed in the run's state"}},
)
async def control_run(
    run_id: str,
    command: Command,
    caller: Writer,
    runs: RunsDep,
    revision: Annotated[
        int | None,
        Query(
            ge=0,
            description="The run's `revision` as read when the command was decided: the "
            "command acts only on the run as it was then (a 409 once it moved on: read it "
            "again). Left out, it acts on the run as it is.",
        ),
    ] = None,
) -> RunRead:
    """`pause`, `resume`, `cancel`, `retry` (from the failed step) or `skip` (the current
    step). A command the run's state does not allow is a 409 naming that state; one given
    a `revision` the run has moved on from, a 409 naming both."""
    return RunRead.of_record(await runs.command(caller.tenant_id, run_id, command, revision))
