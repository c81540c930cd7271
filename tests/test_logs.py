"""Log records as an operator reads them: JSON lines with ids, secrets masked."""

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app import logs
from app.redaction import MASK


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_records_carry_the_ids_bound_around_them(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    with logs.bound(tenant_id="acme", run_id="run_1"):
        with logs.bound(step_id="send"):
            logger.info("step %s done", "send", extra={"attempt": 2, "color_message": "x"})
        logger.warning("after the step")
    logger.info("outside")
    first, second, third = lines(stream)
    assert first["message"] == "step send done"
    assert (first["level"], first["logger"]) == ("info", "tests.logs")
    assert (first["tenant_id"], first["run_id"], first["step_id"]) == ("acme", "run_1", "send")
    assert first["attempt"] == 2
    assert "color_message" not in first
    assert first["time"].endswith("+00:00")
    assert "step_id" not in second
    assert second["run_id"] == "run_1"
    assert "run_id" not in third


def test_secrets_never_reach_the_log(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = written
    key = "atm_Zx8mQ1w2e3r4t5y6u7i8o9p0"
    logger.info(
        "refused key %s",
        key,
        extra={
            "password": "hunter2",
            "headers": {"Authorization": "Bearer abc.def", "Accept": "json"},
        },
    )
    try:
        raise ValueError(f"bad token Bearer {key}")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for secret in (key, "hunter2", "abc.def"):
        assert secret not in text
    plain, failed = lines(stream)
    assert plain["message"] == f"refused key {MASK}"
    assert plain["headers"] == {"Authorization": MASK, "Accept": "json"}
    assert f"ValueError: bad token Bearer {MASK}" in failed["exception"]


def test_a_redactor_added_later_sees_every_record(
    written: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = written
    monkeypatch.setattr(logs, "redactors", list(logs.redactors))

    def hide_resolved(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            k: v.replace("s3cr3t", "[secret]") if isinstance(v, str) else v
            for k, v in entry.items()
        }

    logs.add_redactor(hide_resolved)
    logger.info("calling with s3cr3t")
    assert lines(stream)[0]["message"] == "calling with [secret]"


def test_console_lines_read_as_text() -> None:
    record = logging.makeLogRecord(
        {"name": "app.x", "levelname": "INFO", "levelno": 20, "msg": "hello %s", "args": ("you",)}
    )
    with logs.bound(run_id="run_1"):
        text = logs.ConsoleFormatter().format(record)
    assert text.endswith("INFO    app.x: hello you run_id=run_1")


def test_configure_replaces_the_root_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    logs.configure("warning", "json")
    assert [type(h.formatter) for h in root.handlers] == [logs.JsonFormatter]
    assert root.level == logging.WARNING
    assert logging.getLogger("arq").level == logging.WARNING
