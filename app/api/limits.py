"""The request size limit, enforced before a body is buffered."""

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLarge


class BodySizeLimit:
    """413 for a declared Content-Length over the limit; a streamed body that grows past it
    raises PayloadTooLarge inside the app, where the one error renderer answers it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _error(self, size: str) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is {size} bytes, over the limit of {self.max_bytes} bytes "
            "(AUTOMATOR_MAX_REQUEST_BYTES)."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send, self._error(declared.decode()))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise self._error(f"more than {self.max_bytes}")
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, send: Send, error: PayloadTooLarge) -> None:
        body = orjson.dumps({"error": error.body()})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
