"""``Program.step_at``: the action a run's position stands for, as its author wrote it; the
programs kept per version."""

import asyncio
from typing import cast

import httpx
import pytest

from app.clock import SystemClock
from app.engine.walk.program import Kind, ProgramCache, compile_program
from app.errors import NotFound
from app.models.document import WorkflowDocument
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
