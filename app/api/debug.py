"""The seed's debugging calls: test a trigger, test rules. Nothing is stored or sent."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.models.document import EVENT_TYPE_PATTERN, Condition
from app.triggers.preview import TriggerPreview, explain_rules, sample_event

router = APIRouter(prefix="/api", tags=["debugging"], responses=ERROR_RESPONSES)


class TriggerTest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "trigger_type": "user_signup",
                    "user_data": {
                        "id": "user123",
                        "email": "test@example.com",
                        "name": "Test User",
                    },
                }
            ]
        },
    )

    trigger_type: str = Field(pattern=EVENT_TYPE_PATTERN)
    user_data: dict[str, Any] = Field(default_factory=dict, description="The event's `user`.")
    data: dict[str, Any] = Field(default_factory=dict, description="The event's `data`.")


class TriggerTestResult(BaseModel):
    trigger_type: str
    matched_workflow_ids: list[str]
    workflows: list[dict[str, Any]] = Field(
        description="Every workflow listening for the type: whether it matched, each condition's "
        "result and why, and the rendered payload of every action."
    )


class RulesTest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "conditions": [
                        {"field": "cart_value", "operator": "greater_than", "value": 50}
                    ],
                    "payload": {"cart_value": 75, "user": {"email_verified": True}},
                }
            ]
        },
    )

    conditions: list[Condition] = Field(min_length=1)
    payload: dict[str, Any] = Field(
        description="The run context to test: data at the root, `user`..."
    )


class RulesTestResult(BaseModel):
    result: bool
    conditions: list[dict[str, Any]]


@router.post("/triggers/test")
async def test_trigger(
    body: TriggerTest, caller: Reader, resources: ResourcesDep
) -> TriggerTestResult:
    """Which workflows an event of `trigger_type` would start, each condition's result and
    why, and what every action would receive. Nothing is sent."""
    event = sample_event(caller.tenant_id, body.trigger_type, body.user_data, body.data)
    workflows = await TriggerPreview(resources.matcher, resources.renderer).preview(event)
    matched = [w["workflow_id"] for w in workflows if w["matched"]]
    return TriggerTestResult(
        trigger_type=body.trigger_type, matched_workflow_ids=matched, workflows=workflows
    )


@router.post("/rules/test")
async def test_rules(body: RulesTest, caller: Reader) -> RulesTestResult:
    """The rule tester: conditions against a sample payload, with each condition's result."""
    return RulesTestResult(**explain_rules(body.conditions, body.payload))
