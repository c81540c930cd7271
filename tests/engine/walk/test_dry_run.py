from datetime import UTC, datetime
from typing import Any

from app.actions.registry import Registry
from app.clock import SystemClock
from app.engine.expressions.renderer import Renderer
from app.engine.walk.dry_run import MAX_TRACE_STEPS, dry_run
from app.engine.walk.program import compile_program
from app.models.document import WorkflowDocument
from tests.engine.walk.test_runs import workflow


async def test_a_dry_run_shows_the_wait_for_quiet_hours() -> None:
    now = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    quiet = {"start": "11:30", "end": "14:30"}
    sms = {"id": "sms", "type": "send_sms", "data": {"recipient": "+1"}}
    document = WorkflowDocument.model_validate(workflow([sms], quiet_hours=quiet))
    context = {"user": {"id": "u1"}}
    run, trace = await dry_run(
        compile_program(document, 1, SystemClock()), "acme", context, Renderer(), Registry(), now
    )
    assert run.status == "completed"
    wait, step = trace
    assert wait["reason"] == "quiet hours"
    assert wait["wait_seconds"] == 7200
    assert step["step_id"] == "sms"


async def test_a_dry_run_whose_branch_fills_the_trace_ends_there() -> None:
    """A branch stopped by the trace's limit is left unfinished: its join must stop the
    walk too instead of looking at it again and again."""
    logs = [{"id": f"log{n}", "type": "log", "data": {"message": "x"}} for n in (1, 2)]
    many = {
        "id": "many",
        "type": "loop",
        "actions": logs,
        "data": {"items": list(range(600)), "max_iterations": 1000},
    }
    quick = {"id": "quick", "type": "log", "data": {"message": "y"}}
    fan = {
        "id": "fan",
        "type": "parallel",
        "branches": [
            {"name": "long", "actions": [many]},
            {"name": "short", "actions": [quick]},
        ],
    }
    document = WorkflowDocument.model_validate(workflow([fan]))
    run, trace = await dry_run(
        compile_program(document, 1, SystemClock()),
        "acme",
        {"user": {"id": "u1"}},
        Renderer(),
        Registry(),
        datetime(2026, 3, 2, 12, 30, tzinfo=UTC),
    )
    assert len(trace) >= MAX_TRACE_STEPS
    assert run.status != "completed"


async def test_a_dry_run_shows_the_approval_links_and_its_timeout() -> None:
    ask = {"id": "ask", "type": "log", "data": {"message": "{{ approval.approve_url }}"}}
    approval = {
        "id": "ok",
        "type": "approval",
        "data": {"timeout": 60},
        "on_timeout": [{"id": "late", "type": "log", "data": {"message": "late"}}],
    }
    document = WorkflowDocument.model_validate(workflow([ask, approval]))
    run, trace = await dry_run(
        compile_program(document, 1, SystemClock()),
        "acme",
        {},
        Renderer(),
        Registry(),
        datetime(2026, 3, 2, 12, 30, tzinfo=UTC),
    )
    assert run.status == "completed"
    logged, wait, decided, late = trace
    assert logged["output"]["message"].startswith(
        "http://dry-run.invalid/approvals/dry-run~ok~0/approve?tenant=acme&expires="
    )
    assert (wait["reason"], wait["wait_seconds"]) == ("approval", 60)
    assert decided["output"]["decision"] == "timed_out"
    assert late["step_id"] == "late"


async def walked(actions: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    document = WorkflowDocument.model_validate(workflow(actions))
    _, trace = await dry_run(
        compile_program(document, 1, SystemClock()),
        "acme",
        context,
        Renderer(),
        Registry(),
        datetime(2026, 3, 2, 12, 30, tzinfo=UTC),
    )
    return trace


async def test_a_step_reading_only_the_event_gets_what_the_whole_context_gives() -> None:
    data = {"n": "{{ n }}", "ratio": "{{ ratio }}", "city": "{{ user.address.city }}", "k": 1}
    log = {"id": "log", "type": "log", "data": data}
    check = {
        "id": "check",
        "type": "condition",
        "conditions": [{"field": "n", "operator": ">=", "value": 0}],
        "then": [log],
    }
    event = {"n": 7, "ratio": 1.5, "user": {"id": "u1", "address": {"city": "Oslo"}}}

    judged, logged = await walked([check], event)

    assert judged["output"]["branch"] == "then"
    assert judged["output"]["conditions"][0]["reason"] == "7 is greater than or equal to 0"
    assert logged["output"] == {"n": 7, "ratio": 1.5, "city": "Oslo", "k": 1}


async def test_a_name_missing_from_the_event_is_told_with_every_name_a_step_could_read() -> None:
    log = {"id": "log", "type": "log", "data": {"m": "{{ missing }}"}}

    (failed,) = await walked([log], {"n": 7})

    assert failed["error"]["message"] == (
        "action log data.m: missing is not in the event; it has n, steps, vars, run, "
        "workflow; use {{ missing | default('') }} to make it optional"
    )


async def test_a_name_the_walk_gives_is_the_walks_whatever_the_event_holds() -> None:
    log = {"id": "log", "type": "log", "data": {"steps": "{{ steps }}", "n": "{{ n }}"}}

    (logged,) = await walked([log], {"n": 7, "steps": "from the event"})

    assert logged["output"] == {"steps": {}, "n": 7}
