"""Secret references: found, checked and substituted; malformed ones refused at save."""

from typing import Any

import httpx
import pytest

from app.actions.references import references, substitute
from app.errors import InvalidInput


def test_references_are_found_anywhere_and_substituted() -> None:
    data = {"a": [{"$secret": "ONE"}, {"b": {"$secret": "TWO"}}], "c": "{{ user.id }}"}
    assert references(data, ("data",)) == {"ONE", "TWO"}
    assert substitute(data, {"ONE": "1111", "TWO": "2222"}) == {
        "a": ["1111", {"b": "2222"}],
        "c": "{{ user.id }}",
    }


@pytest.mark.parametrize(
    "bad", [{"$secret": "OK", "extra": 1}, {"$secret": 5}, {"$secret": "lower_case"}]
)
def test_a_malformed_reference_is_refused_naming_its_place(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        references({"headers": [bad]}, ("data",))
    assert refused.value.details[0].loc == ("data", "headers", 0)


def test_a_templated_name_is_checked_once_rendered_and_counts_as_a_use() -> None:
    data = {"key": {"$secret": "KEY_{{ event.region }}"}}
    assert references(data, ("data",), unrendered=True) == {"KEY_{{ event.region }}"}
    with pytest.raises(InvalidInput, match="a secret name is"):
        references(data, ("data",))


@pytest.mark.parametrize(
    ("data", "where", "says"),
    [
        ({"headers": {"X-Key": {"$secret": "lower"}}}, ["headers", "X-Key"], "a secret name is"),
        ({"json": [{"$secret": "KEY", "also": 1}]}, ["json", 0], "a secret reference is exactly"),
    ],
)
async def test_a_workflow_with_a_malformed_reference_is_refused_at_save(
    client: httpx.AsyncClient, data: dict[str, Any], where: list[str | int], says: str
) -> None:
    document = {
        "workflow_id": "wf",
        "name": "Refs",
        "trigger": {"type": "signup"},
        "actions": [{"type": "webhook_call", "data": {"url": "https://hooks.example.com", **data}}],
    }
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["actions", 0, "data", *where]
    assert detail["msg"].startswith(says)
