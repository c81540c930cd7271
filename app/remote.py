"""CLI commands that talk to a running API over HTTP: ``send-event``, ``runs``, ``workflows``,
``run`` and ``import --url``.

They go through the API (not straight to the store) so they work against any deployment, a
remote one included, and see exactly what an integration sees: authentication, the rate
limit, validation and the same answers.
"""

import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from app.errors import InvalidInput
from app.models import jsonc
from app.models.run import Command
from app.settings import Settings

BATCH = 500
FOLLOW_SECONDS = 0.5
FINISHED = ("completed", "failed", "cancelled")
console = Console()
RUNS_HINT = (
    "send an event (automator send-event TYPE) or run a workflow (automator run WORKFLOW_ID)"
)
WORKFLOWS_HINT = "import one (automator import --file F) or create one in the Studio"


def _default_url() -> str:
    settings = Settings()
    return f"http://{settings.host}:{settings.port}"


Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="AUTOMATOR_URL",
        default_factory=_default_url,
        show_default=False,
        help="The API's address (default: http://AUTOMATOR_HOST:AUTOMATOR_PORT).",
    ),
]
ApiKeyOption = Annotated[
    str,
    typer.Option(
        "--api-key",
        "-k",
        envvar="AUTOMATOR_API_KEY",
        show_default=False,
        help="An API key (`automator create-api-key` makes one).",
    ),
]


def _client(url: str, api_key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {api_key}"}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def _answer(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; otherwise the error, printed, and exit 1."""
    if response.is_success:
        return response.json()
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:500]
    typer.secho(f"{response.status_code}: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return _answer(client.request(method, path, **kwargs))
    except httpx.TransportError as exc:
        said = (
            f"Cannot reach {client.base_url}: {exc}. Is the service running there? Start it "
            "(make run), or point AUTOMATOR_URL (or --url) at the one that is."
        )
        typer.secho(said, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint=name) from None
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object", param_hint=name)
    return value


def _events_in(path: Path) -> list[dict[str, Any]]:
    """A JSON array of events, or one event per line (JSON Lines); a file that is neither is
    a bad --file, naming where it stops being JSON."""
    text = path.read_bytes()
    if text.lstrip().startswith(b"["):
        try:
            events = jsonc.loads(text)
        except InvalidInput as exc:
            raise typer.BadParameter(
                f"not JSON: {exc.details[0].msg}", param_hint="--file"
            ) from None
    else:
        lines = enumerate(text.splitlines(), 1)
        events = [_event_line(number, line) for number, line in lines if line.strip()]
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise typer.BadParameter("must hold event objects", param_hint="--file")
    return events


def _event_line(number: int, line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        said = f"line {number} is not JSON: {exc.msg} at column {exc.colno}"
        raise typer.BadParameter(said, param_hint="--file") from None


def _batches(events: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(events), BATCH):
        yield events[start : start + BATCH]


def _report(result: dict[str, Any]) -> None:
    runs = ", ".join(
        f"{run} ({workflow})"
        for run, workflow in zip(result["run_ids"], result["workflow_ids"], strict=False)
    )
    duplicate = " (duplicate: nothing new started)" if result["duplicate"] else ""
    typer.echo(f"{result['event_id']}{duplicate}: {runs or 'no run started'}")
    for said, field in (("answered", "answered_run_ids"), ("ended", "ended_run_ids")):
        if result.get(field):  # a wait it answered, an exit event it was
            typer.echo(f"  {said} {', '.join(result[field])}")
    for workflow, reason in result["skipped"].items():
        typer.echo(f"  skipped {workflow}: {reason}")
    if result.get("notice"):  # a type no workflow listens to, a key reused for another event
        typer.echo(f"  {result['notice']}")


def send_event(
    url: Url,
    api_key: ApiKeyOption,
    event_type: Annotated[
        str | None, typer.Argument(metavar="TYPE", help="The event type, e.g. user_signup.")
    ] = None,
    user: Annotated[str, typer.Option(help='The user, as JSON: \'{"id": "u1"}\'.')] = "{}",
    data: Annotated[
        str, typer.Option(help="The event data, as JSON: '{\"cart_value\": 120}'.")
    ] = "{}",
    idempotency_key: Annotated[
        str | None, typer.Option(help="A repeat with the same key starts nothing new.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            exists=True,
            dir_okay=False,
            help="Many events: a JSON array or one JSON event per line.",
        ),
    ] = None,
) -> None:
    """Send an event to a running API (`automator dev`, or any deployment) and say which runs
    it started.

    Example:

        automator send-event user_signup --user '{"id": "u1", "email": "ada@example.com"}'

    With --file, events go in batches of 500, with a progress bar."""
    with _client(url, api_key) as client:
        if file is not None:
            _send_file(client, _events_in(file))
            return
        if event_type is None:
            raise typer.BadParameter("give an event TYPE, or --file", param_hint="TYPE")
        event = {
            "type": event_type,
            "user": _json_object(user, "--user"),
            "data": _json_object(data, "--data"),
        }
        if idempotency_key is not None:
            event["idempotency_key"] = idempotency_key
        _report(_call(client, "POST", "/api/events", json=event))


def _send_file(client: httpx.Client, events: list[dict[str, Any]]) -> None:
    started = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Sending", total=len(events))
        for batch in _batches(events):
            results = _call(client, "POST", "/api/events/batch", json={"events": batch})
            started += sum(len(result["run_ids"]) for result in results["results"])
            progress.advance(task, len(batch))
    typer.echo(f"{len(events)} events accepted, {started} runs started")


def runs(
    url: Url,
    api_key: ApiKeyOption,
    run_id: Annotated[
        str | None,
        typer.Argument(metavar="RUN_ID", help="Show this run and its steps (else: list runs)."),
    ] = None,
    command: Annotated[
        Command | None,
        typer.Argument(
            metavar="COMMAND",
            help="With RUN_ID: pause, resume, cancel, retry (from its failed step) or skip "
            "(its current step) the run first, then show it.",
        ),
    ] = None,
    workflow: Annotated[
        str | None, typer.Option("--workflow", "-w", help="Only this workflow.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            "-s",
            help="Only runs in this status (pending, running, waiting, paused, completed, failed, cancelled).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many runs to list.")] = 20,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-F", help="With RUN_ID: print steps as they happen until the run finishes."
        ),
    ] = False,
) -> None:
    """List recent runs (newest first), or show one run with its steps, after a command.

    Examples:

        automator runs --workflow welcome_campaign_001 --status failed

        automator runs run_0195f... --follow

        automator runs run_0195f... retry --follow"""
    with _client(url, api_key) as client:
        if run_id is not None and command is not None:
            _call(client, "POST", f"/api/runs/{run_id}/{command}")
        if run_id is None:
            params = {"workflow_id": workflow, "status": status, "limit": limit}
            found = _call(client, "GET", "/api/runs", params={k: v for k, v in params.items() if v})
            filtered = {"--workflow": workflow, "--status": status}
            _print_runs(found["items"], _nothing("runs", filtered, RUNS_HINT))
        elif follow:
            _follow(client, run_id)
        else:
            _print_run(_call(client, "GET", f"/api/runs/{run_id}"))


def workflows(
    url: Url,
    api_key: ApiKeyOption,
    trigger: Annotated[
        str | None, typer.Option("--trigger", help="Only this trigger type.")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only the workflows tagged so.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many workflows to list.")] = 100,
) -> None:
    """List the workflows (seed 002's `--list`): id, name, trigger, active version, enabled,
    tags.

    Example:

        automator workflows --trigger user_signup --tag growth"""
    wanted = {"trigger_type": trigger, "tag": tag}
    params = {"limit": limit} | {name: value for name, value in wanted.items() if value}
    with _client(url, api_key) as client:
        found = _call(client, "GET", "/api/workflows", params=params)
    header = ("workflow", "name", "trigger", "active", "enabled", "tags")
    rows = [
        (
            item["workflow_id"],
            item["name"],
            item["trigger_type"],
            "-" if item["active_version"] is None else f"v{item['active_version']}",
            "yes" if item["enabled"] else "no",
            ",".join(item["tags"]) or "-",
        )
        for item in found["items"]
    ]
    filtered = {"--trigger": trigger, "--tag": tag}
    _print_table(header, rows, _nothing("workflows", filtered, WORKFLOWS_HINT))


def run(
    url: Url,
    api_key: ApiKeyOption,
    workflow_id: Annotated[str, typer.Argument(metavar="WORKFLOW_ID", help="The workflow to run.")],
    context: Annotated[
        str,
        typer.Option(
            help="The run's context, as JSON: its `user` object is the run's user, the rest "
            'its data: \'{"user": {"id": "u1", "email": "ada@example.com"}, "plan": "pro"}\'.'
        ),
    ] = "{}",
    follow: Annotated[
        bool, typer.Option("--follow", "-F", help="Print each step as it runs until the run ends.")
    ] = False,
) -> None:
    """Run a workflow's active version now with a context, whatever its trigger (seed 002's
    `--workflow X --context '{...}'`). With --follow, print each step as it runs and exit 1
    if the run fails or is cancelled.

    Example:

        automator run welcome_campaign_001 --context '{"user": {"id": "u1"}}' --follow"""
    given = _json_object(context, "--context")
    user = given.pop("user", {})
    if not isinstance(user, dict):
        raise typer.BadParameter("its `user` must be a JSON object", param_hint="--context")
    with _client(url, api_key) as client:
        body = {"user": user, "data": given}
        started = _call(client, "POST", f"/api/workflows/{workflow_id}/run", json=body)
        _report(started)
        if follow and not started["run_ids"]:
            raise typer.Exit(1)  # nothing to follow: the reason was printed
        if follow:
            for run_id in started["run_ids"]:
                _follow(client, run_id)


def _print_runs(items: list[dict[str, Any]], empty: str) -> None:
    header = ("run", "workflow", "status", "step", "attempt", "created", "error")
    rows = [
        (
            run["run_id"],
            f"{run['workflow_id']} v{run['version']}",
            run["status"],
            _step_named(run["current_step"]),
            str(run["attempt"]),
            run["created_at"],
            (run["error"] or {}).get("message", ""),
        )
        for run in items
    ]
    _print_table(header, rows, empty)


def _step_named(step: dict[str, Any] | None) -> str:
    """The step as the workflow gives it, as the Studio shows it; `-` when there is none (the
    run completed, or stands at the end of its actions)."""
    return "-" if step is None else f"{step['id']} ({step['type']})"


def _nothing(what: str, filters: dict[str, str | None], hint: str) -> str:
    """What an empty list says: which filters found nothing, else how to make the first."""
    given = " ".join(f"{option} {value}" for option, value in filters.items() if value)
    return f"No {what} match {given}." if given else f"No {what} yet: {hint}."


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str) -> None:
    """A table on a terminal; tab-separated lines otherwise, for scripts. Without rows,
    `empty` instead of a bare header; scripts still get the header, and `empty` on stderr."""
    if not console.is_terminal:
        typer.echo("\n".join("\t".join(row) for row in [header, *rows]))
        if not rows:
            typer.echo(empty, err=True)
        return
    if not rows:
        console.print(empty, markup=False, highlight=False)
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print_run(run: dict[str, Any]) -> None:
    console.print(
        f"{run['run_id']}  {run['workflow_id']} v{run['version']}  {run['status']}{_waiting(run)}",
        markup=False,
        soft_wrap=True,
    )
    if step := run["current_step"]:
        # Named as the workflow gives it, as the Studio does: `step` is a compiled position.
        where = "stopped at" if run["status"] in ("failed", "cancelled") else "at"
        named = f" {step['name']!r}" if step["name"] else ""
        console.print(f"{where}{named} {_step_named(step)}", highlight=False)
    if run["error"]:
        console.print(f"error: {run['error'].get('message', run['error'])}", style="red")
    for step in run["steps"]:
        _print_step(step)


def _print_step(step: dict[str, Any]) -> None:
    error = f"  {step['error'].get('message', '')}" if step["error"] else ""
    console.print(
        f"  {step['finished_at']}  {step['step_id']} ({step['action_type']}) "
        f"attempt {step['attempt']}: {step['status']}{_way(step['output'])}{error}",
        markup=False,
        soft_wrap=True,  # one line per step, whatever the width: scripts read them
    )


def _way(output: Any) -> str:
    """Which way a step that chooses went, as its output says: a condition's branch
    (`` (then)``), a wait's event or its timeout (`` (order_shipped evt_...)``,
    `` (timed out)``); else nothing. "completed" alone does not tell them apart."""
    if not isinstance(output, dict):
        return ""
    if output.get("timed_out") is True:
        return " (timed out)"
    if isinstance(event := output.get("event"), dict):
        return f" ({event.get('type')} {event.get('id')})"
    return f" ({output['branch']})" if isinstance(output.get("branch"), str) else ""


def _waiting(run: dict[str, Any]) -> str:
    """What a waiting run waits for and when it goes on without it: `` (delay, goes on at
    ...)``, `` (waiting for order_shipped, goes on at ...)`` (its timeout); else nothing."""
    if run["status"] != "waiting":
        return ""
    reason = run["wait_reason"] or "waiting"
    return f" ({reason}, goes on at {run['due_at']})" if run["due_at"] else f" ({reason})"


def _follow(client: httpx.Client, run_id: str) -> None:
    shown, said = 0, ""
    while True:
        run = _call(client, "GET", f"/api/runs/{run_id}")
        status = run["status"]
        for step in run["steps"][shown:]:
            _print_step(step)
        shown = len(run["steps"])
        # A new line for each new wait too: a delay, then a wait for an event, read apart.
        if (now := f"{status}{_waiting(run)}") != said:
            said = now
            console.print(f"{run_id}: {said}", markup=False, highlight=False, soft_wrap=True)
        if status in FINISHED:
            if status != "completed":
                raise typer.Exit(1)
            return
        time.sleep(FOLLOW_SECONDS)


def print_import(result: Mapping[str, Any]) -> bool:
    """One import result (``ImportItem``'s fields), as both ways of importing print it;
    whether it went in."""
    if result["error"] is not None:
        message = result["error"]["message"]
        typer.secho(f"{result['source']}: error: {message}", fg=typer.colors.RED, err=True)
        return False
    typer.echo(
        f"{result['source']}: {result['status']} {result['workflow_id']} v{result['version']}"
    )
    for note in result.get("notes") or ():
        typer.echo(f"  note: {note}")
    # On stderr, so stdout stays one line per workflow: each names its workflow.
    for warning in result.get("warnings") or ():
        action = f"{warning['action_id']} ({warning['action_type']})"
        said = f"{result['workflow_id']}: warning: {action}: {warning['message']}"
        typer.secho(said, fg=typer.colors.YELLOW, err=True)
    return True


def import_files(url: str, api_key: str, files: Sequence[Path]) -> tuple[int, int]:
    """``automator import --url``: each file through POST /api/workflows/import of a running
    service, into the key's tenant; how many workflows went in and how many results were
    errors. A refused request (a bad key, a file over the API's size limit) stops it, as the
    other remote commands do."""
    typer.secho(f"Importing through the API at {url}", err=True)
    done: list[bool] = []
    with _client(url, api_key) as client:
        for path in files:
            upload = {"files": (str(path), path.read_bytes(), "application/json")}
            report = _call(client, "POST", "/api/workflows/import", files=upload)
            done.extend(print_import(result) for result in report["results"])
    return sum(done), len(done) - sum(done)
