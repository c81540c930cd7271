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
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=30)
        finally:
            process.kill()
        assert "atm_test_bootstrap_key" not in output, "a configured key is never printed"
