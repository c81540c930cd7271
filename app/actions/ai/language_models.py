"""Language model providers: OpenAI's chat completions wire format and Anthropic's messages.

Both speak plain HTTP through the connectors' one client (``app.actions.net``), so every
base URL passes the address guard like a webhook's, bodies are bounded and no cookie rides
between tenants. The official SDKs would each bring their own client, their own retries
(which would multiply ours) and a release cadence of weeks for two small, stable formats.

The ``ai`` configuration lists providers in order; a call walks the list as the messaging
channels do (``app.actions.channels.providers.Walk``): a retryable failure (network, 5xx,
408, 425, 429) is retried on the same provider when it asks for a short wait
(``Retry-After``), then passed over for the next; a final one (another 4xx) ends the call.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import httpx
from pydantic import Field, SecretStr, TypeAdapter, ValidationError

from app.actions.base import ActionContext, ConnectorError
from app.actions.channels.providers import Outbound, ProviderConfig, Walk, post
from app.models import patterns
from app.models.patterns import URL_PATTERN

ANTHROPIC_VERSION = "2023-06-01"
# The name of the tool Anthropic is made to call: its input is the structured answer.
ANSWER_TOOL = "answer"
# Anthropic requires max_tokens; this is used when the step's parameters name none.
ANTHROPIC_MAX_TOKENS = 1024
# A wait a provider asks for that is longer than this passes the call to the next provider.
MAX_INLINE_WAIT = 10.0
FIRST_BACKOFF = 0.5

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Prompt:
    """One request for an answer: what a provider turns into its wire format. ``model`` is
    the step's (or the configuration's default); ``schema`` asks for JSON matching it."""

    turns: Sequence[Turn]
    model: str | None = None
    system: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Answer:
    """What a model answered: its text, and for a structured answer the parsed value."""

    text: str
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    value: Any = None
    structured: bool = False
    failed_providers: list[dict[str, Any]] = field(default_factory=list)


class ModelProvider(ProviderConfig):
    """Fields of every model provider. ``model`` is used when the step names none;
    ``models`` maps a step's model name to this provider's (so a workflow can say
    ``"fast"`` and fail over between vendors)."""

    base_url: str = Field(pattern=URL_PATTERN, max_length=2048)
    api_key: SecretStr | None = Field(None, description='A {"$secret": "NAME"} reference.')
    model: str | None = Field(None, min_length=1, max_length=200)
    models: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(60, gt=0, le=600, description="Seconds before trying the next.")
    retries: int = Field(1, ge=0, le=5, description="Retries here after a 429 or 5xx.")

    def credentials(self) -> list[str]:
        return [self.api_key.get_secret_value()] if self.api_key else []

    def model_for(self, asked: str | None) -> str:
        chosen = self.models.get(asked, asked) if asked else self.model
        if not chosen:
            raise ConnectorError(
                "no model: name one in data.model, or set the provider's model "
                "(AUTOMATOR_AI_MODEL for the deployment's provider)"
            )
        return chosen

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path}"


class OpenAICompatible(ModelProvider):
    """OpenAI's ``/chat/completions`` (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM,
    llama.cpp's server). ``structured_output`` sends the schema as ``response_format``;
    turn it off for servers that refuse it (the answer is still checked against it)."""

    provider: Literal["openai"]
    structured_output: bool = True
    api_key_header: Literal["authorization", "api-key"] = Field(
        "authorization", description="api-key for Azure OpenAI; else a Bearer token."
    )

    def endpoint(self) -> str:
        return self._url("chat/completions")

    def request(self, prompt: Prompt) -> Outbound:
        messages = [{"role": "system", "content": prompt.system}] if prompt.system else []
        messages += [{"role": turn.role, "content": turn.text} for turn in prompt.turns]
        body: dict[str, Any] = {
            **prompt.parameters,
            "model": self.model_for(prompt.model),
            "messages": messages,
        }
        if prompt.schema is not None and self.structured_output:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": prompt.schema},
            }
        return Outbound(self.endpoint(), headers=self._headers(), json=body)

    def _headers(self) -> dict[str, str]:
        if self.api_key is None:
            return {}
        key = self.api_key.get_secret_value()
        if self.api_key_header == "api-key":
            return {"api-key": key}
        return {"Authorization": f"Bearer {key}"}

    def answer(self, prompt: Prompt, body: Any) -> Answer:
        try:
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
            usage = body.get("usage") or {}
            return Answer(
                text=str(text),
                model=str(body.get("model") or self.model_for(prompt.model)),
                provider=self.provider,
                input_tokens=int(usage.get("prompt_tokens") or 0),
                output_tokens=int(usage.get("completion_tokens") or 0),
            )
        except (KeyError, IndexError, TypeError, AttributeError, ValueError):
            raise _malformed(body) from None


class Anthropic(ModelProvider):
    """Anthropic's ``/v1/messages``. A schema is asked for by making the model call one
    tool whose input is that schema: the documented way to get JSON of a given shape."""

    provider: Literal["anthropic"]
    base_url: str = Field("https://api.anthropic.com", pattern=URL_PATTERN, max_length=2048)

    def endpoint(self) -> str:
        return self._url("v1/messages")

    def request(self, prompt: Prompt) -> Outbound:
        body: dict[str, Any] = {
            "max_tokens": ANTHROPIC_MAX_TOKENS,
            **prompt.parameters,
            "model": self.model_for(prompt.model),
            "messages": [{"role": turn.role, "content": turn.text} for turn in prompt.turns],
        }
        if prompt.system:
            body["system"] = prompt.system
        if prompt.schema is not None:
            body["tools"] = [
                {
                    "name": ANSWER_TOOL,
                    "description": "Give the answer.",
                    "input_schema": {"type": "object", **prompt.schema},
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": ANSWER_TOOL}
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self.api_key is not None:
            headers["x-api-key"] = self.api_key.get_secret_value()
        return Outbound(self.endpoint(), headers=headers, json=body)

    def answer(self, prompt: Prompt, body: Any) -> Answer:
        try:
            blocks = body["content"]
            usage = body.get("usage") or {}
            tool = next((b for b in blocks if b.get("type") == "tool_use"), None)
            text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
            return Answer(
                text=json.dumps(tool["input"]) if tool else text,
                model=str(body.get("model") or self.model_for(prompt.model)),
                provider=self.provider,
                input_tokens=int(usage.get("input_tokens") or 0),
                output_tokens=int(usage.get("output_tokens") or 0),
                value=tool["input"] if tool else None,
                structured=tool is not None,
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            raise _malformed(body) from None


def _malformed(body: Any) -> ConnectorError:
    shown = json.dumps(body)[:200] if not isinstance(body, str) else body[:200]
    return ConnectorError(f"the provider's answer is not in its wire format: {shown}")


AnyProvider = OpenAICompatible | Anthropic
_PROVIDER: TypeAdapter[AnyProvider] = TypeAdapter(
    Annotated[AnyProvider, Field(discriminator="provider")]
)
KINDS = ("openai", "anthropic")


def providers(config: Mapping[str, Any]) -> list[tuple[str, AnyProvider]]:
    """The providers the ``ai`` configuration lists, in order, with their labels; a final
    error names a bad field (never its value: it may be a credential)."""
    listed = config.get("providers")
    if not listed:
        raise ConnectorError(
            "no AI provider is configured: set AUTOMATOR_AI_BASE_URL (and AUTOMATOR_AI_API_KEY, "
            "AUTOMATOR_AI_MODEL) for the deployment, or PUT /api/integrations/ai with "
            '{"providers": [...]} for the tenant'
        )
    if not isinstance(listed, list):
        raise ConnectorError("ai config providers: must be a list")
    found = [_provider(index, item) for index, item in enumerate(listed)]
    names = [provider.name or provider.provider for provider in found]
    labels = [
        name if names.count(name) == 1 else f"{name}#{index + 1}"
        for index, name in enumerate(names)
    ]
    return list(zip(labels, found, strict=True))


def _provider(index: int, item: Any) -> AnyProvider:
    kind = item.get("provider") if isinstance(item, dict) else None
    if kind not in KINDS:
        raise ConnectorError(f"ai config providers[{index}].provider: must be one of {KINDS}")
    try:
        return _PROVIDER.validate_python(item)
    except ValidationError as exc:
        problems = "; ".join(
            f"providers[{index}].{'.'.join(str(part) for part in error['loc'][1:])}: {patterns.message(error)}"
            for error in exc.errors()
        )
        raise ConnectorError(f"ai config {problems}") from None


@dataclass(frozen=True)
class Models:
    """The configured providers, asked in order until one answers."""

    listed: Sequence[tuple[str, AnyProvider]]
    sleep: Sleep = asyncio.sleep

    async def complete(self, prompt: Prompt, context: ActionContext) -> Answer:
        """The first answer a provider gives. Raises a final ConnectorError when one refuses
        the request, a retryable one (with the shortest wait asked for) when all failed."""
        walk = Walk(context, "ai")
        for label, provider in self.listed:
            if await walk.unhealthy(label, provider):
                continue
            try:
                answer = await self._ask(walk.http, provider, prompt)
            except ConnectorError as exc:
                await walk.failed(label, provider, exc)
                continue
            await walk.breaker.succeeded(walk.health_key(provider))
            return _labelled(answer, label, walk.failures)
        raise walk.exhausted()

    async def _ask(self, http: httpx.AsyncClient, provider: AnyProvider, prompt: Prompt) -> Answer:
        outbound = provider.request(prompt)
        for attempt in range(provider.retries + 1):
            reply = await post(http, outbound, provider.timeout)
            problem = provider.refusal(reply)
            if problem is None:
                return provider.answer(prompt, reply.body)
            wait = _wait(problem, attempt)
            if wait is None or attempt == provider.retries:
                raise problem
            await self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _wait(problem: ConnectorError, attempt: int) -> float | None:
    """How long to wait before asking the same provider again; None: do not."""
    if not problem.retryable:
        return None
    wait = problem.retry_after if problem.retry_after is not None else FIRST_BACKOFF * 2**attempt
    return wait if wait <= MAX_INLINE_WAIT else None


def _labelled(answer: Answer, label: str, failures: list[dict[str, Any]]) -> Answer:
    return Answer(
        text=answer.text,
        model=answer.model,
        provider=label,
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
        value=answer.value,
        structured=answer.structured,
        failed_providers=failures,
    )
