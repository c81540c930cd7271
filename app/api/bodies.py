"""JSON bodies parsed and validated off the event loop, for the routes whose bodies may be
megabytes (events): on the event loop, a 7 MB event held every other request (``/health``
included) for as long as its parse took, seconds on a busy machine. Small bodies, most
events, are parsed on the loop, where that costs less than the hop; larger ones in a
thread; the largest are checked in another process first (``Checker``).

A thread alone did not free the loop: the check of every value (64-bit integers, depth,
Unicode), about a second of Python for a 7 MB event, holds the GIL the loop needs, which
it got back only every 5 ms, and less often the busier the machine. In another process
that walk holds that process's GIL; here only the parse that makes the event's objects
(orjson, tens of milliseconds) remains, and the model's own shallow checks.

Every path does the same work FastAPI would (JSON, then the model) and its failures read
the same: 422 naming the field, or the line and column of malformed JSON. The routes
declare their body's schema with ``json_body``, since FastAPI no longer sees the model.
"""

import asyncio
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.models import jsonc

Model = TypeVar("Model", bound=BaseModel)
# Bodies up to this size are parsed on the event loop: a few kilobytes take tens of
# microseconds there, less than the hop to a thread and back (a tenth of a small event's CPU).
INLINE_BYTES = 16 * 1024
# Bodies past this size are checked in the checker's process (the hop, about a millisecond
# per megabyte, is then a small part of the check), the others in a thread.
PROCESS_BYTES = 1024 * 1024
# The checker yields the CPU to the API process (whose event loop answers every request)
# when both want it: a large body's check may wait, a /health answer should not.
CHECKER_NICENESS = 10


def json_body(schema: str, example: Any) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body of the component ``schema``."""
    content = {"schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


class Checker:
    """A process that checks large bodies against their model, one at a time (the API
    process's large-body slots, AUTOMATOR_MAX_LARGE_BODIES, bound how many wait for it).
    Started on the first large body, and again after it died; closed with the app."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def validated(self, model: type[Model], body: bytes) -> Model:
        """``body`` as ``model``: checked there, then parsed here without the values' walk
        (the check found the same text valid). A process that died (killed, out of
        memory) is replaced by the next call; this one is checked in a thread."""
        loop = asyncio.get_running_loop()
        try:
            errors = await loop.run_in_executor(self._started(), verdict, model, body)
        except BrokenProcessPool:
            self.close()
            return await asyncio.to_thread(_validated, model, body)
        if errors is not None:
            raise RequestValidationError(errors, body=body)
        return await asyncio.to_thread(_trusted, model, body)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork would copy this process's threads' locks in whatever state.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=os.nice, initargs=(CHECKER_NICENESS,)
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


async def parsed(request: Request, model: type[Model]) -> Model:
    """The request's body as ``model``, parsed off the event loop unless it is small."""
    body = await request.body()
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    if len(body) <= INLINE_BYTES:
        return _validated(model, body)
    if len(body) <= PROCESS_BYTES:
        return await asyncio.to_thread(_validated, model, body)
    checker: Checker = request.app.state.body_checker
    return await checker.validated(model, body)


def verdict(model: type[BaseModel], body: bytes) -> list[dict[str, Any]] | None:
    """In the checker's process: None when ``body`` is a valid ``model``, else its errors
    as the 422 reads them (without the values they were about, which may be megabytes)."""
    try:
        _validated(model, body)
    except RequestValidationError as exc:
        return [
            {key: value for key, value in error.items() if key != "input"} for error in exc.errors()
        ]
    return None


def _trusted(model: type[Model], body: bytes) -> Model:
    """``body`` as ``model``, its values already found storable (``verdict``)."""
    return model.model_validate(_loads(body), context={jsonc.CHECKED: True})


def _loads(body: bytes) -> Any:
    """The body as the standard parser reads it (what the model's checks expect: NaN, lone
    surrogates and big integers come through, to be refused by the field's name), at
    orjson's speed when orjson reads it the same."""
    try:
        if jsonc.has_long_digits(body):  # orjson would read a big integer as a float
            return json.loads(body)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if exc.msg == jsonc.ORJSON_TOO_DEEP:  # the standard parser would recurse until it broke
                raise _too_deep(body) from None
            return json.loads(body)
    except RecursionError:
        raise _too_deep(body) from None


def _too_deep(body: bytes) -> json.JSONDecodeError:
    """Where ``body`` nests past what any field takes (the body itself is one level)."""
    offset = jsonc.too_deep_at(body, jsonc.MAX_DEPTH + 1)
    return json.JSONDecodeError(jsonc.TOO_DEEP, body.decode(errors="replace"), offset)


def _validated(model: type[Model], body: bytes) -> Model:
    try:
        value = _loads(body)
    except UnicodeDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.start),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": "the body is not UTF-8"},
        }
        raise RequestValidationError([error], body=body) from None
    except json.JSONDecodeError as exc:
        raise _json_invalid(exc) from None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        if any(jsonc.TOO_DEEP in str(error["msg"]) for error in errors):
            # Parsed, but a field nests past the limit: where in the text, as for bodies
            # too deep to parse at all.
            raise _json_invalid(_too_deep(body)) from None
        raise RequestValidationError(errors) from None


def _json_invalid(exc: json.JSONDecodeError) -> RequestValidationError:
    error = {
        "type": "json_invalid",
        "loc": ("body", exc.pos),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": exc.msg},
    }
    return RequestValidationError([error], body=exc.doc)
