"""One ``automator dev`` per data dir: a lock file held while it serves.

Two processes on one data dir would run two Redis servers on one append-only file and two
schedulers on one SQLite database. The lock is an ``flock`` on ``<data dir>/dev.lock``, which
the kernel releases when its holder dies however it dies, so a crash leaves no stale lock;
the file says who holds it, for the refusal message.
"""

import fcntl
import json
import os
from pathlib import Path
from types import TracebackType

from app.datadir import private_dir

NAME = "dev.lock"


class Taken(Exception):
    """Another process serves the data dir."""


class DataDirLock:
    """Held from ``__enter__`` to ``__exit__``; ``Taken`` names the holder if another has it."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.path = data_dir / NAME
        self.port = port
        self._fd: int | None = None

    def __enter__(self) -> "DataDirLock":
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd)
            os.close(fd)
            raise Taken(
                f"another automator dev (PID {holder.get('pid', '?')}, port "
                f"{holder.get('port', '?')}) already serves {self.path.parent.resolve()}; stop "
                "it first, or set AUTOMATOR_DATA_DIR to another directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "port": self.port}).encode())
        self._fd = fd
        return self

    @staticmethod
    def _holder(fd: int) -> dict[str, object]:
        try:
            found = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:  # the holder is between truncating and writing
            return {}
        return found if isinstance(found, dict) else {}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
