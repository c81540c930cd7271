"""The ``automator`` command."""

import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
import uvloop
from pydantic import TypeAdapter, ValidationError
from pydantic_settings import SettingsError
from rich.progress import track
from starlette.types import ASGIApp

from app import backup, logs, remote
from app.actions.registry import default_registry
from app.api.access import AccessLog, Unlogged
from app.engine.calls.keyring import (
    Unreadable,
    create_key_file,
    key_file_in_use,
    new_key,
    warn_of_key_file,
)
from app.errors import AutomatorError
from app.lockfile import DataDirLock, Taken
from app.main import create_app, create_probes
from app.models import jsonc
from app.models.tenant import Role
from app.models.validation import Tags
from app.redis_server import LocalRedisServer
from app.resources import Resources, open_resources
from app.settings import Settings, bad_settings
from app.supervisor import Task
from app.task_config.source import SourceText
from app.task_config.translate import documents, is_task_config
from app.tenancy import DEFAULT_TENANT, bootstrap
from app.worker import worker_task
from app.workflows import DocumentParser

cli = typer.Typer(
    help="Automator: event-driven workflow automation. Configure with AUTOMATOR_* variables.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


@cli.callback()
def _configure(
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            "--log-level",
            case_sensitive=False,
            help="Log level of this command and what it starts, before or after the command "
            "(default: AUTOMATOR_LOG_LEVEL).",
        ),
    ] = None,
) -> None:
    """Every command logs as AUTOMATOR_LOG_FORMAT and AUTOMATOR_LOG_LEVEL (or --log-level)
    say."""
    if log_level is not None:
        # The settings every command reads (the API's, a worker's) take it from here.
        os.environ["AUTOMATOR_LOG_LEVEL"] = log_level.value
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)


T = TypeVar("T")
# The worker polls and the scheduler ticks many times a second: one silent this long hangs.
STALL_SECONDS = 10.0
# Each stops a process gracefully: Ctrl+C, `kill`, and the hangup of a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How many new objects each process lets pile up before the cyclic collector's young
# generation is walked (Python's default: 700).
YOUNG_OBJECTS_PER_COLLECTION = 50_000
# The API's (`automator api`, `dev`): four batches of 1,000 events in flight hold more than
# 50,000 objects, each walked once or more before its request ended (5 us of a batched
# event's CPU); these many are more than they hold.
API_YOUNG_OBJECTS_PER_COLLECTION = 200_000
TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id.")]


cli.command("send-event")(remote.send_event)
cli.command("runs")(remote.runs)
cli.command("workflows")(remote.workflows)
cli.command("run")(remote.run)


def log_level_first(args: list[str]) -> list[str]:
    """``--log-level`` is an option of ``automator`` itself; taken anywhere on the line (as
    seed 002's ``--workflow X --log-level DEBUG``) it is moved before the command."""
    moved: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            rest.extend(args[position:])
            break
        taken = 2 if arg == "--log-level" else 1 if arg.startswith("--log-level=") else 0
        (moved if taken else rest).extend(args[position : position + (taken or 1)])
        position += taken or 1
    return moved + rest


def main() -> None:
    """The console script: a bad setting ends it in one line per variable, not a traceback."""
    try:
        cli(args=log_level_first(sys.argv[1:]), prog_name="automator")
    except (ValidationError, SettingsError) as exc:
        if isinstance(exc, ValidationError) and exc.title != Settings.__name__:
            raise
        for line in bad_settings(exc):
            typer.secho(line, fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None


def _store_settings() -> Settings:
    """The settings of a command that opens the store, which it names on stderr: the
    service's (the project's ``var``, or AUTOMATOR_DATA_DIR / AUTOMATOR_MONGODB_URL),
    whatever the current directory."""
    settings = Settings()
    typer.secho(f"Store: {settings.store_label}", err=True)
    return settings


def _with_resources(settings: Settings, work: Callable[[Resources], Awaitable[T]]) -> T:
    async def run() -> T:
        async with open_resources(settings) as resources:
            return await work(resources)

    return asyncio.run(run())


def _bootstrap(settings: Settings) -> None:
    """Create the default tenant and its admin key on first start, and print the key once."""
    secret = settings.bootstrap_api_key.get_secret_value() if settings.bootstrap_api_key else None
    issued = _with_resources(settings, lambda r: bootstrap(r.store, r.clock, secret))
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
        typer.secho(
            f"Cannot serve the API on {settings.host}:{settings.port}: {reason}. Stop what "
            f"uses the port, or pick another with AUTOMATOR_PORT (e.g. "
            f"AUTOMATOR_PORT={settings.port + 1}).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2) from None
    port = bound.getsockname()[1]
    typer.echo(
        f"Serving http://{settings.host}:{port}: the Studio at /studio/, the API's docs at /docs."
    )
    return bound


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
        tasks = [
            supervisor.run(
                "worker", worker_task(settings, resources.store, resources.clock), STALL_SECONDS
            ),
            supervisor.run("scheduler", resources.engine.scheduler.run, STALL_SECONDS),
        ]
        if redis is not None:
            tasks.append(supervisor.run("redis_server", redis.keep))
        running = [asyncio.create_task(task) for task in tasks]
        try:
            await _server(settings, resources).serve(sockets=[bound])
        finally:
            supervisor.stop.set()
            await asyncio.gather(*running, return_exceptions=True)


def _serve_all(
    settings: Settings, bound: socket.socket, redis: LocalRedisServer | None = None
) -> None:
    _bootstrap(settings)
    uvloop.run(_all_in_one(settings, bound, redis))


@cli.command()
def dev() -> None:
    """Run everything in one process on embedded defaults: the HTTP API on 127.0.0.1:5000,
    a worker, the scheduler, SQLite under ./var, and a local Redis (started, restarted if it
    dies, and stopped here unless AUTOMATOR_REDIS_URL is set). A channel with no provider
    configured delivers to the dev outbox (GET /api/outbox) unless AUTOMATOR_OUTBOX=false.
    SIGINT, SIGTERM and SIGHUP stop them all. One `automator dev` per data dir: a second one
    refuses to start."""
    settings = Settings()
    if settings.outbox is None:
        settings = settings.model_copy(update={"outbox": True})
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
    with LocalRedisServer(settings.data_dir / "redis") as server:
        typer.echo(f"Started a local Redis at {server.url} (data in {server.directory}).")
        _serve_all(settings.model_copy(update={"redis_url": server.url}), bound, server)
        # The server is down; a second signal must not cut short the stop of Redis.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


@cli.command()
def api() -> None:
    """Run the HTTP API only (production: point AUTOMATOR_REDIS_URL and
    AUTOMATOR_MONGODB_URL at shared servers and run as many as you need)."""
    settings = Settings()
    warn_of_key_file(settings)
    _require_redis(settings)
    bound = _api_socket(settings)
    _bootstrap(settings)
    uvloop.run(_server(settings).serve(sockets=[bound]))


@cli.command()
def worker() -> None:
    """Run an arq worker that advances runs (run as many as you need, against the same
    AUTOMATOR_REDIS_URL and store as the API). It outlives Redis outages: its loop starts
    again once Redis is back."""
    settings = Settings()
    warn_of_key_file(settings)
    _require_redis(settings)
    bound = _probe_socket(settings)
    uvloop.run(_serve_part(settings, bound, "worker", lambda r: worker_task(settings, r.store)))


@cli.command()
def scheduler() -> None:
    """Run the scheduler that fires schedule-triggered workflows. Run two or more for
    availability: one leads at a time, and each firing starts one run."""
    settings = Settings()
    warn_of_key_file(settings)
    _require_redis(settings)
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


@cli.command("create-api-key")
def create_api_key(
    tenant: TenantOption,
    role: Annotated[Role, typer.Option("--role", "-r", help="What the key may do.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
    workflow: Annotated[
        list[str] | None,
        typer.Option("--workflow", "-w", help="Limit the key to this workflow (repeat for more)."),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            help="Limit the key to the workflows carrying this tag (repeat for more; beside "
            "any --workflow).",
        ),
    ] = None,
) -> None:
    """Create an API key (and the tenant, if new). The key is printed once."""
    limited = list(workflow) if workflow else None
    tags = _tags(tag) if tag else None
    issued = _with_resources(
        _store_settings(), lambda r: r.api_keys.create(tenant, role, name, limited, tags)
    )
    typer.echo(f"{issued.key.key_id} ({issued.key.role}, tenant {tenant}):")
    typer.echo(issued.secret)


def _tags(tags: list[str]) -> list[str]:
    """The tags as a workflow document holds them, or the rule they break."""
    try:
        return TypeAdapter(Tags).validate_python(tags)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="--tag") from None


def _workflow_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in {".json", ".jsonc", ".json5"})
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist", param_hint="--file")
    return [path]


@cli.command("import")
def import_workflows(
    file: Annotated[
        Path, typer.Option("--file", "-f", help="A workflow file or a folder of them.")
    ],
    tenant: TenantOption = DEFAULT_TENANT,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            show_default=False,
            help="Import through the API at this address (a running service, like send-event) "
            "into the tenant of --api-key, instead of opening the store.",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            "-k",
            envvar="AUTOMATOR_API_KEY",
            show_default=False,
            help="With --url: an API key of an editor or admin.",
        ),
    ] = None,
) -> None:
    """Create or update workflows from JSON files (// comments allowed): workflow documents,
    or seed 002's configuration file of named workflows of tasks (all of its workflows, or
    none, the refusal naming the line). A bad file is reported and the others are still
    imported; the exit code is 1 if any failed."""
    files = _workflow_files(file)
    if url is not None:
        if not api_key:
            raise typer.BadParameter(
                "--url needs an API key (or AUTOMATOR_API_KEY)", param_hint="--api-key"
            )
        imported, failed = remote.import_files(url, api_key, files)
    else:
        imported, failed = _with_resources(_store_settings(), partial(_import_into, tenant, files))
    typer.echo(f"{imported} imported, {failed} failed")
    raise typer.Exit(1 if failed else 0)


async def _import_into(tenant: str, files: list[Path], resources: Resources) -> tuple[int, int]:
    """Import ``files`` into the store, each result printed; how many workflows went in and
    how many results were errors."""
    await resources.store.ensure_tenant(tenant, tenant)
    done: list[bool] = []
    for path in track(files, description="Importing", disable=len(files) < 2):
        results = await resources.workflows.import_file(tenant, str(path), path.read_bytes())
        done.extend(remote.print_import(asdict(result)) for result in results)
    return sum(done), len(done) - sum(done)


@cli.command("export")
def export_workflow(
    workflow_id: Annotated[str, typer.Argument(help="The workflow to export.")],
    tenant: TenantOption = DEFAULT_TENANT,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
) -> None:
    """Print (or write) a workflow's current document as JSON."""
    try:
        document = _with_resources(
            _store_settings(), lambda r: r.workflows.export(tenant, workflow_id)
        )
    except AutomatorError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@cli.command()
def validate(
    file: Annotated[
        Path, typer.Option("--file", "-f", help="A workflow file or a folder of them.")
    ],
) -> None:
    """Check workflow files (or seed 002's configuration file, translated) against every
    rule without saving them."""
    settings = Settings()
    parser = DocumentParser.from_settings(settings, default_registry(settings.connector_modules))
    failed = 0
    for path in _workflow_files(file):
        try:
            typer.echo(f"{path}: {_checked(parser, path)}")
        except AutomatorError as exc:
            failed += 1
            typer.secho(f"{path}: {exc.message}", fg=typer.colors.RED, err=True)
            for detail in exc.details:
                location = ".".join(str(part) for part in detail.loc)
                typer.secho(f"  {location}: {detail.msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1 if failed else 0)


def _checked(parser: DocumentParser, path: Path) -> str:
    """What a valid file holds: "valid", or the workflows of a configuration file."""
    raw = path.read_bytes()
    parser.check_size(raw)
    if not is_task_config(jsonc.loads(raw)):
        parser.parse(raw)
        return "valid"
    translated = documents(SourceText.parse(str(path), raw), parser.validate)
    return "valid: " + ", ".join(document.workflow_id for document, _ in translated)


@cli.command("backup")
def backup_store(
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write (must not exist).")],
) -> None:
    """Copy the embedded store (SQLite) to a file, consistently, even while the service
    runs. MongoDB and Redis have their own tools: see docs/operations.md#backups."""
    settings = _embedded_only(_store_settings(), "back up")
    try:
        copied = backup.backup(settings.sqlite_path, out)
    except backup.BackupError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{copied.path}: {copied.bytes} bytes, {copied.workflows} workflows, {copied.runs} runs"
    )
    typer.echo(
        "Keep the secrets master key with it (AUTOMATOR_SECRETS_KEY, or "
        f"{settings.data_dir / 'secrets.key'}): without it stored secrets cannot be read."
    )


@cli.command("restore")
def restore_store(
    file: Annotated[Path, typer.Option("--from", "-f", help="A file `automator backup` wrote.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a store that holds data.")
    ] = False,
) -> None:
    """Replace the embedded store with a backup. Stop every process using the data dir
    first (`automator dev` is refused while it runs)."""
    settings = _embedded_only(_store_settings(), "restore")
    target = settings.sqlite_path
    if target.exists() and target.stat().st_size > 0 and not force:
        typer.secho(f"{target} holds data; add --force to replace it", fg="red", err=True)
        raise typer.Exit(1)
    try:
        with DataDirLock(settings.data_dir, settings.port):
            copied = backup.restore(file, target)
    except (Taken, backup.BackupError) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{target}: restored from {file} ({copied.workflows} workflows, {copied.runs} runs)")


def _embedded_only(settings: Settings, what: str) -> Settings:
    if settings.mongodb_url is not None:
        typer.secho(
            f"AUTOMATOR_MONGODB_URL is set: {what} MongoDB with mongodump / mongorestore "
            "(docs/operations.md#backups)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    return settings


secrets_cli = typer.Typer(help="The master key of stored secrets (AUTOMATOR_SECRETS_KEY).")
cli.add_typer(secrets_cli, name="secrets")


@secrets_cli.command("new-key")
def new_secrets_key() -> None:
    """Print a new master key, for AUTOMATOR_SECRETS_KEY."""
    typer.echo(new_key())


@secrets_cli.command()
def reencrypt() -> None:
    """Encrypt every stored secret (all tenants) with the first key of AUTOMATOR_SECRETS_KEY.
    Rotate the master key by putting a new key first (`new,old`), running this, then
    dropping the old key."""
    try:
        done = _with_resources(_store_settings(), lambda r: r.secrets.reencrypt())
    except Unreadable as exc:
        typer.secho(f"stopped: {exc}; no key in AUTOMATOR_SECRETS_KEY opens it", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{done} secrets re-encrypted with the first key")
