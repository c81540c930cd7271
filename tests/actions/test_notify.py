"""The notify_service connector: built in, carrying the channel action types."""

from app.actions.notify import NotifyService
from app.actions.registry import default_registry


def test_notify_service_carries_the_channels_and_lists_their_schemas() -> None:
    registry = default_registry()
    for action in ("send_sms", "send_push", "send_whatsapp"):
        assert isinstance(registry.find(action), NotifyService)
    (notify,) = [entry for entry in registry.catalogue() if entry["code"] == "notify_service"]
    sms = next(action for action in notify["actions"] if action["name"] == "send_sms")
    assert sms["action_type"] == "send_sms"
    assert set(sms["input_schema"]["properties"]) == {"recipient", "body", "variables"}
    assert "failed_providers" in sms["output_schema"]["properties"]
