"""The seed's debugging calls: test a trigger, test rules. Nothing is stored or sent."""

from fastapi import APIRouter

from app.api.bodies import JsonRoute
from app.api.deps import ClockDep, Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.debug import RulesTest, RulesTestResult, TriggerTest, TriggerTestResult
from app.triggers.preview import TriggerPreview, explain_rules, sample_event

router = APIRouter(
    prefix="/api", tags=["debugging"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("/triggers/test")
async def test_trigger(
    body: TriggerTest, caller: Reader, resources: ResourcesDep
) -> TriggerTestResult:
    """Which workflows an event of `trigger_type` would start, each condition's result and
    why, and what every action would receive: `status` `would_fail` with the `reason` when
    its call would fail now (a template error, a missing message template or secret, no
    provider and no outbox), else `would_run`. Nothing is sent."""
    event = sample_event(
        caller.tenant_id, body.trigger_type, body.user_data, body.data, resources.clock.now()
    )
    preview = TriggerPreview(resources.matcher, resources.renderer, resources.gateway)
    workflows = await preview.preview(event)
    matched = [w["workflow_id"] for w in workflows if w["matched"]]
    return TriggerTestResult(
        trigger_type=body.trigger_type, matched_workflow_ids=matched, workflows=workflows
    )


@router.post("/rules/test")
async def test_rules(body: RulesTest, caller: Reader, clock: ClockDep) -> RulesTestResult:
    """The rule tester: conditions against a sample payload, with each condition's result."""
    return RulesTestResult(**explain_rules(body.conditions, body.payload, clock))
