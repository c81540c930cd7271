"""The one error hierarchy. Each error has a stable code and an HTTP status; the API renders
them all in one place (app/api/errors.py)."""

import reprlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Characters of what a caller sent (a key, a header) that an error quotes: enough to find
# it, not the megabytes a request may carry, sent back once for each place it is named.
MAX_QUOTED = 100
# Characters of a value an error shows (a refused input, a condition's operand): its repr,
# cut in the middle, so its start and its end are both seen.
MAX_SHOWN = 160

# Problems an answer lists: a document of 50,000 refused items was answered with as many
# details (9 MB for the 350 KB sent). The message still counts them all ("and 49,999 more").
MAX_DETAILS = 100

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxdict = 8
# Types reprlib shows by their own repr when it is short (within its ``maxlong``, the
# least of its bounds; a str also within ``maxstring``): shown so without reprlib's four
# frames (a condition step's reasons show two values a run, bench/README.md).
_SHORT = frozenset({int, float, bool, str, type(None)})


def quoted(text: str) -> str:
    """``text`` as an error quotes it: whole when short, else its start and its length."""
    if len(text) <= MAX_QUOTED:
        return text
    return f"{text[:MAX_QUOTED]}… ({len(text)} characters)"


def located(loc: Iterable[str | int]) -> tuple[str | int, ...]:
    """``loc`` as an error names it: each key, which the caller may have chosen (an
    unknown field's name), quoted."""
    return tuple(part if isinstance(part, int) else quoted(part) for part in loc)


def place(loc: Iterable[str | int]) -> str:
    """``loc`` as a message names it: dotted (``data.headers.X-Token``), each key quoted as
    ``located`` quotes it."""
    return ".".join(map(str, located(loc)))


def shown(value: Any) -> str:
    """``value`` as an error shows it: its repr, with long strings, lists and objects cut
    in the middle (``'abc...xyz'``, ``[1, 2, ...]``) at every level. reprlib bounds each
    level, not the whole (8 items of 8 items of ... can still be huge), so the whole is
    held to MAX_SHOWN characters too; it never builds the whole repr of a huge value."""
    kind = type(value)
    if kind in _SHORT and (kind is not str or len(value) <= _REPR.maxlong):
        try:
            text = repr(value)
        except ValueError:  # str() refuses ints of more than 4,300 digits
            return f"<{kind.__name__}>"
        if len(text) <= _REPR.maxlong:
            return text
    try:
        text = _REPR.repr(value)
    except ValueError:  # str() refuses ints of more than 4,300 digits
        return f"<{type(value).__name__}>"
    return cut(text, MAX_SHOWN)


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters long, its middle replaced by ``...``."""
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


@dataclass(frozen=True)
class ErrorDetail:
    """One problem at one location, e.g. ``loc=("actions", 3, "type")``."""

    loc: tuple[str | int, ...]
    msg: str

    def __str__(self) -> str:
        """Where, then what: ``data.url: must be an http:// or https:// URL``."""
        where = ".".join(map(str, self.loc))
        return f"{where}: {self.msg}" if where else self.msg


class AutomatorError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        """The one error shape: ``{"code", "message", "details": [{"loc", "msg"}]}``, the
        first MAX_DETAILS problems."""
        return {
            "code": self.code,
            "message": self.message,
            "details": [{"loc": list(d.loc), "msg": d.msg} for d in self.details[:MAX_DETAILS]],
        }


class InvalidInput(AutomatorError):
    code = "invalid_input"
    status = 422


class Unauthenticated(AutomatorError):
    code = "unauthenticated"
    status = 401


class KeyExpired(Unauthenticated):
    """A key past its ``expires_at``: refused as any bad key is, with its own message."""


class Forbidden(AutomatorError):
    code = "forbidden"
    status = 403


class NotFound(AutomatorError):
    code = "not_found"
    status = 404


class Conflict(AutomatorError):
    code = "conflict"
    status = 409


class PayloadTooLarge(AutomatorError):
    code = "payload_too_large"
    status = 413


class LimitExceeded(AutomatorError):
    """A flow-control limit refused the request; ``retry_after`` says when it would not."""

    code = "limit_exceeded"
    status = 429

    def __init__(
        self,
        message: str,
        details: list[ErrorDetail] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class RateLimited(LimitExceeded):
    """An API key made more requests than ``AUTOMATOR_RATE_LIMIT`` allows."""

    code = "rate_limited"


class Unavailable(AutomatorError):
    code = "unavailable"
    status = 503


class UpstreamFailed(AutomatorError):
    """A service we called for the caller (a language model) failed or answered unusably."""

    code = "upstream_failed"
    status = 502


def redis_missing() -> Unavailable:
    """What a call that needs Redis (starting or controlling runs) answers without it."""
    return Unavailable("Redis is not configured: set AUTOMATOR_REDIS_URL.")
