import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from app.engine.calls.keyring import KEY_FILE, Keyring, Unreadable, new_key, warn_of_key_file
from app.settings import Settings


def settings(tmp_path: Path, key: str | None = None) -> Settings:
    secret = None if key is None else SecretStr(key)
    return Settings(data_dir=tmp_path, secrets_key=secret, _env_file=None)


def test_without_a_master_key_one_is_generated_once_readable_by_the_owner_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = Keyring.from_settings(settings(tmp_path))
    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = first.seal("acme", "API_KEY", "s3cret-value")
    second = Keyring.from_settings(settings(tmp_path))  # another part of `automator dev`
    assert second.open("acme", "API_KEY", token) == "s3cret-value"
    assert list(tmp_path.iterdir()) == [key_file]  # no draft left behind
    # Opening the keyring is no warning: the commands decide (production warns, dev says it
    # once in a line of its own).
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_production_start_without_a_master_key_warns_naming_the_key_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warn_of_key_file(settings(tmp_path))
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "AUTOMATOR_SECRETS_KEY is not set" in warning.getMessage()
    assert str(tmp_path / KEY_FILE) in warning.getMessage()
    caplog.clear()
    warn_of_key_file(settings(tmp_path, new_key()))
    assert caplog.records == []


def test_a_value_opens_only_as_the_secret_and_tenant_it_was_sealed_for(tmp_path: Path) -> None:
    keyring = Keyring.from_settings(settings(tmp_path, new_key()))
    token = keyring.seal("acme", "API_KEY", "s3cret-value")
    assert "s3cret-value" not in token
    with pytest.raises(Unreadable, match="belongs to another secret"):
        keyring.open("globex", "API_KEY", token)
    with pytest.raises(Unreadable, match="belongs to another secret"):
        keyring.open("acme", "OTHER", token)


def test_rotating_the_master_key_keeps_old_values_readable_until_resealed(
    tmp_path: Path,
) -> None:
    old, new = new_key(), new_key()
    token = Keyring.from_settings(settings(tmp_path, old)).seal("acme", "K1", "s3cret-value")
    rotating = Keyring.from_settings(settings(tmp_path, f"{new}, {old}"))
    assert rotating.open("acme", "K1", token) == "s3cret-value"
    resealed = rotating.reseal(token)
    assert Fernet(new).decrypt(resealed.encode())  # now under the new key
    only_new = Keyring.from_settings(settings(tmp_path, new))
    assert only_new.open("acme", "K1", resealed) == "s3cret-value"
    with pytest.raises(Unreadable, match="master key this process does not have"):
        only_new.open("acme", "K1", token)


def test_a_bad_master_key_is_refused_by_position_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="key 2 of 2 is not a Fernet key") as refused:
        Keyring.from_settings(settings(tmp_path, f"{new_key()},not-a-real-key"))
    assert "not-a-real-key" not in str(refused.value)
    with pytest.raises(ValueError, match="holds no key"):
        Keyring.from_settings(settings(tmp_path, " , "))
