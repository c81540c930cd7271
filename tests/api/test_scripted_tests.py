"""Scripted tests: ``POST /api/workflows/{id}/test`` with canned outputs, failures and wait
events per step, so each branch of a journey is tried before publishing; the trace names
the canned answer each step used."""

from typing import Any

import httpx

JOURNEY = {
    "workflow_id": "journey",
    "name": "Journey",
    "trigger": {"type": "cart_updated"},
    "actions": [
        {
            "id": "wait_buy",
            "type": "wait_for_event",
            "data": {
                "event": "purchase_completed",
                "match": {"user.id": "{{ user.id }}"},
                "timeout": 86400,
            },
            "on_event": [
                {
                    "id": "thank",
                    "type": "send_email",
                    "data": {
                        "recipient": "{{ user.email }}",
                        "subject": "Order {{ steps.wait_buy.output.event.data.order_id }}",
                    },
                }
            ],
            "on_timeout": [
                {
                    "id": "remind",
                    "type": "send_email",
                    "data": {"recipient": "{{ user.email }}", "subject": "Your cart"},
                }
            ],
        },
        {
            "id": "note",
            "type": "set",
            "data": {"sent": "{{ steps.thank.output.id | default('none') }}"},
        },
    ],
    "settings": {"on_error": "continue"},
}
EVENT = {"type": "cart_updated", "user": {"id": "u1", "email": "ada@example.com"}}


async def trial(client: httpx.AsyncClient, script: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"event": EVENT} | ({} if script is None else {"script": script})
    response = await client.post("/api/workflows/journey/test", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def steps(result: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(s["step_id"], s["status"], s.get("canned")) for s in result["trace"] if "step_id" in s]


async def test_each_branch_is_tried_with_canned_answers(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/workflows", json=JOURNEY)).status_code == 201
    timed_out = await trial(client, None)
    assert [s[0] for s in steps(timed_out)] == ["wait_buy", "remind", "note"]

    bought = await trial(
        client,
        {
            "events": {"wait_buy": {"data": {"order_id": "o-7"}}},
            "steps": {"thank": {"output": {"id": "msg-1"}}},
        },
    )
    assert steps(bought) == [
        ("wait_buy", "completed", "event"),
        ("thank", "completed", "output"),
        ("note", "completed", None),
    ]
    thank = next(s for s in bought["trace"] if s.get("step_id") == "thank")
    assert thank["input"]["subject"] == "Order o-7"
    note = next(s for s in bought["trace"] if s.get("step_id") == "note")
    assert "msg-1" in str(note["output"])

    failed = await trial(
        client,
        {
            "events": {"wait_buy": {"data": {"order_id": "o-8"}}},
            "steps": {"thank": {"fail": "mailbox full"}},
        },
    )
    assert ("thank", "would_fail", "failure") in steps(failed)
    assert failed["status"] == "completed"  # on_error: continue

    unknown = await client.post(
        "/api/workflows/journey/test", json={"event": EVENT, "script": {"steps": {"nope": {}}}}
    )
    assert unknown.status_code == 422
    assert "nope" in unknown.json()["error"]["message"]
