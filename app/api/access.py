"""The access line of every HTTP request, written when its response starts, as uvicorn wrote
it: ``automator api`` and ``dev`` wrap the app in this layer and serve it with ``Unlogged``,
uvicorn's protocol without its line, which went through the logging module's machinery
(``app.logs.access`` says why not)."""

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
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


class Unlogged(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools) without its access line. uvicorn's own switch
    (``access_log=False``) empties the ``uvicorn.access`` logger's handlers and turns its
    propagation off, which took ``AccessLog``'s line from every handler a user attached and
    from the root's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False
