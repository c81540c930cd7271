"""What the debugging calls read and answer."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models.condition import Condition
from app.models.patterns import EVENT_TYPE_PATTERN


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
