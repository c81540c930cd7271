"""Real ``automator`` processes for tests: started as an operator starts them, ready when
their ``/ready`` says so, stopped or SIGKILLed one by one, and never left running."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.redis_server import free_port
from tests.ports import kept_on_a_free_port

AUTOMATOR = str(Path(sys.executable).parent / "automator")


@dataclass
class Process:
    """One ``automator <command>`` with its probes (or API) on ``port``; its output goes to
    ``log`` (a file: a pipe nobody reads would stall it). ``launch`` starts it on a port."""

    command: str
    port: int
    log: Path
    popen: subprocess.Popen[bytes]
    launch: Callable[[int], subprocess.Popen[bytes]]

    @classmethod
    def start(cls, command: str, env: dict[str, str], log: Path, port_name: str) -> "Process":
        """``automator <command>`` with ``env``, serving on the port ``port_name`` names."""

        def launch(port: int) -> subprocess.Popen[bytes]:
            with log.open("wb") as out:
                return subprocess.Popen(
                    [AUTOMATOR, command],
                    env=env | {port_name: str(port)},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )

        port = free_port()
        return cls(command, port, log, launch(port), launch)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, seconds: float = 180) -> None:
        """Until ``/ready`` answers 200, started again on another port if another process
        took its port before it bound it (``tests/ports.py``). A cold process takes a few
        seconds of CPU to start: many of them at once on a busy machine, a minute or more."""
        self.port, self.popen = kept_on_a_free_port(self.port, self.popen, self.launch)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"{self.command} exited:\n{self.output()}"
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.command} not ready in {seconds} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: the process ends without a chance to clean up, as in a crash."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Fleet:
    """The processes a test started, over one data dir and one Redis."""

    directory: Path
    redis_url: str
    env: dict[str, str] = field(default_factory=dict)
    started: list[Process] = field(default_factory=list)

    def start(self, command: str, **env: str) -> Process:
        """Start ``automator <command>``: an API listens on its port, a worker or a
        scheduler answers its probes there (``AUTOMATOR_METRICS_PORT``)."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
        port_name = "AUTOMATOR_PORT" if command == "api" else "AUTOMATOR_METRICS_PORT"
        full = inherited | {
            "AUTOMATOR_DATA_DIR": str(self.directory),
            "AUTOMATOR_REDIS_URL": self.redis_url,
        }
        log = self.directory / f"{command}-{len(self.started)}.log"
        process = Process.start(command, full | self.env | env, log, port_name)
        self.started.append(process)
        return process


@contextmanager
def fleet(directory: Path, redis_url: str, **env: str) -> Iterator[Fleet]:
    """Processes started in the block are all stopped when it ends, however it ends."""
    started = Fleet(directory, redis_url, env)
    try:
        yield started
    finally:
        for process in started.started:
            process.stop()
