"""Seed 002's tasks that act, as Automator actions: ``file`` → ``file``, ``http`` →
``webhook_call``, ``shell`` → ``shell``, ``transform`` → ``transform``, ``email`` →
``send_email``; each with how its result reads (``${name_result...}``)."""

import re
import shlex
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from app.errors import shown
from app.task_config.references import REFERENCE, Result, Scope
from app.task_config.refusal import Refusal, only, within

FILE_OPERATIONS = ("read", "write", "append", "copy", "delete", "list")
# What a file operation's result means read bare: read gives the text, list the entries.
FILE_RESULTS = {"read": "content", "list": "entries"}
TRANSFORM_RESULTS = {
    "csv_to_json": "rows",
    "json_to_csv": "csv",
    "count": "result",
    "sum": "result",
    "avg": "result",
    "min": "result",
    "max": "result",
    "group_by": "groups",
}
HTTP_FIELDS = {
    "status": "status",
    "status_code": "status",
    "headers": "headers",
    "body": "body",
    "json": "body",
    "text": "body",
}
SHELL_FIELDS = {
    "stdout": "stdout",
    "stderr": "stderr",
    "returncode": "exit_code",
    "return_code": "exit_code",
    "exit_code": "exit_code",
}
# What seed 002's email task may carry that Automator's email channel configures instead.
SERVER_KEYS = frozenset({"username", "password", "from_email", "use_tls"})
SINGLE_QUOTED = re.compile(r"'[^']*'")
DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
EXPANSION = re.compile(r"[$`]")
SHELL_SYNTAX = re.compile(r"[|&;<>()*?~\[\]{}]")


@dataclass(frozen=True)
class Translated:
    """A task as an Automator action (without its id), and how its result reads."""

    action: dict[str, Any]
    result: Result | None


Translator = Callable[[str, dict[str, Any], Scope], Translated]


def _value(config: dict[str, Any], key: str, scope: Scope) -> Any:
    with within(key):
        return scope.value(config[key])


def _text(config: dict[str, Any], key: str, scope: Scope) -> Any:
    """The value at ``key``, for a field that takes text (see ``Scope.text``)."""
    with within(key):
        return scope.text(config[key])


def _required(config: dict[str, Any], key: str, what: str) -> Any:
    if config.get(key) in (None, ""):
        raise Refusal(f"{what} needs '{key}'")
    return config[key]


def _operation(config: dict[str, Any], known: Collection[str], kind: str, what: str) -> Any:
    """The task's ``operation``, one of those ``known`` to have a translation."""
    operation = _required(config, "operation", what)
    if operation not in known:
        raise Refusal(
            f"{kind} operation '{operation}' has no translation (known: {', '.join(known)})",
            ("operation",),
        )
    return operation


def _path(config: dict[str, Any], key: str, scope: Scope) -> str:
    """The path at ``key``, relative to the tenant's folder as Automator's file task takes
    it, its references templates."""
    path = config[key]
    with within(key):
        if not isinstance(path, str):
            raise Refusal(f"'{key}' is a path (text), not {type(path).__name__}")
        if path.startswith(("/", "\\", "~")) or ".." in PurePosixPath(path).parts:
            raise Refusal(
                f"'{path}' leaves the folder Automator's file tasks work in "
                "(AUTOMATOR_FILES_ROOT/<tenant id>): write it relative to that folder, "
                "without '..'"
            )
        return scope.template(path.removeprefix("./") or ".")


def file_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    keys = ("operation", "file_path", "directory", "content", "destination", "encoding")
    config = only(config, keys, "a file task's config")
    operation = _operation(config, FILE_OPERATIONS, "file", "a file task")
    where = "directory" if operation == "list" and "directory" in config else "file_path"
    _required(config, where, "a file task")
    data = {"operation": operation, "path": _path(config, where, scope)}
    if "content" in config:
        data["content"] = _text(config, "content", scope)
    if "destination" in config:
        data["to"] = _path(config, "destination", scope)
    if "encoding" in config:
        data["encoding"] = config["encoding"]
    bare = FILE_RESULTS.get(operation)
    return Translated({"type": "file", "data": data}, Result(f"steps.{name}.output", bare))


def http_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    keys = ("url", "method", "headers", "params", "json", "data", "body", "timeout")
    config = only(config, keys, "an HTTP task's config")
    _required(config, "url", "an HTTP task")
    data: dict[str, Any] = {"url": _value(config, "url", scope)}
    data["method"] = str(config.get("method", "GET")).upper()
    for seed, ours in (("headers", "headers"), ("params", "query"), ("json", "json")):
        if seed in config:
            data[ours] = _value(config, seed, scope)
    if "data" in config:  # seed 002's data: an object or list is JSON, text a raw body
        body = _value(config, "data", scope)
        data["body" if isinstance(body, str) else "json"] = body
    if "body" in config:
        data["body"] = _text(config, "body", scope)
    if "timeout" in config:
        data["timeout"] = config["timeout"]
    result = Result(f"steps.{name}.output", fields=HTTP_FIELDS)
    return Translated({"type": "webhook_call", "data": data}, result)


def shell_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    config = only(config, ("command", "env", "timeout"), "a shell task's config")
    command = _required(config, "command", "a shell task")
    with within("command"):
        words = argv(command) if isinstance(command, str) else command
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise Refusal("a command is text or a list of arguments (text)")
        data: dict[str, Any] = {"argv": scope.value(words)}
    if "env" in config:
        data["env"] = _value(config, "env", scope)
    if "timeout" in config:
        data["timeout"] = config["timeout"]
    result = Result(f"steps.{name}.output", fields=SHELL_FIELDS)
    return Translated({"type": "shell", "data": data}, result)


def argv(command: str) -> list[str]:
    """``command`` split into arguments as a shell would, when no shell is needed to run it:
    Automator runs one allow-listed executable, with no shell to expand, pipe or redirect."""
    outside = SINGLE_QUOTED.sub("", REFERENCE.sub("", command))
    found = EXPANSION.search(outside) or SHELL_SYNTAX.search(DOUBLE_QUOTED.sub("", outside))
    if found:
        raise Refusal(
            f"the command {shown(command)} needs a shell for {shown(found.group())}; "
            "Automator's shell task runs one allow-listed executable with its arguments and no "
            "shell: put the command in a script that is allow-listed (AUTOMATOR_SHELL_COMMANDS), "
            "or split it into tasks"
        )
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise Refusal(
            f"the command {shown(command)} cannot be split into arguments: {exc}"
        ) from None


def transform_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    keys = ("operation", "input", "data", "field", "by", "group_by", "delimiter")
    config = only(config, keys, "a data transform task's config")
    operation = _operation(config, TRANSFORM_RESULTS, "transform", "a data transform task")
    source = "input" if "input" in config else "data"
    data: dict[str, Any] = {"operation": operation, "input": _value(config, source, scope)}
    for seed, ours in (
        ("field", "field"),
        ("by", "by"),
        ("group_by", "by"),
        ("delimiter", "delimiter"),
    ):
        if seed in config:
            data[ours] = config[seed]
    result = Result(f"steps.{name}.output", TRANSFORM_RESULTS[operation])
    return Translated({"type": "transform", "data": data}, result)


def email_task(name: str, config: dict[str, Any], scope: Scope) -> Translated:
    server = next((key for key in config if key.startswith("smtp") or key in SERVER_KEYS), None)
    if server is not None:
        raise Refusal(
            f"'{server}': Automator sends email through its email channel, configured once "
            "(AUTOMATOR_SMTP_HOST and the other AUTOMATOR_SMTP_* variables, or PUT "
            "/api/integrations/email), not per task: remove it",
            (server,),
        )
    config = only(config, ("to_emails", "subject", "body", "html"), "an email task's config")
    _required(config, "to_emails", "an email task")
    to = _value(config, "to_emails", scope)
    data: dict[str, Any] = {"recipients": to if isinstance(to, list) else [to]}
    for key in ("subject", "body", "html"):
        if key in config:
            data[key] = _text(config, key, scope)
    return Translated({"type": "send_email", "data": data}, Result(f"steps.{name}.output"))
