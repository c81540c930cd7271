"""``automator send-event``, ``runs``, ``workflows`` and ``run`` against a real
``automator dev`` (delays scaled down a thousandfold, so the seed's 5 and 10 minutes pass in
a second)."""

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from app.tenancy import NOT_VALID
from tests.api.test_outbox import TEMPLATES
from tests.conftest import SEEDS
from tests.ports import on_a_free_port
from tests.test_cli import SERVICE_MODULES, automator_loading
from tests.test_dev import AUTOMATOR, wait_for_health

KEY = "atm_remote_test_key_0123456789abcdef0123"
WORKFLOW = {
    "workflow_id": "greet",
    "name": "Greet",
    "trigger": {"type": "signup"},
    "actions": [{"id": "hello", "type": "log", "data": {"message": "hi {{ user.id }}"}}],
}
BROKEN = {
    "workflow_id": "broken",
    "name": "Broken",
    "trigger": {"type": "never"},
    "actions": [{"id": "oops", "type": "log", "data": {"message": "{{ nothing.here }}"}}],
}


SHIPPING = {
    "workflow_id": "shipping",
    "name": "Shipping",
    "trigger": {"type": "order_placed"},
    "settings": {
        "cancel_on": [{"event": "order_cancelled", "match": {"order_id": "{{ order_id }}"}}]
    },
    "actions": [
        {"id": "pause", "type": "delay", "delay": "P1D"},
        {
            "id": "wait_ship",
            "type": "wait_for_event",
            "data": {
                "event": "order_shipped",
                "match": {"order_id": "{{ order_id }}"},
                "timeout": "P366D",
            },
        },
    ],
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running ``automator dev`` with one workflow; the environment the CLI needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {
        "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
        "AUTOMATOR_DATA_DIR": str(tmp_path_factory.mktemp("remote")),
        "AUTOMATOR_DELAY_SCALE": "0.001",
    }

    def launch(port: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [AUTOMATOR, "dev"],
            env=env | {"AUTOMATOR_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    port, process = on_a_free_port(launch)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", process, seconds=60)
        headers = {"Authorization": f"Bearer {KEY}"}
        for workflow in (WORKFLOW, BROKEN, SHIPPING):
            assert httpx.post(f"{base}/api/workflows", json=workflow, headers=headers).is_success
        for template in TEMPLATES:
            assert httpx.post(f"{base}/api/templates", json=template, headers=headers).is_success
        seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
        assert httpx.post(f"{base}/api/workflows", content=seed, headers=headers).is_success
        yield {k: v for k, v in env.items() if k != "AUTOMATOR_BOOTSTRAP_API_KEY"} | {
            "AUTOMATOR_URL": base,
            "AUTOMATOR_API_KEY": KEY,
        }
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def automator(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AUTOMATOR, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_send_an_event_then_follow_its_run(service: dict[str, str]) -> None:
    sent = automator(
        service, "send-event", "signup", "--user", '{"id": "u1"}', "--idempotency-key", "signup-u1"
    )
    assert sent.returncode == 0, sent.stderr
    event_id, started = sent.stdout.strip().split(": ")
    assert event_id.startswith("evt_")
    run_id = started.split()[0]
    assert started == f"{run_id} (greet)"
    again = automator(service, "send-event", "signup", "--idempotency-key", "signup-u1")
    assert "duplicate: nothing new started" in again.stdout

    followed = automator(service, "runs", run_id, "--follow")
    assert followed.returncode == 0, followed.stderr
    assert followed.stdout.strip().splitlines()[-1] == f"{run_id}: completed"
    assert "hello (log) attempt 1: completed" in followed.stdout
    listed = automator(service, "runs", "--workflow", "greet", "--status", "completed")
    assert run_id in listed.stdout
    shown = automator(service, "runs", run_id)
    assert "greet v1  completed" in shown.stdout


def test_the_replys_notice_is_said(service: dict[str, str]) -> None:
    """A typo in the type started nothing: the API's notice says so, and so does the CLI."""
    sent = automator(service, "send-event", "sigup")
    assert sent.returncode == 0, sent.stderr
    said = sent.stdout.splitlines()
    assert said[0].endswith(": no run started")
    assert said[1].startswith("  No active workflow listens to events of type 'sigup'")


def test_the_runs_an_event_ended_are_said(service: dict[str, str]) -> None:
    """An exit event starts nothing: the CLI names the run it ended instead."""
    placed = automator(service, "send-event", "order_placed", "--data", '{"order_id": "o7"}')
    run_id = placed.stdout.split(": ")[1].split()[0]
    cancelled = automator(service, "send-event", "order_cancelled", "--data", '{"order_id": "o7"}')
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"  ended {run_id}" in cancelled.stdout.splitlines()


def test_many_events_from_a_file(service: dict[str, str], tmp_path: Path) -> None:
    lines = [json.dumps({"type": "signup", "user": {"id": f"f{n}"}}) for n in range(3)]
    (tmp_path / "events.jsonl").write_text("\n".join([*lines, json.dumps({"type": "other"})]))
    sent = automator(service, "send-event", "--file", str(tmp_path / "events.jsonl"))
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip().endswith("4 events accepted, 3 runs started")


def test_a_file_that_is_not_json_names_where_and_sends_nothing(
    service: dict[str, str], tmp_path: Path
) -> None:
    # Both crashed with a traceback (orjson's, then jsonc's InvalidInput).
    lines = tmp_path / "events.jsonl"
    lines.write_text('{"type": "never_sent"}\n{"type": "signup",\n')
    array = tmp_path / "events.json"
    array.write_text('[{"type": "never_sent"}')
    for path, said in (
        (lines, "line 2 is not JSON: unexpected end of data at column 19"),
        (array, "not JSON: line 1 "),
    ):
        sent = automator(service, "send-event", "--file", str(path))
        assert sent.returncode == 2
        assert "Traceback" not in sent.stderr
        words = [word for word in sent.stderr.split() if word != "│"]  # the box rich draws
        assert "Invalid value for --file: " + said in " ".join(words)
    headers = {"Authorization": f"Bearer {service['AUTOMATOR_API_KEY']}"}
    logged = httpx.get(f"{service['AUTOMATOR_URL']}/api/events", headers=headers).json()
    assert all(event["type"] != "never_sent" for event in logged["items"])


def test_errors_are_said_plainly(service: dict[str, str], closed_port: int) -> None:
    refused = automator(service | {"AUTOMATOR_API_KEY": "atm_wrong"}, "send-event", "signup")
    assert (refused.returncode, refused.stderr.strip()) == (1, f"401: {NOT_VALID}")
    invalid = automator(service, "send-event", "bad type!")
    assert invalid.returncode == 1
    assert invalid.stderr.startswith("422: ")
    not_json = automator(service, "send-event", "signup", "--user", "{id}")
    assert not_json.returncode == 2
    assert "--user" in not_json.stderr
    bogus = automator(service, "runs", "--status", "bogus")
    assert bogus.returncode == 1
    assert bogus.stderr.startswith("422: The request is not valid: query.status: ")
    assert "'failed'" in bogus.stderr
    missing = automator(service, "runs", "run_nope")
    assert missing.stderr.strip() == "404: Run 'run_nope' was not found."
    away = automator(service | {"AUTOMATOR_URL": f"http://127.0.0.1:{closed_port}"}, "runs")
    assert away.returncode == 1
    assert "Cannot reach" in away.stderr
    assert "point AUTOMATOR_URL (or --url) at the one that is" in away.stderr


def test_a_waiting_run_says_what_it_waits_for_and_is_controlled(service: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {service['AUTOMATOR_API_KEY']}"}
    base = service["AUTOMATOR_URL"]
    sent = automator(service, "send-event", "order_placed", "--data", '{"order_id": "o1"}')
    run_id = sent.stdout.split(": ")[1].split()[0]
    command = [AUTOMATOR, "runs", run_id, "--follow"]
    with subprocess.Popen(command, env=service, stdout=subprocess.PIPE, text=True) as follow:
        assert follow.stdout is not None
        # A line that never comes ends the wait for it: the follow is killed, its output ends.
        watchdog = threading.Timer(30, follow.kill)
        watchdog.start()
        try:
            # The day's delay (86 s, scaled) is skipped, then the run waits for the shipment.
            line = first_line(follow.stdout, f"{run_id}: waiting (")
            assert line.startswith(f"{run_id}: waiting (delay, goes on at 20")
            skipped = automator(service, "runs", run_id, "skip")
            assert skipped.returncode == 0, skipped.stderr
            assert skipped.stdout.startswith(f"{run_id}  shipping v1  ")
            line = first_line(follow.stdout, f"{run_id}: waiting (waiting")
            assert line.startswith(f"{run_id}: waiting (waiting for order_shipped, goes on at 20")
            shown = automator(service, "runs", run_id)
            assert "  waiting (waiting for order_shipped, goes on at 20" in shown.stdout
            shipped = {"type": "order_shipped", "data": {"order_id": "o1"}}
            answer = httpx.post(f"{base}/api/events", json=shipped, headers=headers)
            assert follow.wait(timeout=30) == 0
            rest = follow.stdout.read()
            assert rest.strip().endswith(f"{run_id}: completed")
            # The wait says how it ended: this event, not its timeout.
            came = f"wait_ship (wait_for_event) attempt 1: completed (order_shipped {answer.json()['event_id']})"
            assert came in rest
            late = automator(service, "runs", run_id, "cancel")
            assert (late.returncode, late.stderr.split(": it is")[0]) == (
                1,
                f"409: Cannot cancel run {run_id}",
            )
        finally:
            watchdog.cancel()
            follow.kill()


def first_line(stream: IO[str], prefix: str) -> str:
    """The first line read from ``stream`` that starts with ``prefix`` ("" at its end)."""
    while (line := stream.readline()) and not line.startswith(prefix):
        pass
    return line


ADA = {
    "user": {
        "id": "u1",
        "email": "ada@example.com",
        "name": "Ada",
        "email_verified": True,
        "createdAt": "2026-11-23",
        "deviceToken": "device-u1",
    }
}


def test_run_the_seed_workflow_with_a_context_and_follow_each_step(
    service: dict[str, str],
) -> None:
    ran = automator(
        service,
        "run",
        "welcome_campaign_001",
        "--context",
        json.dumps(ADA),
        "--follow",
        "--log-level",
        "WARNING",
    )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.strip().splitlines()
    run_id = lines[0].split(": ")[1].split()[0]
    steps = [line.split()[1:3] for line in lines if "attempt 1: completed" in line]
    assert steps == [
        ["action_001", "(send_email)"],
        ["action_002", "(send_push)"],
        ["action_003", "(update_user_profile)"],
    ]
    assert lines[-1] == f"{run_id}: completed"


def test_a_failing_run_exits_1_and_workflows_are_listed(service: dict[str, str]) -> None:
    failed = automator(service, "--log-level", "error", "run", "broken", "--follow")
    assert failed.returncode == 1
    assert "oops (log) attempt 1: failed" in failed.stdout
    assert failed.stdout.strip().endswith(": failed")
    run_id = failed.stdout.strip().splitlines()[-1].split(":")[0]
    shown = automator(service, "runs", run_id)
    assert shown.stdout.splitlines()[1] == "stopped at oops (log)", "named as built"
    broken = automator(service, "runs", "--workflow", "broken")
    header, row = [line.split("\t") for line in broken.stdout.strip().splitlines()]
    assert header[:5] == ["run", "workflow", "status", "step", "attempt"]
    assert row[:5] == [run_id, "broken v1", "failed", "oops (log)", "1"], "named as built"
    listed = automator(service, "workflows")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert rows[0] == ["workflow", "name", "trigger", "active", "enabled", "tags"]
    assert ["welcome_campaign_001", "Welcome Campaign", "user_signup", "v1", "yes", "-"] in rows
    untagged = automator(service, "workflows", "--tag", "growth")
    assert untagged.stdout.strip().splitlines() == ["\t".join(rows[0])], "no seed is tagged"
    assert untagged.stderr.strip() == "No workflows match --tag growth."
    assert [row[0] for row in rows[1:]] == ["broken", "greet", "shipping", "welcome_campaign_001"]
    bad = automator(service, "run", "greet", "--context", "[1]", "--log-level", "LOUD")
    assert bad.returncode == 2


def test_a_run_retried_through_the_api_shows_its_attempts_counting_on(
    service: dict[str, str],
) -> None:
    failed = automator(service, "--log-level", "error", "run", "broken", "--follow")
    run_id = failed.stdout.strip().splitlines()[-1].split(":")[0]
    headers = {"Authorization": f"Bearer {service['AUTOMATOR_API_KEY']}"}
    with httpx.Client(base_url=service["AUTOMATOR_URL"], headers=headers) as api:
        assert api.post(f"/api/runs/{run_id}/retry").is_success
        for _ in range(600):  # until the embedded worker failed it again
            run = api.get(f"/api/runs/{run_id}").json()
            if run["status"] == "failed" and len(run["steps"]) == 2:
                break
            time.sleep(0.05)
    shown = automator(service, "runs", run_id).stdout
    assert "oops (log) attempt 1: failed" in shown
    assert "oops (log) attempt 2: failed" in shown, "as the API and the Studio count"
    listed = automator(service, "runs", "--workflow", "broken").stdout.strip().splitlines()
    assert [row.split("\t")[4] for row in listed if row.startswith(run_id)] == ["2"]


def test_a_command_over_http_loads_none_of_the_service(service: dict[str, str]) -> None:
    done, loaded = automator_loading("workflows", env=service)
    assert done.returncode == 0, done.stderr
    assert "greet\tGreet\tsignup" in done.stdout
    assert loaded & SERVICE_MODULES == set()


def test_an_empty_list_says_how_to_fill_it(service: dict[str, str]) -> None:
    created = automator(service, "create-api-key", "--tenant", "newcomer", "--role", "viewer")
    assert created.returncode == 0, created.stderr
    newcomer = service | {"AUTOMATOR_API_KEY": created.stdout.split()[-1]}
    # On a terminal (rich's TTY_COMPATIBLE) the line alone, not a table's bare header.
    on_terminal = automator(newcomer | {"TTY_COMPATIBLE": "1", "COLUMNS": "200"}, "runs")
    assert on_terminal.stdout.strip() == (
        "No runs yet: send an event (automator send-event TYPE) "
        "or run a workflow (automator run WORKFLOW_ID)."
    )
    workflows = automator(newcomer | {"TTY_COMPATIBLE": "1", "COLUMNS": "200"}, "workflows")
    assert workflows.stdout.strip() == (
        "No workflows yet: import one (automator import --file F) or create one in the Studio."
    )
    # A script still reads the header first; the line goes to stderr.
    scripted = automator(newcomer, "runs", "--status", "failed")
    assert scripted.stdout.splitlines()[0].split("\t")[:4] == ["run", "workflow", "status", "step"]
    assert scripted.stderr.strip() == "No runs match --status failed."
