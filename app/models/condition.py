"""A condition of a trigger or an action: one field tested by an operator, or a group."""

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from app.errors import ErrorDetail
from app.models import jsonc
from app.models.validation import MAX_REGEX_LENGTH, Strict, refusal, rules_of


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

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The names, and the symbols read as them (``>=``): the schema takes what a
        condition takes."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["enum"] = [*schema["enum"], *OPERATOR_SYMBOLS]
        return schema


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


def _written(value: Any) -> Any:
    """A blank field says what to write (pydantic's own words, "String should have at least
    1 character", are what a new condition's empty box showed a marketer)."""
    if value == "":
        raise PydanticCustomError(
            "field_empty",
            "empty: write the field the condition tests, such as cart.total or user.email",
        )
    return value


_ABSENT: dict[str, Any] = {"type": "null"}
_GROUPS = ("all", "any", "not")


def _group_form(group: str) -> dict[str, Any]:
    others = {name: _ABSENT for name in ("field", "operator", *_GROUPS) if name != group}
    return {"required": [group], "properties": {group: {"not": _ABSENT}, **others}}


def _operator_needs(operator: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "if": {"required": ["operator"], "properties": {"operator": {"const": operator}}},
        "then": {"required": ["value"], "properties": {"value": value}},
    }


# The schema says what `_one_form` and `_VALUE_CHECKS` check: a field with an operator, or
# exactly one group; the value the list, range and pattern operators need.
CONDITION_FORMS: dict[str, Any] = {
    "allOf": [
        _operator_needs("in_list", {"type": "array"}),
        _operator_needs("not_in_list", {"type": "array"}),
        _operator_needs("between", {"type": "array", "minItems": 2, "maxItems": 2}),
        _operator_needs(
            "matches", {"type": "string", "format": "regex", "maxLength": MAX_REGEX_LENGTH}
        ),
    ],
    "oneOf": [
        {
            "required": ["field", "operator"],
            "properties": {
                "field": {"not": _ABSENT},
                "operator": {"not": _ABSENT},
                **{group: _ABSENT for group in _GROUPS},
            },
        },
        *(_group_form(group) for group in _GROUPS),
    ],
}


class Condition(Strict):
    """A test of one field of the run context (``cart_value greater_than 50``), or a group
    of conditions: ``all`` (every one true), ``any`` (one true) or ``not`` (negation)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        serialize_by_alias=True,
        json_schema_extra=CONDITION_FORMS,
    )

    field: Annotated[str | None, BeforeValidator(_written)] = Field(
        None, min_length=1, max_length=256, examples=["user.email"]
    )
    operator: Annotated[Operator | None, BeforeValidator(_operator_from_symbol)] = None
    value: Annotated[jsonc.FreeJson, AfterValidator(jsonc.storable_field)] = None
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
        problem = None if check is None else check(self.operator, self.value)
        if problem is not None:
            raise refusal("operator_value", [ErrorDetail(("value",), problem)])
        return self

    @model_validator(mode="after")
    def _value_fits_operator(self, info: ValidationInfo) -> "Condition":
        rules = rules_of(info)
        if rules is None or rules.check_condition is None:
            return self
        problem = rules.check_condition(self)
        if problem is not None:
            raise refusal("condition_value", [problem])
        return self


# What the value of the operators that need a list, a range or a pattern must be; each
# problem is the value's, located at it (``conditions.0.value``) as the Studio marks it.


def _check_list(operator: Operator, value: Any) -> str | None:
    if isinstance(value, list):
        return None
    return f'{operator.value} needs a list as its value: write ["gold", "silver"]'


def _check_range(operator: Operator, value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 2:
        return None
    return "between needs a value of [low, high]: write [10, 100]"


def _check_pattern(operator: Operator, value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_REGEX_LENGTH:
        return f"matches needs a regular expression of at most {MAX_REGEX_LENGTH} characters"
    try:
        re.compile(value)
    except re.error as exc:
        return f"invalid regular expression: {exc}; put \\ before a character meant as itself: \\( or \\["
    return None


_VALUE_CHECKS = {
    Operator.IN_LIST: _check_list,
    Operator.NOT_IN_LIST: _check_list,
    Operator.BETWEEN: _check_range,
    Operator.MATCHES: _check_pattern,
}
