"""A seed 002 configuration file as workflow documents, all of them or none.

Each named workflow becomes a document: its name the ``workflow_id``, its tasks the actions
(``tasks``), its enabled ``schedules`` its triggers (the first ``trigger``, the others
``triggers``). A workflow without one is run on demand (``automator run``, ``POST
/api/workflows/{id}/run``) or by an event of its own id. The first part that cannot be
translated, or whose translation the save's validator refuses, refuses the whole file,
naming its line and column.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.errors import AutomatorError, ErrorDetail, InvalidInput, shown
from app.task_config.references import Scope
from app.task_config.refusal import Refusal, only, within
from app.task_config.source import Path, SourceText
from app.task_config.tasks import actions_of

FILE_KEYS = ("workflows", "schedules", "logging")
WORKFLOW_KEYS = ("description", "tasks")
SCHEDULE_KEYS = ("name", "workflow", "schedule", "interval", "timezone", "enabled")
LOGGING_NOTE = (
    "'logging' is not imported: Automator logs as AUTOMATOR_LOG_LEVEL and "
    "AUTOMATOR_LOG_FORMAT (or --log-level) say"
)
DocumentT = TypeVar("DocumentT")


def is_task_config(value: Any) -> bool:
    """Whether ``value`` is seed 002's configuration file rather than a workflow document
    (which has a ``workflow_id`` and no ``workflows``)."""
    return (
        isinstance(value, dict)
        and "workflow_id" not in value
        and isinstance(value.get("workflows"), dict)
    )


@dataclass
class Workflow:
    """One translated workflow: its document, and where each part of it came from."""

    workflow_id: str
    document: dict[str, Any]
    # Action id → the path of its task; triggers in order → the path of their schedule.
    tasks: dict[str, Path] = field(default_factory=dict)
    schedules: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def origin(self, loc: tuple[str | int, ...]) -> Path:
        """The path in the file of what a validation error's ``loc`` names: its schedule, or
        the innermost task on it. Tasks are the actions, a loop's included; what an action
        holds besides (its data, its conditions, a conditional's arms) is not a task, even
        an object in it with an ``id`` that names one."""
        here: Path = ("workflows", self.workflow_id)
        if loc[:1] in (("trigger",), ("triggers",)):
            index = 0 if loc[0] == "trigger" else int(loc[1]) + 1 if len(loc) > 1 else 0
            return self.schedules[index] if index < len(self.schedules) else here
        node: Any = self.document
        while len(loc) > 1 and loc[0] == "actions":
            node = _step(_step(node, "actions"), loc[1])
            if not isinstance(node, dict) or node.get("id") not in self.tasks:
                break
            here, loc = self.tasks[node["id"]], loc[2:]
        return here


def _step(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def documents(
    source: SourceText, validate: Callable[[dict[str, Any]], DocumentT]
) -> list[tuple[DocumentT, list[str]]]:
    """Every workflow of the file as a document ``validate`` accepted, with notes on what
    was left out; InvalidInput naming the line of the first part refused."""
    try:
        workflows = translate(source.value)
    except Refusal as refusal:
        raise _refused(source, refusal.path, refusal.reason) from None
    checked = []
    for workflow in workflows:
        try:
            checked.append((validate(workflow.document), workflow.notes))
        except AutomatorError as exc:
            loc = exc.details[0].loc if exc.details else ()
            raise _refused(source, workflow.origin(loc), exc.message) from None
    return checked


def _refused(source: SourceText, path: Path, reason: str) -> InvalidInput:
    where = source.where(path)
    about = _about(source.value, path)
    message = f"{where}: {about}{reason}" if where else f"{about}{reason}"
    shown = ".".join(map(str, path)) or "the file"
    return InvalidInput(message, [ErrorDetail(path, f"{where or shown}: {reason}")])


def _about(value: Any, path: Path) -> str:
    """``workflow 'backup', task 'copy': `` for a path into a workflow's tasks."""
    said, node = [], value
    for position, part in enumerate(path):
        node = _step(node, part)
        if position == 1 and path[0] == "workflows":
            said = [f"workflow '{part}'"]
        if position == 1 and path[0] == "schedules" and isinstance(node, dict):
            said = [f"schedule '{node.get('name', part)}'"]
        task = _at_task(path[: position + 1]) and isinstance(node, dict)
        if task and isinstance(node.get("name"), str):
            said = [*said[:1], f"task '{node['name']}'"]
    return ", ".join(said) + ": " if said else ""


def _at_task(path: Path) -> bool:
    """Whether ``path`` ends at a task: ``workflows.<name>.tasks.<n>``, then a loop's
    ``config.tasks.<n>`` any number of times; never inside a task's config, which is the
    user's (an object there may well have a name and a type)."""
    steps = ("config", *path[2:])  # as (config, tasks, n) triples
    return (
        path[:1] == ("workflows",)
        and len(steps) >= 3
        and len(steps) % 3 == 0
        and all(
            steps[at : at + 2] == ("config", "tasks") and isinstance(steps[at + 2], int)
            for at in range(0, len(steps), 3)
        )
    )


def translate(value: Any) -> list[Workflow]:
    """The file's workflows, translated; a Refusal at the first part that cannot be."""
    config = only(value, FILE_KEYS, "the configuration file")
    with within("workflows"):
        workflows = [_workflow(name, spec) for name, spec in config["workflows"].items()]
    if not workflows:
        raise Refusal("'workflows' names no workflow", ("workflows",))
    by_id = {workflow.workflow_id: workflow for workflow in workflows}
    with within("schedules"):
        _schedules(config.get("schedules", []), by_id)
    for workflow in workflows:
        _trigger(workflow)
    if "logging" in config:
        workflows[0].notes.append(LOGGING_NOTE)
    return workflows


def _workflow(name: str, spec: Any) -> Workflow:
    with within(name):
        spec = only(spec, WORKFLOW_KEYS, f"workflow '{name}'")
        with within("tasks"):
            actions = actions_of(spec.get("tasks"), Scope())
    document: dict[str, Any] = {"workflow_id": name, "name": name, "actions": actions}
    if isinstance(spec.get("description"), str):
        document["description"] = spec["description"]
    workflow = Workflow(name, document)
    _note_tasks(workflow, spec["tasks"], ("workflows", name, "tasks"))
    return workflow


def _note_tasks(workflow: Workflow, tasks: list[dict[str, Any]], at: Path) -> None:
    """Remember where each task is, nested ones (a loop's) included."""
    for position, task in enumerate(tasks):
        workflow.tasks[task["name"]] = (*at, position)
        config = task.get("config", {})
        if isinstance(config.get("tasks"), list):
            _note_tasks(workflow, config["tasks"], (*at, position, "config", "tasks"))


def _schedules(schedules: Any, workflows: dict[str, Workflow]) -> None:
    if not isinstance(schedules, list):
        raise Refusal("'schedules' is a list")
    for position, schedule in enumerate(schedules):
        with within(position):
            _schedule(schedule, workflows, ("schedules", position))


def _schedule(schedule: Any, workflows: dict[str, Workflow], at: Path) -> None:
    schedule = only(schedule, SCHEDULE_KEYS, "a schedule")
    target = schedule.get("workflow")
    if target not in workflows:
        known = ", ".join(workflows)
        raise Refusal(
            f"schedule names workflow {shown(target)}, which the file lacks ({known})",
            ("workflow",),
        )
    workflow = workflows[target]
    name = schedule.get("name")
    if schedule.get("enabled", True) is False:
        workflow.notes.append(f"schedule {name!r} is disabled (enabled: false): not imported")
        return
    if ("schedule" in schedule) == ("interval" in schedule):
        raise Refusal("a schedule has 'schedule' (a cron expression) or 'interval' (seconds)")
    trigger: dict[str, Any] = {"type": "schedule"}
    if isinstance(name, str):
        trigger["id"] = name
    if "schedule" in schedule:
        trigger["cron"] = schedule["schedule"]
    else:
        trigger["interval"] = schedule["interval"]
    if "timezone" in schedule:
        trigger["timezone"] = schedule["timezone"]
    workflow.document.setdefault("triggers", []).append(trigger)
    workflow.schedules.append(at)


def _trigger(workflow: Workflow) -> None:
    """The first schedule is the seed format's ``trigger``; without one, an event of the
    workflow's own id (the on-demand way in)."""
    triggers = workflow.document.pop("triggers", [])
    if not triggers:
        workflow.document["trigger"] = {"type": workflow.workflow_id}
        return
    workflow.document["trigger"] = triggers[0]
    if triggers[1:]:
        workflow.document["triggers"] = triggers[1:]
