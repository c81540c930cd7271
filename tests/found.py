"""A process a test found rather than started (the redis-server `automator dev` runs), held
by a pidfd, so that a signal the test sends reaches that process or none.

Its number alone is not enough. Once the process has ended and been reaped (its parent, or
init for an orphan), the number is free, and pid_max is 32768 on these machines; threads take
numbers from the same count, /proc/<number> answers for a thread too, and kill(2) given a
thread's number signals the thread's whole process. A SIGKILL sent by number after the end
(a cleanup's "kill it if still alive") can so end another process, pytest's own xdist worker
among them, whose threads come and go through the run (a run was seen to hang after xdist's
"replacing crashed worker"). A ``Popen``'s pid has no such gap: it stays the child's until
the test itself reaps it.
"""

import os
import select
import signal
import weakref
from pathlib import Path


class Found:
    """A process held by a pidfd from the moment it is checked to be the one sought."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._fd = fd
        weakref.finalize(self, os.close, fd)

    @classmethod
    def child(cls, parent: int, pid: int, name: str) -> "Found | None":
        """``pid``, if it is ``parent``'s child running ``name`` (in its command line); None
        if not, or if it ended. Held first, checked after: the process checked is the one
        held, whatever took the number in between."""
        try:
            fd = os.pidfd_open(pid)
        except OSError:  # it ended (ESRCH), or the number is a thread's (EINVAL)
            return None
        if parent_of(pid) == parent and name in command_line(pid):
            return cls(pid, fd)
        os.close(fd)
        return None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to this process; ProcessLookupError once it has ended."""
        signal.pidfd_send_signal(self._fd, signum)

    def alive(self) -> bool:
        """True until it ends (a zombie, which only waits to be reaped, has ended)."""
        readable, _, _ = select.select([self._fd], [], [], 0)
        return not readable


def children(parent: int, name: str = "") -> list[Found]:
    """The processes whose parent is ``parent`` running ``name``, each held."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    held = [Found.child(parent, pid, name) for pid in pids if parent_of(pid) == parent]
    return [found for found in held if found is not None]


def parent_of(pid: int) -> int | None:
    """The parent of ``pid`` (from /proc); None once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1])


def command_line(pid: int) -> str:
    """The command line of ``pid`` ('' for a zombie, or once it has gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
