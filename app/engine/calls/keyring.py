"""The master key that stored secrets are encrypted with.

``AUTOMATOR_SECRETS_KEY`` holds Fernet keys, comma-separated: the first encrypts, every one
decrypts (MultiFernet), so the key can be rotated: put a new key first, re-encrypt the stored
secrets, then drop the old key. When it is unset, a key is generated once into
``<data dir>/secrets.key`` (mode 0600) and every process using that data dir shares it: what
``automator dev`` is meant to run on, and a warning at each start of a production command
(``warn_of_key_file``).

A sealed value names its tenant and secret, so a ciphertext copied into another tenant's
row (or under another name) does not decrypt there.
"""

import functools
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.datadir import private_dir
from app.settings import Settings

log = logging.getLogger(__name__)
KEY_FILE = "secrets.key"
# What the key that hashes flow-control keys in Redis is derived for (``flow_secret``).
FLOW_KEYS = "flow-control keys"


class Unreadable(Exception):
    """A stored value does not decrypt with this process's keys, or not for its place."""


class Keyring:
    def __init__(self, keys: list[bytes]) -> None:
        self._keys = keys
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> "Keyring":
        if settings.secrets_key is None:
            return cls([_key_file(settings.data_dir / KEY_FILE)])
        return cls(_parse(settings.secrets_key.get_secret_value()))

    def derive(self, purpose: str) -> list[bytes]:
        """A key for ``purpose`` (such as signing links) from each master key, first key
        first: the same in every process sharing the master keys, and useless for
        decrypting anything."""
        return [hmac.new(key, purpose.encode(), hashlib.sha256).digest() for key in self._keys]

    def flow_secret(self) -> bytes:
        """The key flow-control keys in Redis are hashed with (``redis_keys.flow_key``): the
        same in every process sharing the first master key, and not in Redis."""
        return self.derive(FLOW_KEYS)[0]

    def seal(self, tenant_id: str, name: str, value: str) -> str:
        payload = orjson.dumps({"tenant": tenant_id, "name": name, "value": value})
        return self._fernet.encrypt(payload).decode()

    def open(self, tenant_id: str, name: str, token: str) -> str:
        try:
            payload = orjson.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise Unreadable(
                "it was encrypted with a master key this process does not have"
            ) from None
        if (payload.get("tenant"), payload.get("name")) != (tenant_id, name):
            raise Unreadable("its ciphertext belongs to another secret")
        value: str = payload["value"]
        return value

    def reseal(self, token: str) -> str:
        """The same value encrypted with the first key (``MultiFernet.rotate``)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise Unreadable(
                "it was encrypted with a master key this process does not have"
            ) from None


def new_key() -> str:
    return Fernet.generate_key().decode()


def _parse(setting: str) -> list[bytes]:
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    if not entries:
        raise ValueError("AUTOMATOR_SECRETS_KEY is set but holds no key")
    for position, entry in enumerate(entries, 1):
        try:
            Fernet(entry)
        except ValueError:
            # The key itself is never echoed, only its position.
            raise ValueError(
                f"AUTOMATOR_SECRETS_KEY: key {position} of {len(entries)} is not a Fernet key "
                "(32 url-safe base64-encoded bytes); make one with `automator secrets new-key`"
            ) from None
    return [entry.encode() for entry in entries]


def key_file_in_use(settings: Settings) -> Path | None:
    """The generated key file stored secrets are encrypted with; None when
    AUTOMATOR_SECRETS_KEY is set."""
    return settings.data_dir / KEY_FILE if settings.secrets_key is None else None


def warn_of_key_file(settings: Settings) -> None:
    """At the start of a production command (api, worker, scheduler): a warning while
    AUTOMATOR_SECRETS_KEY is unset, since the generated file is on this machine only and is
    backed up with nothing else. `automator dev` says it in one line of its own instead."""
    path = key_file_in_use(settings)
    if path is None:
        return
    log.warning(
        "AUTOMATOR_SECRETS_KEY is not set: stored secrets are encrypted with the key in %s. "
        "In production set AUTOMATOR_SECRETS_KEY, the same in every API and worker process, "
        "and back it up: without it stored secrets cannot be read, and processes with keys "
        "of their own keep rate limits, throttles and concurrency apart.",
        path,
    )


def _key_file(path: Path) -> bytes:
    if create_key_file(path):
        log.info("generated a master key for stored secrets in %s", path)
    _check_key_file_mode(path)
    return path.read_bytes().strip()


@functools.cache
def _check_key_file_mode(path: Path) -> None:
    """Once per process and file: `automator dev` opens the keyring for each of its parts."""
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users: chmod 600 it", path)


def create_key_file(path: Path) -> bool:
    """Make the key file at ``path`` unless it exists; whether this call made it. A new key
    is written beside ``path``, then linked into place: linking fails if another process got
    there first, and then its key is the one every process uses."""
    if path.exists():
        return False
    private_dir(path.parent)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True
