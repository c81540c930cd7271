"""The connector registry: registration by call, decorator and entry point; input checks."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.actions import registry as registry_module
from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter
from app.actions.registry import (
    CUSTOM_ACTION,
    Registry,
    UnknownAction,
    default_registry,
    register_connector,
)
from app.errors import ErrorDetail, InvalidInput
from app.settings import Settings
from app.workflows import DocumentParser


class Echo(ConnectorAdapter):
    code = "echo"
    name = "Echo"
    description = "Answers its inputs."
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "send_sms": ActionSpec(
            inputs={"to": {"type": "string", "required": True}, "body": {"type": "string"}}
        ),
        "shout": ActionSpec(
            inputs={
                "type": "object",
                "properties": {"text": {"type": "string", "maxLength": 5}},
                "required": ["text"],
                "additionalProperties": False,
            }
        ),
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        return {"action": action, **params}


def test_a_connector_carries_the_top_level_types_it_names_and_custom_actions() -> None:
    registry = Registry([Echo])
    assert registry.find("send_sms") is registry.get("echo")
    assert registry.find("shout") is None  # not a top-level type: only through custom_action
    connector, action, inputs = registry.resolve(
        CUSTOM_ACTION, {"connector": "echo", "action": "shout", "params": {"text": "hi"}}
    )
    assert (connector.code, action, inputs) == ("echo", "shout", {"text": "hi"})
    with pytest.raises(UnknownAction, match="'erp'"):
        registry.resolve(CUSTOM_ACTION, {"connector": "erp", "action": "x"})
    with pytest.raises(UnknownAction, match="send_email"):
        registry.resolve("send_email", {})


def test_input_problems_name_the_field_and_skip_values_known_only_at_run_time() -> None:
    registry = Registry([Echo])

    def problems(action_type: str, data: dict[str, Any]) -> list[str]:
        return [str(problem) for problem in registry.problems(action_type, data)]

    assert problems("send_sms", {"body": "x"}) == ["data.to: 'to' is a required property"]
    assert problems("send_sms", {"to": 5}) == ["data.to: 5 is not of type 'string'"]
    assert problems("send_sms", {"to": "{{user.phone}}"}) == []
    assert problems("send_sms", {"to": {"$secret": "OPS_PHONE"}}) == []
    shout = {"connector": "echo", "action": "shout", "params": {"text": "too long", "x": 1}}
    assert problems(CUSTOM_ACTION, shout) == [
        "data.params.text: 'too long' is too long",
        "data.params: Additional properties are not allowed ('x' was unexpected)",
    ]
    unknown = problems(CUSTOM_ACTION, {"connector": "nope", "action": "x"})
    assert unknown == ["data: no installed connector 'nope' with an action 'x'; installed: echo"]
    assert problems(CUSTOM_ACTION, {"action": "x"}) == [
        "data.connector: 'connector' is a required property"
    ]
    bad_reference = {"to": {"$secret": "OPS_PHONE", "x": 1}}
    assert problems("send_sms", bad_reference) == [
        'data.to: a secret reference is exactly {"$secret": "NAME"}'
    ]


def test_the_catalogue_gives_json_schemas_and_how_to_run_each_action() -> None:
    (echo,) = Registry([Echo]).catalogue()
    actions = {action["name"]: action for action in echo["actions"]}
    assert actions["send_sms"]["action_type"] == "send_sms"
    assert actions["shout"]["action_type"] == CUSTOM_ACTION
    assert actions["send_sms"]["input_schema"] == {
        "type": "object",
        "properties": {"to": {"type": "string"}, "body": {"type": "string"}},
        "required": ["to"],
    }


def test_a_connector_without_a_code_or_actions_is_refused() -> None:
    class Nameless(ConnectorAdapter):
        pass

    with pytest.raises(ValueError, match="Nameless needs a code"):
        Registry([Nameless])


def test_an_unready_written_for_the_old_two_arguments_is_refused_naming_the_fix() -> None:
    class Before(Echo):
        def unready(self, action: str, context: ActionContext) -> str | None:  # type: ignore[override]
            return None

    with pytest.raises(ValueError, match="cannot be called as unready") as refused:
        Registry([Before])
    assert str(refused.value) == (
        "Before.unready(action: str, context: app.actions.base.ActionContext) -> str | None "
        "cannot be called as unready(action, params, context): give it the step's params as "
        "its second argument, `def unready(self, action, params, context)` "
        "(docs/connectors.md, Checks before a run)"
    )

    class Now(Echo):
        def unready(self, action: str, *rest: Any) -> str | None:
            return None

    assert Registry([Now]).get("echo") is not None


def test_decorated_connectors_join_every_registry_built_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry_module, "_registered", [])

    @register_connector
    class Late(Echo):
        code = "late"

    assert default_registry().get("late") is not None
    assert Registry().get("late") is None


def test_installed_packages_are_found_through_their_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution's metadata on sys.path, as pip would leave it, declaring the example
    package's connector."""
    example = Path(__file__).parents[2] / "examples" / "connectors" / "legacy_erp"
    info = tmp_path / "automator_legacy_erp-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: automator-legacy-erp\n")
    (info / "entry_points.txt").write_text(
        "[automator.connectors]\nlegacy_erp = automator_legacy_erp:LegacyERPAdapter\n"
    )
    monkeypatch.syspath_prepend(str(example))
    monkeypatch.syspath_prepend(str(tmp_path))
    connector = default_registry().get("legacy_erp")
    assert connector is not None
    assert connector.name == "Legacy ERP System"


def test_a_broken_entry_point_stops_the_start_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "broken-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\n")
    (info / "entry_points.txt").write_text("[automator.connectors]\nbad = no_such_module:X\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match="cannot load connector entry point 'bad'"):
        default_registry()


def test_a_problems_override_still_returning_text_is_named_at_the_action() -> None:
    # Written before problems were located (list[str]): a save failed with AttributeError.
    class Worded(ActionSpec):
        def problems(self, params: Mapping[str, Any]) -> list[str]:  # type: ignore[override]
            sku = params.get("sku")
            return [] if str(sku).isdigit() else ["data.sku: an ERP article number is digits"]

    class Older(Echo):
        code = "older"
        actions: ClassVar[Mapping[str, ActionSpec]] = {"order": Worded()}

    parser = DocumentParser.from_settings(Settings(_env_file=None), Registry([Older]))
    order = {"connector": "older", "action": "order", "params": {"sku": "x"}}
    document = {
        "workflow_id": "w",
        "name": "W",
        "trigger": {"type": "t"},
        "actions": [{"id": "order", "type": CUSTOM_ACTION, "data": order}],
    }
    with pytest.raises(InvalidInput) as refused:
        parser.validate(document)
    assert refused.value.details == [
        ErrorDetail(
            ("actions", 0),
            "data.sku: an ERP article number is digits; see GET /api/connectors for the inputs "
            "of 'custom_action'",
        )
    ]
    parser.validate(
        document
        | {
            "actions": [
                {"id": "order", "type": CUSTOM_ACTION, "data": order | {"params": {"sku": "12"}}}
            ]
        }
    )
