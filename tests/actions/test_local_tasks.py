"""Local tasks, called directly on real files and real processes: the file task stays in the
tenant's folder (traversal, absolute paths, symlinks in and out), sizes are bounded; the
shell task runs allow-listed executables only, with an argv, a timeout, capped output and an
allow-listed environment; both say how to enable them while off. Transforms touch nothing."""

import asyncio
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.actions.base import ActionContext, ConnectorError, Services
from app.actions.local.deployment import LocalTasks
from app.actions.local.files import FileTask, PathRefused
from app.actions.local.shell import ShellTask
from app.actions.local.transform import TransformTask

PYTHON = sys.executable


@pytest.fixture
def local(tmp_path: Path) -> LocalTasks:
    return LocalTasks(
        allowed=frozenset({"file", "shell"}),
        files_root=tmp_path / "files",
        file_max_bytes=64,
        commands=("echo", "env", PYTHON),
        shell_timeout=5,
        max_output_bytes=1000,
        env=("PATH", "GREETING"),
        server_env={"PATH": os.environ["PATH"], "SECRET": "no"},
    )


def ctx(local: LocalTasks | None, enabled: bool = True, tenant: str = "acme") -> ActionContext:
    return ActionContext(
        tenant_id=tenant,
        run_id="run_1",
        step_id="s",
        idempotency_key="run_1:s:0",
        attempt=1,
        config={"enabled": enabled},
        services=Services(local=local),
    )


async def file(local: LocalTasks, **params: Any) -> Any:
    return await FileTask().execute("file", params, ctx(local))


async def shell(local: LocalTasks, *argv: str, **params: Any) -> Any:
    return await ShellTask().execute("shell", {"argv": list(argv), **params}, ctx(local))


async def test_files_are_written_read_listed_copied_and_deleted_in_the_tenants_folder(
    local: LocalTasks,
) -> None:
    assert await file(local, operation="write", path="out/day.csv", content="a,b\n") == {
        "path": "out/day.csv",
        "bytes": 4,
    }
    await file(local, operation="append", path="out/day.csv", content="1,2\n")
    read = await file(local, operation="read", path="out/day.csv")
    assert (read["content"], read["bytes"]) == ("a,b\n1,2\n", 8)
    assert (local.files_root / "acme" / "out" / "day.csv").read_text() == "a,b\n1,2\n"
    await file(local, operation="copy", path="out/day.csv", to="copy.csv")
    listed = await file(local, operation="list", path="")
    assert listed["entries"] == [
        {"name": "copy.csv", "type": "file", "bytes": 8},
        {"name": "out", "type": "dir", "bytes": listed["entries"][1]["bytes"]},
    ]
    assert (await file(local, operation="delete", path="copy.csv"))["deleted"] is True
    assert (await file(local, operation="delete", path="copy.csv"))["deleted"] is False
    other = await FileTask().execute(
        "file", {"operation": "list", "path": ""}, ctx(local, tenant="other")
    )
    assert other["entries"] == []  # another tenant's folder


@pytest.mark.parametrize(
    "path", ["../escape.txt", "out/../../escape.txt", "/etc/passwd", "..", "a/../../b"]
)
async def test_a_path_out_of_the_folder_is_refused(local: LocalTasks, path: str) -> None:
    with pytest.raises(PathRefused):
        await file(local, operation="write", path=path, content="x")
    assert not (local.files_root / "escape.txt").exists()


async def test_symlinks_are_never_followed_out_or_in(local: LocalTasks, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    folder = local.files_root / "acme"
    folder.mkdir(parents=True)
    (folder / "link").symlink_to(outside)
    (folder / "file_link").symlink_to(outside / "secret.txt")
    for params in (
        {"operation": "read", "path": "link/secret.txt"},
        {"operation": "write", "path": "link/new.txt", "content": "x"},
        {"operation": "read", "path": "file_link"},
        {"operation": "write", "path": "file_link", "content": "overwritten"},
        {"operation": "list", "path": "link"},
        {"operation": "copy", "path": "file_link", "to": "stolen.txt"},
    ):
        with pytest.raises(ConnectorError, match=r"symlink|not a file"):
            await file(local, **params)
    assert (outside / "secret.txt").read_text() == "top secret"
    assert not (outside / "new.txt").exists()
    await file(local, operation="delete", path="file_link")  # removes the link itself
    assert (outside / "secret.txt").exists()


async def test_sizes_are_bounded(local: LocalTasks) -> None:
    with pytest.raises(ConnectorError, match="over the limit of 64"):
        await file(local, operation="write", path="big.txt", content="x" * 65)
    await file(local, operation="write", path="grow.txt", content="x" * 60)
    with pytest.raises(ConnectorError, match="over the limit of 64"):
        await file(local, operation="append", path="grow.txt", content="x" * 5)
    (local.files_root / "acme" / "huge.txt").write_text("y" * 100)
    with pytest.raises(ConnectorError, match="100 bytes is over the limit"):
        await file(local, operation="read", path="huge.txt")


async def test_local_tasks_say_how_to_enable_them_while_off(local: LocalTasks) -> None:
    for code, task, params in (
        ("file", FileTask(), {"operation": "list", "path": ""}),
        ("shell", ShellTask(), {"argv": ["echo"]}),
    ):
        for off in (ctx(None), ctx(replace(local, allowed=frozenset())), ctx(local, False)):
            with pytest.raises(ConnectorError, match=f"AUTOMATOR_LOCAL_TASKS={code}"):
                await task.execute(code, params, off)


async def test_a_command_runs_with_its_argv_and_only_allowed_variables(
    local: LocalTasks,
) -> None:
    echoed = await shell(local, "echo", "a b", "$HOME", "|", "x")
    assert (echoed["exit_code"], echoed["stdout"], echoed["stderr"]) == (0, "a b $HOME | x\n", "")
    env = await shell(local, "env", env={"GREETING": "hi"})
    assert sorted(env["stdout"].splitlines()) == ["GREETING=hi", f"PATH={os.environ['PATH']}"]
    with pytest.raises(ConnectorError, match="only the variables AUTOMATOR_SHELL_ENV lists"):
        await shell(local, "env", env={"LD_PRELOAD": "x.so"})
    # The names refused are shown as a refused value is, cut: they came whole (a megabyte).
    many = {f"V{n}_{'x' * 1000}": "1" for n in range(1000)}
    with pytest.raises(ConnectorError) as caught:
        await shell(local, "env", env=many)
    assert caught.value.message.startswith("data.env sets ['V0_xxx")
    assert len(caught.value.message) < 400
    failed = "import sys; print('out'); sys.exit(3)"
    with pytest.raises(ConnectorError, match="exited with 3") as caught:
        await shell(local, PYTHON, "-c", failed)
    assert (caught.value.detail["exit_code"], caught.value.detail["stdout"]) == (3, "out\n")
    unchecked = await shell(local, PYTHON, "-c", failed, check=False)
    assert unchecked["exit_code"] == 3


async def test_an_executable_not_allowed_is_refused(local: LocalTasks, tmp_path: Path) -> None:
    for argv in (["sh", "-c", "echo pwned"], ["/bin/echo", "x"], ["echo; rm -rf /"]):
        with pytest.raises(ConnectorError, match="is not an allowed executable"):
            await shell(local, *argv)
    assert shutil.which("sh") is not None  # refused by the list, not for being missing


async def test_a_command_that_never_ends_is_killed_with_its_children(local: LocalTasks) -> None:
    forever = (
        "import subprocess, time\nchild = subprocess.Popen(['sleep', '60'])\n"
        "print(child.pid, flush=True)\ntime.sleep(60)"
    )
    with pytest.raises(
        ConnectorError, match=r"past its timeout of 0\.5 s and was killed"
    ) as caught:
        await shell(local, PYTHON, "-c", forever, timeout=0.5)
    child = Path(f"/proc/{caught.value.detail['stdout'].strip()}/stat")
    for _ in range(100):  # the kill is sent; the kernel ends the process a moment later
        if not child.exists() or child.read_text().split()[2] == "Z":
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the command's child outlived it")


async def test_an_output_flood_is_capped_and_stopped(local: LocalTasks) -> None:
    flood = "import sys\nwhile True: sys.stdout.write('x' * 4096)"
    with pytest.raises(ConnectorError, match="more than 1000 bytes to stdout") as caught:
        await shell(local, PYTHON, "-c", flood)
    assert caught.value.detail["stdout"] == "x" * 1000


async def test_transforms_convert_and_aggregate() -> None:
    task = TransformTask()

    async def run(**params: Any) -> Any:
        return await task.execute("transform", params, ctx(None))

    rows = (await run(operation="csv_to_json", input="country,amount\nfr,10\nde,5\nfr,2.5\n"))[
        "rows"
    ]
    assert rows == [
        {"country": "fr", "amount": "10"},
        {"country": "de", "amount": "5"},
        {"country": "fr", "amount": "2.5"},
    ]
    assert (await run(operation="json_to_csv", input=rows))["csv"] == (
        "country,amount\nfr,10\nde,5\nfr,2.5\n"
    )
    assert (await run(operation="count", input=rows))["result"] == 3
    assert (await run(operation="sum", input=rows, field="amount"))["result"] == 17.5
    assert (await run(operation="max", input=rows, field="amount"))["result"] == 10
    groups = (await run(operation="group_by", input=rows, by="country", field="amount"))["groups"]
    assert groups["fr"] == {"count": 2, "sum": 12.5, "avg": 6.25, "min": 2.5, "max": 10}
    with pytest.raises(ConnectorError, match=r"data.input\[0\].country is 'fr', not a number"):
        await run(operation="avg", input=rows, field="country")
    with pytest.raises(ConnectorError, match="must be a list"):
        await run(operation="sum", input="nope", field="amount")


# A rendered value as large as an event may carry (a template over the event's data).
HUGE = "{x}" + "y" * 200_000 + "z"


async def test_a_huge_rendered_value_is_quoted_cut_in_a_step_error(local: LocalTasks) -> None:
    # Each error once quoted the value whole: 200 KB in the step's recorded error.
    refusals = {
        "path": file(local, operation="write", path=f"/{HUGE}", content="x"),
        "names no file": file(local, operation="read", path=f"{HUGE}/.."),
        "executable": shell(local, HUGE),
        "number": TransformTask().execute(
            "transform", {"operation": "sum", "input": [{"n": [HUGE]}], "field": "n"}, ctx(None)
        ),
        "field": TransformTask().execute(
            "transform", {"operation": "sum", "input": [{HUGE: "x"}], "field": HUGE}, ctx(None)
        ),
    }
    said = {}
    for what, call in refusals.items():
        with pytest.raises(ConnectorError) as caught:
            await call
        said[what] = caught.value.message
    assert {what: len(message) < 500 for what, message in said.items()} == dict.fromkeys(
        refusals, True
    )
    assert all("{x}yyy" in message for message in said.values()), said
