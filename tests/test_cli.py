"""The ``automator`` command, run as a user runs it: a real process on a real SQLite file."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.models import jsonc
from app.redis_server import free_port
from tests.conftest import SEEDS

AUTOMATOR = str(Path(sys.executable).parent / "automator")


def automator(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env["AUTOMATOR_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [AUTOMATOR, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_import_a_folder_then_export_each_unchanged(tmp_path: Path) -> None:
    imported = automator(tmp_path, "import", "--file", str(SEEDS))
    assert imported.returncode == 0, imported.stderr
    assert "4 imported, 0 failed" in imported.stdout
    for path in sorted(SEEDS.glob("*.json")):
        written = jsonc.loads(path.read_bytes())
        exported = automator(tmp_path, "export", written["workflow_id"])
        document = json.loads(exported.stdout)
        for action, original in zip(document["actions"], written["actions"], strict=True):
            if "id" not in original:
                del action["id"]
        assert document == written
    again = automator(tmp_path, "import", "--file", str(SEEDS / "user_onboarding.json"))
    assert "unchanged user_onboarding v1" in again.stdout


def test_a_bad_file_is_reported_and_the_rest_imported(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    shutil.copy(SEEDS / "customer_retention.json", folder / "b.json")
    (folder / "a.json").write_text('{"workflow_id": "x", "name": "n", "trigger": {"type": "t"},'
                                   ' "actions": [{"type": "send_fax"}]}')  # fmt: skip
    result = automator(tmp_path / "data", "import", "--file", str(folder))
    assert result.returncode == 1
    assert "unknown action type 'send_fax'" in result.stderr
    assert "created customer_retention v1" in result.stdout
    assert "1 imported, 1 failed" in result.stdout


def test_validate_reports_the_path_of_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"workflow_id": "x", "name": "n", "trigger": {"type": "t"}, "actions": []}')
    result = automator(tmp_path, "validate", "--file", str(bad))
    assert result.returncode == 1
    assert "actions: List should have at least 1 item" in result.stderr
    good = automator(tmp_path, "validate", "--file", str(SEEDS))
    assert good.returncode == 0
    assert good.stdout.count(": valid") == 4


def test_create_api_key_prints_a_key_that_is_stored_hashed(tmp_path: Path) -> None:
    result = automator(tmp_path, "create-api-key", "--tenant", "acme", "--role", "ingest")
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("atm_")
    assert len(secret) > 40
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("automator.db*"))
    assert stored
    assert secret.encode() not in stored


@pytest.mark.parametrize("role", ["owner", ""])
def test_create_api_key_refuses_an_unknown_role(tmp_path: Path, role: str) -> None:
    result = automator(tmp_path, "create-api-key", "--tenant", "acme", "--role", role)
    assert result.returncode == 2
    assert "admin" in result.stderr
    assert "ingest" in result.stderr


def test_a_worker_serves_its_metrics_on_its_own_port(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {"AUTOMATOR_DATA_DIR": str(tmp_path), "AUTOMATOR_REDIS_URL": redis_url,
            "AUTOMATOR_METRICS_PORT": str(port)}  # fmt: skip
    worker = subprocess.Popen([AUTOMATOR, "worker"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        text = wait_for_metrics(f"http://127.0.0.1:{port}/metrics", worker)
        assert "# TYPE automator_step_duration_seconds histogram" in text
        assert "automator_reconciler_requeued_total 0.0" in text
    finally:
        worker.send_signal(signal.SIGINT)
        worker.communicate(timeout=30)


def wait_for_metrics(url: str, process: subprocess.Popen[str]) -> str:
    for _ in range(300):
        assert process.poll() is None, process.communicate()[0]
        try:
            return httpx.get(url, timeout=1).text
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"no metrics at {url}")
