"""``ai_task``: ask a language model, optionally for JSON of a given shape.

``prompt_template`` and ``system`` arrive rendered (the walker renders a step's data in the
templates' sandbox, and never renders a value twice, so ``{{ }}`` inside event data reaches
the model as text). Secrets reach the prompt only as a step references them.

With ``output_mapping`` (a JSON Schema of an object) the answer is asked for in that shape
(structured output where the provider has it, instructions in the prompt always) and checked
against it; an answer that breaks it is asked again with the validation error, at most
``REPAIRS`` times, then the step fails with the last answer and its error recorded. The
answer's fields are the step's output, beside ``cached`` and ``usage`` (tokens and cost).
"""

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as Invalid

from app.actions.ai.language_models import Answer, Models, Prompt, Turn, providers
from app.actions.ai.prices import Prices
from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError, templated
from app.actions.channels import inputs
from app.errors import ErrorDetail
from app.models.usage import AiUsage

log = logging.getLogger(__name__)

REPAIRS = 2  # answers asked again after one breaks the schema
RESERVED = ("cached", "usage")  # output fields of every ai_task, not the model's
MAX_RECORDED_ANSWER = 4000  # characters of a failing answer kept in the step's error
CACHE_PREFIX = "automator:ai:answer"
MAX_TTL = 30 * 86400
FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "max_tokens": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "top_k": {"type": "integer", "minimum": 1},
        "seed": {"type": "integer"},
        "stop": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
        "presence_penalty": {"type": "number", "minimum": -2, "maximum": 2},
        "frequency_penalty": {"type": "number", "minimum": -2, "maximum": 2},
    },
    "additionalProperties": False,
}
INPUTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Default: the provider's model (AUTOMATOR_AI_MODEL).",
        },
        "prompt_template": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100_000,
            "description": "The user message, a template over the run.",
        },
        "system": {
            "type": "string",
            "maxLength": 100_000,
            "description": "The system message, a template over the run.",
        },
        "parameters": PARAMETERS,
        "output_mapping": {
            "type": "object",
            "description": "A JSON Schema of an object: the answer's shape; its fields become "
            "the step's output (steps.<id>.output.<field>).",
            "properties": {
                "type": {"const": "object"},
                "properties": {"propertyNames": {"not": {"enum": list(RESERVED)}}},
            },
        },
        "cache": {
            "type": "object",
            "properties": {
                "ttl": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_TTL,
                    "description": "Seconds an answer is reused.",
                }
            },
            "required": ["ttl"],
            "additionalProperties": False,
        },
    },
    "required": ["prompt_template"],
    "additionalProperties": False,
}
USAGE = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "provider": {"type": "string"},
        "input_tokens": {"type": "integer"},
        "output_tokens": {"type": "integer"},
        "cost": {"type": "number", "description": "US dollars."},
        "priced": {"type": "boolean"},
        "answers": {"type": "integer", "description": "Answers asked for (repairs included)."},
    },
}
OUTPUTS = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The answer, without an output_mapping."},
        "cached": {"type": "boolean"},
        "usage": USAGE,
    },
    "additionalProperties": True,
}


class TaskSpec(ActionSpec):
    """The input spec, and ``output_mapping`` checked as a JSON Schema when saved."""

    def problems(self, params: Mapping[str, Any]) -> list[ErrorDetail]:
        found = super().problems(params)
        mapping = params.get("output_mapping")
        if found or not isinstance(mapping, dict) or templated(mapping):
            return found
        try:
            Draft202012Validator.check_schema(mapping)
        except SchemaError as exc:
            return [ErrorDetail(("data", "output_mapping"), f"not a JSON Schema: {exc.message}")]
        return []


SPEC = TaskSpec(
    inputs=INPUTS,
    outputs=OUTPUTS,
    description="Ask a language model (OpenAI-compatible or Anthropic, failing over in "
    "order); with output_mapping, for JSON of that shape, checked and repaired.",
)


@dataclass(frozen=True)
class Task:
    """A step's request, rendered."""

    prompt: Prompt
    ttl: int | None

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> "Task":
        schema = params.get("output_mapping")
        text = str(params["prompt_template"])
        if schema is not None:
            text += "\n\n" + _instructions(schema)
        cache = params.get("cache")
        return cls(
            Prompt(
                turns=[Turn("user", text)],
                model=params.get("model"),
                system=params.get("system") or None,
                parameters=params.get("parameters") or {},
                schema=schema,
            ),
            ttl=int(cache["ttl"]) if isinstance(cache, dict) else None,
        )

    def cache_key(self, tenant_id: str) -> str:
        """The same tenant, model and rendered inputs: the same key."""
        asked = {
            "model": self.prompt.model,
            "system": self.prompt.system,
            "prompt": [turn.text for turn in self.prompt.turns],
            "parameters": self.prompt.parameters,
            "schema": self.prompt.schema,
        }
        digest = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()
        return f"{CACHE_PREFIX}:{tenant_id}:{digest}"


def _instructions(schema: Mapping[str, Any]) -> str:
    return (
        "Answer with only a JSON object, no other text, that matches this JSON Schema:\n"
        + json.dumps(schema)
    )


@dataclass
class Tally:
    """Tokens and answers over the asks of one step, priced."""

    prices: Prices
    input_tokens: int = 0
    output_tokens: int = 0
    answers: int = 0
    model: str = ""
    provider: str = ""

    def add(self, answer: Answer) -> None:
        self.input_tokens += answer.input_tokens
        self.output_tokens += answer.output_tokens
        self.answers += 1
        self.model, self.provider = answer.model, answer.provider

    def usage(self) -> dict[str, Any]:
        cost = self.prices.cost(self.model, self.input_tokens, self.output_tokens)
        return {
            "model": self.model,
            "provider": self.provider,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": cost.usd,
            "priced": cost.priced,
            "answers": self.answers,
        }

    async def record(self, context: ActionContext, at: datetime) -> None:
        """Keep what was spent (for stats and budgets), even when the step fails: the
        tokens were spent. A store failure is logged, not raised: the answer counts more."""
        book = context.services.usage
        if book is None or self.answers == 0:
            return
        usage = self.usage()
        try:
            await book.add_ai_usage(
                AiUsage(
                    tenant_id=context.tenant_id,
                    workflow_id=context.workflow_id,
                    run_id=context.run_id,
                    step_id=context.step_id,
                    model=self.model,
                    input_tokens=self.input_tokens,
                    output_tokens=self.output_tokens,
                    cost=usage["cost"],
                    at=at,
                )
            )
        except Exception:
            log.exception("the AI usage of step %s could not be recorded", context.step_id)


def parsed(answer: Answer) -> Any:
    """The answer as JSON: a structured answer's value, else its text (a fenced block
    unwrapped); ValueError when it is no JSON."""
    if answer.structured:
        return answer.value
    text = answer.text.strip()
    fenced = FENCE.match(text)
    return json.loads(fenced[1] if fenced else text)


def problem(schema: Mapping[str, Any], answer: Answer) -> tuple[Any, str | None]:
    """The answer's value and what is wrong with it (None: it matches the schema)."""
    try:
        value = parsed(answer)
    except ValueError as exc:
        return None, f"the answer is not JSON ({exc})"
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: e.path)
    return value, _described(errors[0]) if errors else None


def _described(error: Invalid) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"at /{where}: {error.message}" if where else error.message


class AiConnector(ConnectorAdapter):
    code = "ai"
    name = "AI"
    description = (
        "Language models through OpenAI-compatible and Anthropic providers (configured per "
        "deployment with AUTOMATOR_AI_*, or per tenant), with failover, costs and a cache."
    )
    actions: ClassVar[Mapping[str, ActionSpec]] = {"ai_task": SPEC}

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        if action != "ai_task":
            raise ConnectorError(f"the ai connector has no action {action!r}")
        inputs.check(SPEC, params)
        task = Task.of(params)
        cache = context.services.answers
        key = task.cache_key(context.tenant_id)
        if task.ttl is not None and cache is not None:
            kept = await cache.get(key)
            if kept is not None:
                return {**kept, "cached": True, "usage": _free(kept.get("usage"))}
        tally = Tally(Prices.with_overrides(context.services.ai_prices))
        try:
            output = await self.ask(task.prompt, context, tally)
        finally:
            await tally.record(context, context.services.clock.now())
        if task.ttl is not None and cache is not None:
            await cache.put(key, output, task.ttl)
        return output

    @staticmethod
    async def ask(prompt: Prompt, context: ActionContext, tally: Tally) -> dict[str, Any]:
        """The model's answer as the step's output; repaired while it breaks the schema.
        ``tally`` counts every answer, those of a step that fails included."""
        models = Models(providers(context.config))
        while True:
            answer = await models.complete(prompt, context)
            tally.add(answer)
            if prompt.schema is None:
                return {"text": answer.text, "cached": False, "usage": tally.usage()}
            value, wrong = problem(prompt.schema, answer)
            if wrong is None:
                return {**value, "cached": False, "usage": tally.usage()}
            if tally.answers > REPAIRS:
                raise _broken(answer, wrong, tally.usage())
            prompt = _repair(prompt, answer, wrong)


def _repair(prompt: Prompt, answer: Answer, wrong: str) -> Prompt:
    again = (
        f"That answer does not match the JSON Schema: {wrong}. Answer again with only a JSON "
        "object that matches it."
    )
    turns = [*prompt.turns, Turn("assistant", answer.text or "(empty)"), Turn("user", again)]
    return replace(prompt, turns=turns)


def _broken(answer: Answer, wrong: str, usage: dict[str, Any]) -> ConnectorError:
    return ConnectorError(
        f"the model's answer does not match output_mapping after {usage['answers']} answers: "
        f"{wrong}",
        detail={
            "answer": answer.text[:MAX_RECORDED_ANSWER],
            "validation_error": wrong,
            "usage": usage,
        },
    )


def _free(usage: Any) -> dict[str, Any]:
    """A cached answer's usage: the model it came from, nothing spent."""
    kept = usage if isinstance(usage, dict) else {}
    return {**kept, "input_tokens": 0, "output_tokens": 0, "cost": 0.0, "answers": 0}
