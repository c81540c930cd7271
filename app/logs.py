"""Logs: one JSON object per line (or readable text on a terminal), each carrying the ids of
what was being worked on, with secrets masked.

The ids come from context: inside ``with bound(run_id=...)`` (or after ``bind`` in an API
request) every record, from any logger (ours, arq's, uvicorn's), carries them, so a run's
story can be found with one query. Every record passes through ``redactors`` before it is
written: fields named like secrets, API keys and bearer credentials are masked, and
``add_redactor`` adds more. (Secret values are masked as records are made, by the record
factory of ``app.engine.calls.masking``.)
"""

import logging
import sys
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, TextIO

import orjson

from app.redaction import redact, redact_text

LogFormat = Literal["auto", "json", "console"]
Entry = dict[str, Any]
Redactor = Callable[[Entry], Entry]

CONTEXT: ContextVar[Mapping[str, str]] = ContextVar("log_context", default=MappingProxyType({}))
# What every LogRecord has; anything else on a record came from ``extra=`` and is logged.
# uvicorn adds ``color_message``, its message with terminal colours.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def bind(**ids: str) -> None:
    """Add ids to the rest of the current task (an API request runs in its own)."""
    CONTEXT.set({**CONTEXT.get(), **ids})


def bound(**ids: str) -> "Bound":
    """Add ids to every record logged inside the block: ``with bound(step_id=...)``."""
    return Bound(ids)


class Bound:
    """``bound``'s block (a class, not a generator: a walk enters one per step)."""

    def __init__(self, ids: Mapping[str, str]) -> None:
        self._ids = ids
        self._token: Token[Mapping[str, str]] | None = None

    def __enter__(self) -> None:
        self._token = CONTEXT.set({**CONTEXT.get(), **self._ids})

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            CONTEXT.reset(self._token)


def _redact_entry(entry: Entry) -> Entry:
    """API keys and bearer credentials in text, and fields named like secrets."""
    for name in ("message", "exception"):
        if name in entry:
            entry[name] = redact_text(entry[name])
    redacted: Entry = redact(entry)
    return redacted


redactors: list[Redactor] = [_redact_entry]
# Where HTTP requests' lines go: the name uvicorn gave them, kept (``access``).
ACCESS = logging.getLogger("uvicorn.access")


def add_redactor(redactor: Redactor) -> None:
    """Have ``redactor`` see (and change) every record before it is written."""
    redactors.append(redactor)


@lru_cache(maxsize=4)
def _second(epoch_second: int) -> str:
    """A record's time to the second, as text: formatted once per second, not per record."""
    return datetime.fromtimestamp(epoch_second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context's ids, any
    ``extra=`` fields, and the exception's traceback."""

    def entry(self, record: logging.LogRecord) -> Entry:
        entry: Entry = {
            "time": f"{_second(int(record.created))}.{int(record.msecs):03d}+00:00",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **CONTEXT.get(),
        }
        # Most records have no ``extra=``: one set difference finds that, not a test per
        # attribute (the access line is written on every request).
        extra = record.__dict__.keys() - _STANDARD
        if extra:
            entry.update((k, v) for k, v in record.__dict__.items() if k in extra)
        # A record factory may have formatted (and masked) the traceback already.
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for redactor in redactors:
            entry = redactor(entry)
        return entry

    def format(self, record: logging.LogRecord) -> str:
        return self.render(self.entry(record))

    def render(self, entry: Entry) -> str:
        """An entry, redacted already, as the line written."""
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(JsonFormatter):
    """The same entry as readable text: ``time level logger: message key=value ...``."""

    def render(self, entry: Entry) -> str:
        entry = dict(entry)
        head = f"{entry.pop('time')} {entry.pop('level').upper():7} {entry.pop('logger')}: "
        text = head + entry.pop("message")
        exception = entry.pop("exception", None)
        if entry:
            text += " " + " ".join(f"{key}={value}" for key, value in entry.items())
        return text if exception is None else f"{text}\n{exception}"


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure`` sets up: records as its formatter writes them, and entries
    made without a record (``access``)."""

    def __init__(self, stream: TextIO, formatter: JsonFormatter) -> None:
        super().__init__(stream)
        self.setFormatter(formatter)
        self.lines = formatter

    def write(self, entry: Entry) -> None:
        """Write an entry, redacted already, as ``emit`` writes a record."""
        line = self.lines.render(entry) + self.terminator
        self.acquire()
        try:
            self.stream.write(line)
            self.flush()
        except Exception:
            self.handleError(logging.makeLogRecord({"name": entry.get("logger"), "msg": line}))
        finally:
            self.release()


def access(client: str, method: str, target: str, version: str, status: int) -> None:
    """One HTTP request's line, as uvicorn wrote it (logger ``uvicorn.access``, its message
    and arguments), with the context's ids, when its response starts. The logger's level and
    filters apply, and it reaches the handlers uvicorn's line reached: the logger's own and
    its ancestors' (``_access_handlers``). ``configure``'s handler gets it as an entry,
    without a LogRecord and the logging module's dispatch: under load that machinery cost a
    tenth of a single event's CPU (bench/README.md). Other handlers, and filters, get a
    record, as from uvicorn."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    args = (client, method, target, version, status)
    record = None
    if ACCESS.filters:
        record = _access_record(args)
        if not ACCESS.filter(record):
            return
    entry: Entry | None = None
    for handler in _access_handlers():
        if handler.level > logging.INFO:
            continue
        if isinstance(handler, LineHandler) and not handler.filters:
            entry = entry or _access_entry(args)
            handler.write(entry)
        else:
            record = record or _access_record(args)
            handler.handle(record)


# uvicorn's access line: a filter on ``uvicorn.access`` may read its arguments.
ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'


def _access_record(args: tuple[str, str, str, str, int]) -> logging.LogRecord:
    return ACCESS.makeRecord(ACCESS.name, logging.INFO, "", 0, ACCESS_FORMAT, args, None)


def _access_entry(args: tuple[str, str, str, str, int]) -> Entry:
    now = time.time()  # noqa: TID251 (the machine's time, as every LogRecord's)
    entry: Entry = {
        "time": f"{_second(int(now))}.{int((now - int(now)) * 1000):03d}+00:00",
        "level": "info",
        "logger": ACCESS.name,
        "message": ACCESS_FORMAT % args,
        **CONTEXT.get(),
    }
    for redactor in redactors:
        entry = redactor(entry)
    return entry


def _access_handlers() -> list[logging.Handler]:
    """The handlers of ``uvicorn.access`` and of its ancestors as far as they propagate, as
    the logging module finds those of a record."""
    handlers: list[logging.Handler] = []
    logger: logging.Logger | None = ACCESS
    while logger is not None:
        handlers += logger.handlers
        logger = logger.parent if logger.propagate else None
    return handlers


def configure(level: str, style: LogFormat) -> None:
    """Send every logger's records to stderr as ``style`` (``auto``: text on a terminal,
    JSON otherwise). arq's line per job and httpx's per request show at DEBUG only."""
    console = style == "console" or (style == "auto" and sys.stderr.isatty())
    handler = LineHandler(sys.stderr, ConsoleFormatter() if console else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    chatty = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in ("arq", "httpx"):
        logging.getLogger(name).setLevel(chatty)
