"""Approvals end to end, with a real worker and the dev outbox: a run waits at its approval
step, an email sent before it carries the signed links, one click decides (the on_approve
email goes out), a second click says it was decided already; the API decides too, with
roles, comments and the audit log; the timeout takes on_timeout."""

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.engine.walk.approvals import Decision
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for, send, worker_running
from tests.waiting import until

APPROVE_LINK = re.compile(r"Approve: (\S+)")
REJECT_LINK = re.compile(r"Reject: (\S+)")


def expense_workflow(timeout: str = "P1D") -> dict[str, Any]:
    return {
        "workflow_id": "expense_approval",
        "name": "Expense approval",
        "trigger": {"type": "expense_submitted"},
        "actions": [
            {
                "id": "ask",
                "type": "send_email",
                "data": {
                    "recipient": "boss@example.com",
                    "subject": "Expense of {{ amount }}",
                    "body": "Approve: {{ approval.approve_url }}\n"
                    "Reject: {{ approval.reject_url }}",
                },
            },
            {
                "id": "manager_ok",
                "type": "approval",
                "data": {"timeout": timeout, "message": "{{ user.name }} spent {{ amount }} EUR"},
                "on_approve": [
                    {
                        "id": "paid",
                        "type": "send_email",
                        "data": {
                            "recipient": "{{ user.email }}",
                            "subject": "Approved",
                            "body": "Your expense is approved.",
                        },
                    }
                ],
                "on_reject": [
                    {
                        "id": "refused",
                        "type": "send_email",
                        "data": {
                            "recipient": "{{ user.email }}",
                            "subject": "Rejected",
                            "body": "{{ steps.manager_ok.output.comment }}",
                        },
                    }
                ],
                "on_timeout": [{"id": "late", "type": "set", "data": {"late": True}}],
            },
        ],
    }


EVENT = {
    "type": "expense_submitted",
    "user": {"id": "u1", "name": "Ada", "email": "ada@example.com"},
    "data": {"amount": 120},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"outbox": True, "public_url": "http://automator", "delay_scale": 0.001}
    )


async def run_status(client: httpx.AsyncClient, run_id: str, status: str) -> bool:
    return bool((await client.get(f"/api/runs/{run_id}")).json()["status"] == status)


async def waiting_run(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/workflows", json=expense_workflow())
    assert created.status_code == 201, created.text
    run_id: str = (await send(client, EVENT))["run_ids"][0]
    await until(lambda: run_status(client, run_id, "waiting"))
    return run_id


async def outbox(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/api/outbox")).json()["items"]
    return items


async def test_the_signed_link_approves_once_and_on_approve_sends_its_email(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    async with worker_running(settings):
        run_id = await waiting_run(client)
        waiting = (await client.get("/api/runs", params={"status": "waiting"})).json()["items"]
        assert [(r["run_id"], r["approval_id"]) for r in waiting] == [
            (run_id, f"{run_id}~manager_ok~0")
        ]
        [asked] = await outbox(client)
        link = APPROVE_LINK.search(asked["text"])
        assert link is not None, asked["text"]
        url = urlsplit(link.group(1))
        assert (url.scheme, url.netloc) == ("http", "automator")
        target = f"{url.path}?{url.query}"

        page = await client.get(target, headers={"Authorization": ""})
        assert page.status_code == 200
        assert "Ada spent 120 EUR" in page.text
        assert "<form" in page.text
        assert await run_status(client, run_id, "waiting")  # looking decides nothing

        clicked = await client.post(target, data={"comment": "fine"}, headers={"Authorization": ""})
        assert clicked.status_code == 200
        assert "This approval was approved by signed link" in clicked.text
        await until(lambda: run_status(client, run_id, "completed"))

        again = await client.post(target, headers={"Authorization": ""})
        assert again.status_code == 200
        assert "Already decided" in again.text
        assert "was approved" in again.text

    run = (await client.get(f"/api/runs/{run_id}")).json()
    decision = run["outputs"]["manager_ok"]["output"]
    assert (decision["decision"], decision["decided_by"], decision["comment"]) == (
        "approved",
        "signed link",
        "fine",
    )
    assert decision["decided_at"]
    assert [step["step_id"] for step in run["steps"]] == ["ask", "manager_ok", "paid"]
    sent = await outbox(client)
    assert [(m["recipient"], m["subject"]) for m in sent] == [
        ("ada@example.com", "Approved"),
        ("boss@example.com", "Expense of 120"),
    ]
    audit = (await client.get("/api/audit", params={"entity_type": "approval"})).json()["items"]
    assert [(e["action"], e["actor"], e["after"]["status"]) for e in audit] == [
        ("approval.approve", "signed link", "approved")
    ]


async def test_a_link_altered_or_expired_decides_nothing(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    async with worker_running(settings):
        run_id = await waiting_run(client)
        [asked] = await outbox(client)
        link = REJECT_LINK.search(asked["text"])
        assert link is not None
        url = urlsplit(link.group(1))
        as_approval = f"{url.path.replace('/reject', '/approve')}?{url.query}"
        forged = await client.post(as_approval, headers={"Authorization": ""})
        assert forged.status_code == 403
        assert "<h1>Invalid link</h1>" in forged.text
        other_tenant = url.query.replace("tenant=acme", "tenant=other")
        assert (await client.post(f"{url.path}?{other_tenant}")).status_code == 403
        approval = f"{run_id}~manager_ok~0"
        past = datetime(2020, 1, 1, tzinfo=UTC)
        expired = urlsplit(resources.approvals.links.link("acme", approval, Decision.REJECT, past))
        gone = await client.post(f"{expired.path}?{expired.query}")
        assert gone.status_code == 410
        assert "<h1>Link expired</h1>" in gone.text
        assert await run_status(client, run_id, "waiting")


async def test_editors_decide_through_the_api_with_a_comment_viewers_may_not(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    viewer = await auth_for(resources, "acme", Role.VIEWER)
    editor = await auth_for(resources, "acme", Role.EDITOR)
    stranger = await auth_for(resources, "other", Role.ADMIN)
    async with worker_running(settings):
        run_id = await waiting_run(client)
        approval = f"{run_id}~manager_ok~0"
        path = f"/api/approvals/{approval}"
        assert (await client.post(f"{path}/reject", headers=viewer)).status_code == 403
        assert (await client.post(f"{path}/reject", headers=stranger)).status_code == 404
        pending = (await client.get(path)).json()
        assert (pending["status"], pending["message"]) == ("pending", "Ada spent 120 EUR")

        body = {"comment": "Over budget."}
        rejected = await client.post(f"{path}/reject", json=body, headers=editor)
        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["status"], rejected.json()["already_decided"]) == (
            "rejected",
            False,
        )
        await until(lambda: run_status(client, run_id, "completed"))
        second = (await client.post(f"{path}/approve")).json()
        assert (second["status"], second["already_decided"]) == ("rejected", True)

    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert [step["step_id"] for step in run["steps"]] == ["ask", "manager_ok", "refused"]
    [refusal, _] = await outbox(client)
    assert (refusal["subject"], refusal["text"]) == ("Rejected", "Over budget.")
    decided = (await client.get(path)).json()
    assert decided["decided_by"] == rejected.json()["decided_by"]
    assert decided["decided_by"].startswith("key_")
    bad = await client.post(f"{path}/maybe")
    assert bad.status_code == 422


async def test_no_decision_before_the_timeout_takes_on_timeout(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    async with worker_running(settings):
        created = await client.post("/api/workflows", json=expense_workflow("PT1S"))
        assert created.status_code == 201, created.text
        run_id = (await send(client, EVENT))["run_ids"][0]  # its 1 s is 1 ms at this scale
        await until(lambda: run_status(client, run_id, "completed"))
        run = (await client.get(f"/api/runs/{run_id}")).json()
        late = await client.post(f"/api/approvals/{run_id}~manager_ok~0/approve")
    assert run["outputs"]["manager_ok"]["output"]["decision"] == "timed_out"
    assert run["vars"] == {"late": True}
    assert (late.json()["status"], late.json()["already_decided"]) == ("timed_out", True)
