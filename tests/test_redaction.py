"""What redaction hides, and what it leaves alone."""

from typing import Any

from app.redaction import MASK, redact, redact_text


def test_secret_references_and_secret_named_fields_are_masked() -> None:
    document: dict[str, Any] = {
        "name": "Webhook",
        "actions": [
            {
                "data": {
                    "url": "https://x",
                    "headers": {"X-Api-Key": {"$secret": "K"}},
                    "password": "p",
                    "client_secret": ["a"],
                    "deviceToken": "t",
                }
            }
        ],
    }
    masked = redact(document)
    data = masked["actions"][0]["data"]
    assert data["headers"]["X-Api-Key"] == MASK
    assert (data["password"], data["client_secret"], data["deviceToken"]) == (MASK,) * 3
    assert data["url"] == "https://x"
    assert masked["name"] == "Webhook"
    assert document["actions"][0]["data"]["password"] == "p"
    assert redact({"auth": {"$secret": "K"}}) == {"auth": {"$secret": MASK}}


def test_deep_values_are_cut_off_masked() -> None:
    deep: object = "leaf"
    for _ in range(100):
        deep = [deep]
    assert MASK in repr(redact(deep))


def test_api_keys_and_bearer_credentials_in_text() -> None:
    assert redact_text("key atm_abc123XYZ_- used") == f"key {MASK} used"
    assert redact_text("Authorization: Bearer eyJhb.c-d_e") == f"Authorization: Bearer {MASK}"
    assert redact_text("an atm token") == "an atm token"
