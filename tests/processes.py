"""Real ``automator`` processes for tests: started as an operator starts them, ready when
their ``/ready`` says so, stopped or SIGKILLed one by one, and never left running."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.redis_server import free_port

AUTOMATOR = str(Path(sys.executable).parent / "automator")


@dataclass
class Process:
    """One ``automator <command>`` with its probes (or API) on ``port``; its output goes to
    ``log`` (a file: a pipe nobody reads would stall it)."""

    command: str
    port: int
    log: Path
    popen: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, seconds: float = 180) -> None:
        """Until ``/ready`` answers 200. A cold process takes a few seconds of CPU to start:
        many of them at once on a busy machine, a minute or more."""
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
        port = free_port()
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
        port_name = "AUTOMATOR_PORT" if command == "api" else "AUTOMATOR_METRICS_PORT"
        full = inherited | {
            "AUTOMATOR_DATA_DIR": str(self.directory),
            "AUTOMATOR_REDIS_URL": self.redis_url,
            port_name: str(port),
        }
        log = self.directory / f"{command}-{len(self.started)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [AUTOMATOR, command],
                env=full | self.env | env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(command, port, log, popen)
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
