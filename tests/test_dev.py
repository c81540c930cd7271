"""``automator dev`` (what ``make run`` starts), as a real process on a free port."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.redis_server import free_port
from tests.conftest import SEEDS

AUTOMATOR = str(Path(sys.executable).parent / "automator")


def wait_for_health(url: str, process: subprocess.Popen[str], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert process.poll() is None, "automator dev exited early"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer on {url} within {seconds} s")


def assert_a_run_completes(base: str, headers: dict[str, str], workflow_id: str) -> None:
    """The worker runs inside ``automator dev``: an event's run completes with nothing else."""
    document = {"workflow_id": workflow_id, "name": "n", "trigger": {"type": workflow_id},
                "actions": [{"id": "hello", "type": "log", "data": {"message": "hi {{ user.id }}"}}]}  # fmt: skip
    assert httpx.post(f"{base}/api/workflows", json=document, headers=headers).status_code == 201
    event = {"type": workflow_id, "user": {"id": "u1"}}
    run_id = httpx.post(f"{base}/api/events", json=event, headers=headers).json()["run_ids"][0]
    for _ in range(200):
        run = httpx.get(f"{base}/api/runs/{run_id}", headers=headers).json()
        if run["status"] == "completed":
            assert run["outputs"]["hello"]["output"] == {"message": "hi u1"}
            return
        time.sleep(0.05)
    raise AssertionError(f"the run did not complete: {run['status']}")


def assert_a_schedule_fires(base: str, headers: dict[str, str]) -> None:
    """The scheduler runs inside ``automator dev`` too."""
    document = {"workflow_id": "ticker", "name": "n", "trigger": {"type": "schedule", "interval": 1},
                "actions": [{"type": "log"}]}  # fmt: skip
    assert httpx.post(f"{base}/api/workflows", json=document, headers=headers).status_code == 201
    for _ in range(100):
        runs = httpx.get(f"{base}/api/runs", params={"workflow_id": "ticker"}, headers=headers)
        if runs.json()["items"]:
            return
        time.sleep(0.1)
    raise AssertionError("the schedule never fired")


def test_dev_serves_the_seed_workflow_with_embedded_store_and_redis(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {"AUTOMATOR_PORT": str(port), "AUTOMATOR_DATA_DIR": str(tmp_path / "var")}
    process = subprocess.Popen(
        [AUTOMATOR, "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", process, seconds=60)
        ready = httpx.get(f"{base}/ready").json()
        assert ready["checks"] == {"store": "ok", "redis": "ok"}
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    key = next(line.strip() for line in output.splitlines() if line.strip().startswith("atm_"))
    assert "Started a local Redis" in output
    assert (tmp_path / "var" / "automator.db").exists()
    assert (tmp_path / "var" / "redis" / "appendonly.aof").exists()
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists(), "Redis was not stopped"
    assert process.returncode == 0
    assert len(key) > 40


def test_dev_takes_the_bootstrap_key_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {
        "AUTOMATOR_PORT": str(port),
        "AUTOMATOR_DATA_DIR": str(tmp_path / "var"),
        "AUTOMATOR_BOOTSTRAP_API_KEY": "atm_test_bootstrap_key_0123456789abcdef",
    }
    headers = {"Authorization": "Bearer atm_test_bootstrap_key_0123456789abcdef"}
    base = f"http://127.0.0.1:{port}"
    for attempt in range(2):
        process = subprocess.Popen(
            [AUTOMATOR, "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            wait_for_health(f"{base}/health", process, seconds=60)
            if attempt == 0:
                seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
                created = httpx.post(f"{base}/api/workflows", content=seed, headers=headers)
                assert created.status_code == 201, created.text
            found = httpx.get(f"{base}/api/workflows/welcome_campaign_001", headers=headers)
            assert found.json()["version"] == 1
            assert_a_run_completes(base, headers, f"flow{attempt}")
            if attempt == 0:
                assert_a_schedule_fires(base, headers)
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=30)
        finally:
            process.kill()
        assert "atm_test_bootstrap_key" not in output, "a configured key is never printed"
