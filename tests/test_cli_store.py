"""The commands that open the store use the service's (issue 13, item 4): the data dir is
the project's ``var`` whatever the current directory, each says which store it opened, and
``import --url`` goes through a running service's API instead."""

import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.settings import Settings
from tests.conftest import SEEDS
from tests.processes import fleet

ROOT = Path(__file__).resolve().parent.parent
KEY = "atm_cli_store_import_0123456789abcdef01234"


def test_an_unset_data_dir_is_the_projects_var_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert Settings(_env_file=None).data_dir == ROOT / "var"
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", "elsewhere")
    assert Settings(_env_file=None).data_dir == Path("elsewhere")


def automator(*args: str) -> Result:
    """The command in this process, as its console script runs it; stderr kept apart."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_each_command_that_opens_the_store_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOMATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    store = f"Store: SQLite {(tmp_path / 'data' / 'automator.db').resolve()}"
    for args in (
        ["import", "--file", str(SEEDS / "user_onboarding.json")],
        ["export", "user_onboarding"],
        ["create-api-key", "--tenant", "acme", "--role", "ingest"],
    ):
        result = automator(*args)
        assert result.exit_code == 0, result.stderr
        assert store in result.stderr.splitlines(), (args, result.stderr)
    assert automator("export", "user_onboarding").stdout.startswith("{"), "stdout: the document"


def test_import_with_url_goes_through_a_running_api(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    with fleet(tmp_path, redis_url, AUTOMATOR_BOOTSTRAP_API_KEY=KEY) as started:
        api = started.start("api")
        api.wait_ready()
        keyless = automator("import", "--url", api.url, "--file", str(SEEDS))
        assert keyless.exit_code == 2
        assert "--url needs an API key" in keyless.stderr
        imported = automator("import", "--url", api.url, "--api-key", KEY, "--file", str(SEEDS))
        assert imported.exit_code == 0, imported.stderr
        assert f"Importing through the API at {api.url}" in imported.stderr
        assert "created user_onboarding v1" in imported.stdout
        # What a run would fail on, as a create answers it: the seed names templates not made.
        assert (
            "user_onboarding: warning: action_003 (send_email): "
            "message template 'getting_started' was not found"
        ) in imported.stderr
        assert "4 imported, 0 failed" in imported.stdout
        headers = {"Authorization": f"Bearer {KEY}"}
        listed = httpx.get(f"{api.url}/api/workflows", headers=headers).json()["items"]
        assert len(listed) == 4
