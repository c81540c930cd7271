"""The copilot: a workflow document drafted by the configured model from a sentence, or an
existing document revised by an instruction. Nothing is saved: the user saves it.

The model is given the workflow document's JSON Schema and the installed connectors'
actions with their input schemas, and asked for ``{"document", "explanation",
"assumptions"}``. The document goes through the same validator as a save; a draft it refuses
is sent back with the validator's errors, at most ``REPAIRS`` times. The model is the
tenant's ``ai`` configuration, else the deployment's (AUTOMATOR_AI_*), and what the drafts
spend is recorded as AI usage outside any workflow.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.actions.ai.language_models import Answer, AnyProvider, Models, Prompt, Turn, providers
from app.actions.ai.prices import Prices
from app.actions.ai.task import Tally, problem
from app.actions.base import ActionContext, ConnectorError, Services
from app.actions.registry import Registry
from app.engine.calls.integrations import Integrations
from app.engine.calls.secrets import Secrets
from app.errors import AutomatorError, ErrorDetail, Unavailable, UpstreamFailed
from app.models.document import WorkflowDocument
from app.workflows import DocumentParser

REPAIRS = 2  # drafts asked again after the validator refuses one
STEP = "copilot"  # the step id its usage is recorded under
ANSWER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "document": {"type": "object"},
        "explanation": {"type": "string"},
        "assumptions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["document", "explanation", "assumptions"],
}
GUIDE = """You draft workflow documents for Automator, a service that runs workflows when \
events arrive. Answer with only a JSON object: {"document": <the workflow document>, \
"explanation": <a short paragraph for the user on what the workflow does>, "assumptions": \
[<each thing you assumed, as a sentence: the event type and the data fields you read, \
thresholds, recipients, URLs>]}.

Templates: "{{ amount }}" reads the event's data field at the root, "{{ user.email }}" the \
event's user, "{{ steps.<action id>.output.<field> }}" an earlier action's output. A trigger's \
"type" is the event type that starts the workflow; its "conditions" filter events \
({"field": "amount", "operator": "greater_than", "value": 500}). Never write a credential: \
use {"$secret": "NAME"}. Give every action an "id". When no action fits a service (Slack, \
a CRM), call its API or incoming webhook with webhook_call and say so in the assumptions.

The document must be valid against this JSON Schema:
"""


@dataclass(frozen=True)
class Draft:
    document: dict[str, Any]
    explanation: str
    assumptions: list[str]


@dataclass(frozen=True)
class Copilot:
    parser: DocumentParser
    registry: Registry
    integrations: Integrations
    secrets: Secrets
    services: Services

    async def draft(
        self, tenant_id: str, prompt: str, document: Mapping[str, Any] | None = None
    ) -> Draft:
        """A new document from ``prompt``, or ``document`` revised by it. Unavailable (503)
        naming the setting when no model is configured; UpstreamFailed (502) when the model
        fails or its drafts stay invalid."""
        context = await self._context(tenant_id)
        tally = Tally(Prices.with_overrides(self.services.ai_prices))
        try:
            return await self._drafted(_asked(self._guide(), prompt, document), context, tally)
        except ConnectorError as exc:
            raise UpstreamFailed(f"The model could not draft it: {exc.message}") from None
        finally:
            await tally.record(context, self.services.clock.now())

    async def unready(self, tenant_id: str) -> str | None:
        """Why a draft would be refused now (503: no provider, no model), else None; the
        model is not called."""
        try:
            await self._context(tenant_id)
        except Unavailable as exc:
            return exc.message
        return None

    async def _drafted(self, asked: Prompt, context: ActionContext, tally: Tally) -> Draft:
        models = Models(providers(context.config))
        while True:
            answer = await models.complete(asked, context)
            tally.add(answer)
            draft, wrong = self._checked(answer)
            if draft is not None:
                return draft
            if tally.answers > REPAIRS:
                raise UpstreamFailed(
                    f"The model's draft is still invalid after {tally.answers} answers: {wrong}",
                    [ErrorDetail(("model",), str(wrong))],
                )
            asked = _repair(asked, answer, str(wrong))

    def _checked(self, answer: Answer) -> tuple[Draft | None, str | None]:
        value, wrong = problem(ANSWER, answer)
        if wrong is not None:
            return None, wrong
        try:
            document = self.parser.validate(value["document"])
        except AutomatorError as exc:
            return None, _errors(exc)
        return Draft(document.canonical(), value["explanation"], value["assumptions"]), None

    async def _context(self, tenant_id: str) -> ActionContext:
        configuration = await self.integrations.for_call(tenant_id, "ai")
        try:
            resolved = await self.secrets.for_call(
                tenant_id, {}, configuration.values, tenant_config=configuration.tenant
            )
            listed = providers(resolved.config)
        except ConnectorError as exc:
            raise Unavailable(f"The copilot has no model: {exc.message}") from None
        if not any(provider.model for _, provider in listed):
            raise Unavailable(_no_model(listed))
        return ActionContext(
            tenant_id=tenant_id,
            run_id="",
            step_id=STEP,
            idempotency_key="",
            attempt=1,
            config=resolved.config,
            secrets=resolved.secrets,
            services=self.services,
        )

    def _guide(self) -> str:
        actions = [
            {
                "type": action["action_type"]
                if action["action_type"] != "custom_action"
                else f"custom_action ({connector['code']}.{action['name']})",
                "description": action["description"],
                "data": action["input_schema"],
            }
            for connector in self.registry.catalogue()
            for action in connector["actions"]
        ]
        schema = json.dumps(WorkflowDocument.model_json_schema(), separators=(",", ":"))
        listed = json.dumps(actions, separators=(",", ":"))
        return f"{GUIDE}{schema}\n\nThe installed connectors' actions and their data:\n{listed}"


def _asked(guide: str, prompt: str, document: Mapping[str, Any] | None) -> Prompt:
    if document is None:
        text = f"Draft a workflow for this: {prompt}"
    else:
        text = f"Here is a workflow document:\n{json.dumps(document)}\n\nRevise it: {prompt}"
    return Prompt([Turn("user", text)], system=guide, schema=ANSWER)


def _repair(asked: Prompt, answer: Answer, wrong: str) -> Prompt:
    again = f"That answer is not valid: {wrong}. Answer again with the whole corrected JSON object."
    return replace(asked, turns=[*asked.turns, Turn("assistant", answer.text), Turn("user", again)])


def _errors(exc: AutomatorError) -> str:
    """The validator's errors as the model reads them: each place and what is wrong."""
    listed = "; ".join(
        f"{'.'.join(str(part) for part in detail.loc)}: {detail.msg}" for detail in exc.details
    )
    return listed or exc.message


def _no_model(listed: list[tuple[str, AnyProvider]]) -> str:
    names = ", ".join(label for label, _ in listed)
    return (
        f"The copilot has no model: no AI provider ({names}) names a default model; set "
        "AUTOMATOR_AI_MODEL, or a provider's model in PUT /api/integrations/ai"
    )
