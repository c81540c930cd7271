"""The workflow document: the seed format (``workflow_id``, ``trigger``, ``actions``,
``settings``), validated.

Checks that depend on configuration (known action types, limits) read a ``ValidationRules``
from the Pydantic validation context, so this module stays free of settings and registries.
Documents read back from the store are validated without rules.
"""

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models.flow import (
    Concurrency,
    Debounce,
    FrequencyCap,
    QuietHours,
    RateLimit,
    SendWindow,
    Throttle,
    duration_seconds,
    windows_meet,
)

ModelT = TypeVar("ModelT", bound=BaseModel)
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
EVENT_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
MAX_REGEX_LENGTH = 256
# Path segments of the workflow API that a workflow id would shadow.
RESERVED_IDS = frozenset({"status", "logs", "export", "import", "validate"})


@dataclass(frozen=True)
class ValidationRules:
    """Configuration-dependent checks applied when a document is saved."""

    action_types: frozenset[str]
    max_actions: int = 50
    max_timeout: int = 300
    # Action types this deployment refuses, each with how to enable it (local tasks).
    refused_types: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # An action's type and data → what is wrong with the data (its connector's input spec).
    check_data: Callable[[str, dict[str, Any]], list[str]] | None = None
    # A template's source → why it does not compile (None when it does).
    check_template: Callable[[str], str | None] | None = None
    # A condition → why its value can never be compared by its operator (None when it can).
    check_condition: "Callable[[Condition], str | None] | None" = None


def _rules(info: ValidationInfo) -> ValidationRules | None:
    context = info.context
    return context.get("rules") if isinstance(context, dict) else None


class Operator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"
    GREATER_THAN_OR_EQUALS = "greater_than_or_equals"
    LESS_THAN_OR_EQUALS = "less_than_or_equals"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    IN_LIST = "in_list"
    NOT_IN_LIST = "not_in_list"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    BETWEEN = "between"
    MATCHES = "matches"
    BEFORE = "before"
    AFTER = "after"


OPERATOR_SYMBOLS = {
    "==": Operator.EQUALS,
    "!=": Operator.NOT_EQUALS,
    ">": Operator.GREATER_THAN,
    "<": Operator.LESS_THAN,
    ">=": Operator.GREATER_THAN_OR_EQUALS,
    "<=": Operator.LESS_THAN_OR_EQUALS,
}


def _operator_from_symbol(value: Any) -> Any:
    return OPERATOR_SYMBOLS.get(value, value) if isinstance(value, str) else value


class Strict(BaseModel):
    """Inputs refuse unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class Condition(Strict):
    """A test of one field of the run context (``cart_value greater_than 50``), or a group
    of conditions: ``all`` (every one true), ``any`` (one true) or ``not`` (negation)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    field: str | None = Field(None, min_length=1, max_length=256, examples=["user.email"])
    operator: Annotated[Operator | None, BeforeValidator(_operator_from_symbol)] = None
    value: Any = None
    all: "list[Condition] | None" = Field(None, min_length=1)
    any: "list[Condition] | None" = Field(None, min_length=1)
    negated: "Condition | None" = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> "Condition":
        groups = [g for g in (self.all, self.any, self.negated) if g is not None]
        if groups:
            if len(groups) > 1 or self.field is not None or self.operator is not None:
                raise PydanticCustomError(
                    "condition_form", "a group holds exactly one of all, any or not, and no field"
                )
            return self
        if self.field is None or self.operator is None:
            raise PydanticCustomError(
                "condition_form",
                "a condition needs field and operator, or one of all, any or not",
            )
        check = _VALUE_CHECKS.get(self.operator)
        if check is not None:
            check(self.value)
        return self

    @model_validator(mode="after")
    def _value_fits_operator(self, info: ValidationInfo) -> "Condition":
        rules = _rules(info)
        if rules is None or rules.check_condition is None:
            return self
        problem = rules.check_condition(self)
        if problem is not None:
            raise PydanticCustomError("condition_value", "{problem}", {"problem": problem})
        return self


def _check_list(value: Any) -> None:
    if not isinstance(value, list):
        raise PydanticCustomError("operator_value", "this operator needs a list as its value")


def _check_range(value: Any) -> None:
    if not (isinstance(value, list) and len(value) == 2):
        raise PydanticCustomError("operator_value", "between needs a value of [low, high]")


def _check_pattern(value: Any) -> None:
    if not isinstance(value, str) or len(value) > MAX_REGEX_LENGTH:
        raise PydanticCustomError(
            "operator_value",
            "matches needs a regular expression of at most {limit} characters",
            {"limit": MAX_REGEX_LENGTH},
        )
    try:
        re.compile(value)
    except re.error as exc:
        raise PydanticCustomError(
            "operator_value", "invalid regular expression: {reason}", {"reason": str(exc)}
        ) from None


_VALUE_CHECKS = {
    Operator.IN_LIST: _check_list,
    Operator.NOT_IN_LIST: _check_list,
    Operator.BETWEEN: _check_range,
    Operator.MATCHES: _check_pattern,
}


MAX_DELAY_SECONDS = 366 * 86400


def _check_delay(value: int | float | str) -> int | float | str:
    seconds = delay_seconds(value)
    if not 0 <= seconds <= MAX_DELAY_SECONDS:
        raise PydanticCustomError(
            "delay",
            "a delay is between 0 and {limit} seconds (366 days)",
            {"limit": MAX_DELAY_SECONDS},
        )
    return value


def delay_seconds(value: int | float | str) -> float:
    """Seconds of a delay given as a number or an ISO 8601 duration such as ``PT5M``."""
    return duration_seconds(value, "delay", "PT5M")


Delay = Annotated[StrictInt | StrictFloat | StrictStr, AfterValidator(_check_delay)]


class RetryPolicy(Strict):
    """Attempts of one action; the wait doubles after each failed attempt."""

    max_attempts: int = Field(3, ge=1, le=25)
    backoff: float = Field(60, ge=0, le=86400, description="Seconds before the second attempt.")
    max_backoff: float = Field(3600, ge=0, le=86400, description="Longest wait, in seconds.")


FIELD_PATH_PATTERN = r"^[A-Za-z0-9_\-]{1,64}(\.[A-Za-z0-9_\-]{1,64}){0,7}$"
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


MatchValue = Annotated[Any, AfterValidator(_match_value)]


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


class EventMatch(Strict):
    """An event of type ``event`` whose fields equal ``match``: dotted paths over the event
    (its data at the root, ``user``, ``event``) → values, templates rendered in the run's
    context (``{"user.id": "{{user.id}}"}``). Values compare as text."""

    event: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["purchase_completed"])
    match: dict[MatchPath, MatchValue] = Field(
        default_factory=dict, max_length=MAX_MATCH_FIELDS, examples=[{"user.id": "{{user.id}}"}]
    )

    def shape(self) -> tuple[str, tuple[str, ...]]:
        """The event type and the sorted match paths: what an arriving event is keyed by."""
        return self.event, tuple(sorted(self.match))


class WaitForEvent(EventMatch):
    """The ``data`` of a ``wait_for_event`` action."""

    timeout: Annotated[Delay, AfterValidator(_check_timeout)] = Field(
        description="Seconds, or an ISO 8601 duration, before the on_timeout actions run."
    )
    lookback: Annotated[Delay, AfterValidator(_check_lookback)] = Field(
        0,
        description="Seconds before the wait began in which an already accepted event also counts.",
    )


MAX_APPROVAL_MESSAGE = 2000


class ApprovalData(Strict):
    """The ``data`` of an ``approval`` action: how long the run waits for a decision, and
    what the people deciding are shown."""

    timeout: Annotated[Delay, AfterValidator(_check_timeout)] = Field(
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

    exit: bool = False


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

    items: str | list[Any] = Field(
        description="The list to go over: a template such as `{{ cart.items }}`, or a list."
    )
    max_iterations: int = Field(
        100, ge=1, le=MAX_LOOP_ITERATIONS, description="More items than this fail the step."
    )


MAX_BRANCHES = 10


class ParallelData(Strict):
    """The ``data`` of a ``parallel`` action: when its branches have joined."""

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
    data: dict[str, Any] = Field(
        default_factory=dict, description="The sub-run's event data (templates rendered)."
    )
    user: dict[str, Any] | str | None = Field(
        None, description="The sub-run's user (a template or an object); default: this run's."
    )
    wait: bool = Field(
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


def _parse(model: type[ModelT], data: dict[str, Any], code: str) -> ModelT:
    """The action's ``data`` as ``model``; errors name the field under ``data``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in ("data", *error["loc"]))
        raise PydanticCustomError(
            code, "{where}: {msg}", {"where": where, "msg": error["msg"]}
        ) from None


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
    "wait_for_event": WaitForEvent, "split": SplitData, "loop": LoopData,
    "parallel": ParallelData, "trigger_workflow": TriggerWorkflowData, "approval": ApprovalData,
}  # fmt: skip


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
    data: dict[str, Any] = Field(default_factory=dict)
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
        rules = _rules(info)
        if rules is not None and value in rules.refused_types:
            raise PydanticCustomError("action_disabled", rules.refused_types[value])
        if rules is not None and value not in rules.action_types:
            raise PydanticCustomError(
                "unknown_action_type",
                "unknown action type '{type}'; valid types: {valid}",
                {"type": value, "valid": ", ".join(sorted(rules.action_types))},
            )
        return value

    @model_validator(mode="after")
    def _data_matches_spec(self, info: ValidationInfo) -> "Action":
        rules = _rules(info)
        if rules is None or rules.check_data is None:
            return self
        problems = rules.check_data(self.type, self.data)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise PydanticCustomError(
                "action_data",
                "{problem}{more}; see GET /api/connectors for the inputs of '{type}'",
                {"problem": problems[0], "more": more, "type": self.type},
            )
        return self

    @model_validator(mode="after")
    def _templates_compile(self, info: ValidationInfo) -> "Action":
        rules = _rules(info)
        problems = [] if rules is None else template_problems(self.data, rules, ("data",))
        if problems:
            raise PydanticCustomError("template", "{problem}", {"problem": problems[0]})
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
    "otherwise": "else", "on_event": "event", "on_timeout": "timeout", "actions": "do",
    "on_approve": "approve", "on_reject": "reject",
}  # fmt: skip


def template_problems(value: Any, rules: ValidationRules, loc: tuple[str | int, ...]) -> list[str]:
    """Why each template string in ``value`` does not compile, naming its path and line:
    "data.variables.name: the template does not compile: unexpected '}' (line 1)"."""
    if rules.check_template is None:
        return []
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        problem = rules.check_template(value) if _is_template(value) else None
        where = ".".join(str(part) for part in loc)
        return [] if problem is None else [f"{where}: the template does not compile: {problem}"]
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


SCHEDULE = "schedule"
WAIT = "wait_for_event"
MAX_TRIGGERS = 10


class SegmentTarget(Strict):
    """A segment written in place: conditions over profile fields, as a saved segment's."""

    conditions: list[Condition] = Field(
        min_length=1,
        examples=[[{"field": "last_seen", "operator": "before", "value": "now-P7D"}]],
    )


class Trigger(Strict):
    """The event type that starts the workflow and the conditions it must meet; or, with
    ``type: "schedule"``, a ``cron`` expression or an ``interval``, in a ``timezone``, and
    optionally a ``segment`` whose every member gets a run at each firing."""

    id: str | None = Field(
        None, pattern=ID_PATTERN, description="Names the trigger in the runs it starts."
    )
    type: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["user_signup"])
    conditions: list[Condition] = Field(default_factory=list)
    cron: str | None = Field(None, max_length=128, examples=["0 9 * * 1-5"])
    interval: Delay | None = Field(None, description="Seconds, or an ISO 8601 duration.")
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Berlin"])
    segment: Annotated[str, Field(pattern=ID_PATTERN)] | SegmentTarget | None = Field(
        None,
        description="Start one run per member at each firing: a saved segment's id, or "
        '`{"conditions": [...]}` over profile fields.',
        examples=["inactive_7d"],
    )

    @model_validator(mode="after")
    def _schedule_fields(self) -> "Trigger":
        timing = [
            name for name in ("cron", "interval", "timezone", "segment") if getattr(self, name)
        ]
        if self.type != SCHEDULE:
            if timing:
                raise PydanticCustomError(
                    "schedule",
                    "cron, interval, timezone and segment belong to a schedule trigger",
                )
            return self
        if (self.cron is None) == (self.interval is None):
            raise PydanticCustomError("schedule", "a schedule needs either cron or interval")
        _check_schedule(self)
        return self


def _cron_fires(expression: str) -> bool:
    """Valid and able to fire (``0 0 30 2 *``, February 30th, is valid but never fires)."""
    if not croniter.is_valid(expression):
        return False
    try:
        croniter(expression).get_next()
    except (CroniterBadDateError, ValueError):
        return False
    return True


def _check_schedule(trigger: Trigger) -> None:
    if trigger.cron is not None and not _cron_fires(trigger.cron):
        raise PydanticCustomError(
            "schedule", "invalid cron expression '{cron}'", {"cron": trigger.cron}
        )
    if trigger.interval is not None and delay_seconds(trigger.interval) < 1:
        raise PydanticCustomError("schedule", "an interval is at least 1 second")
    if trigger.timezone is not None:
        try:
            ZoneInfo(trigger.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Etc" is a directory
            raise PydanticCustomError(
                "schedule",
                "unknown time zone '{tz}' (use an IANA name such as Europe/Berlin)",
                {"tz": trigger.timezone},
            ) from None


class WorkflowSettings(Strict):
    enabled: bool = True
    max_executions: int | None = Field(None, ge=1, description="Most runs this workflow starts.")
    timeout: int = Field(300, ge=1, description="Seconds of active execution per run.")
    idempotency_key: str | None = Field(
        None,
        max_length=512,
        description="A template (e.g. `{{order_id}}`): events rendering the same key within the "
        "idempotency window start one run.",
    )
    retry: RetryPolicy | None = Field(None, description="Default retry policy of every action.")
    concurrency: Concurrency | None = Field(None, description="Live runs at once, per key.")
    throttle: Throttle | None = Field(None, description="Run starts per period; more wait.")
    rate_limit: RateLimit | None = Field(None, description="Runs per period; more are dropped.")
    debounce: Debounce | None = Field(None, description="One run per burst of events.")
    priority: int = Field(
        0,
        ge=0,
        le=86400,
        description="Seconds of head start: when workers are busy, this workflow's runs are "
        "taken before other ready work queued up to this long before them.",
    )
    frequency_cap: FrequencyCap | None = Field(
        None, description="Messages per user per period, counted across workflows."
    )
    frequency_cap_exempt: bool = Field(
        False, description="Ignore the tenant's frequency cap (transactional messages)."
    )
    quiet_hours: QuietHours | None = Field(None, description="Local hours with no messages.")
    send_window: SendWindow | None = Field(None, description="Local hours and days to send in.")
    cancel_on: list[EventMatch] | None = Field(
        None,
        max_length=MAX_EXITS,
        description="Exit events: one of these, with the match rendered when the run started, "
        "cancels a live run at once, wherever it is (a delay, a wait, a step).",
        examples=[[{"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}]],
    )
    goal: Goal | None = Field(
        None,
        description="Conversion goal: the event marks a live run converted (recorded on the "
        "run); with `exit: true` it also ends the run, completed.",
    )
    on_error: Literal["fail", "continue", "compensate"] = Field(
        "fail",
        description="When a step fails for good (retries spent): `fail` the run; `continue` "
        "with the next action (the error is the step's `steps.<id>.error`); or `compensate`: "
        "run the `compensation` actions, then fail the run.",
    )
    compensation: list[Action] | None = Field(
        None, min_length=1, description="The actions `on_error: compensate` runs."
    )

    @model_validator(mode="after")
    def _compensation_with_compensate(self) -> "WorkflowSettings":
        if (self.on_error == "compensate") != (self.compensation is not None):
            raise PydanticCustomError(
                "on_error", "on_error: compensate and compensation actions go together"
            )
        return self

    @model_validator(mode="after")
    def _windows_meet(self) -> "WorkflowSettings":
        quiet, window = self.quiet_hours, self.send_window
        if quiet and window and not windows_meet(quiet.window(), window.window()):
            raise PydanticCustomError(
                "send_window", "quiet_hours cover all of send_window: nothing could be sent"
            )
        return self

    @model_validator(mode="after")
    def _templates_compile(self, info: ValidationInfo) -> "WorkflowSettings":
        rules = _rules(info)
        if rules is None:
            return self
        # Compensation actions check their own templates; no other setting holds "{{"
        # but the templated ones (idempotency_key, limiter keys, exit and goal matches).
        shown = self.model_dump(mode="json", exclude={"compensation"}, exclude_none=True)
        problems = template_problems(shown, rules, ())
        if problems:
            raise PydanticCustomError("template", "{problem}", {"problem": problems[0]})
        return self

    def listened(self) -> list[EventMatch]:
        """The events a run listens to while it lives: exits, then the goal."""
        return [*(self.cancel_on or []), *([self.goal] if self.goal else [])]

    @field_validator("timeout")
    @classmethod
    def _within_limit(cls, value: int, info: ValidationInfo) -> int:
        rules = _rules(info)
        if rules is not None and value > rules.max_timeout:
            raise PydanticCustomError(
                "limit",
                "timeout is over the limit of {limit} seconds",
                {"limit": rules.max_timeout},
            )
        return value


MAX_STUDIO_POSITIONS = 1000
NodeId = Annotated[str, Field(min_length=1, max_length=300)]


class StudioPosition(Strict):
    x: float = Field(ge=-1e7, le=1e7)
    y: float = Field(ge=-1e7, le=1e7)


class StudioLayout(Strict):
    """What the Studio keeps with a version and the engine never reads: where the nodes of
    its canvas stand (node id: an action's id, ``trigger``, ``join:<id>``, ...)."""

    positions: dict[NodeId, StudioPosition] = Field(
        default_factory=dict, max_length=MAX_STUDIO_POSITIONS
    )


class WorkflowDocument(Strict):
    """A workflow as users write it; the seed's format is accepted exactly as written."""

    workflow_id: str = Field(pattern=ID_PATTERN, examples=["welcome_campaign_001"])
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    trigger: Trigger
    triggers: list[Trigger] | None = Field(
        None,
        min_length=1,
        max_length=MAX_TRIGGERS,
        description="More triggers beside `trigger` (event types with their conditions, "
        "schedules): any one starts a run, which records which (`event.trigger`).",
    )
    actions: list[Action] = Field(min_length=1)
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)
    studio: StudioLayout | None = Field(
        None,
        description="The Studio's canvas layout (dragged node positions): kept with the "
        "version, ignored by the engine.",
    )

    @field_validator("workflow_id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_IDS:
            raise PydanticCustomError(
                "reserved_id",
                "'{id}' is reserved by the API; reserved ids: {reserved}",
                {"id": value, "reserved": ", ".join(sorted(RESERVED_IDS))},
            )
        return value

    @field_validator("actions")
    @classmethod
    def _actions(cls, actions: list[Action], info: ValidationInfo) -> list[Action]:
        rules = _rules(info)
        count = len(walk(actions))
        if rules is not None and count > rules.max_actions:
            raise PydanticCustomError(
                "limit",
                "{count} actions is over the limit of {limit} actions per workflow",
                {"count": count, "limit": rules.max_actions},
            )
        _check_unique_ids(actions)
        _assign_missing_ids(actions, "action")
        return actions

    @model_validator(mode="after")
    def _compensation_actions(self, info: ValidationInfo) -> "WorkflowDocument":
        compensation = self.settings.compensation
        if not compensation:
            return self
        everything = [*self.actions, *compensation]
        rules = _rules(info)
        count = len(walk(everything))
        if rules is not None and count > rules.max_actions:
            raise PydanticCustomError(
                "limit",
                "{count} actions (compensation included) is over the limit of {limit} "
                "actions per workflow",
                {"count": count, "limit": rules.max_actions},
            )
        _check_unique_ids(everything)
        _assign(compensation, "compensation", {action.id for action in walk(everything)})
        return self

    @model_validator(mode="after")
    def _trigger_ids(self) -> "WorkflowDocument":
        labels = [label for label, _ in self.all_triggers()]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise PydanticCustomError(
                "duplicate_id", "trigger id '{id}' is used twice", {"id": repeated[0]}
            )
        return self

    def all_triggers(self) -> list[tuple[str, Trigger]]:
        """Every trigger with the name runs record: its ``id``, else ``trigger`` for the
        seed's one and ``triggers.<n>`` for the others."""
        extra = [(one.id or f"triggers.{n}", one) for n, one in enumerate(self.triggers or [])]
        return [(self.trigger.id or "trigger", self.trigger), *extra]

    def scheduled(self) -> bool:
        """Whether any trigger is a schedule."""
        return any(trigger.type == SCHEDULE for _, trigger in self.all_triggers())

    def all_actions(self) -> list[Action]:
        """Every action, nested ones and compensation included."""
        return walk([*self.actions, *(self.settings.compensation or [])])

    def canonical(self) -> dict[str, Any]:
        """The JSON form: what the user wrote, plus assigned action ids, without defaults."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)

    def event_shapes(self) -> set[tuple[str, tuple[str, ...]]]:
        """(event type, match paths) of every event this workflow's runs may wait for or
        listen to: what an arriving event must be keyed by."""
        waits = [action.wait() for action in self.all_actions() if action.type == WAIT]
        return {match.shape() for match in [*waits, *self.settings.listened()]}


def walk(actions: list[Action]) -> list[Action]:
    """Every action, nested branches included, in document order."""
    found: list[Action] = []
    for action in actions:
        found.append(action)
        found.extend(walk(action.children()))
    return found


def _check_unique_ids(actions: list[Action]) -> None:
    seen: set[str] = set()
    for action in walk(actions):
        if action.id is not None and action.id in seen:
            raise PydanticCustomError(
                "duplicate_id", "action id '{id}' is used twice", {"id": action.id}
            )
        if action.id is not None:
            seen.add(action.id)


def _assign_missing_ids(actions: list[Action], prefix: str) -> None:
    """Name an unnamed action after its position (``action_002``, ``action_002_then_001``)."""
    taken = {action.id for action in walk(actions)}
    _assign(actions, prefix, taken)


def _assign(actions: list[Action], prefix: str, taken: set[str | None]) -> None:
    for position, action in enumerate(actions, start=1):
        if action.id is None:
            candidate, suffix = f"{prefix}_{position:03d}", 1
            while candidate in taken:
                suffix += 1
                candidate = f"{prefix}_{position:03d}_{suffix}"
            action.id = candidate
            taken.add(candidate)
        for name, arm in action.arms():
            _assign(arm, f"{action.id}_{name}", taken)
