"""What the copilot reads and answers."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.copilot import Draft

MAX_PROMPT = 4000
DRAFT_EXAMPLE: dict[str, Any] = {
    "prompt": "When a high value order comes in, email the customer a thank-you and alert "
    "sales on Slack"
}


_NULL: JsonDict = {"type": "null"}
# The schema says what `_one_request` checks: a prompt alone, or a document and an instruction.
ONE_REQUEST: JsonDict = {
    "anyOf": [
        {
            "required": ["prompt"],
            "properties": {"prompt": {"not": _NULL}, "document": _NULL, "instruction": _NULL},
        },
        {
            "required": ["document", "instruction"],
            "properties": {"document": {"not": _NULL}, "instruction": {"not": _NULL}},
        },
    ]
}


class DraftIn(BaseModel):
    """A sentence to draft from (`prompt`), or a document and an `instruction` to revise it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [DRAFT_EXAMPLE], **ONE_REQUEST}
    )

    prompt: str | None = Field(
        None, min_length=1, max_length=MAX_PROMPT, description="What the workflow should do."
    )
    document: dict[str, Any] | None = Field(
        None, description="A workflow document to revise (with `instruction`)."
    )
    instruction: str | None = Field(
        None, min_length=1, max_length=MAX_PROMPT, description="How to change `document`."
    )

    @model_validator(mode="after")
    def _one_request(self) -> "DraftIn":
        if self.document is None and self.instruction is not None:
            raise ValueError("`instruction` revises a `document`: give one")
        if self.document is not None and self.instruction is None:
            raise ValueError("`document` needs an `instruction` saying how to change it")
        if self.document is None and self.prompt is None:
            raise ValueError("give `prompt`, or `document` and `instruction`")
        return self


class DraftRead(BaseModel):
    document: dict[str, Any] = Field(
        description="A workflow document valid as POST /api/workflows/validate checks; not saved."
    )
    explanation: str = Field(description="What the workflow does, in the model's words.")
    assumptions: list[str] = Field(
        description="What the model assumed: the event type and fields, thresholds, URLs."
    )

    @classmethod
    def of(cls, draft: Draft) -> "DraftRead":
        return cls(
            document=draft.document, explanation=draft.explanation, assumptions=draft.assumptions
        )


class CopilotStatus(BaseModel):
    """Whether the copilot can draft now, asked before a person types a sentence for it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"ready": True, "reason": None},
                {
                    "ready": False,
                    "reason": "The copilot has no model: no AI provider is configured: set "
                    "AUTOMATOR_AI_BASE_URL (and AUTOMATOR_AI_API_KEY, AUTOMATOR_AI_MODEL) for "
                    'the deployment, or PUT /api/integrations/ai with {"providers": [...]} '
                    "for the tenant",
                },
            ]
        }
    )

    ready: bool = Field(description="A model is configured: POST /api/copilot/draft may draft.")
    reason: str | None = Field(
        description="Why it cannot (what POST /api/copilot/draft's 503 would say), naming the "
        "setting; null when ready."
    )
