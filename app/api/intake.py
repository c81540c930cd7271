"""How a request body comes in: the caller's key is checked before a byte of it is read, the
body is read whole up to the size limit (413 whatever its transfer encoding), and large
bodies are taken a few at a time.

The ingest routes are answered from here once their body is in (``direct``), without the
layers between (the exception middleware, the router, FastAPI's request handling): on the
path the product exists for, those cost more CPU than accepting the event. They stay in the
router, which documents them in /openapi.json and answers their requests without a body.

Reading the body here, rather than letting each route read it, is what makes those three
hold for every route alike: FastAPI parses a body before it solves a route's dependencies
(authentication among them), and answers a streamed body that outgrows the limit with a
generic 400. Bodies wait for a large-body slot unread, in the socket's buffers, so a burst
of big events costs memory for the ones being handled only.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import CALLER_IN_SCOPE, SESSION_COOKIE, authenticate
from app.api.errors import invalid, render
from app.api.tokens import OPERATOR_PREFIX, check_operator
from app.errors import AutomatorError, PayloadTooLarge
from app.resources import Resources

LARGE_BODY_BYTES = 1024 * 1024  # a body past this size waits for a large-body slot
GUARDED_PREFIX = "/api/"  # every route that takes a body is under it, and needs a key
SIGN_IN_PATHS = frozenset({"/api/session"})  # but the Studio's sign-in: its body is the key
Endpoint = Callable[[Request], Awaitable[Response]]


class Slot:
    """One request's claim on the large-body slots: taken once, released once."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = False

    async def take(self) -> None:
        if not self._held:
            await self._slots.acquire()
            self._held = True

    def release(self) -> None:
        if self._held:
            self._slots.release()
            self._held = False


class RequestIntake:
    """The ASGI layer in front of every route that reads a request body."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        large_at_once: int,
        direct: Mapping[tuple[str, str], Endpoint] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._large = asyncio.Semaphore(large_at_once)
        self._direct = direct or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if headers is None or not _has_body(headers):
            await self.app(scope, receive, send)
            return
        slot = Slot(self._large)
        try:
            try:
                body = await self._intake(scope, headers, receive, slot)
            except AutomatorError as error:
                await render(error)(scope, receive, send)
                return
            if body is None:  # the client left before sending it all
                return
            endpoint = self._direct.get((scope["method"], scope["path"]))
            if endpoint is None:
                await self.app(scope, _replay(body, receive), send)
            else:
                response = await _answer(endpoint, Request(scope, _replay(body, receive)))
                await response(scope, receive, send)
        finally:
            slot.release()

    async def _intake(
        self, scope: Scope, headers: Headers, receive: Receive, slot: Slot
    ) -> bytes | None:
        await self._authenticate(scope, headers)
        declared = _declared_length(headers)
        if declared is not None and declared > self.max_bytes:
            raise self._too_large(str(declared))
        if declared is not None and declared > LARGE_BODY_BYTES:
            await slot.take()
        return await self._read(receive, slot)

    async def _authenticate(self, scope: Scope, headers: Headers) -> None:
        """Refuse a body-carrying API request without a valid key or session (or, on the
        operator's routes, the operator token) before reading its body; the route's own
        dependencies check the role (and the rate limit) as usual."""
        if not scope["path"].startswith(GUARDED_PREFIX) or scope["path"] in SIGN_IN_PATHS:
            return
        scheme, _, token = headers.get("authorization", "").partition(" ")
        bearer_key = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        request = Request(scope)
        resources: Resources = scope["app"].state.resources
        if scope["path"].startswith(OPERATOR_PREFIX):
            check_operator(resources.settings, bearer_key)
            return
        # The cookie is parsed only when no key is sent (parsing it was 8 % of an event).
        session = None if bearer_key is not None else request.cookies.get(SESSION_COOKIE)
        scope[CALLER_IN_SCOPE] = await authenticate(resources, request, bearer_key, session)

    async def _read(self, receive: Receive, slot: Slot) -> bytes | None:
        """The whole body, at most ``max_bytes``; a streamed body takes a large-body slot
        once it grows past LARGE_BODY_BYTES. None when the client disconnects first."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(f"more than {self.max_bytes}")
            if size > LARGE_BODY_BYTES:
                await slot.take()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self, size: str) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is {size} bytes, over the limit of {self.max_bytes} bytes "
            "(AUTOMATOR_MAX_REQUEST_BYTES)."
        )


async def _answer(endpoint: Endpoint, request: Request) -> Response:
    """The endpoint's response, or its error's as the exception handlers would give it;
    anything else goes on to the outermost handler (a 500), as from any route."""
    try:
        return await endpoint(request)
    except AutomatorError as error:
        return render(error)
    except RequestValidationError as error:
        return render(invalid(error))


def _has_body(headers: Headers) -> bool:
    return "transfer-encoding" in headers or (_declared_length(headers) or 0) > 0


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read here, then what the client sends next (its
    disconnect, which streaming responses watch for)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
