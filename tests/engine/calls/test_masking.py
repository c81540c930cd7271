import logging
from collections.abc import Iterator

import pytest

from app import logs
from app.actions.base import ConnectorError
from app.engine.calls.masking import MASK, LogScrubber, Mask

VALUE = 'pa"ss word/+&'


def test_a_value_is_masked_in_every_echoed_form() -> None:
    mask = Mask([VALUE])
    echoed = {
        "raw": f"key={VALUE}",
        "json": 'body: {"key": "pa\\"ss word/+&"}',
        "url": "https://x.test/?key=pa%22ss%20word%2F%2B%26",
        "form": "key=pa%22ss+word%2F%2B%26",
    }
    masked = mask.data(echoed)
    assert all(VALUE not in text and MASK in text for text in masked.values()), masked
    assert "pa%22ss" not in str(masked)


def test_data_is_masked_in_keys_values_and_nested_lists_and_other_types_are_kept() -> None:
    mask = Mask(["s3cret-value"])
    data = {"s3cret-value": ["a s3cret-value b", 3, None, {"deep": ("s3cret-value",)}]}
    assert mask.data(data) == {MASK: [f"a {MASK} b", 3, None, {"deep": (MASK,)}]}


def test_a_value_containing_another_is_masked_whole() -> None:
    assert Mask(["abcd", "abcdefgh"]).text("xabcdefghx") == f"x{MASK}x"


def test_an_error_keeps_its_retry_semantics_and_an_untouched_one_is_itself() -> None:
    mask = Mask(["s3cret-value"])
    error = ConnectorError("rejected key s3cret-value", retryable=True, retry_after=7)
    masked = mask.error(error)
    assert (masked.message, masked.retryable, masked.retry_after) == (
        f"rejected key {MASK}",
        True,
        7,
    )
    clean = ConnectorError("no secret here")
    assert mask.error(clean) is clean


@pytest.fixture
def plain_records() -> Iterator[None]:
    """Records made by logging's own factory during the test, whatever was installed."""
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    yield
    logging.setLogRecordFactory(previous)


@pytest.mark.usefixtures("plain_records")
def test_log_records_are_masked_in_message_arguments_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scrubber = LogScrubber()
    scrubber.remember(["s3cret-value"])
    scrubber.install()
    log = logging.getLogger("tests.masking")
    caplog.set_level(logging.DEBUG)
    log.info("calling with %s", {"key": "s3cret-value"})
    try:
        raise ValueError("bad key s3cret-value")
    except ValueError:
        log.exception("failed")
    assert "s3cret-value" not in caplog.text
    assert MASK in caplog.text
    assert "ValueError: bad key ********" in caplog.text
    assert "s3cret-value" not in caplog.records[0].getMessage()


def test_a_process_forgets_the_least_recently_used_values_beyond_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.engine.calls.masking.MAX_REMEMBERED", 2)
    scrubber = LogScrubber()
    scrubber.remember(["first-value", "second-value"])
    scrubber.remember(["first-value"])  # used again: now the most recent
    scrubber.remember(["third-value"])
    record = logging.LogRecord(
        "x", logging.INFO, "", 0, "%s %s %s", ("first-value", "second-value", "third-value"), None
    )
    scrubber.scrub(record)
    assert record.getMessage() == f"{MASK} second-value {MASK}"


def test_long_runs_of_a_value_are_masked_however_the_rest_was_escaped() -> None:
    value = "Zq8Kd0Lw3Pv+/=a\"b'c"
    twice_quoted = repr(repr(value.encode()))  # as an error about a bad header shows it
    assert "Zq8Kd0Lw3Pv" in twice_quoted
    assert "Zq8Kd0Lw3Pv" not in Mask([value]).text(twice_quoted)
    assert Mask([value]).text("POST /hook?key=Zq8Kd0Lw3Pv%2B/%3Da%22b'c") == (
        f"POST /hook?key={MASK}%2B/%3Da%22b'c"
    )


@pytest.mark.usefixtures("plain_records")
def test_extra_fields_are_masked_as_the_service_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logs, "redactors", list(logs.redactors))
    scrubber = LogScrubber()
    scrubber.remember(["s3cret-value"])
    scrubber.install()
    record = logging.getLogger("tests.masking").makeRecord(
        "tests.masking",
        logging.INFO,
        __file__,
        1,
        "sent",
        (),
        None,
        extra={"reply": {"text": "echo s3cret-value"}},
    )
    for formatter in (logs.JsonFormatter(), logs.ConsoleFormatter()):
        written = formatter.format(record)
        assert "s3cret-value" not in written
        assert MASK in written
