"""The workflow document: the seed format (``workflow_id``, ``trigger``, ``actions``,
``settings``), validated; its parts are in ``validation``, ``condition``, ``action``,
``trigger`` and ``workflow_settings``."""

from typing import Annotated, Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models.action import Action
from app.models.patterns import ID_PATTERN
from app.models.trigger import MAX_TRIGGERS, SCHEDULE, WAIT, Trigger
from app.models.validation import MAX_TAGS, RESERVED_IDS, Strict, Tags, rules_of
from app.models.workflow_settings import WorkflowSettings

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
    tags: Tags = Field(
        default_factory=list,
        description=f"Short labels (at most {MAX_TAGS}) to sort and filter workflows by "
        "(`GET /api/workflows?tag=`) and to limit API keys to (a key limited to a tag sees "
        "the workflows carrying it). The workflow's tags are its newest version's.",
    )
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

    @field_validator("actions", mode="before")
    @classmethod
    def _some_action(cls, value: Any) -> Any:
        # Before min_length, whose "List should have at least 1 item after validation, not
        # 0" a person starting a workflow from a blank canvas read as about the trigger.
        if value == []:
            raise PydanticCustomError(
                "no_action",
                "the workflow has no action yet: add at least one (send_email, "
                "webhook_call, delay, condition...)",
            )
        return value

    @field_validator("actions")
    @classmethod
    def _actions(cls, actions: list[Action], info: ValidationInfo) -> list[Action]:
        rules = rules_of(info)
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
        rules = rules_of(info)
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
