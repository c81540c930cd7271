"""Every knob of the service, one environment variable each (prefix ``AUTOMATOR_``)."""

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from app.logs import LogFormat

MIB = 1024 * 1024
PREFIX = "AUTOMATOR_"


def _list(value: Any) -> Any:
    """A list setting from the environment: a JSON list, or values separated by commas."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith("["):
        return json.loads(value)
    return [item.strip() for item in value.split(",") if item.strip()]


def project_data_dir() -> Path:
    """``var`` of the checkout this code runs from (the directory holding pyproject.toml
    above ``app/``), so that ``automator import`` run from any directory opens the store
    ``make run`` serves; ``./var`` when the code is an installed package."""
    root = Path(__file__).resolve().parent.parent
    return root / "var" if (root / "pyproject.toml").is_file() else Path("var")


# A list of strings: `a,b` or `["a", "b"]`.
Names = Annotated[list[str], NoDecode, BeforeValidator(_list)]
# A key of the embedded store: 32 bytes, written as 64 hexadecimal digits.
STORE_KEY = re.compile(r"[0-9a-fA-F]{64}")


def _store_keys(value: SecretStr) -> SecretStr:
    """AUTOMATOR_STORE_KEY: one key or more, comma-separated, each checked (and never echoed,
    only its position)."""
    keys = value.get_secret_value().split(",")
    for position, key in enumerate(keys, 1):
        if not STORE_KEY.fullmatch(key.strip()):
            raise ValueError(
                f"key {position} of {len(keys)} is not 64 hexadecimal digits; make one with "
                "`automator store new-key`"
            )
    return value


StoreKey = Annotated[SecretStr, AfterValidator(_store_keys)]
# The operator token is guessed at from anywhere the API is reached: 32 characters at least.
MIN_OPERATOR_TOKEN = 32


def _operator_token(value: SecretStr) -> SecretStr:
    """AUTOMATOR_OPERATOR_TOKEN: long enough (its length is said, never the value)."""
    if len(value.get_secret_value()) < MIN_OPERATOR_TOKEN:
        raise ValueError(
            f"shorter than {MIN_OPERATOR_TOKEN} characters; make one with `openssl rand -hex 32`"
        )
    return value


# min_length first: an empty value is told as every empty setting is.
OperatorToken = Annotated[SecretStr, Field(min_length=1), AfterValidator(_operator_token)]


class Settings(BaseSettings):
    """Configuration read from the environment and an optional ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the HTTP API listens on.")
    port: int = Field(5000, ge=1, le=65535, description="Port the HTTP API listens on.")
    public_url: str | None = Field(
        None,
        description="The service's address as people reach it (`https://automator.example.com`), "
        "for links sent in messages such as approval links; default `http://HOST:PORT`.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Where the embedded store and the local Redis keep their files. Unset, "
        "the project's `var` (next to its pyproject.toml), whatever the current directory, so "
        "the service and every command of one checkout share one store; `./var` for an "
        "installed package.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis to use (redis://, rediss:// or unix://). When unset, `automator dev` "
        "starts a local Redis server with its data under the data dir.",
    )
    mongodb_url: str | None = Field(
        None, description="MongoDB connection string; when set it replaces the SQLite store."
    )
    mongodb_database: str = Field("automator", description="MongoDB database name.")
    bootstrap_api_key: SecretStr | None = Field(
        None,
        description="Admin key for the `default` tenant created on first start; when unset a "
        "random key is generated and printed once.",
    )
    max_actions: int = Field(50, ge=1, description="Most actions one workflow may hold.")
    max_workflow_bytes: int = Field(
        10 * MIB, ge=1024, description="Largest workflow document, in bytes of JSON."
    )
    max_workflow_timeout: int = Field(
        300, ge=1, description="Largest settings.timeout a workflow may ask for, in seconds."
    )
    max_request_bytes: int = Field(
        10 * MIB,
        ge=1024,
        description="Largest HTTP request body; larger ones get a 413. Also bounds a "
        "sub-workflow's event (its user and data, as JSON).",
    )
    max_large_bodies: int = Field(
        1,
        ge=1,
        description="Request bodies over 1 MiB one API process reads and handles at once; "
        "others wait, unread. Bounds the memory a burst of big events takes (about ten "
        "times an event's size while it is handled).",
    )
    log_level: str = Field("INFO", description="Python log level name.")
    log_format: LogFormat = Field(
        "auto",
        description="`json` (one object per line, with tenant, workflow, run and step ids), "
        "`console` (readable text), or `auto`: console on a terminal, JSON otherwise.",
    )
    key_cache_seconds: float = Field(
        5,
        ge=0,
        description="Seconds an API process remembers a valid key; a key revoked "
        "through another process stops working within this time.",
    )
    # Above what one client sending as fast as an API process accepts can reach (issue 16's
    # ingest target, about 4,000 events/s on 2 cores), with room for a few API processes.
    rate_limit: int = Field(
        10_000,
        ge=0,
        description="Requests one API key may make per `AUTOMATOR_RATE_LIMIT_WINDOW`, "
        "shared by every API process (counted in Redis); over it, 429 with Retry-After. "
        "A batch of events is one request. 0: no limit.",
    )
    rate_limit_window: float = Field(
        1, gt=0, le=3600, description="Seconds of one rate-limit window."
    )
    hook_rate_limit: int = Field(
        100,
        ge=0,
        description="Deliveries one inbound webhook (`POST /hooks/{hook_id}`) may receive "
        "per `AUTOMATOR_HOOK_RATE_LIMIT_WINDOW`, whoever sends them, counted in Redis before "
        "the signature is checked; over it, 429 with Retry-After (senders retry). 0: no limit.",
    )
    hook_rate_limit_window: float = Field(
        1, gt=0, le=3600, description="Seconds of one inbound-webhook rate-limit window."
    )
    studio_dir: Path | None = Field(
        None,
        description="The built Studio (its index.html and assets/) served at /studio/; unset: "
        "`web/dist` of the source tree, where `make web` builds it.",
    )
    session_seconds: int = Field(
        12 * 3600,
        ge=60,
        le=30 * 86400,
        description="How long a Studio sign-in lasts (the `automator_session` cookie and "
        "its record in Redis); then the person signs in again.",
    )
    sign_in_failures: int = Field(
        10,
        ge=0,
        description="Failed Studio sign-ins one client address may make in 15 minutes; "
        "past it, 429 with Retry-After until the 15 minutes end. 0: no limit.",
    )
    idempotency_window: int = Field(
        86400,
        ge=1,
        description="Seconds an event's idempotency key (or a workflow's business "
        "key) keeps a repeat from starting anything.",
    )
    event_retention_days: int = Field(
        30,
        ge=1,
        description="Days accepted events are kept, for tenants that set none of their own "
        "(`PUT /api/tenant/retention`).",
    )
    run_retention_days: int | None = Field(
        None,
        ge=1,
        description="Days finished runs and their step records are kept (by their last "
        "change), for tenants that set none of their own. Unset: kept for ever. `/api/stats` "
        "keeps counting purged runs (by UTC day).",
    )
    outbox_retention_days: int | None = Field(
        30, ge=1, description="Days dev outbox messages are kept (unset: for ever), as above."
    )
    audit_retention_days: int | None = Field(
        None, ge=1, description="Days audit entries are kept (unset: for ever), as above."
    )
    retention_batch: int = Field(
        500,
        ge=1,
        le=10000,
        description="Records the hourly retention job deletes per store write; ingest waits "
        "for one such write at most.",
    )
    bulk_batch_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Runs one job of a bulk run command (`POST /api/runs/bulk`) handles "
        "before it saves its progress and hands the rest to the next job.",
    )
    max_batch_events: int = Field(1000, ge=1, description="Most events in one batch request.")
    worker_concurrency: int = Field(100, ge=1, description="Jobs one worker runs at once.")
    dev_jobs_while_serving: int = Field(
        25,
        ge=0,
        description="In `automator dev`, the most arq jobs (runs' start jobs, alerts, bulk and periodic "
        "jobs) its worker runs at once while "
        "the API has requests in flight (more are taken as soon as it has none; resumes of "
        "runs already started, such as timers, are not held). 0: no bound but "
        "AUTOMATOR_WORKER_CONCURRENCY.",
    )
    worker_poll_delay: float = Field(
        0.05,
        gt=0,
        description="Seconds between a worker's polls for due jobs (a timer falling due "
        "sooner is taken when due); arq's default of 0.5 caps a worker at 200 jobs/s.",
    )
    worker_idle_poll_delay: float = Field(
        0.25,
        gt=0,
        le=5,
        description="Most seconds between the polls of a worker with nothing to run: they "
        "double from `AUTOMATOR_WORKER_POLL_DELAY` up to this while it finds nothing, and "
        "come back to it as soon as it finds work. The run of an event after a quiet spell, "
        "or a wake another process arms then, starts up to this much later; a timer known "
        "to fall due is taken when due. Each poll costs the worker and Redis CPU.",
    )
    worker_resume_lead: float = Field(
        1.0,
        ge=0,
        le=5,
        description="Seconds before more resumes of started runs (timers, wakes) fall due "
        "than a worker has room for that it stops taking new runs, so those in flight end "
        "before the burst; it holds new runs off at most twice this long, then takes them "
        "for at least as long as it held them. 0: no hold before a burst.",
    )
    job_timeout: int = Field(
        60,
        ge=1,
        description="Seconds one job may run; a walk hands over to a fresh job before it, "
        "and no action attempt may take more than 40 % of it.",
    )
    run_lease_seconds: float = Field(
        10,
        ge=1,
        le=300,
        description="Seconds a worker's hold on a run (and on its job) lasts unless "
        "renewed; a worker renews its holds every third of this while it lives, so a "
        "killed worker's runs are taken over by another about this long (plus 1 s) later.",
    )
    action_timeout: float = Field(30, gt=0, description="Default seconds per action attempt.")
    reconcile_grace: int = Field(
        30,
        ge=1,
        description="Seconds a run may sit past its due time before the reconciler "
        "enqueues it again (Redis lost its job, or a worker died).",
    )
    schedule_misfire: Literal["skip", "run_once"] = Field(
        "skip",
        description="Schedule ticks missed while no scheduler ran: `skip` fires only "
        "those missed by less than a minute; `run_once` fires the latest one once.",
    )
    alert_check_seconds: float = Field(
        60,
        gt=0,
        le=3600,
        description="How often the leading scheduler reads every tenant's failure alert "
        "rules (`PUT /api/tenant/alerts`) and sends those over their threshold.",
    )
    connector_modules: Names = Field(
        default_factory=list,
        description="Python modules to import at start so the connectors they register "
        "(`@register_connector`) are available, comma-separated (`my_app.adapters,acme.crm`) "
        "or a JSON list. Installed packages declaring the `automator.connectors` entry point need no entry.",
    )
    local_tasks: Names = Field(
        default_factory=list,
        description="Local task types this deployment allows, which act on the server: "
        "`file`, `shell` (comma-separated or a JSON list); off by default. A tenant also "
        'opts in: `PUT /api/integrations/file` with `{"config": {"enabled": true}}`.',
    )
    files_root: Path | None = Field(
        None,
        description="The one directory `file` tasks work in, a folder per tenant inside; "
        "default `<data dir>/files`. Symlinks are never followed.",
    )
    file_max_bytes: int = Field(
        10 * MIB, ge=1, description="Largest file a `file` task reads, writes or grows."
    )
    shell_commands: Names = Field(
        default_factory=list,
        description="Executables `shell` tasks may run: names looked up on the server's PATH "
        "or absolute paths (`wc,/usr/local/bin/report`); none by default.",
    )
    shell_timeout: float = Field(
        30, gt=0, le=3600, description="Longest a `shell` command may run, in seconds."
    )
    shell_max_output_bytes: int = Field(
        65536,
        ge=1,
        description="Most bytes of stdout (and of stderr) a `shell` command may write: one "
        "that writes more is stopped.",
    )
    shell_env: Names = Field(
        default_factory=lambda: ["PATH", "LANG", "LC_ALL", "TZ"],
        description="Environment variables a `shell` command gets (from its `data.env`, else "
        "the server's); no other variable reaches it.",
    )
    http_allowed_hosts: Names = Field(
        default_factory=list,
        description="Hosts outbound HTTP (webhooks, providers) may reach even though they "
        "resolve to loopback, private, link-local or metadata addresses, comma-separated "
        "(`hooks.internal,127.0.0.1,10.1.0.0/16`) or a JSON list. A host name (exact) is "
        "trusted whatever it resolves to; an IP address or CIDR network allows those addresses "
        "however a URL spells them (a metadata address only when listed on its own). Give "
        "the API and every worker the same: workers judge the calls, the API judges the "
        "checks before a run (validation's warnings, dry runs).",
    )
    http_max_response_bytes: int = Field(
        MIB,
        ge=1024,
        description="Largest response body outbound HTTP reads, in bytes after decompression; "
        "a larger one fails the step (final).",
    )
    http_max_redirects: int = Field(
        5, ge=0, le=20, description="Most redirects a webhook call follows; each hop is guarded."
    )
    integrations: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Configuration of each connector by its code, as JSON, e.g. "
        '`{"legacy_erp": {"url": "https://erp.example", "api_key": {"$secret": "ERP_KEY"}}}`; '
        "a tenant's own configuration (`PUT /api/integrations/{code}`) takes precedence.",
    )
    ai_base_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="Base URL of the deployment's OpenAI-compatible model server, up to its "
        "`/v1` (`https://api.openai.com/v1`, `http://127.0.0.1:8080/v1` for llama.cpp's "
        "server): the `ai_task` action's provider for every tenant without its own "
        "(`PUT /api/integrations/ai`), and the copilot's. Outbound calls to it pass the "
        "address guard: list a local server in AUTOMATOR_HTTP_ALLOWED_HOSTS. Ignored when "
        "AUTOMATOR_INTEGRATIONS configures `ai`.",
    )
    ai_api_key: SecretStr | None = Field(
        None, description="API key for AUTOMATOR_AI_BASE_URL (sent as a Bearer token)."
    )
    ai_model: str | None = Field(
        None,
        min_length=1,
        description="Default model of the deployment's provider: used by `ai_task` steps "
        "that name none, and by the copilot.",
    )
    ai_prices: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Prices of models in US dollars per million tokens, as JSON, e.g. "
        '`{"my-local-model": {"input": 0, "output": 0}}`, over the built-in table of list '
        "prices; AI steps and stats count cost with it, budgets are in it.",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port on which `automator worker` and `automator scheduler` serve "
        "Prometheus metrics at /metrics (on AUTOMATOR_HOST); unset: not served. The API "
        "serves /metrics on its own port, and `automator dev` shows every part there.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        min_length=1,
        description="When set, /metrics (on the API's port and on AUTOMATOR_METRICS_PORT) "
        "answers only requests with `Authorization: Bearer <this token>`, 401 otherwise "
        "(Prometheus: `authorization: credentials_file`). Unset: /metrics is open, and "
        "`automator api` and `automator dev` warn at start when they listen on more than "
        "loopback, as do "
        "`automator worker` and `automator scheduler` serving AUTOMATOR_METRICS_PORT. "
        "/health and /ready stay open either way.",
    )
    operator_token: OperatorToken | None = Field(
        None,
        description="The deployment operator's credential for /api/operator/ (create, list "
        "and read tenants, give one another admin key), sent as `Authorization: Bearer <this token>`; no tenant's API "
        "key opens those routes, and this token opens no other. At least 32 characters "
        "(`openssl rand -hex 32`). Unset: the operator routes answer a request sending a "
        "token with 403 naming this setting, and tenants are made with "
        "`automator create-api-key`.",
    )
    metrics_max_workflows: int = Field(
        100,
        ge=0,
        description="(tenant, workflow) pairs a process labels one by one in run metrics; "
        "later ones share the label `_other` (0: always `_other`). Bounds the series "
        "Prometheus keeps; exact per-workflow figures are in GET /api/stats.",
    )
    provider_failure_threshold: int = Field(
        3,
        ge=1,
        description="Consecutive retryable failures (network, 5xx, 429) after which a "
        "messaging provider is marked unhealthy and channels try the next one first.",
    )
    provider_cooldown: float = Field(
        60,
        gt=0,
        le=86400,
        description="Seconds an unhealthy messaging provider is passed over before it is "
        "tried again.",
    )
    secrets_key: SecretStr | None = Field(
        None,
        description="Master key of stored secrets: one or more Fernet keys, comma-separated; "
        "the first encrypts, all decrypt (put a new key first to rotate, then run "
        "`automator secrets reencrypt`). When unset, a key is generated into "
        "`<data dir>/secrets.key`: fine for one machine, but production must set it, the same "
        "in every process, and back it up.",
    )
    store_key: StoreKey | None = Field(
        None,
        description="Encrypts the embedded store (SQLite: its file, write-ahead log and "
        "backups) with SQLCipher: a key of 64 hexadecimal digits (make one with `automator "
        "store new-key`), or several comma-separated while changing it (`new,old`: the file "
        "opens with whichever fits; `automator store encrypt` re-encrypts it with the first). "
        "Needs `pip install 'automator[encryption]'`. Set it the same in every process and "
        "keep it apart from the backups: without it the store cannot be read. Unset: the file "
        "is plain. See docs/security.md#encryption-at-rest.",
    )
    secrets_env_tenants: Names = Field(
        default_factory=lambda: ["default"],
        description="Tenants whose workflows and integration configuration may read "
        "`AUTOMATOR_SECRET_<NAME>` environment variables, comma-separated or a JSON list "
        "(`*`: every tenant); others resolve secrets from their own store only. References in `AUTOMATOR_INTEGRATIONS` "
        "always may.",
    )
    profile_max_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest attributes of one user profile, in bytes of JSON. An event that "
        "would pass it still counts as activity but its attributes are not merged; "
        "`update_user_profile` fails its step.",
    )
    segment_scan_limit: int = Field(
        10_000,
        ge=100,
        description="Profiles one request for a segment's members examines at most; a page may "
        "then hold fewer members than asked, with `next_after` to go on.",
    )
    segment_max_members: int = Field(
        100_000,
        ge=1,
        description="Most runs one firing of a segment-targeted schedule starts; past it the "
        "firing stops and logs an error.",
    )
    max_workflow_depth: int = Field(
        10,
        ge=1,
        le=100,
        description="Sub-workflow levels a run may start below it (trigger_workflow); a "
        "workflow that triggers itself stops there, its step failing with this limit named.",
    )
    join_recheck_seconds: float = Field(
        300,
        gt=0,
        description="Seconds between looks at the child runs of a run waiting at a join "
        "(parallel, a waited trigger_workflow); a child that ends wakes its parent at once, "
        "this bounds the wait if that wake is lost.",
    )
    flow_recheck_seconds: float = Field(
        60,
        gt=0,
        description="Seconds between checks of a run waiting for a concurrency slot; a run "
        "that ends wakes the next one at once, this bounds the wait if that wake is lost.",
    )
    limits_cache_seconds: float = Field(
        1,
        ge=0,
        description="Seconds a process keeps a tenant's limits (`PUT /api/tenant/limits`) "
        "before reading them again.",
    )
    integrations_cache_seconds: float = Field(
        1,
        ge=0,
        description="Seconds a process keeps a tenant's configuration of a connector "
        "(`PUT /api/integrations/{code}`) before its steps' calls read it again: a change "
        "reaches the workers' runs within this time.",
    )
    outbox: bool | None = Field(
        None,
        description="Whether a channel action with no provider configured keeps its message "
        "in the dev outbox (`GET /api/outbox`) instead of failing. Unset: on for `automator "
        "dev`, off for `automator api` and `automator worker`.",
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server `send_email` sends through, unless the notify_service "
        "configuration names its own (`smtp.host`).",
    )
    smtp_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Its port; when unset, 465 for `tls`, 587 for `starttls` and 25 for `none`.",
    )
    smtp_username: str | None = Field(None, description="SMTP login; unset: no AUTH.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        "starttls",
        description="`starttls` upgrades the connection and fails if the server cannot; "
        "`tls` connects over TLS (SMTPS); `none` sends in clear (a local relay). "
        "Certificates are verified against the system's CAs (or `SSL_CERT_FILE`).",
    )
    smtp_from: str | None = Field(
        None,
        description="Default sender, e.g. `Acme <hello@acme.example>`; the notify_service "
        "configuration's `smtp.from` and an action's `data.from` override it.",
    )
    delay_scale: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Test aid: multiplies every delay and retry backoff "
        "(0.01 turns 300 s into 3 s). Leave at 1 in production.",
    )

    @model_validator(mode="after")
    def _project_data_dir(self) -> "Settings":
        if "data_dir" not in self.model_fields_set:
            self.data_dir = project_data_dir()
        return self

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "automator.db"

    @property
    def store_keys(self) -> list[str]:
        """AUTOMATOR_STORE_KEY's keys, the one to encrypt with first; none when unset."""
        if self.store_key is None:
            return []
        return [key.strip() for key in self.store_key.get_secret_value().split(",")]

    @property
    def store_label(self) -> str:
        """Which store the settings open, as a command says it (never the MongoDB URL: it
        may hold a password)."""
        if self.mongodb_url:
            return f"MongoDB database {self.mongodb_database!r}"
        return f"SQLite {self.sqlite_path.resolve()}"

    @property
    def connector_defaults(self) -> dict[str, dict[str, Any]]:
        """AUTOMATOR_INTEGRATIONS, with the ``ai`` connector's built from AUTOMATOR_AI_*
        when it configures none."""
        if "ai" in self.integrations or self.ai_base_url is None:
            return self.integrations
        provider: dict[str, Any] = {"provider": "openai", "base_url": self.ai_base_url}
        if self.ai_api_key is not None:
            provider["api_key"] = self.ai_api_key.get_secret_value()
        if self.ai_model is not None:
            provider["model"] = self.ai_model
        return {**self.integrations, "ai": {"providers": [provider]}}

    @property
    def base_url(self) -> str:
        """Where people reach the service: ``public_url``, else the API's own address."""
        return self.public_url or f"http://{self.host}:{self.port}"


def bad_settings(exc: ValidationError | SettingsError) -> list[str]:
    """One line per setting the environment (or ``.env``) gets wrong: the variable and the
    form it expects. Values are not repeated: a URL or key may hold a secret."""
    if isinstance(exc, SettingsError):
        found = re.search(r'field "(\w+)"', str(exc))
        name = found.group(1) if found else "?"
        return [f"{PREFIX}{name.upper()}: not valid JSON; see docs/configuration.md"]
    return [f"{PREFIX}{str(error['loc'][0]).upper()}: {_said(error)}" for error in exc.errors()]


# How pydantic refuses an empty value: a string's length, or a secret's (SecretStr's own).
EMPTY_REFUSALS = frozenset({"string_too_short", "too_short"})


def _said(error: ErrorDetails) -> str:
    """What is wrong with one setting: an empty value says so in words (pydantic's own
    "should have at least 1 item after validation" reads as a riddle for a token)."""
    if error["type"] in EMPTY_REFUSALS and error["input"] == "":
        return "empty: give it a value, or leave the variable unset"
    return error["msg"].removeprefix("Value error, ")


def configuration_table() -> str:
    """The Markdown table of every setting, for docs/configuration.md."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        value = field.get_default(call_default_factory=True)
        default = "unset" if value is None else f"`{value}`"
        rows.append(f"| `AUTOMATOR_{name.upper()}` | {default} | {field.description} |")
    return "\n".join(rows) + "\n"
