"""JSON bodies parsed and validated off the event loop, for the routes whose bodies may be
megabytes (events): on the event loop, a 7 MB event held every other request (``/health``
included) for as long as its parse took, seconds on a busy machine. Small bodies, most
events, are parsed on the loop, where that costs less than the hop; larger ones in a
thread.

A thread frees the loop only as far as it lets go of the GIL: orjson's parse (tens of
milliseconds for 7 MB) holds it throughout, and the check of every value (64-bit integers,
depth, Unicode) is made of C calls over a level of values at a time
(``jsonc.check_values``), so the loop waits for one of them at most. (That check once was
a Python walk, a second of bytecode for a 7 MB event, which a second process did instead,
at the price of a second parse and that process's memory.)

Every path does the same work FastAPI would (JSON, then the model) and its failures read
the same: 422 naming the field, or the line and column of malformed JSON. The routes
declare their body's schema with ``json_body``, since FastAPI no longer sees the model.
"""

import asyncio
import json
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.models import jsonc

Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")
# What a parsed body is validated by: its value, and the validation context (``jsonc.STORABLE``
# when its values are all plainly storable, else None).
Validate = Callable[[Any, dict[str, Any] | None], T]
# Bodies up to this size are parsed on the event loop: a few kilobytes take tens of
# microseconds there, less than the hop to a thread and back (a tenth of a small event's CPU).
INLINE_BYTES = 16 * 1024


def json_body(schema: str, example: Any) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body of the component ``schema``."""
    content = {"schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


async def parsed(request: Request, model: type[Model]) -> Model:
    """The request's body as ``model``, parsed off the event loop unless it is small."""
    return await parsed_by(request, partial(_as_model, model))


async def parsed_by(request: Request, validate: Validate[T]) -> T:
    """The request's body parsed, then validated by ``validate`` (whose ValidationError is
    the 422), off the event loop unless it is small."""
    body = await request.body()
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    if len(body) <= INLINE_BYTES:
        return _validated(validate, body)
    return await asyncio.to_thread(_validated, validate, body)


def _as_model(model: type[Model], value: Any, context: dict[str, Any] | None) -> Model:
    return model.model_validate(value, context=context)


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
            too_deep = exc.msg == jsonc.ORJSON_TOO_DEEP
        # Raised after the except block, not in it (``_validated`` says why).
        if too_deep:  # the standard parser would recurse until it broke
            raise _TooDeep(body)
        return json.loads(body)
    except RecursionError:
        raise _TooDeep(body) from None


class _TooDeep(json.JSONDecodeError):
    """Where ``body`` nests past what any field takes (the body itself is one level), at
    ``pos`` in its text (``app.api.errors`` finds the path to it there)."""

    def __init__(self, body: bytes, offset: int | None = None) -> None:
        if offset is None:
            offset, _ = _too_deep_at(body)
        super().__init__(jsonc.TOO_DEEP, body.decode(errors="replace"), offset)


def _too_deep_at(body: bytes) -> tuple[int, jsonc.Loc]:
    return jsonc.too_deep_at(body, jsonc.MAX_DEPTH + 1)


class JsonRequest(Request):
    """A request whose JSON body FastAPI reads as ``parsed`` reads one: nested past the
    limit, refused where it passes it."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = _checked(await self.body())
        return self._json


class JsonRoute(APIRoute):
    """A route whose body FastAPI parses, through ``JsonRequest``: JSON nested too deep gets
    the 422 located where it passes the limit, as on the routes that read their body with
    ``parsed``, rather than FastAPI's 400 (past the parser's recursion, 1,000 levels) or
    nothing (a model's free-form field takes any depth). Every router's route class."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def read(request: Request) -> Response:
            return await handler(JsonRequest(request.scope, request.receive))

        return read


def _checked(body: bytes) -> Any:
    """``body`` parsed, unless it nests past the limit (``_TooDeep``)."""
    value = _loads(body)
    if jsonc.plainly_storable(value):
        return value
    offset, path = _too_deep_at(body)
    if path:
        raise _TooDeep(body, offset)
    return value


def _validated(validate: Validate[T], body: bytes) -> T:
    # Each refusal is raised after the except block that caught its cause, never in it:
    # there, the caught exception stays in this frame, which its own traceback holds, a
    # reference cycle keeping the body and its parse until the cyclic collector runs, and
    # `automator api` lets 200,000 objects pile up first (API_YOUNG_OBJECTS_PER_COLLECTION,
    # app/processes.py): megabytes a refusal.
    try:
        value = _loads(body)
    except UnicodeDecodeError as exc:
        position, reason, text = exc.start, "the body is not UTF-8", None
    except json.JSONDecodeError as exc:
        position, reason, text = exc.pos, exc.msg, exc.doc
    else:
        try:
            # A document storable whole has fields storable each: checked once, at C's speed.
            context = jsonc.STORABLE if jsonc.plainly_storable(value) else None
            return validate(value, context)
        except ValidationError as exc:
            errors = [_located(error) for error in exc.errors()]
        if not any(jsonc.TOO_DEEP in str(error["msg"]) for error in errors):
            raise RequestValidationError(errors)
        # Parsed, but a field nests past the limit: where in the text, as for bodies too
        # deep to parse at all.
        deep = _TooDeep(body)
        position, reason, text = deep.pos, deep.msg, deep.doc
    raise RequestValidationError(
        [
            {
                "type": "json_invalid",
                "loc": ("body", position),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": reason},
            }
        ],
        body=body if text is None else text,
    )


def _located(error: ErrorDetails) -> dict[str, Any]:
    """``error`` under the body's name, a validator's exception in its ``ctx`` as its text:
    that exception's traceback leads back (``f_back``) to ``_validated``'s frame, a cycle."""
    located: dict[str, Any] = {**error, "loc": ("body", *error["loc"])}
    if "ctx" in error:
        context = error["ctx"].items()
        located["ctx"] = {k: str(v) if isinstance(v, Exception) else v for k, v in context}
    return located
