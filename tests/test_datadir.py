"""Files holding data are the service's user's alone: checked on what the real processes
write (redis-server's append-only file and dump, the secrets key), not on our own calls."""

import stat
from pathlib import Path

import pytest
import redis

from app.datadir import private_dir, private_file
from app.redis_server import LocalRedisServer, free_port


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
    with LocalRedisServer(directory, port=free_port(), persistent=True) as server:
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
