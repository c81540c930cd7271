import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import Settings, configuration_table

AUTOMATOR = str(Path(sys.executable).parent / "automator")

DOCS = Path(__file__).parent.parent / "docs"


def test_configuration_page_lists_every_setting_as_the_code_has_it() -> None:
    head = (DOCS / "configuration.md.head").read_text()
    assert (DOCS / "configuration.md").read_text() == head + configuration_table(), (
        "docs/configuration.md is stale: run `make docs`"
    )


@pytest.mark.parametrize(
    "value",
    ["hooks.internal, 127.0.0.1,10.1.0.0/16", '["hooks.internal", "127.0.0.1", "10.1.0.0/16"]'],
)
def test_a_list_setting_takes_commas_or_a_json_list(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOMATOR_HTTP_ALLOWED_HOSTS", value)
    hosts = Settings(_env_file=None).http_allowed_hosts
    assert hosts == ["hooks.internal", "127.0.0.1", "10.1.0.0/16"]


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "AUTOMATOR_PORT",
            "abc",
            "AUTOMATOR_PORT: Input should be a valid integer, unable to parse string as an integer",
        ),
        ("AUTOMATOR_PORT", "70000", "AUTOMATOR_PORT: Input should be less than or equal to 65535"),
        (
            "AUTOMATOR_SCHEDULE_MISFIRE",
            "never",
            "AUTOMATOR_SCHEDULE_MISFIRE: Input should be 'skip' or 'run_once'",
        ),
        (
            "AUTOMATOR_HTTP_ALLOWED_HOSTS",
            '["a.example"',
            "AUTOMATOR_HTTP_ALLOWED_HOSTS: Expecting ',' delimiter: line 1 column 13 (char 12)",
        ),
        (
            "AUTOMATOR_STORE_KEY",
            "a" * 64 + ",my passphrase",
            "AUTOMATOR_STORE_KEY: key 2 of 2 is not 64 hexadecimal digits; make one with "
            "`automator store new-key`",
        ),
        (
            "AUTOMATOR_METRICS_TOKEN",
            "",
            "AUTOMATOR_METRICS_TOKEN: empty: give it a value, or leave the variable unset",
        ),
        (
            "AUTOMATOR_OPERATOR_TOKEN",
            "s3cret",
            "AUTOMATOR_OPERATOR_TOKEN: shorter than 32 characters; make one with "
            "`openssl rand -hex 32`",
        ),
        (
            "AUTOMATOR_OPERATOR_TOKEN",
            "",
            "AUTOMATOR_OPERATOR_TOKEN: empty: give it a value, or leave the variable unset",
        ),
        (
            "AUTOMATOR_AI_MODEL",
            "",
            "AUTOMATOR_AI_MODEL: empty: give it a value, or leave the variable unset",
        ),
        (
            "AUTOMATOR_INTEGRATIONS",
            "{smtp",
            "AUTOMATOR_INTEGRATIONS: not valid JSON; see docs/configuration.md",
        ),
    ],
)
def test_a_bad_setting_stops_the_command_in_one_line(
    tmp_path: Path, variable: str, value: str, line: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {"AUTOMATOR_DATA_DIR": str(tmp_path), variable: value}
    done = subprocess.run(
        [AUTOMATOR, "dev"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [line]
    assert not (tmp_path / "redis").exists(), "nothing started"
