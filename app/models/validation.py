"""What every part of a workflow document is validated with: the id patterns, the
deployment's ``ValidationRules`` (read from the Pydantic validation context, so the models stay
free of settings and registries; documents read back from the store are validated without
them), the strict base model and delays."""

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.errors import ErrorDetail, shown
from app.models.flow import (
    duration_schema,
    duration_seconds,
)
from app.models.patterns import TAG_PATTERN

if TYPE_CHECKING:
    from app.models.condition import Condition

MAX_REGEX_LENGTH = 256
# Path segments of the workflow API that a workflow id would shadow.
RESERVED_IDS = frozenset({"status", "logs", "export", "import", "validate"})
MAX_TAGS = 20


def _tags(tags: list[str]) -> list[str]:
    for tag in tags:
        if not re.fullmatch(TAG_PATTERN, tag):
            raise PydanticCustomError(
                "tag",
                "tag {tag} must be 1 to 40 lowercase letters, digits, '_', '.', ':' or '-', "
                "starting with a letter or digit",
                {"tag": shown(tag)},
            )
    if len(set(tags)) < len(tags):
        raise PydanticCustomError("tag", "each tag may appear once")
    return tags


Tags = Annotated[
    list[StrictStr],
    Field(
        max_length=MAX_TAGS,
        examples=[["onboarding", "emea"]],
        json_schema_extra={
            "items": {"type": "string", "pattern": TAG_PATTERN},
            "uniqueItems": True,
        },
    ),
    AfterValidator(_tags),
]


@dataclass(frozen=True)
class ValidationRules:
    """Configuration-dependent checks applied when a document is saved."""

    action_types: frozenset[str]
    max_actions: int = 50
    max_timeout: int = 300
    # Action types this deployment refuses, each with how to enable it (local tasks).
    refused_types: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # An action's type and data → what is wrong with the data (its connector's input spec),
    # each at its location in the action (``("data", "url")``).
    check_data: Callable[[str, dict[str, Any]], list[ErrorDetail]] | None = None
    # A template's source → why it does not compile (None when it does).
    check_template: Callable[[str], str | None] | None = None
    # A condition → why its value can never be compared by its operator, located within the
    # condition (``("value",)``); None when it can.
    check_condition: "Callable[[Condition], ErrorDetail | None] | None" = None


def rules_of(info: ValidationInfo) -> ValidationRules | None:
    """The deployment's rules when a document is being saved; None when read back."""
    context = info.context
    return context.get("rules") if isinstance(context, dict) else None


def refusal(
    code: str, problems: Sequence[ErrorDetail], template: str = "{problem}", **context: str
) -> ValidationError:
    """A validator's refusal of fields within its model, each at its own location: raised
    in a validator, pydantic-core puts each under the model's (pydantic-core #510), so a
    client is told ``actions.0.data.url``, not ``actions.0``. ``template`` words each
    problem (``{problem}`` and the ``context``), in one pass: pydantic-core fills its
    placeholders one after another, so a ``{type}`` in the refused value would be filled
    too."""
    return ValidationError.from_exception_data(
        code,
        [
            InitErrorDetails(
                type=PydanticCustomError(
                    code, "{said}", {"said": template.format(problem=problem.msg, **context)}
                ),
                loc=problem.loc,
                input=None,
            )
            for problem in problems
        ],
    )


class Strict(BaseModel):
    """Inputs refuse unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid")


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
    return duration_seconds(value, "delay", "300 or PT5M")


Delay = Annotated[
    StrictInt | StrictFloat | StrictStr,
    AfterValidator(_check_delay),
    duration_schema(0, MAX_DELAY_SECONDS),
]
