"""An action of a workflow document: its type, data, delay, retries and conditions, and the
data of the actions the engine itself runs (waits, approvals, splits, loops, parallel
branches, sub-workflows)."""

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.errors import ErrorDetail
from app.models import jsonc, patterns
from app.models.condition import Condition
from app.models.patterns import (
    EVENT_TYPE_PATTERN,
    FIELD_PATH_PATTERN,
    ID_PATTERN,
    ISO_DURATION_PATTERN,
)
from app.models.validation import (
    MAX_DELAY_SECONDS,
    Delay,
    Strict,
    ValidationRules,
    delay_seconds,
    refusal,
    rules_of,
)


class RetryPolicy(Strict):
    """Attempts of one action; the wait doubles after each failed attempt."""

    max_attempts: StrictInt = Field(3, ge=1, le=25)
    backoff: StrictFloat = Field(
        60, ge=0, le=86400, description="Seconds before the second attempt."
    )
    max_backoff: StrictFloat = Field(3600, ge=0, le=86400, description="Longest wait, in seconds.")


MAX_MATCH_FIELDS = 10
MAX_EXITS = 10
MAX_LOOKBACK_SECONDS = 30 * 86400
MatchPath = Annotated[str, Field(pattern=FIELD_PATH_PATTERN, max_length=256)]
MAX_MATCH_VALUE_CHARS = 1024


def _match_value(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_MATCH_VALUE_CHARS:
        raise PydanticCustomError(
            "match_value",
            "a match value is at most {limit} characters",
            {"limit": MAX_MATCH_VALUE_CHARS},
        )
    if not isinstance(value, str | int | float):
        raise PydanticCustomError(
            "match_value", "a match value is a string (a template), a number or a boolean"
        )
    return value


MatchValue = Annotated[
    Any,
    AfterValidator(_match_value),
    WithJsonSchema({"type": ["string", "number", "boolean"], "maxLength": MAX_MATCH_VALUE_CHARS}),
]


def _check_lookback(value: int | float | str) -> int | float | str:
    if delay_seconds(value) > MAX_LOOKBACK_SECONDS:
        raise PydanticCustomError(
            "lookback",
            "lookback is at most {limit} seconds (30 days)",
            {"limit": MAX_LOOKBACK_SECONDS},
        )
    return value


def _check_timeout(value: int | float | str) -> int | float | str:
    if delay_seconds(value) <= 0:
        raise PydanticCustomError("timeout", "a wait's timeout is more than 0 seconds")
    return value


def _duration_schema(number: dict[str, float]) -> WithJsonSchema:
    """A duration's schema: a number within ``number``'s bounds, or ISO 8601 text (whose
    bounds a pattern cannot state; they are checked the same)."""
    text = {"type": "string", "pattern": ISO_DURATION_PATTERN}
    return WithJsonSchema({"anyOf": [{"type": "number", **number}, text]})


WaitTimeout = Annotated[
    Delay,
    AfterValidator(_check_timeout),
    _duration_schema({"exclusiveMinimum": 0, "maximum": MAX_DELAY_SECONDS}),
]
Lookback = Annotated[
    Delay,
    AfterValidator(_check_lookback),
    _duration_schema({"minimum": 0, "maximum": MAX_LOOKBACK_SECONDS}),
]


class EventMatch(Strict):
    """An event of type ``event`` whose fields equal ``match``: dotted paths over the event
    (its data at the root, ``user``, ``event``) → values, templates rendered in the run's
    context (``{"user.id": "{{user.id}}"}``). Values compare as text."""

    event: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["purchase_completed"])
    match: dict[MatchPath, MatchValue] = Field(
        default_factory=dict,
        max_length=MAX_MATCH_FIELDS,
        examples=[{"user.id": "{{user.id}}"}],
        json_schema_extra={"additionalProperties": False},  # every key is a path
    )

    def shape(self) -> tuple[str, tuple[str, ...]]:
        """The event type and the sorted match paths: what an arriving event is keyed by."""
        return self.event, tuple(sorted(self.match))


class WaitForEvent(EventMatch):
    """The ``data`` of a ``wait_for_event`` action."""

    timeout: WaitTimeout = Field(
        description="Seconds, or an ISO 8601 duration, before the on_timeout actions run."
    )
    lookback: Lookback = Field(
        0,
        description="Seconds before the wait began in which an already accepted event also counts.",
    )


MAX_APPROVAL_MESSAGE = 2000


class ApprovalData(Strict):
    """The ``data`` of an ``approval`` action: how long the run waits for a decision, and
    what the people deciding are shown."""

    timeout: WaitTimeout = Field(
        "P3D",
        description="Seconds, or an ISO 8601 duration, before the on_timeout actions run "
        "(its signed links expire then too).",
    )
    message: str | None = Field(
        None,
        max_length=MAX_APPROVAL_MESSAGE,
        description="What is to be approved, shown on the approval page (a template).",
    )


class Goal(EventMatch):
    """A conversion goal: the event marks a live run converted; with ``exit`` it also ends
    the run (completed)."""

    exit: StrictBool = False


MAX_LOOP_ITERATIONS = 1000
MAX_VARIANTS = 10


class SplitData(Strict):
    """The ``data`` of a ``split`` action (an A/B test)."""

    holdout: float = Field(
        0, ge=0, lt=100, description="Percent of runs that take no variant (the control group)."
    )
    key: str | None = Field(
        None,
        max_length=256,
        description="A template naming who is assigned (default: the user's id, else the "
        "run's): the same key always gets the same variant.",
    )


class LoopData(Strict):
    """The ``data`` of a ``loop`` action."""

    items: str | list[jsonc.FreeJson] = Field(
        description="The list to go over: a template such as `{{ cart.items }}`, or a list."
    )
    max_iterations: int = Field(
        100, ge=1, le=MAX_LOOP_ITERATIONS, description="More items than this fail the step."
    )


MAX_BRANCHES = 10


class ParallelData(Strict):
    """The ``data`` of a ``parallel`` action: when its branches have joined."""

    model_config = ConfigDict(
        extra="forbid",
        # count comes with join "first", and only then.
        json_schema_extra={
            "if": {"properties": {"join": {"const": "first"}}, "required": ["join"]},
            "then": {"required": ["count"], "properties": {"count": {"type": "integer"}}},
            "else": {"properties": {"count": {"type": "null"}}},
        },
    )

    join: Literal["all", "any", "first"] = Field(
        "all",
        description="all: every branch completes (one failing fails the step); any: the "
        "first to complete; first: the first `count` to complete. Branches still running "
        "once the join is met are cancelled.",
    )
    count: int | None = Field(
        None, ge=1, le=MAX_BRANCHES, description="first: how many branches must complete."
    )

    @model_validator(mode="after")
    def _count_with_first(self) -> "ParallelData":
        if (self.join == "first") != (self.count is not None):
            raise PydanticCustomError("join", "count is given with join 'first', and only then")
        return self

    @property
    def needed(self) -> int | None:
        """How many branches must complete; None: all of them."""
        return {"all": None, "any": 1}.get(self.join, self.count)


class TriggerWorkflowData(Strict):
    """The ``data`` of a ``trigger_workflow`` action: a run of another workflow's published
    version (or this one's), started whatever its trigger says."""

    workflow_id: str = Field(pattern=ID_PATTERN, examples=["onboarding_drip"])
    data: dict[str, jsonc.FreeJson] = Field(
        default_factory=dict, description="The sub-run's event data (templates rendered)."
    )
    user: dict[str, jsonc.FreeJson] | str | None = Field(
        None, description="The sub-run's user (a template or an object); default: this run's."
    )
    wait: StrictBool = Field(
        False,
        description="Wait for the sub-run to end; its outputs and vars are then "
        "`steps.<id>.output.outputs` and `steps.<id>.output.vars`.",
    )


class Branch(Strict):
    """One branch of a parallel action: a name and the actions it runs."""

    name: str = Field(pattern=ID_PATTERN, examples=["email"])
    actions: "list[Action]" = Field(min_length=1)


class Variant(Strict):
    """One arm of a split: its share of the runs and its actions."""

    name: str = Field(pattern=ID_PATTERN, examples=["short_subject"])
    weight: int | float = Field(1, gt=0, le=10000, description="Relative share of the runs.")
    actions: "list[Action]" = Field(default_factory=list)


ModelT = TypeVar("ModelT", bound=BaseModel)


def _parse(model: type[ModelT], data: dict[str, Any], code: str) -> ModelT:
    """The action's ``data`` as ``model``; errors are located under ``data``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            ErrorDetail(("data", *error["loc"]), patterns.message(error)) for error in exc.errors()
        ]
        raise refusal(code, problems) from None


# Fields holding an action's nested actions, by the action type that takes them.
BRANCHES = {
    "condition": ("then", "otherwise"),
    "wait_for_event": ("on_event", "on_timeout"),
    "approval": ("on_approve", "on_reject", "on_timeout"),
    "split": ("variants",),
    "loop": ("actions",),
    "parallel": ("branches",),
}
DATA_MODELS: dict[str, type[BaseModel]] = {
    "wait_for_event": WaitForEvent,
    "split": SplitData,
    "loop": LoopData,
    "parallel": ParallelData,
    "trigger_workflow": TriggerWorkflowData,
    "approval": ApprovalData,
}


# Action types that read no ``data``, and what to write instead: data given them would be
# saved and then ignored by every run ({"type": "delay", "data": {"seconds": 600}} waited
# nothing).
DATALESS = {
    "delay": 'a delay action reads no data: give the action its own "delay" '
    '(seconds, or an ISO 8601 duration such as "PT10M")',
    "condition": 'a condition action reads no data: it branches on its own "conditions" '
    'into "then" and "else"',
}


class Action(Strict):
    """One step of a workflow. ``conditions`` make any action conditional (skipped unless
    they all hold); a ``condition`` action instead runs ``then`` or ``else``; a
    ``wait_for_event`` action runs ``on_event`` or ``on_timeout``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    id: str | None = Field(None, pattern=ID_PATTERN, description="Assigned when missing.")
    type: str = Field(min_length=1, max_length=64, examples=["send_email"])
    name: str | None = Field(None, max_length=200)
    template: str | None = Field(None, max_length=128, description="A stored message template.")
    delay: Delay = Field(0, description="Seconds, or an ISO 8601 duration, before the action.")
    data: dict[str, jsonc.FreeJson] = Field(default_factory=dict)
    retry: RetryPolicy | None = None
    timeout: float | None = Field(None, gt=0, le=3600, description="Seconds per attempt.")
    delivery: Literal["at_least_once", "at_most_once"] = Field(
        "at_least_once",
        description="at_least_once: a call cut short by a crash is made again, with the "
        "same idempotency key. at_most_once: the attempt is recorded before the call; a "
        "step found started without an outcome (its worker died mid-call), or whose call "
        "timed out, is marked unknown and not made again.",
    )
    conditions: list[Condition] | None = None
    then: "list[Action] | None" = None
    otherwise: "list[Action] | None" = Field(None, alias="else")
    on_event: "list[Action] | None" = Field(
        None, description="wait_for_event: actions run when the event arrives."
    )
    on_timeout: "list[Action] | None" = Field(
        None, description="wait_for_event, approval: actions run when the timeout passes first."
    )
    on_approve: "list[Action] | None" = Field(
        None, description="approval: actions run once the step is approved."
    )
    on_reject: "list[Action] | None" = Field(
        None, description="approval: actions run once the step is rejected."
    )
    variants: list[Variant] | None = Field(
        None, min_length=1, max_length=MAX_VARIANTS, description="split: its arms."
    )
    actions: "list[Action] | None" = Field(None, description="loop: the actions run for each item.")
    branches: list[Branch] | None = Field(
        None, min_length=2, max_length=MAX_BRANCHES, description="parallel: its branches."
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str, info: ValidationInfo) -> str:
        rules = rules_of(info)
        if rules is not None and value in rules.refused_types:
            raise PydanticCustomError("action_disabled", rules.refused_types[value])
        if rules is not None and value not in rules.action_types:
            # Worded here in one pass: pydantic-core fills its placeholders one after
            # another, so a "{valid}" in the type would be filled with the valid types.
            valid = ", ".join(sorted(rules.action_types))
            said = f"unknown action type {value!r}; valid types: {valid}"
            raise PydanticCustomError("unknown_action_type", "{said}", {"said": said})
        return value

    @model_validator(mode="after")
    def _data_matches_spec(self, info: ValidationInfo) -> "Action":
        rules = rules_of(info)
        if rules is None or rules.check_data is None:
            return self
        problems = rules.check_data(self.type, self.data)
        if problems:
            see = "{problem}; see GET /api/connectors for the inputs of '{type}'"
            raise refusal("action_data", problems, see, type=self.type)
        return self

    @model_validator(mode="after")
    def _data_is_read(self, info: ValidationInfo) -> "Action":
        said = DATALESS.get(self.type)
        if rules_of(info) is None or said is None or not self.data:
            return self
        raise refusal("action_data", [ErrorDetail(("data", name), said) for name in self.data])

    @model_validator(mode="after")
    def _templates_compile(self, info: ValidationInfo) -> "Action":
        rules = rules_of(info)
        problems = [] if rules is None else template_problems(self.data, rules, ("data",))
        if problems:
            raise refusal("template", problems)
        return self

    @model_validator(mode="after")
    def _branches_only_on_their_type(self) -> "Action":
        if self.type == "condition" and not self.conditions:
            raise PydanticCustomError("condition_action", "a condition action needs conditions")
        if self.type == "split":
            _check_variants(self.variants)
        if self.type == "parallel":
            _check_branches(self.branches, self.parallel())
        own = BRANCHES.get(self.type, ())
        for kind, names in BRANCHES.items():
            stray = [name for name in names if name not in own and getattr(self, name) is not None]
            if self.type != kind and stray:
                shown = " / ".join("else" if name == "otherwise" else name for name in names)
                raise PydanticCustomError(
                    "branches", "only a {kind} action takes {names}", {"kind": kind, "names": shown}
                )
        model = DATA_MODELS.get(self.type)
        if model is not None:
            _parse(model, self.data, self.type)
        return self

    def arms(self) -> "list[tuple[str, list[Action]]]":
        """The nested action lists, each with the name its actions' assigned ids carry:
        a condition's then and else, a wait's on_event and on_timeout, a split's variants
        and a loop's body."""
        if self.type == "split":
            return [(variant.name, variant.actions) for variant in self.variants or []]
        if self.type == "parallel":
            return [(branch.name, branch.actions) for branch in self.branches or []]
        return [
            (ARM_NAMES.get(name, name), getattr(self, name) or [])
            for name in BRANCHES.get(self.type, ())
        ]

    def children(self) -> "list[Action]":
        return [action for _, actions in self.arms() for action in actions]

    def wait(self) -> WaitForEvent:
        """The parsed data of a wait_for_event action."""
        return _parse(WaitForEvent, self.data, self.type)

    def split(self) -> SplitData:
        return _parse(SplitData, self.data, self.type)

    def loop(self) -> LoopData:
        return _parse(LoopData, self.data, self.type)

    def parallel(self) -> ParallelData:
        return _parse(ParallelData, self.data, self.type)

    def sub_workflow(self) -> TriggerWorkflowData:
        return _parse(TriggerWorkflowData, self.data, self.type)

    def approval(self) -> ApprovalData:
        return _parse(ApprovalData, self.data, self.type)


ARM_NAMES = {
    "otherwise": "else",
    "on_event": "event",
    "on_timeout": "timeout",
    "actions": "do",
    "on_approve": "approve",
    "on_reject": "reject",
}


def template_problems(
    value: Any, rules: ValidationRules, loc: tuple[str | int, ...]
) -> list[ErrorDetail]:
    """Why each template string in ``value`` does not compile, at its location under ``loc``
    and naming its line: "the template does not compile: unexpected '}' (line 1)"."""
    if rules.check_template is None:
        return []
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        problem = rules.check_template(value) if _is_template(value) else None
        said = f"the template does not compile: {problem}"
        return [] if problem is None else [ErrorDetail(loc, said)]
    return [found for key, item in items for found in template_problems(item, rules, (*loc, key))]


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _check_variants(variants: list[Variant] | None) -> None:
    if not variants:
        raise PydanticCustomError("split", "a split action needs variants")
    names = [variant.name for variant in variants]
    if len(set(names)) < len(names) or "holdout" in names:
        raise PydanticCustomError(
            "split", "variant names are unique and not 'holdout': {names}", {"names": names}
        )


def _check_branches(branches: list[Branch] | None, spec: ParallelData) -> None:
    if not branches or len(branches) < 2:
        raise PydanticCustomError("parallel", "a parallel action needs at least 2 branches")
    names = [branch.name for branch in branches]
    if len(set(names)) < len(names):
        raise PydanticCustomError("parallel", "branch names are unique: {names}", {"names": names})
    if spec.count is not None and spec.count > len(branches):
        raise PydanticCustomError(
            "parallel",
            "data.count ({count}) is more than the {branches} branches",
            {"count": spec.count, "branches": len(branches)},
        )
