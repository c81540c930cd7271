"""A workflow's tasks as Automator actions, in order: each action's id is its task's name, a
task's ``skip_conditions`` its conditions, and a task may refer to the results of the tasks
before it. The control tasks (conditional, loop, wait, log) are here; the ones that act are
in ``calls``."""

from dataclasses import replace
from typing import Any

from app.errors import shown
from app.task_config.calls import (
    Translated,
    Translator,
    email_task,
    file_task,
    http_task,
    shell_task,
    transform_task,
)
from app.task_config.references import REFERENCE, RESULT_SUFFIX, Result, Scope
from app.task_config.refusal import Refusal, only, within

TASK_KEYS = ("type", "name", "description", "config")
SKIP_KEYS = ("context_key", "value")
OPERATORS = {
    **{name: "equals" for name in ("equals", "==", "eq", "equal")},
    **{name: "not_equals" for name in ("not_equals", "!=", "ne", "not_equal")},
    **{name: "greater_than" for name in ("greater_than", ">", "gt")},
    **{name: "less_than" for name in ("less_than", "<", "lt")},
    **{name: "greater_than_or_equals" for name in ("greater_than_or_equals", ">=", "gte", "ge")},
    **{name: "less_than_or_equals" for name in ("less_than_or_equals", "<=", "lte", "le")},
    **{name: "in_list" for name in ("in", "in_list")},
    **{name: "not_in_list" for name in ("not_in", "not_in_list")},
    **{name: "matches" for name in ("matches", "regex")},
    **{
        name: name
        for name in (
            "contains",
            "not_contains",
            "starts_with",
            "ends_with",
            "is_empty",
            "is_not_empty",
            "exists",
            "not_exists",
        )
    },
}
WITHOUT_VALUE = frozenset({"is_empty", "is_not_empty", "exists", "not_exists"})


def actions_of(tasks: Any, scope: Scope) -> list[dict[str, Any]]:
    """The actions of a list of tasks, each seeing the results of those before it."""
    if not isinstance(tasks, list) or not tasks:
        raise Refusal("'tasks' is a list of at least one task")
    names = {task.get("name") for task in tasks if isinstance(task, dict)}
    scope = replace(scope, later=scope.later | {name for name in names if isinstance(name, str)})
    actions = []
    for position, task in enumerate(tasks):
        with within(position):
            action, result = _action(task, scope)
        actions.append(action)
        scope = scope.after(action["id"], result)
    return actions


def _action(task: Any, scope: Scope) -> tuple[dict[str, Any], Result | None]:
    task = only(task, TASK_KEYS, "a task")
    name = task.get("name")
    if not isinstance(name, str) or not name:
        raise Refusal(
            "a task needs a 'name' (text): it becomes its action's id, and "
            "${<name>_result} refers to its result"
        )
    translate = _translator(task.get("type"))
    with within("config"):
        config = task.get("config", {})
        if not isinstance(config, dict):
            raise Refusal("a task's 'config' is an object ({...})")
        config = dict(config)
        conditions = _skip_conditions(config.pop("skip_conditions", None), scope)
        translated = translate(name, config, scope)
    action = {"id": name, **translated.action}
    if isinstance(task.get("description"), str):
        action["name"] = task["description"]
    if conditions:
        action["conditions"] = conditions
    return action, translated.result


def _translator(kind: Any) -> Translator:
    key = kind.lower().replace("_", "").removesuffix("task") if isinstance(kind, str) else ""
    if key not in TRANSLATORS:
        known = ", ".join(TYPE_NAMES)
        raise Refusal(
            f"task type {shown(kind)} has no translation (known: {known}); a task type of your "
            "own becomes an Automator connector (docs/connectors.md), run by a custom_action",
            ("type",),
        )
    return TRANSLATORS[key]


def _skip_conditions(items: Any, scope: Scope) -> list[dict[str, Any]]:
    """Seed 002 skips a task when any skip condition's context value equals its value:
    the action runs only when none does."""
    if items is None:
        return []
    with within("skip_conditions"):
        if not isinstance(items, list):
            raise Refusal("'skip_conditions' is a list")
        conditions = []
        for position, item in enumerate(items):
            with within(position):
                item = only(item, SKIP_KEYS, "a skip condition")
                key = item.get("context_key")
                with within("context_key"):
                    if not isinstance(key, str):
                        raise Refusal("'context_key' names a context value (text)")
                    field = scope.path(key)
                with within("value"):
                    value = _literal(item.get("value"))
                conditions.append({"field": field, "operator": "not_equals", "value": value})
        return conditions


def _literal(value: Any) -> Any:
    if isinstance(value, str) and "${" in value:
        raise Refusal(
            "a condition compares with a literal value, not a reference: compare the "
            "reference on the other side"
        )
    return value


def conditional_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    """A condition action choosing the task's result: ``set`` of ``<name>_result`` in each
    arm, read as ``{{ vars.<name>_result }}``."""
    config = only(config, ("condition", "true_value", "false_value"), "a conditional's config")
    with within("condition"):
        condition = _condition(config.get("condition"), scope)
    variable = f"{name}{RESULT_SUFFIX}"

    def arm(suffix: str, key: str, default: bool) -> list[dict[str, Any]]:
        with within(key):
            value = scope.value(config[key]) if key in config else default
        return [{"id": f"{name}_{suffix}", "type": "set", "data": {variable: value}}]

    action = {
        "type": "condition",
        "conditions": [condition],
        "then": arm("true", "true_value", True),
        "else": arm("false", "false_value", False),
    }
    return Translated(action, Result(f"vars.{variable}"))


def _condition(condition: Any, scope: Scope) -> dict[str, Any]:
    condition = only(condition, ("type", "left", "right"), "a condition")
    kind = condition.get("type")
    if kind not in OPERATORS:
        raise Refusal(
            f"comparison {shown(kind)} has no translation (known: {', '.join(OPERATORS)})",
            ("type",),
        )
    left = condition.get("left")
    found = REFERENCE.fullmatch(left.strip()) if isinstance(left, str) else None
    if found is None:
        raise Refusal(
            "'left' is what is compared: one reference such as ${check_disk_result.stdout}",
            ("left",),
        )
    with within("left"):
        compared = {"field": scope.path(found.group(1).strip()), "operator": OPERATORS[kind]}
    if OPERATORS[kind] not in WITHOUT_VALUE:
        with within("right"):
            compared["value"] = _literal(condition.get("right"))
    return compared


def loop_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    """A loop action over ``items``; its tasks see ``${loop_item}`` and ``${loop_index}``.
    Its own result (each iteration's) is not collected."""
    config = only(config, ("items", "tasks", "max_iterations"), "a loop's config")
    if "items" not in config:
        raise Refusal("a loop task needs 'items': a list, or a reference to one")
    with within("items"):
        data: dict[str, Any] = {"items": scope.value(config["items"])}
    if "max_iterations" in config:
        data["max_iterations"] = config["max_iterations"]
    with within("tasks"):
        actions = actions_of(config.get("tasks"), replace(scope, in_loop=True))
    return Translated({"type": "loop", "data": data, "actions": actions}, None)


def wait_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    config = only(config, ("seconds",), "a wait task's config")
    if "seconds" not in config:
        raise Refusal("a wait task needs 'seconds'")
    return Translated({"type": "delay", "delay": config["seconds"]}, None)


def log_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    config = only(config, ("message", "level"), "a log task's config")
    with within("message"):
        data = {"message": scope.text(config.get("message", ""))}
    if "level" in config:
        data["level"] = config["level"]
    return Translated({"type": "log", "data": data}, Result(f"steps.{name}.output", "message"))


TRANSLATORS: dict[str, Translator] = {
    "file": file_task,
    "http": http_task,
    "shell": shell_task,
    "transform": transform_task,
    "datatransform": transform_task,
    "email": email_task,
    "conditional": conditional_task,
    "loop": loop_task,
    "wait": wait_task,
    "log": log_task,
}
TYPE_NAMES = sorted(TRANSLATORS)
