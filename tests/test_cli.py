"""The ``automator`` command, run as a user runs it: a real process on a real SQLite file."""

import asyncio
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from typer.testing import CliRunner

from app.cli import cli
from app.clock import SystemClock
from app.engine.calls.keyring import Keyring
from app.engine.calls.masking import SCRUBBER
from app.engine.calls.secrets import Secrets
from app.lockfile import DataDirLock
from app.models import jsonc
from app.models.audit import AuditEntry, AuditFilter
from app.models.workflow import Page
from app.settings import Settings
from app.store.sqlite import SQLiteStore
from tests.conftest import SEEDS
from tests.processes import fleet
from tests.waiting import COLD_START

AUTOMATOR = str(Path(sys.executable).parent / "automator")
T = TypeVar("T")
# What running the service loads (seconds of CPU to import): `automator --help` and the
# commands over HTTP need none of it.
SERVICE_MODULES = {"fastapi", "uvicorn", "arq", "redis", "pymongo", "app.main", "app.resources"}
# The console script's call, then the modules it loaded, on the last line of stderr.
LOADING = """
import sys
from app.cli import main
try:
    main()
finally:
    print(*sys.modules, file=sys.stderr)
"""


def automator(
    data_dir: Path, *args: str, secrets_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env["AUTOMATOR_DATA_DIR"] = str(data_dir)
    if secrets_key is not None:
        env["AUTOMATOR_SECRETS_KEY"] = secrets_key
    return subprocess.run(
        [AUTOMATOR, *args], env=env, capture_output=True, text=True, timeout=COLD_START, check=False
    )


def automator_loading(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``automator ARGS`` as its console script runs it, and the modules it had loaded."""
    done = subprocess.run(
        [sys.executable, "-c", LOADING, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COLD_START,
        check=False,
    )
    return done, set(done.stderr.splitlines()[-1].split())


def test_the_help_loads_none_of_the_service() -> None:
    done, loaded = automator_loading("--help")
    assert done.returncode == 0, done.stderr
    assert "create-api-key" in done.stdout
    assert loaded & SERVICE_MODULES == set()


def test_import_a_folder_then_export_each_unchanged(tmp_path: Path) -> None:
    imported = automator(tmp_path, "import", "--file", str(SEEDS))
    assert imported.returncode == 0, imported.stderr
    assert "4 imported, 0 failed" in imported.stdout
    # What a run would fail on, as the API's import answers it: a template not made yet.
    warning = (
        "user_onboarding: warning: action_003 (send_email): "
        "message template 'getting_started' was not found"
    )
    assert any(line.startswith(warning) for line in imported.stderr.splitlines())
    assert "warning" not in imported.stdout
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
    (folder / "a.json").write_text(
        '{"workflow_id": "x", "name": "n", "trigger": {"type": "t"},'
        ' "actions": [{"type": "send_fax"}]}'
    )
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
    assert "actions: the workflow has no action yet: add at least one" in result.stderr
    # A file is no request's body: it was "The body is not valid JSON".
    (tmp_path / "cut.json").write_text('{"workflow_id": "x",\n "name": }')
    cut = automator(tmp_path, "validate", "--file", str(tmp_path / "cut.json"))
    assert cut.returncode == 1
    assert f"{tmp_path / 'cut.json'}: The document is not valid JSON" in cut.stderr
    assert 'line 2 Unexpected "}" at column 10' in cut.stderr
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


def test_a_worker_and_a_scheduler_say_when_they_are_ready_on_their_own_port(
    tmp_path: Path, redis_url: str
) -> None:
    """No HTTP API of their own: each logs when it is ready and answers /health, /ready
    (naming what it checked) and /metrics on AUTOMATOR_METRICS_PORT."""
    with fleet(tmp_path, redis_url) as started:
        processes = [started.start("worker"), started.start("scheduler")]
        for process in processes:
            process.wait_ready()
            assert httpx.get(f"{process.url}/health").json() == {"status": "ok"}
            checks = httpx.get(f"{process.url}/ready").json()["checks"]
            assert checks == {"store": "ok", "redis": "ok", process.command: "ok"}
            text = httpx.get(f"{process.url}/metrics").text
            assert "# TYPE automator_step_duration_seconds histogram" in text
            assert "automator_reconciler_requeued_total" in text
            process.stop()
    for process in processes:
        assert f"{process.command} is ready" in process.output()


def test_a_taken_probe_port_stops_a_worker_in_one_line(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        for name, value in {
            "AUTOMATOR_DATA_DIR": str(tmp_path),
            "AUTOMATOR_REDIS_URL": redis_url,
            "AUTOMATOR_METRICS_PORT": str(port),
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 2
    assert f"Cannot serve /health, /ready and /metrics on 127.0.0.1:{port}" in result.output


@pytest.mark.parametrize("command", ["api", "worker", "scheduler"])
def test_a_production_command_warns_at_start_while_the_master_key_is_unset(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bare_environment(tmp_path, monkeypatch)
    # No AUTOMATOR_REDIS_URL: each stops right after its start-up checks, warning first.
    unset = CliRunner().invoke(cli, [command])
    assert unset.exit_code == 2
    assert "Set AUTOMATOR_REDIS_URL" in unset.output
    warning = "AUTOMATOR_SECRETS_KEY is not set: stored secrets are encrypted with the key in"
    assert f"{warning} {tmp_path / 'secrets.key'}" in unset.output
    monkeypatch.setenv("AUTOMATOR_SECRETS_KEY", Fernet.generate_key().decode())
    set_key = CliRunner().invoke(cli, [command])
    assert set_key.exit_code == 2
    assert "AUTOMATOR_SECRETS_KEY" not in set_key.output


@pytest.mark.parametrize(
    ("command", "port"),
    [("dev", "5000"), ("api", "5000"), ("worker", "9101"), ("scheduler", "9102")],
)
def test_open_metrics_on_more_than_loopback_are_warned_of_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, port: str
) -> None:
    """`dev` and the API serve /metrics on the API's port; a worker or a scheduler on
    AUTOMATOR_METRICS_PORT, if set."""
    _bare_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("AUTOMATOR_HOST", "0.0.0.0")
    warning = f"AUTOMATOR_METRICS_TOKEN is not set: /metrics on 0.0.0.0:{port} answers anyone"
    if command in ("worker", "scheduler"):
        assert "AUTOMATOR_METRICS_TOKEN" not in CliRunner().invoke(cli, [command]).output
        monkeypatch.setenv("AUTOMATOR_METRICS_PORT", port)
    # Each stops right after its start-up checks, warning first: `dev` finding its data dir
    # served (the lock held here), the others without AUTOMATOR_REDIS_URL.
    with DataDirLock(tmp_path, int(port)):
        assert CliRunner().invoke(cli, [command]).output.count(warning) == 1
        monkeypatch.setenv("AUTOMATOR_METRICS_TOKEN", "scrape-s3cret")
        assert "AUTOMATOR_METRICS_TOKEN" not in CliRunner().invoke(cli, [command]).output


def _bare_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AUTOMATOR_* but the data dir ``tmp_path``, and the root logger given back after
    the test (a command points it at the runner's output)."""
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", str(tmp_path))
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)


def test_the_master_key_is_rotated_by_reencrypting_under_a_new_first_key(
    tmp_path: Path,
) -> None:
    old = automator(tmp_path, "secrets", "new-key").stdout.strip()
    new = Fernet.generate_key().decode()
    asyncio.run(with_secrets(tmp_path, old, lambda s: s.put("acme", "API_KEY", "value-one")))
    done = automator(tmp_path, "secrets", "reencrypt", secrets_key=f"{new},{old}")
    assert done.returncode == 0, done.stderr
    assert "1 secrets re-encrypted" in done.stdout
    resolved = asyncio.run(
        with_secrets(tmp_path, new, lambda s: s.resolve("acme", {"API_KEY"}, env=False))
    )
    assert resolved == {"API_KEY": "value-one"}
    refused = automator(
        tmp_path, "secrets", "reencrypt", secrets_key=Fernet.generate_key().decode()
    )
    assert refused.returncode == 1
    assert "secret 'API_KEY' of tenant 'acme'" in refused.stderr


async def with_secrets(data_dir: Path, key: str, work: Callable[[Secrets], Awaitable[T]]) -> T:
    """``work`` on the secrets of the SQLite file in ``data_dir``, under master key ``key``."""
    store = await SQLiteStore.open(data_dir / "automator.db", SystemClock())
    settings = Settings(data_dir=data_dir, secrets_key=SecretStr(key), _env_file=None)
    try:
        return await work(Secrets(store, Keyring.from_settings(settings), SCRUBBER, []))
    finally:
        await store.close()


def test_changes_made_through_the_cli_are_audited(tmp_path: Path) -> None:
    assert (
        automator(tmp_path, "import", "--file", str(SEEDS / "user_onboarding.json")).returncode == 0
    )
    created = automator(tmp_path, "create-api-key", "--tenant", "default", "--role", "viewer")
    assert created.returncode == 0

    async def audit_log() -> list[AuditEntry]:
        store = await SQLiteStore.open(tmp_path / "automator.db", SystemClock())
        try:
            return await store.list_audit("default", AuditFilter(), Page())
        finally:
            await store.close()

    entries = asyncio.run(audit_log())
    assert [(e.actor, e.action, e.entity_id) for e in entries][1] == (
        "cli",
        "workflow.import",
        "user_onboarding",
    )
    assert (entries[0].actor, entries[0].action) == ("cli", "api_key.create")
    assert created.stdout.strip().splitlines()[-1] not in repr(entries)


def test_create_api_key_limits_a_key_to_tags_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", str(tmp_path))
    limits = ("--tag", "growth", "--tag", "emea", "--workflow", "welcome")
    created = CliRunner().invoke(cli, ["create-api-key", "-t", "acme", "-r", "editor", *limits])
    assert created.exit_code == 0, created.output

    async def keys() -> list[tuple[list[str] | None, list[str] | None]]:
        store = await SQLiteStore.open(tmp_path / "automator.db", SystemClock())
        try:
            return [(k.workflows, k.tags) for k in await store.list_api_keys("acme")]
        finally:
            await store.close()

    assert asyncio.run(keys()) == [(["welcome"], ["growth", "emea"])]
    refused = CliRunner().invoke(
        cli, ["create-api-key", "-t", "acme", "-r", "viewer", "--tag", "Ops"]
    )
    assert refused.exit_code == 2
    assert "tag 'Ops' must be 1 to 40 lowercase letters" in refused.stderr


def test_create_api_key_sets_an_expiry_and_tells_when_every_admin_key_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The only admin key of a new tenant may expire: made, with a notice saying when no
    key could manage the tenant's keys any more. A bad or past time is refused."""
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", str(tmp_path))
    create = ["create-api-key", "-t", "newco", "-r", "admin", "--expires-at"]
    created = CliRunner().invoke(cli, [*create, "2099-01-31"])
    assert created.exit_code == 0, created.output
    assert (
        "\nEvery admin key of the tenant expires, the last at 2099-01-31T00:00:00Z: after "
        "that no key can create or revoke keys"
    ) in created.stderr
    assert created.stdout.strip().splitlines()[-1].startswith("atm_")

    async def expiries() -> list[datetime | None]:
        store = await SQLiteStore.open(tmp_path / "automator.db", SystemClock())
        try:
            return [k.expires_at for k in await store.list_api_keys("newco")]
        finally:
            await store.close()

    assert asyncio.run(expiries()) == [datetime(2099, 1, 31, tzinfo=UTC)]
    for when, says in (
        ("next week", "'next week' is not an ISO 8601 date or time"),
        ("2001-01-01T00:00:00+02:00", "expires_at 2000-12-31T22:00:00Z is not in the future"),
    ):
        refused = CliRunner().invoke(cli, [*create, when])
        assert refused.exit_code == 2
        # The message as the error's box shows it, over several lines.
        shown = " ".join(re.sub("[│╭╮╰╯─]", " ", refused.stderr).split())
        assert says in shown
        assert "--expires-at" in shown
    assert len(asyncio.run(expiries())) == 1


@pytest.mark.parametrize("tenant", ["", "-acme", "acme corp", "a/b", "x" * 129])
def test_create_api_key_refuses_a_tenant_id_the_operator_api_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tenant: str
) -> None:
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", str(tmp_path))
    refused = CliRunner().invoke(cli, ["create-api-key", "-t", tenant, "-r", "admin"])
    assert refused.exit_code == 2
    # The message as the error's box shows it, over several lines.
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", refused.stderr).split())
    assert "Invalid value for --tenant: should be 1 to 128 letters, digits, '_', '.' or '-'" in said
    assert asyncio.run(tenant_in(tmp_path, tenant)) is False


async def tenant_in(data_dir: Path, tenant: str, make: bool = False) -> bool:
    """Whether the data dir's store holds ``tenant`` (``make``: made first)."""
    store = await SQLiteStore.open(data_dir / "automator.db", SystemClock())
    try:
        if make:
            await store.ensure_tenant(tenant, tenant)
        return await store.get_tenant(tenant) is not None
    finally:
        await store.close()


def test_create_api_key_gives_a_tenant_made_before_the_id_rule_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create-api-key took any tenant id until the rule: a tenant made so still gets keys,
    as after losing its last admin key the command is its one way back in."""
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", str(tmp_path))
    assert asyncio.run(tenant_in(tmp_path, "acme corp", make=True))
    created = CliRunner().invoke(cli, ["create-api-key", "-t", "acme corp", "-r", "admin"])
    assert created.exit_code == 0, created.output
    assert created.stdout.strip().splitlines()[-1].startswith("atm_")


def test_the_command_list_says_what_each_command_does_in_whole_sentences() -> None:
    """The list shows each command's first paragraph, reflowed: none may end on a colon
    whose example only the command's own --help shows."""
    result = CliRunner().invoke(cli, ["--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    panel = result.output.split("Commands")[1]
    summaries = " ".join(line.strip("│ ") for line in panel.splitlines())
    assert "send-event" in summaries
    assert "which runs it started." in summaries
    assert "Example" not in summaries
