"""The ``automator`` command."""

import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.progress import track

from app import backup, logs, remote, sqlite_file
from app.errors import AutomatorError, InvalidInput
from app.lockfile import DataDirLock, Taken
from app.models import jsonc
from app.models.tenant import DEFAULT_TENANT, Role
from app.settings import Settings, bad_settings
from app.sqlite_file import InUse, StoreKeyError

# The service (app.main, app.resources and all below them) takes seconds of CPU to import,
# which `automator --help` and the commands that call a running API do not need: the
# commands that run it or open the store import it in their bodies.
if TYPE_CHECKING:
    from app.resources import Resources
    from app.tenancy import IssuedKey
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
    """The console script: a bad setting, or a store its key does not open, ends it in one
    line per variable, not a traceback."""
    try:
        cli(args=log_level_first(sys.argv[1:]), prog_name="automator")
    except (ValidationError, SettingsError) as exc:
        if isinstance(exc, ValidationError) and exc.title != Settings.__name__:
            raise
        for line in bad_settings(exc):
            typer.secho(line, fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    except StoreKeyError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None


def _store_settings() -> Settings:
    """The settings of a command that opens the store, which it names on stderr: the
    service's (the project's ``var``, or AUTOMATOR_DATA_DIR / AUTOMATOR_MONGODB_URL),
    whatever the current directory."""
    settings = Settings()
    typer.secho(f"Store: {settings.store_label}", err=True)
    return settings


def _on_store(work: Callable[["Resources"], Awaitable[T]]) -> T:
    """``work`` done on the store the settings name (on stderr)."""
    from app.resources import with_resources

    return with_resources(_store_settings(), work)


@cli.command()
def dev() -> None:
    """Run everything in one process on embedded defaults: the HTTP API on 127.0.0.1:5000
    (AUTOMATOR_PORT), a worker, the scheduler, SQLite under AUTOMATOR_DATA_DIR (the
    project's var), and a local Redis (started, restarted if it dies, and stopped here
    unless AUTOMATOR_REDIS_URL is set). A channel with no provider
    configured delivers to the dev outbox (GET /api/outbox) unless AUTOMATOR_OUTBOX=false.
    SIGINT, SIGTERM and SIGHUP stop them all. One `automator dev` per data dir: a second one
    refuses to start."""
    from app import processes

    processes.dev()


@cli.command()
def api() -> None:
    """Run the HTTP API only (production: point AUTOMATOR_REDIS_URL and
    AUTOMATOR_MONGODB_URL at shared servers and run as many as you need)."""
    from app import processes

    processes.api()


@cli.command()
def worker() -> None:
    """Run an arq worker that advances runs (run as many as you need, against the same
    AUTOMATOR_REDIS_URL and store as the API). It outlives Redis outages: its loop starts
    again once Redis is back."""
    from app import processes

    processes.worker()


@cli.command()
def scheduler() -> None:
    """Run the scheduler that fires schedule-triggered workflows. Run two or more for
    availability: one leads at a time, and each firing starts one run."""
    from app import processes

    processes.scheduler()


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
    expires_at: Annotated[
        str | None,
        typer.Option(
            "--expires-at",
            help="When the key stops working: an ISO 8601 date or time "
            "(2027-01-31, 2027-01-31T18:00:00+01:00), UTC unless it names a zone.",
        ),
    ] = None,
) -> None:
    """Create an API key (and the tenant, if new). The key is printed once. To make tenants
    from a script, without a shell on this host, use the operator API (POST
    /api/operator/tenants with AUTOMATOR_OPERATOR_TOKEN, and POST
    /api/operator/tenants/{tenant_id}/keys for another admin key; docs/operations.md)."""
    limited = list(workflow) if workflow else None
    tags = _tags(tag) if tag else None
    expires = None if expires_at is None else _instant(expires_at, "--expires-at")

    async def create(resources: "Resources") -> "IssuedKey":
        await _known_or_valid(resources, tenant)
        return await resources.api_keys.create(tenant, role, name, limited, tags, expires)

    try:
        issued = _on_store(create)
    except InvalidInput as exc:  # the one input the store's rules check: the expiry
        raise typer.BadParameter(exc.message, param_hint="--expires-at") from None
    if issued.notice is not None:
        typer.secho(issued.notice, fg=typer.colors.YELLOW, err=True)
    typer.echo(f"{issued.key.key_id} ({issued.key.role}, tenant {tenant}):")
    typer.echo(issued.secret)


def _instant(text: str, option: str) -> datetime:
    """An ISO 8601 date or time, in UTC unless it names a zone."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2027-01-31 or 2027-01-31T18:00:00Z)",
            param_hint=option,
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def _known_or_valid(resources: "Resources", tenant: str) -> None:
    """A tenant that exists (one made before ids had a rule keeps getting keys here, its
    one way back in once its admin keys are gone), or a new id that follows the operator
    API's rule (``TenantId``); else the rule it breaks."""
    from pydantic import TypeAdapter

    from app.models.patterns import message
    from app.models.tenant import TenantId

    if await resources.store.get_tenant(tenant) is not None:
        return
    try:
        TypeAdapter(TenantId).validate_python(tenant)
    except ValidationError as exc:
        raise typer.BadParameter(message(exc.errors()[0]), param_hint="--tenant") from None


def _tags(tags: list[str]) -> list[str]:
    """The tags as a workflow document holds them, or the rule they break."""
    from pydantic import TypeAdapter

    from app.models.validation import Tags

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
        imported, failed = _on_store(partial(_import_into, tenant, files))
    typer.echo(f"{imported} imported, {failed} failed")
    raise typer.Exit(1 if failed else 0)


async def _import_into(tenant: str, files: list[Path], resources: "Resources") -> tuple[int, int]:
    """Import ``files`` into the store, each result printed with the warnings the API's
    import gives; how many workflows went in and how many results were errors."""
    from app.triggers.preview import import_warnings

    await resources.store.ensure_tenant(tenant, tenant)
    done: list[bool] = []
    for path in track(files, description="Importing", disable=len(files) < 2):
        results = await resources.workflows.import_file(tenant, str(path), path.read_bytes())
        for result in results:
            found = await import_warnings(resources.gateway, tenant, result.document)
            warnings = [asdict(warning) for warning in found]
            done.append(remote.print_import(asdict(result) | {"warnings": warnings}))
    return sum(done), len(done) - sum(done)


@cli.command("export")
def export_workflow(
    workflow_id: Annotated[str, typer.Argument(help="The workflow to export.")],
    tenant: TenantOption = DEFAULT_TENANT,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
) -> None:
    """Print (or write) a workflow's current document as JSON."""
    try:
        document = _on_store(lambda r: r.workflows.export(tenant, workflow_id))
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
    from app.actions.registry import default_registry
    from app.workflows import DocumentParser

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


def _checked(parser: "DocumentParser", path: Path) -> str:
    """What a valid file holds: "valid", or the workflows of a configuration file."""
    from app.task_config.source import SourceText
    from app.task_config.translate import documents, is_task_config

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
        copied = backup.backup(settings.sqlite_path, out, settings.store_keys)
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
    if settings.store_keys:
        typer.echo(
            "It is encrypted with the store's key (AUTOMATOR_STORE_KEY): keep the key safe, "
            "apart from the copy; without it the copy cannot be read."
        )


# Replacing the store's file under a running process loses what that process writes next.
EvenIfOpen = Annotated[
    bool,
    typer.Option(
        "--even-if-open",
        help="Go on while another process has the store open (what it writes next is lost).",
    ),
]


@cli.command("restore")
def restore_store(
    file: Annotated[Path, typer.Option("--from", "-f", help="A file `automator backup` wrote.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a store that holds data.")
    ] = False,
    even_if_open: EvenIfOpen = False,
) -> None:
    """Replace the embedded store with a backup. Stop every process using the data dir
    first: it is refused while one has the store open (`automator dev` refuses to start
    meanwhile)."""
    settings = _embedded_only(_store_settings(), "restore")
    target = settings.sqlite_path
    if target.exists() and target.stat().st_size > 0 and not force:
        typer.secho(f"{target} holds data; add --force to replace it", fg="red", err=True)
        raise typer.Exit(1)
    try:
        with DataDirLock(settings.data_dir, settings.port):
            copied = backup.restore(file, target, settings.store_keys, even_if_open=even_if_open)
    except (Taken, InUse, backup.BackupError) as exc:
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


store_cli = typer.Typer(
    help="Encryption at rest of the embedded store (AUTOMATOR_STORE_KEY): docs/security.md."
)
cli.add_typer(store_cli, name="store")


@store_cli.command("new-key")
def new_store_key() -> None:
    """Print a new key for AUTOMATOR_STORE_KEY (32 random bytes, in hexadecimal)."""
    import secrets

    typer.echo(secrets.token_hex(32))


@store_cli.command()
def encrypt(even_if_open: EvenIfOpen = False) -> None:
    """Encrypt the embedded store with the first key of AUTOMATOR_STORE_KEY: a plain store,
    or one encrypted with another of its keys (to change the key, put the new one first,
    `new,old`, run this, then drop the old one). Stop every process using the data dir
    first: it is refused while one has the store open (`automator dev` refuses to start
    meanwhile)."""
    settings = _embedded_only(_store_settings(), "encrypt")
    keys = settings.store_keys
    if not keys:
        typer.secho(
            "set AUTOMATOR_STORE_KEY to the key to encrypt with (make one with "
            "`automator store new-key`)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    try:
        with DataDirLock(settings.data_dir, settings.port):
            was = sqlite_file.encrypt(settings.sqlite_path, keys, even_if_open=even_if_open)
    except (Taken, InUse, StoreKeyError) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    if was == keys[0]:
        typer.echo(f"{settings.sqlite_path}: already encrypted with the first key; nothing to do")
        return
    before = "plain" if was is None else f"encrypted with key {keys.index(was) + 1}"
    typer.echo(
        f"{settings.sqlite_path}: encrypted with the first key of AUTOMATOR_STORE_KEY "
        f"(it was {before}); every process must now be given that key"
    )


secrets_cli = typer.Typer(help="The master key of stored secrets (AUTOMATOR_SECRETS_KEY).")
cli.add_typer(secrets_cli, name="secrets")


@secrets_cli.command("new-key")
def new_secrets_key() -> None:
    """Print a new master key, for AUTOMATOR_SECRETS_KEY."""
    from app.engine.calls.keyring import new_key

    typer.echo(new_key())


@secrets_cli.command()
def reencrypt() -> None:
    """Encrypt every stored secret (all tenants) with the first key of AUTOMATOR_SECRETS_KEY.
    Rotate the master key by putting a new key first (`new,old`), running this, then
    dropping the old key."""
    from app.engine.calls.keyring import Unreadable

    try:
        done = _on_store(lambda r: r.secrets.reencrypt())
    except Unreadable as exc:
        typer.secho(f"stopped: {exc}; no key in AUTOMATOR_SECRETS_KEY opens it", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{done} secrets re-encrypted with the first key")
