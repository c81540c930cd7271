"""The service's long-running processes: what `automator dev`, `api`, `worker` and
`scheduler` run (their help is in app/cli.py, which imports this module only for them: it
holds the whole service, seconds of CPU to import that the other commands do not need)."""

import asyncio
import contextlib
import gc
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import typer
import uvicorn
import uvloop
from starlette.types import ASGIApp

from app.api.access import AccessLog, Unlogged
from app.api.metrics import warn_of_open_metrics
from app.engine.calls.keyring import create_key_file, key_file_in_use, warn_of_key_file
from app.engine.flow.served_first import ServedFirst
from app.lockfile import DataDirLock, Taken
from app.main import create_app, create_probes
from app.models.tenant import DEFAULT_TENANT
from app.redis_server import LocalRedisServer
from app.resources import Resources, open_resources, with_resources
from app.settings import Settings
from app.supervisor import Task
from app.tenancy import bootstrap
from app.worker import worker_task

# The worker polls and the scheduler ticks many times a second: one silent this long hangs.
STALL_SECONDS = 10.0
# Ports after a taken one tried for one to suggest, and the last port there is.
PORTS_TRIED, MAX_PORT = 20, 65535
# Each stops a process gracefully: Ctrl+C, `kill`, and the hangup of a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How many new objects each process lets pile up before the cyclic collector's young
# generation is walked (Python's default: 700).
YOUNG_OBJECTS_PER_COLLECTION = 50_000
# The API's (`automator api`, `dev`): four batches of 1,000 events in flight hold more than
# 50,000 objects, each walked once or more before its request ended (5 us of a batched
# event's CPU); these many are more than they hold.
API_YOUNG_OBJECTS_PER_COLLECTION = 200_000


def _bootstrap(settings: Settings) -> None:
    """Create the default tenant and its admin key on first start, and print the key once."""
    secret = settings.bootstrap_api_key.get_secret_value() if settings.bootstrap_api_key else None
    issued = with_resources(settings, lambda r: bootstrap(r.store, r.clock, secret))
    if issued is not None and secret is None:
        typer.secho(
            f"Created tenant '{DEFAULT_TENANT}' with an admin API key (shown once, keep it):\n"
            f"  {issued.secret}",
            fg=typer.colors.GREEN,
        )


def uvicorn_config(app: ASGIApp, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the service's servers: on the running loop, HTTP/1.1
    through httptools without uvicorn's access line (``AccessLog`` writes it for the API),
    logging as ``logs.configure`` set it up."""
    return uvicorn.Config(app, loop="none", http=Unlogged, log_config=None, **options)


def _server(settings: Settings, resources: Resources | None = None) -> uvicorn.Server:
    config = uvicorn_config(
        AccessLog(create_app(settings, resources)),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )
    return _Server(config)


class _Server(uvicorn.Server):
    """uvicorn's server, stopped gracefully by SIGINT, SIGTERM or SIGHUP until the event loop
    ends. uvicorn leaves SIGHUP at its default (the process dies at once) and re-raises the
    signal that stopped it as soon as the server is down, which ends the process before
    ``automator dev`` has stopped its worker, scheduler and Redis."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        _keep_started(API_YOUNG_OBJECTS_PER_COLLECTION)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self.handle_exit, signum, None)
        yield


def _keep_started(young_objects: int = YOUNG_OBJECTS_PER_COLLECTION) -> None:
    """What start-up built (modules, the app and its schemas, the resources) lives as long as
    the process: out of the cyclic collector's sight, which walked all of it at each full
    collection (a fifth of an event's CPU in `automator api`; in a worker, 120 ms of CPU
    every 15 s or so under load, which a burst of timers due then waited for)."""
    gc.collect()
    gc.freeze()
    # Requests in flight hold thousands of young objects (50 events at once, or a batch's
    # 1,000; a worker's 100 resumes' runs), which the default threshold (a collection every
    # 700 allocations) walked again and again: 18-28 us of an event's CPU, 20-25 us of a
    # batched one's. Cyclic garbage now waits for at most this many allocations: a few MB.
    gc.set_threshold(young_objects)


def _require_redis(settings: Settings) -> None:
    if not settings.redis_url:
        typer.secho(
            "Set AUTOMATOR_REDIS_URL (or use `automator dev`).", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(2)


def _api_socket(settings: Settings) -> socket.socket:
    """The API's listening socket, bound before Redis, the store or the first key is set up,
    so that a port in use stops the command at once saying what to do (uvicorn would say it
    only after start-up, in a log line naming no setting). Given to uvicorn, which then logs
    no address: this says where to go instead."""
    try:
        bound = socket.create_server((settings.host, settings.port))
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        free = _free_port_after(settings.host, settings.port)
        example = "" if free is None else f" (e.g. AUTOMATOR_PORT={free}, free now)"
        typer.secho(
            f"Cannot serve the API on {settings.host}:{settings.port}: {reason}. Stop what "
            f"uses the port, or pick another with AUTOMATOR_PORT{example}.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from None
    port = bound.getsockname()[1]
    typer.echo(
        f"Serving http://{settings.host}:{port}: the Studio at /studio/, the API's docs at /docs."
    )
    return bound


def _free_port_after(host: str, port: int) -> int | None:
    """The first of the next few ports that ``host`` can serve now, to suggest one: the
    port after a taken one is often taken too (a second service, a sink beside it)."""
    for candidate in range(port + 1, min(port + PORTS_TRIED, MAX_PORT) + 1):
        try:
            with socket.create_server((host, candidate)):
                return candidate
        except OSError:
            continue
    return None


def _probe_socket(settings: Settings) -> socket.socket | None:
    """A worker or scheduler has no HTTP API: it answers /health, /ready and /metrics on a
    port of its own, bound before anything starts so that a port in use stops it at once."""
    if settings.metrics_port is None:
        return None
    try:
        bound = socket.create_server((settings.host, settings.metrics_port))
    except OSError as exc:
        typer.secho(
            f"Cannot serve /health, /ready and /metrics on "
            f"{settings.host}:{settings.metrics_port}: {exc}",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from None
    typer.echo(
        f"Health, readiness and metrics at http://{settings.host}:{settings.metrics_port}"
        " (/health, /ready, /metrics)"
    )
    return bound


class _Probes(uvicorn.Server):
    """The probes' server, in a process whose signals the supervisor handles."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def _probes(resources: Resources, bound: socket.socket | None) -> AsyncIterator[None]:
    """Serve the probes on ``bound`` (if any) while the block runs."""
    if bound is None:
        yield
        return
    config = uvicorn_config(create_probes(resources), lifespan="off")
    server = _Probes(config)
    serving = asyncio.create_task(server.serve(sockets=[bound]))
    try:
        yield
    finally:
        server.should_exit = True
        await serving


async def _all_in_one(
    settings: Settings, bound: socket.socket, redis: LocalRedisServer | None
) -> None:
    """The API, a worker and the scheduler in one event loop, sharing one store, each task
    besides the API supervised (and the Redis this process started, if it did); the
    server's signal handling stops them all."""
    async with open_resources(settings) as resources:
        supervisor = resources.supervisor
        # With a Redis of its own no other scheduler can lead: not leading is a fault.
        resources.engine.scheduler.must_lead = redis is not None
        server = _server(settings, resources)
        # uvicorn keeps a task per request it serves, from its headers to its response's end.
        served_first = ServedFirst(
            lambda: len(server.server_state.tasks), settings.dev_jobs_while_serving
        )
        worker = worker_task(settings, resources.store, resources.clock, served_first)
        tasks = [
            supervisor.run("worker", worker, STALL_SECONDS),
            supervisor.run("scheduler", resources.engine.scheduler.run, STALL_SECONDS),
        ]
        if redis is not None:
            tasks.append(supervisor.run("redis_server", redis.keep))
        running = [asyncio.create_task(task) for task in tasks]
        try:
            await server.serve(sockets=[bound])
        finally:
            supervisor.stop.set()
            await asyncio.gather(*running, return_exceptions=True)


def _serve_all(
    settings: Settings, bound: socket.socket, redis: LocalRedisServer | None = None
) -> None:
    _bootstrap(settings)
    uvloop.run(_all_in_one(settings, bound, redis))


def dev() -> None:
    """`automator dev`."""
    settings = Settings()
    if settings.outbox is None:
        settings = settings.model_copy(update={"outbox": True})
    warn_of_open_metrics(settings, settings.port)
    try:
        with DataDirLock(settings.data_dir, settings.port):
            bound = _api_socket(settings)
            _say_which_secrets_key(settings)
            _dev(settings, bound)
    except Taken as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def _say_which_secrets_key(settings: Settings) -> None:
    """One line naming the generated key file dev runs on, made here (not by the keyring,
    whose own note would say it a second time) so the line can say when it is new."""
    key_file = key_file_in_use(settings)
    if key_file is None:
        return
    done = "Stored secrets are encrypted with the key in"
    if create_key_file(key_file):
        done = "Generated a master key for stored secrets in"
    typer.echo(
        f"{done} {key_file} (fine for automator dev; production sets AUTOMATOR_SECRETS_KEY: "
        "docs/security.md)."
    )


def _dev(settings: Settings, bound: socket.socket) -> None:
    if settings.redis_url:
        _serve_all(settings, bound)
        return
    # It ends with this process even killed (a SIGKILL, an OOM kill), not left for the
    # next dev to stop.
    with LocalRedisServer(settings.data_dir / "redis", dies_with_parent=True) as server:
        typer.echo(f"Started a local Redis at {server.url} (data in {server.directory}).")
        _serve_all(settings.model_copy(update={"redis_url": server.url}), bound, server)
        # The server is down; a second signal must not cut short the stop of Redis.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def _start(settings: Settings, metrics_port: int | None) -> None:
    """What `automator api`, `worker` and `scheduler` do first: warn of a key file in
    production and of /metrics open on ``metrics_port`` (None: not served), then stop if
    no Redis is configured."""
    warn_of_key_file(settings)
    warn_of_open_metrics(settings, metrics_port)
    _require_redis(settings)


def api() -> None:
    """`automator api`."""
    settings = Settings()
    _start(settings, settings.port)
    bound = _api_socket(settings)
    _bootstrap(settings)
    uvloop.run(_server(settings).serve(sockets=[bound]))


def worker() -> None:
    """`automator worker`."""
    settings = Settings()
    _start(settings, settings.metrics_port)
    bound = _probe_socket(settings)
    uvloop.run(_serve_part(settings, bound, "worker", lambda r: worker_task(settings, r.store)))


def scheduler() -> None:
    """`automator scheduler`."""
    settings = Settings()
    _start(settings, settings.metrics_port)
    bound = _probe_socket(settings)
    uvloop.run(_serve_part(settings, bound, "scheduler", lambda r: r.engine.scheduler.run))


async def _serve_part(
    settings: Settings,
    bound: socket.socket | None,
    name: str,
    task_of: Callable[[Resources], Task],
) -> None:
    """Run one supervised task over the process's resources, with its probes, until SIGINT,
    SIGTERM or SIGHUP."""
    async with open_resources(settings) as resources, _probes(resources, bound):
        _keep_started()
        supervisor = resources.supervisor
        for signum in STOP_SIGNALS:
            asyncio.get_running_loop().add_signal_handler(signum, supervisor.stop.set)
        await supervisor.run(name, task_of(resources), STALL_SECONDS)
