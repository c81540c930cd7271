"""``automator send-event`` and ``automator runs`` against a real ``automator dev``."""

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.redis_server import free_port
from tests.test_dev import AUTOMATOR, wait_for_health

KEY = "atm_remote_test_key_0123456789abcdef0123"
WORKFLOW = {"workflow_id": "greet", "name": "Greet", "trigger": {"type": "signup"},
            "actions": [{"id": "hello", "type": "log", "data": {"message": "hi {{ user.id }}"}}]}  # fmt: skip


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running ``automator dev`` with one workflow; the environment the CLI needs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {"AUTOMATOR_PORT": str(port), "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
            "AUTOMATOR_DATA_DIR": str(tmp_path_factory.mktemp("remote"))}  # fmt: skip
    process = subprocess.Popen([AUTOMATOR, "dev"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", process, seconds=60)
        headers = {"Authorization": f"Bearer {KEY}"}
        assert httpx.post(f"{base}/api/workflows", json=WORKFLOW, headers=headers).is_success
        yield {k: v for k, v in env.items() if k != "AUTOMATOR_BOOTSTRAP_API_KEY"} | {
            "AUTOMATOR_URL": base, "AUTOMATOR_API_KEY": KEY}  # fmt: skip
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def automator(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AUTOMATOR, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_send_an_event_then_follow_its_run(service: dict[str, str]) -> None:
    sent = automator(service, "send-event", "signup", "--user", '{"id": "u1"}',
                     "--idempotency-key", "signup-u1")  # fmt: skip
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


def test_many_events_from_a_file(service: dict[str, str], tmp_path: Path) -> None:
    lines = [json.dumps({"type": "signup", "user": {"id": f"f{n}"}}) for n in range(3)]
    (tmp_path / "events.jsonl").write_text("\n".join([*lines, json.dumps({"type": "other"})]))
    sent = automator(service, "send-event", "--file", str(tmp_path / "events.jsonl"))
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip().endswith("4 events accepted, 3 runs started")


def test_errors_are_said_plainly(service: dict[str, str]) -> None:
    refused = automator(service | {"AUTOMATOR_API_KEY": "atm_wrong"}, "send-event", "signup")
    assert (refused.returncode, refused.stderr.strip()) == (1, "401: The API key is not valid.")
    invalid = automator(service, "send-event", "bad type!")
    assert invalid.returncode == 1
    assert invalid.stderr.startswith("422: ")
    not_json = automator(service, "send-event", "signup", "--user", "{id}")
    assert not_json.returncode == 2
    assert "--user" in not_json.stderr
    missing = automator(service, "runs", "run_nope")
    assert missing.stderr.strip() == "404: Run 'run_nope' was not found."
    away = automator(service | {"AUTOMATOR_URL": f"http://127.0.0.1:{free_port()}"}, "runs")
    assert away.returncode == 1
    assert "Cannot reach" in away.stderr
