"""What every scenario shares: starting the processes, reading /proc, running wrk.

A scenario starts its own service on a fresh data dir (a Redis server, then ``automator``
processes), drives it with wrk and bench/events.lua, and reads each process's CPU time and
peak memory from /proc around the load: CPU per event or per run says what the work cost,
which holds across machines better than a rate measured on cores shared with the load
generator.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from app.redis_server import free_port, redis_binary
from bench.profile import profiling

KEY = "atm_bench_0123456789abcdef0123456789abcdef"
AUTOMATOR = str(Path(sys.executable).parent / "automator")
LUA = str(Path(__file__).with_name("events.lua"))
TICKS = os.sysconf("SC_CLK_TCK")
CONCURRENCY = 50
WORKER_READY = "arq:queue:health-check"  # written by an arq worker at its first poll
NO_WRK = (
    "The benchmarks drive load with wrk, which is not installed: `apt-get install wrk` "
    "(Debian, Ubuntu), `brew install wrk` (macOS), or build https://github.com/wg/wrk."
)


def cpu_seconds(stat: str) -> float:
    """CPU seconds in a /proc/<pid>/stat line: user + system, with its waited-for children's."""
    # Field 2, the command name, may hold spaces and parentheses: count after its last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = fields[11:15]  # fields 14 to 17 of proc(5)
    return (int(utime) + int(stime) + int(cutime) + int(cstime)) / TICKS


def peak_rss_mb(status: str) -> float:
    """The peak resident set size (VmHWM) in a /proc/<pid>/status text, in MB."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise ValueError("no VmHWM line in /proc/<pid>/status")


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests answered, and how fast."""

    requests: int
    seconds: float
    failed: int  # answered 4xx/5xx (wrk's "non-2xx or 3xx"), or lost to a socket error
    p50_ms: float
    p99_ms: float

    @property
    def succeeded(self) -> int:
        return self.requests - self.failed

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.succeeded / self.seconds


def parse_wrk(output: str) -> Load:
    """The figures bench/events.lua's ``done()`` prints on a ``WRK_JSON`` line."""
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            figures = json.loads(line.removeprefix("WRK_JSON "))
            return Load(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                failed=figures["non_2xx"] + figures["socket_errors"],
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
            )
    raise ValueError(f"no WRK_JSON line in wrk's output (run with bench/events.lua):\n{output}")


def wrk(
    url: str, event_type: str, seconds: float, *, batch: int = 0, connections: int = CONCURRENCY
) -> Load:
    """POST events of ``event_type`` to ``url`` for ``seconds`` from ``connections``
    connections (``batch`` > 0: that many events per request, for the batch endpoint)."""
    if shutil.which("wrk") is None:
        raise SystemExit(NO_WRK)
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        LUA,
        "-H",
        f"Authorization: Bearer {KEY}",
        url,
        "--",
        event_type,
        str(batch),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


@dataclass(frozen=True)
class Options:
    """What ``python -m bench`` was asked for, handed to every scenario."""

    directory: Path  # each service gets a fresh data dir under it
    sink: str  # the URL of the webhooks' sink (a bench.bare process)
    seconds: float  # of load per ingest figure
    run_seconds: float  # of events starting runs, per runs figure
    workers: int  # `automator worker` processes beside `automator api`
    settings: dict[str, str]  # AUTOMATOR_* variables set for the service's processes
    profiles: Path | None  # where py-spy profiles go; None: no profiling


@dataclass
class Service:
    """The processes of one service under test, by name, and what they used."""

    directory: Path
    url: str = ""  # the HTTP API's, once one runs
    redis_url: str = ""  # its Redis server's, for a service started by ``automator``
    profiles: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.processes[name] = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def cpu_seconds(self) -> dict[str, float]:
        return {
            name: cpu_seconds(Path(f"/proc/{process.pid}/stat").read_text())
            for name, process in self.processes.items()
        }

    def peak_rss_mb(self) -> dict[str, float]:
        return {
            name: peak_rss_mb(Path(f"/proc/{process.pid}/status").read_text())
            for name, process in self.processes.items()
        }

    def profiled(self, label: str) -> AbstractContextManager[None]:
        """py-spy on each ``automator`` process while the block runs, if asked for."""
        pids = {name: p.pid for name, p in self.processes.items() if name not in ("redis", "bare")}
        return profiling(pids, self.profiles, label)

    def stop(self) -> None:
        """Stop the processes, the last started first (the API before its Redis)."""
        for process in reversed(self.processes.values()):
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Usage:
    """CPU seconds each process used between two readings, and the peaks of memory."""

    cpu: dict[str, float]
    rss_mb: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.cpu.values())


class Meter:
    """CPU used by a service from now on: ``Meter(service).read()`` after the load."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.before = service.cpu_seconds()

    def read(self) -> Usage:
        after = self.service.cpu_seconds()
        used = {name: after[name] - self.before[name] for name in after}
        return Usage(used, self.service.peak_rss_mb())


def wait_until(ready: Any, what: str, seconds: float = 60) -> None:
    """Poll ``ready()`` until it is true; RuntimeError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (httpx.TransportError, redis.ConnectionError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready within {seconds:g} s")


@contextmanager
def bare(directory: Path) -> Iterator[Service]:
    """The baseline (bench/bare.py) in its own process; also the webhooks' sink."""
    service = Service(directory)
    port = free_port()
    service.url = f"http://127.0.0.1:{port}"
    service.start("bare", [sys.executable, "-m", "bench.bare", str(port)])
    try:
        wait_until(lambda: httpx.get(f"{service.url}/docs").is_success, "bench.bare")
        yield service
    finally:
        service.stop()


def data_dir(parent: Path, name: str) -> Path:
    """A fresh data dir for one service, for its user alone as ``automator`` makes its own
    (app/datadir.py): one that others can read draws the service's warning at every start."""
    directory = parent / name
    directory.mkdir(mode=0o700, parents=True)
    return directory


@contextmanager
def automator(options: Options, name: str, commands: list[str]) -> Iterator[Service]:
    """Redis, then one ``automator`` process per command (``api``, ``dev``, ``worker``,
    ``scheduler``) sharing it and one SQLite store under ``name``; the first command serves
    the API. Log level and format, the rate limit and every other setting are the defaults
    users get, unless ``options.settings`` say otherwise."""
    directory = data_dir(options.directory, name)
    service = Service(directory, profiles=options.profiles)
    redis_port, port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    service.url = f"http://127.0.0.1:{port}"
    service.redis_url = redis_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")} | {
        "AUTOMATOR_DATA_DIR": str(directory),
        "AUTOMATOR_REDIS_URL": redis_url,
        "AUTOMATOR_PORT": str(port),
        "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
        "AUTOMATOR_HTTP_ALLOWED_HOSTS": '["127.0.0.1"]',
    }
    env |= options.settings
    try:
        service.start(
            "redis",
            [
                redis_binary(),
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
        )
        client = redis.Redis.from_url(redis_url)
        wait_until(client.ping, "redis-server")
        api, *others = commands
        # The API first: it creates the schema and the bench's key before the others open it.
        service.start(api, [AUTOMATOR, api], env)
        wait_until(lambda: httpx.get(f"{service.url}/ready").is_success, f"automator {api}")
        for n, command in enumerate(others):
            service.start(
                f"{command}{n}" if command == "worker" else command, [AUTOMATOR, command], env
            )
        if "worker" in others:
            wait_until(lambda: client.exists(WORKER_READY), "automator worker")
        client.close()
        yield service
    finally:
        service.stop()


def create_workflow(service: Service, document: dict[str, Any]) -> None:
    response = httpx.post(
        f"{service.url}/api/workflows",
        json=document,
        headers={"Authorization": f"Bearer {KEY}"},
    )
    response.raise_for_status()


@dataclass(frozen=True)
class Figure:
    """One line of the report: a rate, wrk's latencies and failures, and the CPU each event
    or run cost, summed over the service's processes (Redis included)."""

    name: str
    rate: float
    unit: str  # "requests/s", "events/s", "runs/s"
    load: Load
    usage: Usage
    count: int  # the events or runs the CPU is shared by
    note: str = ""

    @property
    def cpu_ms(self) -> float:
        return self.usage.total * 1000 / max(self.count, 1)

    def cpu_by_process(self) -> str:
        return ", ".join(
            f"{name} {seconds * 1000 / max(self.count, 1):.3g}"
            for name, seconds in self.usage.cpu.items()
        )


def measure(
    service: Service,
    name: str,
    event_type: str,
    seconds: float,
    *,
    batch: int = 0,
    unit: str = "events/s",
) -> Figure:
    """Events of ``event_type`` to the service's ``/api/events`` at concurrency 50 for
    ``seconds``, after a second of warm-up (imports, caches, connections); with ``batch``,
    requests of that many events to ``/api/events/batch``, 4 at once."""
    path, connections = ("/api/events/batch", 4) if batch else ("/api/events", CONCURRENCY)
    url = f"{service.url}{path}"
    wrk(url, "unheard", 1, batch=batch, connections=connections)
    meter = Meter(service)
    with service.profiled(name):
        load = wrk(url, event_type, seconds, batch=batch, connections=connections)
    events = load.succeeded * max(batch, 1)
    return Figure(name, events / load.seconds, unit, load, meter.read(), events)
