"""Schemathesis with every check (``schemathesis run --checks all``) against a real
``automator dev`` process: generated requests to every operation, their negative twins,
unsupported methods, missing headers, and the stateful sequences the schema's links allow.
No answer may be a 5xx, every answer must match the schema, and the server must accept what
the schema allows and refuse what it does not. The rules no schema can state are in
schemathesis.toml, each with the operation it applies to.

The run is derandomized (schemathesis's deterministic mode: the same cases every time) and
bounded to 3 examples per operation in the fuzzing phase; the coverage phase, which sends
each operation's boundary and negative cases, is most of the run (about 22,000 requests).
Three runs share the operations and go at once (see the test). Raise
AUTOMATOR_TEST_OPENAPI_EXAMPLES to search longer; set AUTOMATOR_TEST_OPENAPI_SEED to search
other cases (random generation from that seed, the same cases for the same seed).
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import SEEDS
from tests.processes import Process
from tests.stand_in_models import StandInOpenAI

ROOT = Path(__file__).parent.parent.parent
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXAMPLES = os.environ.get("AUTOMATOR_TEST_OPENAPI_EXAMPLES", "3")
SEED = os.environ.get("AUTOMATOR_TEST_OPENAPI_SEED")
KEY = "atm_openapi_fuzz_admin_0123456789abcdef"
DRAFT = {
    "document": {
        "workflow_id": "drafted",
        "name": "Drafted",
        "trigger": {"type": "order_placed"},
        "actions": [{"id": "note", "type": "log", "data": {"message": "hi"}}],
    },
    "explanation": "Logs each order.",
    "assumptions": ["The event type is order_placed"],
}


@pytest.fixture
def model() -> Iterator[str]:
    """A stand-in model server answering every copilot request with a valid draft, so the
    copilot's 200 is checked too (with no model it answers its documented 503)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    StandInOpenAI(server, [DRAFT])
    server.start()
    try:
        yield server.url_for("/v1")
    finally:
        server.stop()


@pytest.fixture
def dev(tmp_path: Path, model: str) -> Iterator[Process]:
    """``automator dev`` as ``make run`` starts it, with an admin key and the seed workflow."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")} | {
        "AUTOMATOR_DATA_DIR": str(tmp_path / "var"),
        "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
        "AUTOMATOR_RATE_LIMIT": "0",
        "AUTOMATOR_AI_BASE_URL": model,
        "AUTOMATOR_AI_MODEL": "stand-in",
        # The stand-in model listens on 127.0.0.1.
        "AUTOMATOR_HTTP_ALLOWED_HOSTS": "127.0.0.1",
    }
    process = Process.start("dev", env, tmp_path / "dev.log", "AUTOMATOR_PORT")
    try:
        process.wait_ready()
        seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        assert httpx.post(f"{process.url}/api/workflows", content=seed, headers=headers).is_success
        yield process
    finally:
        process.stop()


def schemathesis(url: str, directory: Path, selection: list[str]) -> subprocess.Popen[str]:
    """``schemathesis run --checks all`` over the operations ``selection`` picks; its output
    goes to a file in ``directory`` (its working directory: it writes its cache there)."""
    directory.mkdir()
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
        "--checks=all",
        f"--max-examples={EXAMPLES}",
        "--generation-deterministic" if SEED is None else f"--seed={SEED}",
        "--workers=1",
        "--no-color",
        f"--header=Authorization: Bearer {KEY}",
        *selection,
    ]
    with (directory / "output.txt").open("w") as out:
        return subprocess.Popen(
            command, cwd=directory, stdout=out, stderr=subprocess.STDOUT, text=True
        )


def test_schemathesis_with_every_check_finds_no_failure(dev: Process, tmp_path: Path) -> None:
    # A run's generator keeps one core busy (Python). Creating and saving a workflow take
    # its whole document schema, about 9,000 cases each of the 22,000: three runs at once,
    # those two and the rest, keep both cores working.
    create, save = "POST /api/workflows", "PUT /api/workflows/{workflow_id}"
    runs = {
        "create": [f"--include-name={create}"],
        "save": [f"--include-name={save}"],
        "rest": [f"--exclude-name-regex=^({re.escape(create)}|{re.escape(save)})$"],
    }
    started = {
        name: schemathesis(dev.url, tmp_path / name, selection) for name, selection in runs.items()
    }
    for name, run in started.items():
        run.wait(timeout=900)
        output = (tmp_path / name / "output.txt").read_text()
        assert run.returncode == 0, f"{name}:\n{output[-20_000:]}"
