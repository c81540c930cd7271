"""The action types a workflow may use, and the connectors that carry them out.

The seed's catalogue and the engine's control actions are always valid in a document. An
action type whose connector is not installed is still a valid document; its step fails with
a clear "not available" error when it runs.
"""

from app.actions.base import Connector

ACTION_TYPES: dict[str, str] = {
    "send_email": "Send an email notification",
    "send_sms": "Send an SMS message",
    "send_push": "Send a push notification",
    "send_whatsapp": "Send a WhatsApp message",
    "update_user_profile": "Update user data",
    "create_segment": "Create a user segment",
    "add_to_campaign": "Add the user to a campaign",
    "webhook_call": "Call an external webhook",
    "custom_action": "Run an action of a registered connector",
    "delay": "Wait before the next action",
    "condition": "Branch on a condition (if / then / else)",
    "loop": "Repeat actions over a list",
    "parallel": "Run branches at once, then join",
    "split": "Send runs down weighted branches (A/B test)",
    "wait_for_event": "Wait for another event, with a timeout",
    "set": "Set run variables",
    "stop": "End the run",
    "log": "Write a message to the run's log",
    "trigger_workflow": "Start another workflow",
}


def action_types() -> frozenset[str]:
    return frozenset(ACTION_TYPES)


class Registry:
    """Action type → the connector that runs it."""

    def __init__(self) -> None:
        self._by_action: dict[str, Connector] = {}

    def register(self, connector: Connector) -> None:
        for action in connector.actions:
            self._by_action[action] = connector

    def find(self, action_type: str) -> Connector | None:
        return self._by_action.get(action_type)
