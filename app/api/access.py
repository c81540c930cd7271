"""The access line of every HTTP request, written when its response starts, as uvicorn wrote
it: ``automator api`` and ``dev`` wrap the app in this layer and turn uvicorn's off, whose
line went through the logging module's machinery (``app.logs.access`` says why not)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from app import logs


class AccessLog:
    """The ASGI layer outside the whole app, so that a 500 of the outermost handler is
    logged too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                logs.access(
                    get_client_addr(scope),  # type: ignore[arg-type]
                    scope["method"],
                    get_path_with_query_string(scope),  # type: ignore[arg-type]
                    scope["http_version"],
                    message["status"],
                )
            await send(message)

        await self.app(scope, receive, logged_send)
