"""The README's first workflow, run as written: its ``sh`` block, extracted from README.md
so the README cannot drift from what works, run by bash against a real ``automator dev`` on
a free port with its own data dir and no other configuration (no SMTP server, no push
provider). The run completes and the welcome email is in the dev outbox."""

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.actions.address_guard import AddressRefused
from app.actions.net import address_guard
from app.settings import Settings
from tests.ports import on_a_free_port
from tests.test_dev import AUTOMATOR, wait_for_health

ROOT = Path(__file__).parent.parent
KEY = "atm_readme_first_workflow_0123456789abcdef"
SECTION = "## A first workflow"


def first_workflow_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else None]


def first_workflow_commands() -> str:
    """The section's first ``sh`` block, verbatim."""
    found = re.search(r"^```sh\n(.*?)^```$", first_workflow_section(), re.S | re.M)
    assert found, f"README.md: no sh block under {SECTION!r}"
    return found.group(1)


def delay_scale() -> str:
    """The AUTOMATOR_DELAY_SCALE the section tells the reader to start the service with."""
    found = re.search(r"AUTOMATOR_DELAY_SCALE=([0-9.]+)", first_workflow_section())
    assert found, f"README.md: {SECTION!r} no longer says how to shorten the delays"
    return found.group(1)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    """``automator dev`` as the README starts it, plus a known bootstrap key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {
        "AUTOMATOR_DATA_DIR": str(tmp_path / "var"),
        "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
        "AUTOMATOR_DELAY_SCALE": delay_scale(),
    }

    def launch(port: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [AUTOMATOR, "dev"],
            cwd=ROOT,
            env=env | {"AUTOMATOR_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    port, process = on_a_free_port(launch)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/ready", process, seconds=60)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            process.kill()


def finished_run(base: str, run_id: str, seconds: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {KEY}"}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run: dict[str, Any] = httpx.get(f"{base}/api/runs/{run_id}", headers=headers).json()
        if run["status"] in {"completed", "failed", "cancelled"}:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run['status']} after {seconds} s")


def test_the_readme_first_workflow_completes_into_the_outbox(service: str) -> None:
    env = os.environ | {"AUTOMATOR_API_KEY": KEY, "AUTOMATOR_URL": service}
    done = subprocess.run(
        ["bash", "-e", "-c", first_workflow_commands()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(replies) == 6, done.stdout
    assert all(not isinstance(reply.get("error"), dict) for reply in replies), done.stdout
    run_id = re.search(r'"run_ids":\["(run_[0-9a-f]+)"\]', done.stdout)
    assert run_id, f"the event started no run: {done.stdout}"

    run = finished_run(service, run_id.group(1), seconds=60)
    assert run["status"] == "completed", run
    headers = {"Authorization": f"Bearer {KEY}"}
    outbox = httpx.get(f"{service}/api/outbox", params={"channel": "email"}, headers=headers)
    (email,) = outbox.json()["items"]
    assert (email["recipient"], email["run_id"]) == ("ada@example.com", run["run_id"])
    assert email["text"] == "Hi Ada, thanks for joining on 2026-11-23."


async def test_the_readme_lets_a_first_webhook_reach_a_local_sink(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A webhook to a sink on this machine is refused as loopback, in the words the README
    quotes; the setting its troubleshooting gives lets both spellings of the sink through."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    advice = re.search(
        r"\(`([^`]+)`\): for a local sink, start\s+with `(\w+)=(\S+) make run`", text
    )
    assert advice, "README.md: no word on a webhook to a local sink"
    said, variable, value = advice.groups()
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(AddressRefused, match=said):
        await address_guard(Settings(_env_file=None)).addresses("localhost", 8000)

    monkeypatch.setenv(variable, value)
    allowed = address_guard(Settings(_env_file=None))
    for host in ("localhost", "127.0.0.1"):
        assert await allowed.addresses(host, 8000)
