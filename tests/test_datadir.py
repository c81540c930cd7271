"""Files holding data are the service's user's alone: checked on what the real processes
write (redis-server's append-only file and dump, the SQLite database with its WAL and
shared memory, the secrets key), not on our own calls."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from app.datadir import private_dir, private_file
from app.main import create_app
from app.models.tenant import Role
from app.redis_server import LocalRedisServer
from app.settings import Settings
from tests.conftest import key_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_directories_are_created_0700_parents_included(tmp_path: Path) -> None:
    data = private_dir(tmp_path / "srv" / "automator" / "var")
    for created in (data, data.parent, data.parent.parent):
        assert mode(created) == 0o700


def test_an_existing_directory_is_left_as_it_is_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    private_dir(shared)
    assert mode(shared) == 0o755
    assert f"{shared} can be read by other users" in caplog.text


def test_a_new_file_is_0600(tmp_path: Path) -> None:
    assert mode(private_file(tmp_path / "var" / "automator.db")) == 0o600


def test_redis_writes_its_append_only_file_and_dump_0600_in_a_0700_directory(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "var" / "redis"
    with LocalRedisServer(directory, persistent=True) as server:
        client = redis.Redis.from_url(server.url)
        try:
            client.set("job", "x" * 1000)
            client.save()  # dump.rdb
        finally:
            client.close()
    written = [path for path in directory.rglob("*") if path.name != "redis.sock"]
    assert {p.name for p in written} >= {"dump.rdb", "redis.log"}
    assert any(p.suffix == ".aof" for p in written)  # appendonlydir/ since Redis 7
    for path in written:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert mode(directory) == mode(directory.parent) == 0o700


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which files are created world-readable unless the
    code creating them says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_the_store_and_the_secrets_key_are_0600_in_a_0700_data_dir(
    settings: Settings, tmp_path: Path
) -> None:
    data_dir = tmp_path / "srv" / "automator"
    app = create_app(settings.model_copy(update={"data_dir": data_dir}))
    async with app.router.lifespan_context(app):
        key = await key_for(app.state.resources, "acme", Role.ADMIN)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            stored = await client.put(
                "/api/secrets/CRM_KEY",
                json={"value": "a-value"},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert stored.status_code == 201, stored.text
            # Checked while the store is open: the WAL and shared memory exist only then.
            files = {path.name: mode(path) for path in data_dir.iterdir()}
    assert files == {
        name: 0o600
        for name in ("automator.db", "automator.db-wal", "automator.db-shm", "secrets.key")
    }
    assert mode(data_dir) == mode(data_dir.parent) == 0o700
