"""The one place errors become HTTP responses, all in one shape:
``{"error": {"code", "message", "details": [{"loc", "msg"}]}}``."""

import functools
import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException

from app.errors import (
    AutomatorError,
    ErrorDetail,
    InvalidInput,
    LimitExceeded,
    located,
    quoted,
)
from app.models import jsonc, patterns

log = logging.getLogger(__name__)

HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorItem]


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorInfo


Responses = dict[int | str, dict[str, object]]


def error_responses(descriptions: Mapping[int, str]) -> Responses:
    """What a router or route declares in OpenAPI for these statuses: an ErrorBody each."""
    return {
        status: {"model": ErrorBody, "description": description}
        for status, description in descriptions.items()
    }


ERROR_RESPONSES = error_responses(
    {
        401: "Missing or invalid API key",
        403: "The key's role does not allow this",
        404: "Not found (also for another tenant's ids)",
        409: "Conflicts with the current state (the message says which and what to do)",
        413: "Over a size limit",
        422: "Invalid input; details name each field and rule",
        429: "Over the API key's rate limit; `Retry-After` says when to try again",
        503: "A dependency (the store, Redis) is unreachable or not configured",
    }
)
LIMIT_RESPONSES = error_responses(
    {429: "A flow-control limit refused it; `Retry-After` gives the seconds to wait"}
)


def render(error: AutomatorError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The response for ``error``, with ``headers`` (a 405's ``Allow``) and those its kind
    calls for."""
    headers = dict(headers or {})
    if error.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, LimitExceeded) and error.retry_after is not None:
        headers["Retry-After"] = str(max(math.ceil(error.retry_after), 1))
    return JSONResponse({"error": error.body()}, status_code=error.status, headers=headers)


async def _automator_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AutomatorError)
    return render(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return render(invalid(exc, request.headers.get("content-type")))


def invalid(exc: RequestValidationError, content_type: str | None = None) -> InvalidInput:
    """A request that did not validate, as the error tree says it: each field and rule, or
    the line and column of malformed JSON, or the ``content_type`` that kept the body from
    being read as JSON."""
    errors = exc.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        return _not_json(exc.body, errors[0])
    if any(_unread(e) for e in errors):
        return _not_declared_json(content_type)
    details = [ErrorDetail(located(e["loc"]), _said(e)) for e in errors]
    summary = f": {_first(details)}" if details else "."
    return InvalidInput(f"The request is not valid{summary}", details)


def _said(error: ErrorDetails) -> str:
    """What is wrong, in the caller's words when it is the whole body that is."""
    if tuple(error["loc"]) == ("body",) and error["type"] == "missing":
        return "empty: send a JSON object"
    return patterns.message(error)


def _first(details: list[ErrorDetail]) -> str:
    """The first problem, where it is and what is wrong, for a client that shows only the
    message (the CLI, a log line): ``query.status: Input should be 'pending', ...``."""
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"{details[0]}{more}"


def _unread(error: Mapping[str, Any]) -> bool:
    """FastAPI hands a body it did not parse, one of a type that is not JSON, to the model
    as its bytes: the model then refuses the whole body as not an object."""
    return tuple(error["loc"]) == ("body",) and isinstance(error.get("input"), bytes)


def _not_declared_json(content_type: str | None) -> InvalidInput:
    """A JSON body sent with another type: what ``curl -d`` does unless told (a form's
    type), and the first thing a newcomer's hand-written call runs into; or with none, on
    the one route that reads only a body saying it is JSON (``app.api.session``)."""
    if content_type is None:
        sent = "it has no Content-Type"
    else:
        sent = f"its Content-Type is {quoted(content_type)!r}"
    return InvalidInput(
        f"The body was not read as JSON: {sent}. Send "
        "it with Content-Type: application/json (curl's -d alone sends a form's type: add "
        "-H 'Content-Type: application/json').",
        [ErrorDetail(("header", "content-type"), "must be application/json for this body")],
    )


def _not_json(document: Any, error: Mapping[str, Any]) -> InvalidInput:
    """Malformed JSON, located by line and column (FastAPI gives only an offset); JSON
    nested too deep, at its path too."""
    text = document.decode(errors="replace") if isinstance(document, bytes) else str(document)
    offset = next((part for part in error["loc"] if isinstance(part, int)), 0)
    line, column = jsonc.position(text, offset)
    reason = error.get("ctx", {}).get("error", error["msg"])
    # Deep JSON may well be valid: "not valid JSON" would send the sender looking for a typo.
    if reason == jsonc.TOO_DEEP:
        return jsonc.too_deep("The body", text, *jsonc.too_deep_at(text, jsonc.MAX_DEPTH + 1))
    return InvalidInput(
        "The body is not valid JSON.",
        [ErrorDetail(("body",), f"line {line} column {column}: {reason}")],
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        # FastAPI's and Starlette's: a body that is not UTF-8, or broken multipart data.
        reason = f"{exc.detail}: send UTF-8 JSON (or well-formed multipart form data)"
        return render(InvalidInput("The body could not be read.", [ErrorDetail(("body",), reason)]))
    headers = dict(exc.headers or {})
    said = str(exc.detail)
    if exc.status_code == 405:
        headers["Allow"] = allowed = ", ".join(_allowed(request))
        # Starlette says only "Method Not Allowed": name the method and what to use.
        said = f"{request.method} is not allowed on {quoted(request.url.path)}: it takes {allowed}."
    error = AutomatorError(said)
    error.code = HTTP_CODES.get(exc.status_code, "http_error")
    error.status = exc.status_code
    return render(error, headers)


def _allowed(request: Request) -> list[str]:
    """Every method the request's path takes, as /openapi.json documents them: Starlette's
    own ``Allow`` names only the methods of the first route whose path matched."""
    paths: dict[str, dict[str, Any]] = request.app.openapi()["paths"]
    path = request.url.path
    matching = [template for template in paths if _pattern(template).fullmatch(path)]
    # The most specific templates: /api/integrations/test is that resource, not one
    # integration named "test".
    fewest = min((template.count("{") for template in matching), default=0)
    return sorted(
        {
            method.upper()
            for template in matching
            if template.count("{") == fewest
            for method in paths[template]
        }
    )


@functools.lru_cache(maxsize=512)
def _pattern(template: str) -> re.Pattern[str]:
    """``/api/workflows/{workflow_id}`` as a regular expression matching its paths."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return render(AutomatorError("Internal error; it has been logged."))


def install(app: FastAPI) -> None:
    app.add_exception_handler(AutomatorError, _automator_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
