"""The port of a process a test starts is picked again when another process took it first."""

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.ports import on_a_free_port, ran_on_a_free_port

# A child that binds its port as `automator` does: status 2, saying so, when it is in use.
SERVES = """
import socket, sys
try:
    server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
except OSError as exc:
    print(f"Cannot serve the API on 127.0.0.1:{sys.argv[1]}: {exc.strerror}", file=sys.stderr)
    sys.exit(2)
print("serving", flush=True)
sys.stdin.read()
"""


@contextmanager
def thief() -> Iterator[list[socket.socket]]:
    """Where a stand-in for another process keeps the port it takes; closed at the end."""
    taken: list[socket.socket] = []
    try:
        yield taken
    finally:
        for sock in taken:
            sock.close()


def child(port: int) -> list[str]:
    return [sys.executable, "-c", SERVES, str(port)]


def test_a_child_whose_port_another_process_took_first_is_started_on_another() -> None:
    with thief() as taken:

        def launch(port: int) -> subprocess.Popen[str]:
            if not taken:  # another process binds the port between the pick and the child
                taken.append(socket.create_server(("127.0.0.1", port)))
            return subprocess.Popen(
                child(port), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )

        port, serving = on_a_free_port(launch)
        try:
            assert port != taken[0].getsockname()[1]
            with socket.create_connection(("127.0.0.1", port), timeout=30):
                pass  # the child accepts on the port it ended up with
        finally:
            output, _ = serving.communicate("", timeout=30)
    assert (serving.returncode, output) == (0, "serving\n")


def test_a_command_that_ends_is_run_again_while_it_says_its_port_was_taken() -> None:
    with thief() as taken:

        def run(port: int) -> subprocess.CompletedProcess[str]:
            if not taken:
                taken.append(socket.create_server(("127.0.0.1", port)))
            return subprocess.run(
                child(port), input="", capture_output=True, text=True, timeout=60, check=False
            )

        done = ran_on_a_free_port(run)
    assert (done.returncode, done.stdout) == (0, "serving\n")
