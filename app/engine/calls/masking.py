"""Masking secret values: in what a connector returns or raises, and in every log record.

A connector may echo what it was given (an error quoting the request, a response repeating
its headers). The gateway masks the values of the call in the step's output and error before
they are recorded; a log record factory masks every value this process has handled, in any
logger's records, whichever handler writes them.
"""

import json
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from app import logs
from app.actions.base import ConnectorError

MASK = "********"
# Values a process remembers for its logs; beyond this, the least recently used are dropped.
MAX_REMEMBERED = 1000


# Characters that no quoting changes (URL-unreserved): JSON, reprs and every URL encoder
# keep runs of them as they are, while each writes the characters between them its own way.
KEPT_RUN = re.compile(r"[A-Za-z0-9._~-]{8,}")


def forms(value: str) -> set[str]:
    """How a value looks when echoed: as is, escaped in JSON or a repr, URL-encoded; and
    each run of 8 or more characters no quoting changes, which survives any escaping."""
    found = {value, json.dumps(value)[1:-1], repr(value)[1:-1], quote(value, safe="")}
    found |= {quote(value), quote_plus(value), *KEPT_RUN.findall(value)}
    return {form for form in found if form}


class Mask:
    """Replaces the given values, in any of their echoed forms, with ``********``."""

    def __init__(self, values: Iterable[str]) -> None:
        every = {form for value in values if value for form in forms(value)}
        # Longest first, so a value containing another is masked whole.
        ordered = sorted(every, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(MASK, text)

    def data(self, value: Any) -> Any:
        """``value`` with every string in it masked (dict keys included)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(key): self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.data(item) for item in value)
        return value

    def error(self, error: ConnectorError) -> ConnectorError:
        masked, detail = self.text(error.message), self.data(dict(error.detail))
        if masked == error.message and detail == error.detail:
            return error
        return ConnectorError(
            masked, retryable=error.retryable, retry_after=error.retry_after, detail=detail
        )


class LogScrubber:
    """Masks the secret values this process has handled in every log record it creates: its
    message and arguments, traceback and stack. Attributes passed in ``extra`` are set after
    a record is made, out of a factory's reach; the service's formatters mask them as they
    write them (``app.logs`` redactors)."""

    def __init__(self) -> None:
        self._values: dict[str, None] = {}
        self._mask = Mask(())
        self._formatter = logging.Formatter()

    def remember(self, values: Iterable[str]) -> None:
        new = False
        for value in values:
            new = new or value not in self._values
            self._values.pop(value, None)
            self._values[value] = None
        while len(self._values) > MAX_REMEMBERED:
            del self._values[next(iter(self._values))]
        if new:
            self._mask = Mask(self._values)

    def install(self) -> None:
        """Mask records from now on, in this process (once, however often it is called):
        as they are made, and the entries our formatters write (their ``extra=`` fields)."""
        current = logging.getLogRecordFactory()
        if not isinstance(current, _ScrubbingFactory):
            logging.setLogRecordFactory(_ScrubbingFactory(current, self))
        if self.redact not in logs.redactors:
            logs.add_redactor(self.redact)

    def redact(self, entry: logs.Entry) -> logs.Entry:
        masked: logs.Entry = self._mask.data(entry)
        return masked

    def scrub(self, record: logging.LogRecord) -> None:
        mask = self._mask
        if not mask:
            return
        message = _message(record)
        if mask.text(message) != message:
            record.msg, record.args = mask.text(message), ()
        if record.exc_info:
            # Formatted now, so a handler's formatter finds the masked text in ``exc_text``.
            text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_text, record.exc_info = mask.text(text), None
        if record.stack_info:
            record.stack_info = mask.text(record.stack_info)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):  # arguments that do not fit the format
        return f"{record.msg} {record.args}"


class _ScrubbingFactory:
    def __init__(self, make: Any, scrubber: LogScrubber) -> None:
        self._make = make
        self._scrubber = scrubber

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self._make(*args, **kwargs)
        self._scrubber.scrub(record)
        return record


SCRUBBER = LogScrubber()
