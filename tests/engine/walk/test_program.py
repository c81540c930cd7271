"""``Program.step_at``: the action a run's position stands for, as its author wrote it; the
programs kept per version."""

import asyncio
from datetime import UTC, datetime
from typing import cast

import httpx
import pytest

from app.clock import SystemClock
from app.engine.expressions.names import WALK_NAMES
from app.engine.walk.context import template_context
from app.engine.walk.program import Kind, ProgramCache, compile_program
from app.errors import NotFound
from app.models.document import WorkflowDocument
from app.models.run import Run, RunStatus
from app.models.workflow import WorkflowVersion
from app.resources import Resources
from app.store.protocol import Store

DOCUMENT = WorkflowDocument.model_validate(
    {
        "workflow_id": "w",
        "name": "W",
        "trigger": {"type": "signup"},
        "actions": [
            {
                "id": "check",
                "type": "condition",
                "conditions": [{"field": "vip", "operator": "equals", "value": True}],
                "then": [{"id": "gift", "type": "set", "name": "Send a gift"}],
                "else": [{"id": "plain", "type": "set"}],
            },
            {"id": "bye", "type": "log", "name": "Say goodbye", "data": {"message": "bye"}},
        ],
    }
)


def test_a_position_names_its_action_and_a_jump_names_the_action_it_goes_to() -> None:
    program = compile_program(DOCUMENT, 1, SystemClock())
    kinds = [instruction.kind for instruction in program.instructions]
    assert kinds == [Kind.BRANCH, Kind.STEP, Kind.JUMP, Kind.STEP, Kind.STEP]

    named = [getattr(program.step_at(pc), "id", None) for pc in range(len(kinds) + 1)]

    assert named == ["check", "gift", "bye", "plain", "bye", None]
    assert program.step_at(1).name == "Send a gift"  # type: ignore[union-attr]


class CountedReads:
    """The store's version reads, counted."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = 0

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        self.reads += 1
        return await self.store.get_version(tenant_id, workflow_id, version)


async def test_runs_asking_at_once_for_a_version_share_one_read_and_compile(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    document = {**DOCUMENT.model_dump(mode="json", exclude_unset=True), "workflow_id": "shared"}
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    programs, counted = ProgramCache(SystemClock()), CountedReads(resources.store)
    store = cast(Store, counted)

    found = await asyncio.gather(*(programs.get(store, "acme", "shared", 1) for _ in range(20)))

    assert counted.reads == 1
    assert all(program is found[0] for program in found)
    assert await programs.get(store, "acme", "shared", 1) is found[0]
    assert counted.reads == 1


async def test_a_version_that_fails_to_read_fails_every_asker_and_is_read_again(
    resources: Resources,
) -> None:
    programs, counted = ProgramCache(SystemClock()), CountedReads(resources.store)
    store = cast(Store, counted)

    asked = [programs.get(store, "acme", "missing", 1) for _ in range(5)]
    failed = await asyncio.gather(*asked, return_exceptions=True)

    assert counted.reads == 1
    assert all(isinstance(failure, NotFound) for failure in failed)
    with pytest.raises(NotFound):
        await programs.get(store, "acme", "missing", 1)
    assert counted.reads == 2


def test_a_step_reads_only_the_event_when_its_lookups_and_conditions_name_no_walk_name() -> None:
    call = {"type": "webhook_call", "data": {"url": "http://x.test/", "json": {"n": "{{ n }}"}}}
    document = WorkflowDocument.model_validate(
        {
            "workflow_id": "wf",
            "name": "Reads",
            "trigger": {"type": "t"},
            "actions": [
                {
                    "id": "check",
                    "type": "condition",
                    "conditions": [{"field": "n", "operator": ">=", "value": 0}],
                    "then": [{**call, "id": "event_only"}],
                },
                {**call, "id": "reads_vars", "data": {"url": "http://x.test/{{ vars.path }}"}},
                {**call, "id": "a_template", "data": {"message": "Hi {{ user.id }}"}},
                {
                    **call,
                    "id": "a_condition_on_a_step",
                    "conditions": [{"field": "steps.check.output", "operator": "exists"}],
                },
            ],
        }
    )
    program = compile_program(document, 1, SystemClock())

    reads = {str(i.action.id): i.reads_event for i in program.instructions if i.kind != Kind.JUMP}

    assert reads == {
        "check": True,
        "event_only": True,
        "reads_vars": False,
        "a_template": False,
        "a_condition_on_a_step": False,
    }


def test_the_walks_names_are_every_name_a_steps_context_adds() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    run = Run(
        run_id="r1",
        tenant_id="t",
        workflow_id="wf",
        version=1,
        event_id="e1",
        user_id=None,
        status=RunStatus.RUNNING,
        context={"n": 1},
        created_at=now,
        updated_at=now,
        loops={"each": {"items": [1, 2], "index": 0}},
    )

    assert template_context(run).keys() - run.context.keys() == WALK_NAMES
