"""The action types a workflow may use, and the connectors that carry them out.

Connectors come from three places, gathered by ``default_registry()`` when a process starts:
the built-in ones, classes registered in code (``@register_connector`` or ``register(...)``)
in modules the process imports (``AUTOMATOR_CONNECTOR_MODULES``), and installed packages
declaring the entry-point group ``automator.connectors``.

A connector action whose name is one of the top-level action types (``send_email``...)
carries that type; the last connector registered for it wins, so a package can replace a
built-in channel. Any connector action runs through ``custom_action``.
"""

import importlib
import inspect
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any, TypeVar

from app.actions.ai.task import AiConnector
from app.actions.base import ActionSpec, Connector, problems_of
from app.actions.local.files import FileTask
from app.actions.local.shell import ShellTask
from app.actions.local.transform import TransformTask
from app.actions.notify import NotifyService
from app.actions.parse_server import ParseServer
from app.actions.profiles import Profiles
from app.actions.references import references
from app.actions.webhook import WebhookConnector
from app.errors import ErrorDetail, InvalidInput

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "automator.connectors"
CUSTOM_ACTION = "custom_action"

ACTION_TYPES: dict[str, str] = {
    "send_email": "Send an email notification",
    "send_sms": "Send an SMS message",
    "send_push": "Send a push notification",
    "send_whatsapp": "Send a WhatsApp message",
    "update_user_profile": "Update user data",
    "create_segment": "Create a user segment",
    "add_to_campaign": "Add the user to a campaign",
    "webhook_call": "Call an external webhook",
    "ai_task": "Ask a language model",
    CUSTOM_ACTION: "Run an action of a registered connector",
    "delay": "Wait before the next action",
    "condition": "Branch on a condition (if / then / else)",
    "loop": "Repeat actions over a list",
    "parallel": "Run branches at once, then join",
    "split": "Send runs down weighted branches (A/B test)",
    "wait_for_event": "Wait for another event, with a timeout",
    "approval": "Wait for a person to approve or reject, with a timeout",
    "set": "Set run variables",
    "stop": "End the run",
    "log": "Write a message to the run's log",
    "trigger_workflow": "Start another workflow",
    "file": "Read, write, append, copy, delete or list a file on the server (opt-in)",
    "shell": "Run an allow-listed command on the server (opt-in)",
    "transform": "CSV to JSON and back; count, sum, avg, min, max, group_by over a list",
}

CUSTOM_ACTION_SPEC = ActionSpec(
    inputs={
        "type": "object",
        "properties": {
            "connector": {"type": "string", "description": "A registered connector's code."},
            "action": {"type": "string", "description": "One of that connector's actions."},
            "params": {"type": "object", "description": "The action's inputs."},
        },
        "required": ["connector", "action"],
        "additionalProperties": False,
    },
    description="Run any registered connector action.",
)


def action_types() -> frozenset[str]:
    return frozenset(ACTION_TYPES)


class UnknownAction(LookupError):
    """No installed connector carries this action."""


class Registry:
    """Connector code → connector, and top-level action type → the connector carrying it."""

    def __init__(self, connectors: Iterable[type[Connector] | Connector] = ()) -> None:
        self._connectors: dict[str, Connector] = {}
        self._by_type: dict[str, Connector] = {}
        for connector in connectors:
            self.register(connector)

    def register(self, connector: type[Connector] | Connector) -> Connector:
        """Add a connector (a class is instantiated without arguments)."""
        instance = connector() if isinstance(connector, type) else connector
        if not instance.code or not instance.actions:
            raise ValueError(f"{type(instance).__name__} needs a code and at least one action")
        _check_unready(instance)
        self._connectors[instance.code] = instance
        for action in instance.actions:
            if action in ACTION_TYPES and action != CUSTOM_ACTION:
                self._by_type[action] = instance
        return instance

    def connectors(self) -> list[Connector]:
        return sorted(self._connectors.values(), key=lambda connector: connector.code)

    def get(self, code: str) -> Connector | None:
        return self._connectors.get(code)

    def find(self, action_type: str) -> Connector | None:
        """The connector carrying a top-level action type, if one is installed."""
        return self._by_type.get(action_type)

    def resolve(
        self, action_type: str, params: dict[str, Any]
    ) -> tuple[Connector, str, dict[str, Any]]:
        """The connector, action name and inputs of a step; ``UnknownAction`` if none."""
        if action_type != CUSTOM_ACTION:
            connector = self.find(action_type)
            if connector is None:
                raise UnknownAction(
                    f"action type {action_type!r} is not available: no connector for it is "
                    "installed"
                )
            return connector, action_type, params
        code, action = params.get("connector"), params.get("action")
        connector = self._connectors.get(str(code))
        if connector is None or action not in connector.actions:
            raise UnknownAction(f"no installed connector {code!r} with an action {action!r}")
        inputs = params.get("params") or {}
        return connector, str(action), inputs if isinstance(inputs, dict) else {}

    def problems(self, action_type: str, data: dict[str, Any]) -> list[ErrorDetail]:
        """What is wrong with a step's ``data``: a malformed secret reference, or anything
        against its action's input spec; each at its field's location under ``data``."""
        try:
            references(data, ("data",), unrendered=True)
        except InvalidInput as exc:
            return exc.details
        return self._spec_problems(action_type, data)

    def _spec_problems(self, action_type: str, data: dict[str, Any]) -> list[ErrorDetail]:
        if action_type != CUSTOM_ACTION:
            connector = self.find(action_type)
            return problems_of(connector.actions[action_type], data) if connector else []
        problems = CUSTOM_ACTION_SPEC.problems(data)
        if problems:
            return problems
        try:
            connector, action, inputs = self.resolve(action_type, data)
        except UnknownAction as exc:
            installed = ", ".join(self._connectors) or "none"
            return [ErrorDetail(("data",), f"{exc}; installed: {installed}")]
        # A problem at ("data", ...) of the connector's inputs is at data.params here; one
        # of the whole action (an override's text) stays the action's.
        return [
            ErrorDetail(("data", "params", *problem.loc[1:]) if problem.loc else (), problem.msg)
            for problem in problems_of(connector.actions[action], inputs)
        ]

    def catalogue(self) -> list[dict[str, Any]]:
        """Every connector and action, with JSON Schemas, for ``GET /api/connectors``."""
        return [
            {
                "code": connector.code,
                "name": connector.name,
                "description": connector.description,
                "actions": [
                    {
                        "name": name,
                        "action_type": name if self.find(name) is connector else CUSTOM_ACTION,
                        "description": spec.description,
                        "input_schema": spec.input_schema,
                        "output_schema": spec.output_schema,
                    }
                    for name, spec in connector.actions.items()
                ],
            }
            for connector in self.connectors()
        ]


_registered: list[type[Connector] | Connector] = []
C = TypeVar("C", bound=type[Connector])


def _check_unready(connector: Connector) -> None:
    """Refuse an ``unready`` that cannot take ``(action, params, context)``: one written for
    the earlier ``unready(action, context)`` raised TypeError only once a validation or a
    dry run called it, as a failure of the request rather than of the connector."""
    unready = getattr(connector, "unready", None)
    if unready is None:
        return  # optional: a connector without it is taken to be ready
    try:
        signature = inspect.signature(unready)
    except (TypeError, ValueError):
        return  # no signature to read (a builtin): it is called as documented
    try:
        signature.bind("action", {}, None)
    except TypeError:
        name = type(connector).__name__
        raise ValueError(
            f"{name}.unready{signature} cannot be called as unready(action, params, "
            f"context): give it the step's params as its second argument, `def unready(self, "
            "action, params, context)` (docs/connectors.md, Checks before a run)"
        ) from None


def register(connector: type[Connector] | Connector) -> None:
    """Have every registry built after this call include ``connector``."""
    _registered.append(connector)


def register_connector(cls: C) -> C:
    """Class decorator: ``@register_connector class MyAdapter(ConnectorAdapter): ...``."""
    register(cls)
    return cls


def _from_entry_points() -> list[type[Connector] | Connector]:
    found = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.append(point.load())
        except Exception as exc:
            raise RuntimeError(
                f"cannot load connector entry point {point.name!r} ({point.value}): {exc}"
            ) from exc
    return found


def default_registry(modules: Iterable[str] = ()) -> Registry:
    """Built-in connectors, then those of ``modules`` (imported here, so their decorators
    run), then installed packages' entry points."""
    for module in modules:
        importlib.import_module(module)
    registry = Registry(builtin_connectors())
    for connector in [*_registered, *_from_entry_points()]:
        registry.register(connector)
    return registry


def builtin_connectors() -> list[type[Connector] | Connector]:
    return [
        NotifyService,
        WebhookConnector,
        Profiles,
        AiConnector,
        FileTask,
        ShellTask,
        TransformTask,
        ParseServer,
    ]
