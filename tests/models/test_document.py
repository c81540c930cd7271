from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from app.actions.registry import action_types
from app.errors import InvalidInput
from app.models import jsonc
from app.models.document import WorkflowDocument
from app.models.validation import ValidationRules, delay_seconds
from app.workflows import DocumentParser
from tests.conftest import SEEDS

RULES = ValidationRules(action_types=frozenset({"send_email", "send_push", "delay"}))
PARSER = DocumentParser(RULES, max_bytes=10 * 1024 * 1024)


def minimal(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "workflow_id": "wf",
        "name": "A workflow",
        "trigger": {"type": "user_signup"},
        "actions": [{"type": "send_email"}],
    }
    return {**document, **changes}


def without_assigned_ids(canonical: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    actions = [
        {k: v for k, v in action.items() if k != "id" or "id" in written}
        for action, written in zip(canonical["actions"], original["actions"], strict=True)
    ]
    return {**canonical, "actions": actions}


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.json")), ids=lambda p: p.stem)
def test_seed_documents_parse_and_round_trip_unchanged(path: Path) -> None:
    parser = DocumentParser(ValidationRules(action_types()), max_bytes=10 * 1024 * 1024)
    raw = path.read_bytes()
    canonical = parser.parse(raw).canonical()
    assert without_assigned_ids(canonical, jsonc.loads(raw)) == jsonc.loads(raw)
    assert parser.validate(canonical).canonical() == canonical


def test_missing_action_ids_are_assigned_by_position_without_clashing() -> None:
    document = PARSER.validate(
        minimal(actions=[{"type": "send_email"}, {"id": "action_001", "type": "send_push"}])
    )
    assert [action.id for action in document.actions] == ["action_001_2", "action_001"]
    assert document.canonical()["actions"][0]["id"] == "action_001_2"


def test_fifty_one_actions_names_the_limit() -> None:
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(actions=[{"type": "send_email"}] * 51))
    assert caught.value.details[0].loc == ("actions",)
    assert "51 actions is over the limit of 50" in str(caught.value)


def test_unknown_action_type_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(actions=[{"type": "send_email"}, {"type": "send_fax"}]))
    detail = caught.value.details[0]
    assert detail.loc == ("actions", 1, "type")
    assert detail.msg == "unknown action type 'send_fax'; valid types: delay, send_email, send_push"


def test_an_unknown_action_type_is_quoted_as_written_not_as_placeholders() -> None:
    # pydantic-core filled "{valid}" in the type with the list of valid types.
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(actions=[{"type": "{valid}"}]))
    assert caught.value.details[0].msg.startswith("unknown action type '{valid}'; valid types:")


def test_condition_errors_name_the_json_path() -> None:
    trigger = {
        "type": "x",
        "conditions": [
            {"field": "a", "operator": "equals", "value": 1},
            {"any": [{"field": "b", "operator": "between", "value": 3}]},
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(trigger=trigger))
    detail = caught.value.details[0]
    assert detail.loc == ("trigger", "conditions", 1, "any", 0, "value")
    assert detail.msg == "between needs a value of [low, high]: write [10, 100]"


def test_a_blank_condition_field_says_what_to_write() -> None:
    trigger = {"type": "x", "conditions": [{"field": "", "operator": "exists"}]}
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(trigger=trigger))
    detail = caught.value.details[0]
    assert detail.loc == ("trigger", "conditions", 0, "field")
    assert detail.msg == (
        "empty: write the field the condition tests, such as cart.total or user.email"
    )


def test_groups_and_symbol_operators_are_accepted() -> None:
    trigger = {
        "type": "x",
        "conditions": [{"not": {"all": [{"field": "a", "operator": ">=", "value": 1}]}}],
    }
    document = PARSER.validate(minimal(trigger=trigger))
    assert document.canonical()["trigger"]["conditions"][0]["not"]["all"][0]["operator"] == (
        "greater_than_or_equals"
    )


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "a"}, "needs field and operator"),
        ({"all": [], "field": "a"}, "at least 1 item"),
        ({"field": "a", "operator": "matches", "value": "("}, "invalid regular expression"),
        ({"field": "a", "operator": "in_list", "value": "x"}, "needs a list"),
        ({"field": "a", "operator": "resembles"}, "Input should be"),
    ],
)
def test_bad_conditions_are_refused(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        PARSER.validate(minimal(trigger={"type": "x", "conditions": [condition]}))


def test_delays_are_seconds_or_iso_8601_durations() -> None:
    assert delay_seconds(300) == 300
    assert delay_seconds("PT5M") == 300
    assert delay_seconds("P1D") == 86400
    for bad in ("soon", -1, True):
        with pytest.raises(ValidationError):
            WorkflowDocument.model_validate(minimal(actions=[{"type": "send_email", "delay": bad}]))
    # What a marketer types first, answered with both forms to type instead.
    typed = minimal(actions=[{"type": "send_email", "delay": "5 minutes"}])
    with pytest.raises(ValidationError, match=r"duration, e\.g\. 300 or PT5M"):
        WorkflowDocument.model_validate(typed)


def test_unknown_fields_and_reserved_ids_are_refused() -> None:
    with pytest.raises(Exception, match="Extra inputs are not permitted"):
        PARSER.validate(minimal(trigger={"type": "x", "condition": []}))
    with pytest.raises(Exception, match="'status' is reserved"):
        PARSER.validate(minimal(workflow_id="status"))


def test_timeout_over_the_limit_names_it() -> None:
    with pytest.raises(Exception, match="over the limit of 300 seconds"):
        PARSER.validate(minimal(settings={"timeout": 301}))


def waiting(data: dict[str, Any], **branches: Any) -> dict[str, Any]:
    return minimal(actions=[{"id": "w", "type": "wait_for_event", "data": data, **branches}])


EVERY_TYPE = DocumentParser(ValidationRules(action_types()), max_bytes=1024 * 1024)
PURCHASE = {"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}, "timeout": "P1D"}


def test_a_wait_names_its_branches_and_its_event_shape() -> None:
    document = WorkflowDocument.model_validate(
        waiting(PURCHASE, on_event=[{"type": "log"}], on_timeout=[{"type": "send_email"}])
    )
    action = document.actions[0]
    assert [a.id for a in action.children()] == ["w_event_001", "w_timeout_001"]
    assert document.event_shapes() == {("purchase_completed", ("user.id",))}
    assert document.canonical()["actions"][0]["data"] == PURCHASE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"event": "p"}, "data.timeout: Field required"),
        ({"event": "p", "timeout": 0}, "data.timeout: a wait's timeout is more than 0 seconds"),
        ({"event": "p", "timeout": 5, "lookback": "P31D"}, "data.lookback: lookback is at most"),
        ({"event": "p", "timeout": 5, "match": {"user.id": ["a"]}}, "data.match.user.id: a match"),
        ({"event": "p", "timeout": 5, "match": {"a..b": 1}}, "data.match.a..b"),
        (
            {"event": "bad type!", "timeout": 5},
            "data.event: should be 1 to 128 letters, digits, '_', '.', ':' or '-'",
        ),
        ({"event": "p", "timeout": 5, "matches": {}}, "data.matches: Extra inputs"),
    ],
)
def test_bad_waits_are_refused_naming_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        EVERY_TYPE.validate(waiting(data))
    assert f"actions.0.{message}" in str(caught.value.details[0])


def test_branches_belong_to_their_action_type() -> None:
    with pytest.raises(InvalidInput, match="only a wait_for_event action takes on_event"):
        EVERY_TYPE.validate(minimal(actions=[{"type": "send_email", "on_timeout": []}]))
    with pytest.raises(InvalidInput, match="only a condition action takes then / else"):
        EVERY_TYPE.validate(waiting(PURCHASE, then=[]))


def test_exits_and_goals_are_event_shapes_and_bounded() -> None:
    exit_on = {"event": "unsubscribed", "match": {"user.id": "{{user.id}}"}}
    document = WorkflowDocument.model_validate(
        minimal(settings={"cancel_on": [exit_on], "goal": {**PURCHASE_GOAL, "exit": True}})
    )
    assert document.event_shapes() == {
        ("unsubscribed", ("user.id",)),
        ("purchase_completed", ("order.user",)),
    }
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(settings={"cancel_on": [exit_on] * 11}))
    assert caught.value.details[0].loc == ("settings", "cancel_on")
    with pytest.raises(InvalidInput, match="Extra inputs are not permitted"):
        PARSER.validate(minimal(settings={"goal": {**PURCHASE_GOAL, "timeout": 5}}))


PURCHASE_GOAL = {"event": "purchase_completed", "match": {"order.user": "{{user.id}}"}}


def test_split_and_loop_hold_their_actions_and_check_their_data() -> None:
    split = {
        "id": "ab",
        "type": "split",
        "data": {"holdout": 10},
        "variants": [{"name": "a", "actions": [{"type": "log"}]}, {"name": "b"}],
    }
    loop = {
        "id": "each",
        "type": "loop",
        "data": {"items": "{{ xs }}"},
        "actions": [{"type": "log"}],
    }
    document = EVERY_TYPE.validate(minimal(actions=[split, loop]))
    assert [a.id for a in document.actions[0].children()] == ["ab_a_001"]
    assert [a.id for a in document.actions[1].children()] == ["each_do_001"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"type": "split"}, "a split action needs variants"),
        ({"type": "split", "variants": [{"name": "a"}, {"name": "a"}]}, "variant names are unique"),
        ({"type": "split", "variants": [{"name": "holdout"}]}, "not 'holdout'"),
        ({"type": "split", "data": {"holdout": 100}, "variants": [{"name": "a"}]}, "data.holdout"),
        ({"type": "split", "variants": [{"name": "a", "weight": 0}]}, "greater than 0"),
        ({"type": "loop", "data": {"items": [], "max_iterations": 1001}}, "data.max_iterations"),
        ({"type": "loop"}, "data.items: Field required"),
        ({"type": "log", "variants": [{"name": "a"}]}, "only a split action takes variants"),
        ({"type": "log", "actions": []}, "only a loop action takes actions"),
    ],
)
def test_bad_splits_and_loops_are_refused(action: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        EVERY_TYPE.validate(minimal(actions=[action]))
    assert message in str(caught.value.details[0])


def test_compensation_actions_get_ids_and_count_toward_the_limit() -> None:
    settings = {"on_error": "compensate", "compensation": [{"type": "send_email"}]}
    document = PARSER.validate(minimal(settings=settings))
    assert document.canonical()["settings"]["compensation"][0]["id"] == "compensation_001"
    many = {**settings, "compensation": [{"type": "send_email"}] * 50}
    with pytest.raises(InvalidInput, match="51 actions \\(compensation included\\)"):
        PARSER.validate(minimal(settings=many))
    clash = {**settings, "compensation": [{"id": "a", "type": "send_email"}]}
    with pytest.raises(InvalidInput, match="action id 'a' is used twice"):
        PARSER.validate(minimal(actions=[{"id": "a", "type": "send_email"}], settings=clash))
    with pytest.raises(InvalidInput, match="go together"):
        PARSER.validate(minimal(settings={"compensation": [{"type": "send_email"}]}))


def test_the_studio_layout_is_kept_with_the_document() -> None:
    studio = {"positions": {"trigger": {"x": 0, "y": -80.5}, "action_001": {"x": 240, "y": 40}}}
    canonical = PARSER.parse(orjson.dumps(minimal(studio=studio))).canonical()
    assert canonical["studio"] == studio


def test_a_studio_position_without_its_y_names_the_field() -> None:
    bad = minimal(studio={"positions": {"trigger": {"x": 1}}})
    with pytest.raises(InvalidInput) as caught:
        PARSER.parse(orjson.dumps(bad))
    assert [d.loc for d in caught.value.details] == [("studio", "positions", "trigger", "y")]


def test_an_approval_takes_its_three_branches_and_only_it_takes_on_approve() -> None:
    approval = {
        "type": "approval",
        "data": {"timeout": "P1D"},
        "on_approve": [{"type": "stop"}],
        "on_reject": [],
        "on_timeout": [{"type": "stop"}],
    }
    document = EVERY_TYPE.validate(minimal(actions=[approval]))
    arms = document.actions[0].arms()
    assert [name for name, _ in arms] == ["approve", "reject", "timeout"]
    assert document.actions[0].approval().timeout == "P1D"
    with pytest.raises(InvalidInput, match="approval action takes on_approve"):
        EVERY_TYPE.validate(minimal(actions=[{"type": "send_email", "on_approve": []}]))
    with pytest.raises(
        InvalidInput, match=r"data\.timeout \(in a.*\): a wait.s timeout is more than 0"
    ):
        EVERY_TYPE.validate(minimal(actions=[{"type": "approval", "data": {"timeout": 0}}]))


PAID = {"field": "plan", "operator": "equals", "value": "paid"}


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ({"type": "delay", "data": {"seconds": 600}}, 'give the action its own "delay"'),
        (
            {"type": "condition", "conditions": [PAID], "data": {"field": "plan"}, "then": []},
            'it branches on its own "conditions"',
        ),
    ],
)
def test_data_no_run_reads_is_refused_saying_what_to_write(
    action: dict[str, Any], said: str
) -> None:
    # Saved, such data was ignored by every run: the delay above waited nothing.
    with pytest.raises(InvalidInput) as caught:
        EVERY_TYPE.validate(minimal(actions=[action]))
    detail = caught.value.details[0]
    assert detail.loc == ("actions", 0, "data", next(iter(action["data"])))
    assert said in detail.msg
    # A document read back is not judged again: one saved before still loads.
    WorkflowDocument.model_validate(minimal(actions=[action]))


def test_a_value_that_is_not_an_object_is_told_so_in_jsons_words() -> None:
    # Was "Input should be a valid dictionary": Python's word for an object.
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(actions=[{"type": "send_email", "data": ["to"]}]))
    detail = caught.value.details[0]
    assert (detail.loc, detail.msg) == (("actions", 0, "data"), "should be a JSON object")
