"""The connector SDK: what every action implementation looks like.

A connector is a class with a ``code``, a ``name``, a ``description``, an ``actions`` mapping
of action names to their ``ActionSpec``, and an async ``execute(action, params, context)``.
It raises ``ConnectorError`` with ``retryable`` saying whether trying again may help.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import getaddresses
from typing import Any, ClassVar, Protocol

import httpx
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from app.actions.breaker import Breaker
from app.actions.local.deployment import LocalTasks
from app.clock import Clock, SystemClock
from app.errors import MAX_SHOWN, ErrorDetail, cut, shown
from app.models import patterns
from app.models.outbox import OutboxMessage
from app.models.profile import ProfileChange, Segment, SegmentDefinition, Touch
from app.models.secret import SECRET_REF
from app.models.usage import AiUsage


class ConnectorError(Exception):
    """An action failed. ``retryable`` says whether trying again may help (a 5xx, a timeout)
    or not (a 4xx, bad input); ``retry_after`` is the wait the remote side asked for, in
    seconds."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        # Recorded with the step's error: what the remote side answered, for instance.
        self.detail: Mapping[str, Any] = detail or {}

    @classmethod
    def unexpected(cls, exc: Exception) -> "ConnectorError":
        """Any other exception escaping a connector: a network error may pass, so it is
        retryable; anything else is a bug that would recur."""
        message = f"the connector failed: {type(exc).__name__}: {exc}"
        return cls(message, retryable=isinstance(exc, OSError))


def _field_map_schema(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The seed's short form, ``{"name": {"type": "string", "required": True}}``, as a JSON
    Schema object."""
    properties = {
        name: {key: value for key, value in spec.items() if key != "required"}
        for name, spec in fields.items()
    }
    required = [name for name, spec in fields.items() if spec.get("required")]
    return {"type": "object", "properties": properties, "required": required}


def _as_schema(value: Mapping[str, Any]) -> dict[str, Any]:
    if value.get("type") == "object" or "properties" in value or not value:
        return {"type": "object", **value}
    return _field_map_schema(value)


def templated(value: Any) -> bool:
    """A value known only at run time: a template, or a secret reference."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return isinstance(value, dict) and SECRET_REF in value


def parse_address(text: str) -> Address | None:
    """An email address, plain (``ada@example.com``) or with a display name
    (``Ada <ada@example.com>``); None when ``text`` is not exactly one."""
    pairs = getaddresses([text]) if "\r" not in text and "\n" not in text else []
    try:
        if len(pairs) != 1 or "@" not in pairs[0][1]:
            return None
        return Address(display_name=pairs[0][0], addr_spec=pairs[0][1])
    except (ValueError, IndexError, HeaderParseError):
        return None


# The formats an input schema may name, checked on the values a save already knows.
FORMATS = FormatChecker(formats=())
FORMAT_WORDS = {"email": "an email address (ada@example.com or Ada <ada@example.com>)"}
# What a refusal says instead of the format or the regular expression.
_WORDS = {"format": FORMAT_WORDS, "pattern": patterns.WORDS}


@FORMATS.checks("email")
def _is_address(value: object) -> bool:
    # An empty recipient is dropped when the message is sent, not refused.
    return not isinstance(value, str) or not value.strip() or parse_address(value) is not None


@dataclass(frozen=True)
class ActionSpec:
    """Input and output of one action. ``inputs`` and ``outputs`` are JSON Schemas of an
    object, or the short form ``{"field": {"type": "string", "required": True}}``."""

    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def input_schema(self) -> dict[str, Any]:
        return _as_schema(self.inputs)

    @property
    def output_schema(self) -> dict[str, Any]:
        return _as_schema(self.outputs)

    def problems(self, params: Mapping[str, Any]) -> list[ErrorDetail]:
        """What is wrong with ``params``, skipping values only known at run time (templates
        and secret references), each at its field's location: ``("data", "url")``."""
        validator = Draft202012Validator(self.input_schema, format_checker=FORMATS)
        found = []
        for error in validator.iter_errors(params):
            if templated(error.instance):
                continue
            found.append(ErrorDetail(("data", *_location(error)), _describe(error)))
        return found


def problems_of(spec: ActionSpec, params: Mapping[str, Any]) -> list[ErrorDetail]:
    """``spec.problems(params)``, each an ErrorDetail. A ``problems`` override written before
    problems were located returns text (``"data.url: ..."``): each is kept, as written, as a
    problem of the whole action (location ``()``), so a save names it rather than failing on
    it; docs/connectors.md says how to locate it at its field."""
    found: Sequence[object] = spec.problems(params)
    return [
        problem if isinstance(problem, ErrorDetail) else ErrorDetail((), str(problem))
        for problem in found
    ]


# Characters of a message about an input: a value shown cut, and the rule's own words (an
# enum's choices, the names of unexpected properties, as many as were sent).
MAX_SAID = 2 * MAX_SHOWN


def _describe(error: SchemaError) -> str:
    words = _WORDS.get(str(error.validator), {}).get(str(error.validator_value))
    if words is not None:
        return f"{shown(error.instance)} is not {words}"
    return _bounded(error.message, error.instance)


def _bounded(message: str, instance: Any) -> str:
    """jsonschema's ``message`` with the refused value it quotes whole (``{instance!r} is not
    of type 'string'``, nested values and all) shown cut, and held to MAX_SAID: a 422 once
    sent a refused input back as large as it came, twice."""
    if len(message) <= MAX_SHOWN:
        return message
    return cut(message.replace(repr(instance), shown(instance), 1), MAX_SAID)


def _location(error: SchemaError) -> tuple[str | int, ...]:
    """Where the problem is within the data: a missing property's own place (as Pydantic
    locates a missing field), which jsonschema gives only in its message."""
    path = tuple(error.absolute_path)
    required = error.validator_value
    if error.validator != "required" or not isinstance(required, list):
        return path
    said = error.message
    missing = [name for name in required if said == f"{name!r} is a required property"]
    return (*path, *missing[:1])


@dataclass(frozen=True)
class Message:
    """A stored message template, rendered for this step."""

    name: str
    subject: str | None = None
    text: str | None = None
    html: str | None = None


class ProfileBook(Protocol):
    """Where profiles, segments and campaigns are kept (the store satisfies it)."""

    async def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange: ...

    async def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]: ...

    async def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool: ...


class OutboxBook(Protocol):
    """Where the dev outbox keeps messages (the store satisfies it)."""

    async def add_outbox_message(self, message: OutboxMessage) -> OutboxMessage: ...


class UsageBook(Protocol):
    """Where what AI calls spent is recorded (the store satisfies it)."""

    async def add_ai_usage(self, usage: AiUsage) -> None: ...


class AnswerCache(Protocol):
    """Where model answers are kept for reuse (``ai_task``'s ``cache``), by a key that
    names the tenant."""

    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None: ...


class AddressGuard(Protocol):
    async def addresses(self, host: str, port: int) -> list[Any]:
        """The addresses ``host`` may be reached at; a final ConnectorError if any is
        refused (loopback, private, metadata...) and the host is not allow-listed."""

    def refusal_unresolved(self, host: str) -> str | None:
        """Why ``host`` would be refused, when that is known without resolving it; a dry
        run's answer."""


@dataclass(frozen=True)
class Services:
    """Shared clients a connector may use, built once per process. ``breaker`` keeps the
    health of messaging providers (shared through Redis in workers). ``smtp`` is the default
    SMTP server (the ``AUTOMATOR_SMTP_*`` settings), shaped as notify_service's ``smtp``
    configuration. ``guard`` judges hosts connectors reach without ``http`` (SMTP).
    ``outbox`` is set when a channel with no provider configured keeps its messages in the
    dev outbox instead of failing (``automator dev``, or ``AUTOMATOR_OUTBOX=true``).
    ``answers`` keeps model answers for ``ai_task``'s cache (Redis, in workers);
    ``usage`` records what AI calls spent (tokens, cost) for stats and budgets;
    ``ai_prices`` is the deployment's price table overrides (``AUTOMATOR_AI_PRICES``).
    ``clock`` stamps what a connector stores (the process's clock; the system's when a test
    builds a connector alone). What a connector tells another machine (a webhook's signed
    timestamp, an email's Date) or reads from one (a Retry-After date, a token's expiry) is
    on the machine's time, which the other side's clock is compared with."""

    http: httpx.AsyncClient | None = None
    guard: AddressGuard | None = None
    breaker: Breaker | None = None
    profiles: ProfileBook | None = None
    smtp: Mapping[str, Any] = field(default_factory=dict, repr=False)
    outbox: OutboxBook | None = None
    answers: AnswerCache | None = None
    usage: UsageBook | None = None
    ai_prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # The deployment's local-task settings (file, shell); None: no local task runs here.
    local: LocalTasks | None = None
    clock: Clock = field(default_factory=SystemClock)


# A context's services when none are given (one for all: they are frozen).
NO_SERVICES = Services()


@dataclass(frozen=True)
class ActionContext:
    """What a connector gets besides its parameters.

    ``idempotency_key`` is stable across retries of the same step (``run:action:iteration``):
    pass it on so a retry does not act twice. ``event`` is the run's context (the event's
    data, ``user``, ``event``). ``config`` is the connector's configuration and ``secrets``
    the secret values referenced by it and by the step's data, resolved.
    """

    tenant_id: str
    run_id: str
    step_id: str
    idempotency_key: str
    attempt: int
    workflow_id: str = ""
    event: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    template: str | None = None
    message: Message | None = None
    services: Services = NO_SERVICES

    def __getitem__(self, name: str) -> Any:
        """``context["secrets"]``, as connectors written against a dict context read it."""
        return getattr(self, name)

    def prepared(
        self,
        services: Services,
        config: Mapping[str, Any],
        secrets: Mapping[str, str],
        message: Message | None,
    ) -> "ActionContext":
        """This context with what its call needs besides: ``dataclasses.replace``'s result,
        made without its ``__init__`` (which sets each frozen field through
        ``object.__setattr__``: half the cost of a step's context, made once per call)."""
        ready = object.__new__(type(self))
        ready.__dict__.update(
            self.__dict__, services=services, config=config, secrets=secrets, message=message
        )
        return ready


class Connector(Protocol):
    code: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str]
    actions: ClassVar[Mapping[str, ActionSpec]]

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        """Do the action; raise ConnectorError on failure. The result becomes the step output."""


class ConnectorAdapter:
    """Base class of connectors: set the class attributes and implement ``execute``."""

    code: ClassVar[str] = ""
    # The Studio's palette heads the connector's actions with it: words a marketer reads
    # ("Scripts on the server"), not the name of a product or a mechanism alone.
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    actions: ClassVar[Mapping[str, ActionSpec]] = {}

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement {action!r}")

    def unready(self, action: str, params: Mapping[str, Any], context: ActionContext) -> str | None:
        """Why ``action`` could not run now (no provider configured, a message with no
        body), known without running it: a dry run marks the step ``would_fail`` with it,
        and ``POST /api/workflows/validate`` (the Studio's editor, after each edit) warns of
        it; a save does not. ``params`` may be unrendered (a document being checked before
        any event): judge what is given, not what it says. None when it could; a connector
        without this method is taken to be ready."""
        return None
