"""``shell``: run one allow-listed executable with an argv, never a shell string.

The executable must be listed in ``AUTOMATOR_SHELL_COMMANDS`` (by name, looked up on the
PATH the command gets, or by absolute path). The command runs in the tenant's folder of the
files root, in a session of its own, with only the environment variables
``AUTOMATOR_SHELL_ENV`` names; it is killed (its whole process group) when it outlives its
timeout, when it writes more than ``AUTOMATOR_SHELL_MAX_OUTPUT_BYTES`` to stdout or stderr, or
when the step is cancelled.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.local.deployment import LocalTasks
from app.actions.local.policy import settings_for
from app.errors import shown

MAX_ARGS = 256
MAX_ARG_CHARS = 8192
READ_CHUNK = 65536

INPUTS = {
    "type": "object",
    "properties": {
        "argv": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ARGS,
            "items": {"type": "string", "maxLength": MAX_ARG_CHARS},
            "description": 'The executable (allow-listed) and its arguments: `["wc", "-l", '
            '"day.csv"]`. No shell reads it: `|`, `>` and `$VAR` are plain characters.',
        },
        "env": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Variables to set; only names AUTOMATOR_SHELL_ENV lists.",
        },
        "timeout": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Seconds; at most AUTOMATOR_SHELL_TIMEOUT (its default).",
        },
        "check": {
            "type": "boolean",
            "description": "Fail the step when the exit code is not 0 (default true).",
        },
    },
    "required": ["argv"],
    "additionalProperties": False,
}
OUTPUTS = {
    "type": "object",
    "properties": {
        "exit_code": {"type": "integer"},
        "stdout": {"type": "string"},
        "stderr": {"type": "string"},
        "duration_ms": {"type": "number"},
    },
}


@dataclass
class Captured:
    """What a command wrote to one stream, up to the cap."""

    data: bytearray
    flooded: bool = False


@dataclass(frozen=True)
class Command:
    executable: str
    argv: list[str]
    env: dict[str, str]
    timeout: float
    check: bool


def command_of(params: Mapping[str, Any], local: LocalTasks) -> Command:
    """The command ``params`` ask for, if the deployment allows it; else a final error."""
    argv = params.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise ConnectorError("data.argv must be a list of strings, the executable first")
    env = _environment(params.get("env") or {}, local)
    executable = _allowed(argv[0], local, env.get("PATH"))
    asked = params.get("timeout")
    timeout = local.shell_timeout if asked is None else min(float(asked), local.shell_timeout)
    return Command(executable, argv, env, timeout, params.get("check", True) is not False)


def _environment(given: Mapping[str, Any], local: LocalTasks) -> dict[str, str]:
    refused = sorted(name for name in given if name not in local.env)
    if refused:
        raise ConnectorError(
            f"data.env sets {shown(refused)}: a command gets only the variables "
            f"AUTOMATOR_SHELL_ENV lists ({', '.join(local.env) or 'none'})"
        )
    passed = {name: local.server_env[name] for name in local.env if name in local.server_env}
    return passed | {name: str(value) for name, value in given.items()}


def _allowed(name: str, local: LocalTasks, path: str | None) -> str:
    if name not in local.commands:
        listed = ", ".join(local.commands) or "none"
        raise ConnectorError(
            f"data.argv[0] {shown(name)} is not an allowed executable (AUTOMATOR_SHELL_COMMANDS: "
            f"{listed})"
        )
    found = name if os.path.isabs(name) else shutil.which(name, path=path)
    if found is None or not os.access(found, os.X_OK):
        raise ConnectorError(f"data.argv[0] {shown(name)} is allowed but not found on the server")
    return found


async def run_command(command: Command, cwd: Path, cap: int) -> dict[str, Any]:
    """Run it; its output (each stream capped), exit code and duration."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        command.executable,
        *command.argv[1:],
        cwd=cwd,
        env=command.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = Captured(bytearray()), Captured(bytearray())
    try:
        async with asyncio.timeout(command.timeout):
            await asyncio.gather(
                _capture(process.stdout, out, cap, process),
                _capture(process.stderr, err, cap, process),
            )
            code = await process.wait()
    except TimeoutError:
        raise ConnectorError(
            f"data.argv[0] {shown(command.argv[0])} ran past its timeout of {command.timeout} s "
            "and was killed",
            detail=_streams(out, err),
        ) from None
    finally:
        _kill(process)
        await process.wait()
    if out.flooded or err.flooded:
        raise ConnectorError(
            f"data.argv[0] {shown(command.argv[0])} wrote more than {cap} bytes to "
            f"{'stdout' if out.flooded else 'stderr'} (AUTOMATOR_SHELL_MAX_OUTPUT_BYTES) and was "
            "killed",
            detail=_streams(out, err),
        )
    duration = round((time.monotonic() - started) * 1000, 1)
    return {"exit_code": code, **_streams(out, err), "duration_ms": duration}


async def _capture(
    stream: asyncio.StreamReader, into: Captured, cap: int, process: asyncio.subprocess.Process
) -> None:
    while chunk := await stream.read(READ_CHUNK):
        into.data.extend(chunk[: cap + 1 - len(into.data)])
        if len(into.data) > cap:
            into.flooded = True
            del into.data[cap:]
            _kill(process)
            return


def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the command and everything it started (its session's process group)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _streams(out: Captured, err: Captured) -> dict[str, str]:
    return {
        "stdout": out.data.decode(errors="replace"),
        "stderr": err.data.decode(errors="replace"),
    }


class ShellTask(ConnectorAdapter):
    code: ClassVar[str] = "shell"
    name: ClassVar[str] = "Scripts on the server"
    description: ClassVar[str] = (
        "Run an allow-listed executable with arguments (no shell), with a timeout, capped "
        "output and an allow-listed environment. Off unless AUTOMATOR_LOCAL_TASKS lists "
        'shell and the tenant opts in (PUT /api/integrations/shell {"config": {"enabled": true}}).'
    )
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "shell": ActionSpec(inputs=INPUTS, outputs=OUTPUTS, description="Run a command."),
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        local = settings_for(self.code, context)
        command = command_of(params, local)
        cwd = local.files_root / context.tenant_id
        await asyncio.to_thread(cwd.mkdir, mode=0o700, parents=True, exist_ok=True)
        result = await run_command(command, cwd, local.max_output_bytes)
        if command.check and result["exit_code"] != 0:
            raise ConnectorError(
                f"data.argv[0] {shown(command.argv[0])} exited with {result['exit_code']}",
                detail=result,
            )
        return result
