"""A port for a process a test starts on one. ``free_port()`` closes its socket before the
child binds the port, and another process (the other xdist worker, an outgoing connection's
local port) may take it in between: the child then exits at once with status 2, saying the
port is in use. Started again on another port, it serves as the test meant."""

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from app.redis_server import free_port
from tests.found import children

Child = TypeVar("Child", bound="subprocess.Popen[Any]")

ATTEMPTS = 5
# A cold process imports for seconds before it binds: many of them on a busy machine, a
# minute or more (a guard against hanging, not a timing).
BIND_SECONDS = 180.0
PORT_IN_USE = 2  # the exit status of `automator` when it cannot bind its port
TAKEN = "Address already in use"  # and what it says then (strerror(EADDRINUSE))
LISTEN = "0A"  # a socket's state in /proc/net/tcp


def on_a_free_port(launch: Callable[[int], Child]) -> tuple[int, Child]:
    """``launch(port)`` on a port free now, launched again on another while the child exits
    with status 2 before it listens there. The last attempt's child is returned whatever it
    does, for the test to say why it ended."""
    port = free_port()
    return kept_on_a_free_port(port, launch(port), launch)


def kept_on_a_free_port(
    port: int, child: Child, launch: Callable[[int], Child]
) -> tuple[int, Child]:
    """``child``, launched on ``port``, or the one ``launch`` starts on another port when it
    exits with status 2 before it listens there (as ``on_a_free_port``)."""
    for _ in range(ATTEMPTS - 1):
        if _serves(child, port):
            break
        child.communicate()  # its pipes closed
        port = free_port()
        child = launch(port)
    return port, child


def ran_on_a_free_port(
    run: Callable[[int], "subprocess.CompletedProcess[str]"],
) -> "subprocess.CompletedProcess[str]":
    """``run(port)``, a command expected to end, run again on another port while it ends
    saying that the port is in use (status 2): one that refuses to start after binding."""
    for _ in range(ATTEMPTS - 1):
        done = run(free_port())
        if done.returncode != PORT_IN_USE or TAKEN not in done.stderr:
            return done
    return run(free_port())


def _serves(child: "subprocess.Popen[Any]", port: int) -> bool:
    """False if ``child`` exits with status 2 before it (or a process it started, as
    ``make run`` starts ``automator dev``) listens on ``port``."""
    deadline = time.monotonic() + BIND_SECONDS
    while time.monotonic() < deadline:
        if listens([child.pid, *descendants(child.pid)], port):
            return True
        if child.poll() is not None:
            return child.returncode != PORT_IN_USE
        time.sleep(0.1)
    return True


def descendants(pid: int) -> list[int]:
    below = [found.pid for found in children(pid)]
    return below + [deeper for child in below for deeper in descendants(child)]


def listens(pids: list[int], port: int) -> bool:
    """Whether one of ``pids`` holds a TCP socket listening on ``port`` (IPv4, from /proc)."""
    held = {inode for pid in pids for inode in _sockets(pid)}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port and inode in held:
            return True
    return False


def _sockets(pid: int) -> set[str]:
    """The inodes of the sockets ``pid`` holds open; none once it has gone."""
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes
