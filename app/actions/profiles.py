"""``profiles``: the built-in connector of user profiles, segments and campaigns (the seed's
``update_user_profile``, ``create_segment`` and ``add_to_campaign``).

Each action is idempotent, so a retried step changes nothing twice: merging the same data
again changes no attribute, saving a segment again replaces it with itself, and a campaign
member is added once.
"""

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from pydantic import TypeAdapter, ValidationError

from app.actions.base import (
    ActionContext,
    ActionSpec,
    ConnectorAdapter,
    ConnectorError,
    ProfileBook,
)
from app.errors import InvalidInput, place, shown
from app.models import jsonc, patterns
from app.models.condition import Condition
from app.models.patterns import ID_PATTERN
from app.models.profile import USER_ID_MAX_LENGTH, SegmentDefinition, Touch

CONDITIONS = TypeAdapter(list[Condition])
ID = re.compile(ID_PATTERN)
USER_ID: dict[str, Any] = {
    "type": ["string", "integer"],
    "minLength": 1,
    "maxLength": USER_ID_MAX_LENGTH,
    "description": "Whose profile; default: the run's user (`user.id`).",
}
ID_SCHEMA: dict[str, Any] = {"type": "string", "pattern": ID_PATTERN}


def conditions_schema() -> dict[str, Any]:
    """The JSON Schema of a list of conditions, operator symbols (``>=``) included."""
    schema = CONDITIONS.json_schema(by_alias=True)
    return {**schema, "minItems": 1}


def _with_conditions(properties: dict[str, Any]) -> dict[str, Any]:
    listed = conditions_schema()
    return {
        "type": "object",
        "$defs": listed.pop("$defs"),
        "properties": {**properties, "conditions": listed},
        "required": ["segment_id", "conditions"],
        "additionalProperties": False,
    }


UPDATE_USER_PROFILE = ActionSpec(
    inputs={
        "type": "object",
        "properties": {
            "user_id": USER_ID,
            "profile_data": {
                "type": "object",
                "description": "Attributes to merge into the profile; `null` removes one.",
            },
        },
        "required": ["profile_data"],
        "additionalProperties": False,
    },
    outputs={
        "type": "object",
        "properties": {
            "user_id": {"type": "string"},
            "created": {"type": "boolean", "description": "The profile did not exist before."},
            "changed": {"type": "array", "items": {"type": "string"}},
            "attributes": {"type": "object", "description": "The profile's attributes now."},
        },
    },
    description="Merge data into a user's profile (created when missing).",
)
CREATE_SEGMENT = ActionSpec(
    inputs=_with_conditions(
        {
            "segment_id": {
                **ID_SCHEMA,
                "description": "The segment's id; saving it again replaces it.",
            },
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string", "maxLength": 2000},
        }
    ),
    outputs={
        "type": "object",
        "properties": {"segment_id": {"type": "string"}, "created": {"type": "boolean"}},
    },
    description="Save a named segment: conditions over profile fields (`plan`, `last_seen`).",
)
ADD_TO_CAMPAIGN = ActionSpec(
    inputs={
        "type": "object",
        "properties": {
            "campaign_id": {**ID_SCHEMA, "description": "Created with its first member."},
            "user_id": USER_ID,
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "The campaign's name when this adds its first member.",
            },
        },
        "required": ["campaign_id"],
        "additionalProperties": False,
    },
    outputs={
        "type": "object",
        "properties": {
            "campaign_id": {"type": "string"},
            "user_id": {"type": "string"},
            "added": {"type": "boolean", "description": "False: a member already."},
        },
    },
    description="Add a user (default: the run's user) to a campaign, once.",
)


def _user_id(params: dict[str, Any], context: ActionContext) -> str:
    value = params.get("user_id")
    if value is None:
        user = context.event.get("user")
        value = user.get("id") if isinstance(user, Mapping) else None
        if value is None:
            raise ConnectorError("data.user_id: not given, and the run has no user id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConnectorError("data.user_id: must be a string or an integer")
    user_id = str(value)
    if not 0 < len(user_id) <= USER_ID_MAX_LENGTH:
        raise ConnectorError(f"data.user_id: 1 to {USER_ID_MAX_LENGTH} characters")
    return user_id


def _book(context: ActionContext) -> ProfileBook:
    if context.services.profiles is None:
        raise ConnectorError("profiles are not available in this process")
    return context.services.profiles


def _object(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if not isinstance(value, dict):
        raise ConnectorError(f"data.{name}: must be an object")
    try:
        jsonc.check_values(value, ("data", name))
    except InvalidInput as exc:
        raise ConnectorError(exc.message) from None
    return value


async def update_user_profile(params: dict[str, Any], context: ActionContext) -> Any:
    touch = Touch(
        _user_id(params, context), _object(params, "profile_data"), context.services.clock.now()
    )
    change = await _book(context).update_profile(context.tenant_id, touch)
    if change.refused is not None:
        raise ConnectorError(f"data.profile_data: {change.refused}")
    return {
        "user_id": touch.user_id,
        "created": change.created,
        "changed": change.changed,
        "attributes": change.profile.attributes,
    }


def _id(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or ID.fullmatch(value) is None:
        raise ConnectorError(
            f"data.{name}: letters, digits, '_', '.' and '-', at most 128, not {shown(value)}"
        )
    return value


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _definition(segment_id: str, params: dict[str, Any]) -> SegmentDefinition:
    try:
        conditions = CONDITIONS.validate_python(params.get("conditions"))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = place(("data", "conditions", *error["loc"]))
        raise ConnectorError(f"{where}: {patterns.message(error)}") from None
    if not conditions:
        raise ConnectorError("data.conditions: at least one condition")
    saved = [c.model_dump(mode="json", exclude_unset=True, by_alias=True) for c in conditions]
    return SegmentDefinition(
        _text(params, "name") or segment_id, saved, _text(params, "description")
    )


async def create_segment(params: dict[str, Any], context: ActionContext) -> Any:
    segment_id = _id(params, "segment_id")
    segment, created = await _book(context).save_segment(
        context.tenant_id, segment_id, _definition(segment_id, params)
    )
    return {"segment_id": segment.segment_id, "created": created}


async def add_to_campaign(params: dict[str, Any], context: ActionContext) -> Any:
    campaign_id, user_id = _id(params, "campaign_id"), _user_id(params, context)
    added = await _book(context).add_to_campaign(
        context.tenant_id, campaign_id, user_id, context.services.clock.now(), _text(params, "name")
    )
    return {"campaign_id": campaign_id, "user_id": user_id, "added": added}


Handler = Callable[[dict[str, Any], ActionContext], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {
    "update_user_profile": update_user_profile,
    "create_segment": create_segment,
    "add_to_campaign": add_to_campaign,
}


class Profiles(ConnectorAdapter):
    code = "profiles"
    name = "Profiles"
    description = "User profiles (merged from every event), saved segments and campaigns."
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "update_user_profile": UPDATE_USER_PROFILE,
        "create_segment": CREATE_SEGMENT,
        "add_to_campaign": ADD_TO_CAMPAIGN,
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        handler = HANDLERS.get(action)
        if handler is None:
            raise ConnectorError(f"profiles has no action {action!r}")
        return await handler(params, context)
