"""Encryption at rest of the embedded store (AUTOMATOR_STORE_KEY, SQLCipher): what a service
on an encrypted store is sent is in no file of its data dir, and it reads it back; a key
that does not fit the file stops a process at start in one line saying what to do."""

import os
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.clock import Clock, SystemClock
from app.settings import Settings
from app.sqlite_file import COMMAND_CHARS, StoreKeyError, shown_command
from app.store.sqlite import SQLiteStore
from tests.conftest import as_admin, drain, send, serving
from tests.ports import ran_on_a_free_port
from tests.store.conftest import STORE_KEY
from tests.test_dev import AUTOMATOR

# A one-time code as an event carries it: distinctive enough to be found in any file.
OTP = "OTP-739184-QZXW"
EMAIL = "otp.person.5521@example.com"
OTHER_KEY = "0f" * 32
WORKFLOW = {
    "workflow_id": "code",
    "name": "Send the code",
    "trigger": {"type": "otp_requested"},
    "actions": [{"id": "note", "type": "log", "data": {"message": "code {{ otp }}"}}],
}


def files_holding(directory: Path, text: str) -> list[str]:
    """The files under ``directory`` whose bytes hold ``text``."""
    needle = text.encode()
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    )


async def sent_and_read_back(settings: Settings, clock: Clock) -> list[str]:
    """The OTP event sent to a service on ``settings``, its run walked by a worker (which
    opens the store on its own), the event read back through the API; the files of its data dir holding the OTP or the email, the service still open
    (its write-ahead log holding the last writes) and then closed."""
    async with serving(settings, clock) as (client, resources):
        await as_admin(client, resources)
        assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
        accepted = await send(
            client,
            {"type": "otp_requested", "user": {"id": "u1", "email": EMAIL}, "data": {"otp": OTP}},
        )
        await drain(settings, clock=clock)
        read = (await client.get(f"/api/events/{accepted['event_id']}")).json()
        assert (read["data"]["otp"], read["user"]["email"]) == (OTP, EMAIL)
        run = (await client.get(f"/api/runs/{accepted['run_ids'][0]}")).json()
        assert run["status"] == "completed"
        found = files_holding(settings.data_dir, OTP) + files_holding(settings.data_dir, EMAIL)
    return found + files_holding(settings.data_dir, OTP) + files_holding(settings.data_dir, EMAIL)


async def test_an_otp_sent_to_a_service_on_an_encrypted_store_is_in_no_file_of_its_data_dir(
    settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    encrypted = settings.model_copy(
        update={"data_dir": tmp_path / "encrypted", "store_key": SecretStr(STORE_KEY)}
    )
    assert await sent_and_read_back(encrypted, clock) == []
    assert {path.name for path in encrypted.data_dir.iterdir()} >= {"automator.db"}
    # The same on a plain store: the search finds what is there.
    plain = settings.model_copy(update={"data_dir": tmp_path / "plain"})
    assert "automator.db" in " ".join(await sent_and_read_back(plain, clock))


def automator(data_dir: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``automator *args`` run to its end; ``dev`` and ``api`` bind a port before they open
    the store, which they refuse here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {"AUTOMATOR_DATA_DIR": str(data_dir), **variables}
    return ran_on_a_free_port(
        lambda port: subprocess.run(
            [AUTOMATOR, *args],
            env=env | {"AUTOMATOR_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    )


async def a_store(data_dir: Path, keys: list[str]) -> Path:
    """A store in ``data_dir``, encrypted with ``keys``' first (plain when none)."""
    store = await SQLiteStore.open(data_dir / "automator.db", SystemClock(), keys=keys)
    await store.ensure_tenant("acme", "Acme")
    await store.close()
    return data_dir / "automator.db"


@pytest.mark.parametrize(
    ("made_with", "started_with", "command", "said"),
    [
        (
            [STORE_KEY],
            OTHER_KEY,
            "worker",
            "no key in AUTOMATOR_STORE_KEY opens {db}: set the key it was encrypted with "
            "(while changing keys, `new,old`), or it is no Automator store",
        ),
        (
            [],
            STORE_KEY,
            "dev",
            "AUTOMATOR_STORE_KEY is set but {db} is not encrypted: stop every process using "
            "it and run `automator store encrypt`, or unset AUTOMATOR_STORE_KEY",
        ),
        (
            [STORE_KEY],
            None,
            "api",
            "{db} is encrypted (or is no SQLite file): set AUTOMATOR_STORE_KEY to the key it "
            "was encrypted with (docs/security.md#encryption-at-rest)",
        ),
    ],
)
async def test_a_key_that_does_not_fit_the_store_stops_a_process_at_start_saying_what_to_do(
    tmp_path: Path,
    redis_url: str,
    made_with: list[str],
    started_with: str | None,
    command: str,
    said: str,
) -> None:
    db = await a_store(tmp_path, made_with)
    key = {} if started_with is None else {"AUTOMATOR_STORE_KEY": started_with}
    done = automator(tmp_path, command, AUTOMATOR_REDIS_URL=redis_url, **key)
    assert done.returncode == 2
    assert said.format(db=db) in done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    # The store is as it was: the right key (or none) still opens it.
    assert await a_store(tmp_path, made_with) == db


def test_a_key_without_sqlcipher_installed_says_what_to_install(tmp_path: Path) -> None:
    # Stand-in for an installation without the `encryption` extra: a package that shadows
    # sqlcipher3 and fails to import, as a missing one does.
    missing = tmp_path / "without" / "sqlcipher3"
    missing.mkdir(parents=True)
    (missing / "__init__.py").write_text("raise ImportError('stand-in: not installed')\n")
    done = automator(
        tmp_path / "data",
        "create-api-key",
        "--tenant",
        "acme",
        "--role",
        "admin",
        AUTOMATOR_STORE_KEY=STORE_KEY,
        PYTHONPATH=str(missing.parent),
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "AUTOMATOR_STORE_KEY is set, which needs SQLCipher, and it is not installed: run "
        "`pip install 'automator[encryption]'` (or unset AUTOMATOR_STORE_KEY to keep the "
        "store plain)"
    )
    assert not (tmp_path / "data" / "automator.db").exists()


async def otps_read(settings: Settings, clock: Clock) -> list[str]:
    """The OTPs of the events a service on ``settings`` lists."""
    async with serving(settings, clock) as (client, resources):
        await as_admin(client, resources)
        listed = (await client.get("/api/events")).json()["items"]
        read = [(await client.get(f"/api/events/{one['event_id']}")).json() for one in listed]
    return [event["data"]["otp"] for event in read]


async def test_store_encrypt_encrypts_a_plain_store_then_changes_its_key(
    settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    plain = settings.model_copy(update={"data_dir": tmp_path})
    assert "automator.db" in " ".join(await sent_and_read_back(plain, clock))

    done = automator(tmp_path, "store", "encrypt", AUTOMATOR_STORE_KEY=STORE_KEY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{plain.sqlite_path}: encrypted with the first key")
    assert "(it was plain)" in done.stdout
    assert files_holding(tmp_path, OTP) + files_holding(tmp_path, EMAIL) == []
    assert (plain.sqlite_path.stat().st_mode & 0o777) == 0o600
    keyed = plain.model_copy(update={"store_key": SecretStr(STORE_KEY)})
    assert await otps_read(keyed, clock) == [OTP]

    changed = automator(
        tmp_path, "store", "encrypt", AUTOMATOR_STORE_KEY=f"{OTHER_KEY},{STORE_KEY}"
    )
    assert "(it was encrypted with key 2)" in changed.stdout, changed.stderr
    with pytest.raises(StoreKeyError, match="no key in AUTOMATOR_STORE_KEY opens"):
        await otps_read(keyed, clock)
    assert await otps_read(plain.model_copy(update={"store_key": SecretStr(OTHER_KEY)}), clock) == [
        OTP
    ]
    again = automator(tmp_path, "store", "encrypt", AUTOMATOR_STORE_KEY=OTHER_KEY)
    assert again.stdout.endswith("already encrypted with the first key; nothing to do\n")
    unset = automator(tmp_path, "store", "encrypt")
    assert (unset.returncode, unset.stderr.splitlines()[-1]) == (
        2,
        "set AUTOMATOR_STORE_KEY to the key to encrypt with (make one with "
        "`automator store new-key`)",
    )


def test_store_new_key_prints_a_key_the_setting_takes(tmp_path: Path) -> None:
    printed = automator(tmp_path, "store", "new-key").stdout.strip()
    assert Settings(store_key=printed, _env_file=None).store_keys == [printed]
    assert printed != automator(tmp_path, "store", "new-key").stdout.strip()


def test_a_holder_deep_in_a_long_path_is_shown_by_what_it_runs() -> None:
    """A refusal names the process holding the store: from a checkout deep in a CI runner's
    tree its command line is long, and what says which process it is comes last."""
    venv = "/home/runner/work/automator/automator/.cache/checkouts/2026-12-08/main/.venv/bin"
    shown = shown_command([f"{venv}/python", f"{venv}/automator", "api"])
    assert (len(shown), shown[0]) == (COMMAND_CHARS, "…")
    assert shown.endswith("/.venv/bin/automator api")
    assert shown_command(["automator", "worker"]) == "automator worker"
