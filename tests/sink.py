"""A local webhook receiver for tests of crashes: it answers slowly (so that calls are in
flight when a worker is killed), counts each request by its ``Idempotency-Key``, and can hold
the calls to a path until released."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    # Many workers' calls arrive at once: the default backlog of 5 would refuse some.
    request_queue_size = 1024
    daemon_threads = True


class Sink:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0  # the most calls it held at once
        self.held = threading.Event()
        self.held.set()
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def hold(self) -> None:
        """Calls to ``/held`` wait (unanswered) until ``release``."""
        self.held.clear()

    def release(self) -> None:
        self.held.set()

    def repeats(self) -> int:
        """Requests beyond the first of each key."""
        return sum(self.received.values()) - len(self.received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink._lock:
                    sink.received[self.headers.get("Idempotency-Key", "")] += 1
                    sink.in_flight += 1
                    sink.most_in_flight = max(sink.most_in_flight, sink.in_flight)
                try:
                    if self.path == "/held":
                        sink.held.wait(60)
                    time.sleep(sink.delay)
                    body = b'{"ok": true}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller is gone: killed, or timed out
                finally:
                    with sink._lock:
                        sink.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def sink(delay: float = 0.0) -> Iterator[Sink]:
    """A sink served on 127.0.0.1 for the duration of the block."""
    receiver = Sink(delay)
    serving = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    serving.start()
    try:
        yield receiver
    finally:
        receiver.release()
        receiver.server.shutdown()
        receiver.server.server_close()
        serving.join()
