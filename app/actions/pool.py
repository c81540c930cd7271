"""The outbound client's connection pool: httpcore's, choosing a connection for each request
without rescanning the pool the way httpcore 1.0 does.

httpcore reconsiders every connection each time a request starts or ends, asking each idle
one whether its socket is readable (a poll, through anyio's attributes); it counts all its
connections where it means the idle ones, so once it holds more than
``max_keepalive_connections`` it closes every connection that falls idle; and it hands one
idle connection to several queued requests at once (all but one then go round again). With a
worker's hundred calls in flight to one host, choosing connections took a sixth of the
worker's CPU (bench/README.md).

Here a request takes the idle connection to its origin taken last (its socket polled then,
once, as httpcore does), idle connections beyond the keep-alive count are closed least
recently used first, and the other idle ones are checked for expiry at most once every
``SWEEP`` seconds. The client speaks HTTP/1.1 only (its transport never asks for HTTP/2), so
an available connection is an idle one.
"""

import time
from typing import Any

import httpcore

# Seconds between checks of every idle connection for expiry: a connection the server has
# closed is found when a request would take it, or within this.
SWEEP = 1.0
Connection = httpcore.AsyncConnectionInterface


class ReusingPool(httpcore.AsyncConnectionPool):
    """An HTTP/1.1 connection pool that keeps its idle connections and reuses the one taken
    last. Its connections are in the order they were last taken, least recent first."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._next_sweep = 0.0

    def _assign_requests_to_connections(self) -> list[Connection]:
        """Give each queued request a connection (an idle one to its origin, a new one, or a
        new one in place of an idle one to another origin); return those to close, as
        httpcore does. With no request queued, that is only due at a sweep: idle
        connections past the keep-alive count wait for the next request or sweep."""
        closing: list[Connection] = []
        now = time.monotonic()
        queued = [request for request in self._requests if request.connection is None]
        if not queued and now < self._next_sweep:
            return closing
        # A connection given to a request stays idle until the request's task takes it.
        taken = {id(request.connection) for request in self._requests if request.connection}
        idle = self._idle(now, taken, closing)
        for pool_request in queued:
            origin = pool_request.request.url.origin
            connection = self._reuse(idle, origin, closing)
            if connection is None:
                if len(self._connections) >= self._max_connections:
                    if not idle:
                        break  # every connection is busy: the requests wait for one
                    self._drop(idle.pop(0), closing)
                connection = self.create_connection(origin)
            self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing

    def _idle(self, now: float, taken: set[int], closing: list[Connection]) -> list[Connection]:
        """The idle connections to keep that no request has been given (``taken``), least
        recently used first, once the closed ones are forgotten and the expired ones (when
        a sweep is due) and those past the keep-alive count are put in ``closing``."""
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP
        kept, idle = [], []
        for connection in self._connections:
            if connection.is_closed():
                continue
            if connection.is_idle() and id(connection) not in taken:
                if sweep and connection.has_expired():
                    closing.append(connection)
                    continue
                idle.append(connection)
            kept.append(connection)
        self._connections = kept
        surplus = max(len(idle) - self._max_keepalive_connections, 0)
        for connection in idle[:surplus]:
            self._drop(connection, closing)
        return idle[surplus:]

    def _reuse(
        self, idle: list[Connection], origin: httpcore.Origin, closing: list[Connection]
    ) -> Connection | None:
        """The idle connection to ``origin`` taken last, if still usable, out of ``idle`` and
        of the pool's list (the caller puts it back last); the expired ones met on the way
        are closed."""
        for index in range(len(idle) - 1, -1, -1):
            connection = idle[index]
            if not connection.can_handle_request(origin):
                continue
            del idle[index]
            self._connections.remove(connection)
            if not connection.has_expired():
                return connection
            closing.append(connection)
        return None

    def _drop(self, connection: Connection, closing: list[Connection]) -> None:
        self._connections.remove(connection)
        closing.append(connection)
