"""Identifiers that sort by creation time, so "newest first" is an index scan on the id."""

import os
import re
import threading
import time

# Hex digits of randomness at the end of an id.
RANDOM_DIGITS = 12
# Hex digits of the milliseconds before them.
TIME_DIGITS = 12
# The OS is asked for this many ids' worth of random bytes at a time: a call per id was a
# system call that let go of the GIL and waited to take it back (os.urandom), a sixth of the
# event loop's time on a batch of events.
IDS_PER_DRAW = 1024


class RandomDigits:
    """Hex digits from ``os.urandom``, drawn many ids' worth at once and never handed out
    twice: the process's threads share them (a lock), and a forked child draws its own
    rather than repeat its parent's."""

    def __init__(self) -> None:
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._digits = ""
        self._at = 0

    def take(self, count: int) -> str:
        """``count`` ids' digits, ``RANDOM_DIGITS`` each."""
        size = count * RANDOM_DIGITS
        with self._lock:
            if self._at + size > len(self._digits):
                self._digits = os.urandom(max(count, IDS_PER_DRAW) * RANDOM_DIGITS // 2).hex()
                self._at = 0
            start = self._at
            self._at += size
        return self._digits[start : start + size]


_RANDOM = RandomDigits()


def _now_ms() -> int:
    # The machine's time, not the process's clock: ids from every process (each with its
    # own clock) must sort together.
    return time.time_ns() // 1_000_000


def new_id(prefix: str) -> str:
    """``prefix_`` + 12 hex digits of milliseconds + 12 random hex digits."""
    return f"{prefix}_{_now_ms():0{TIME_DIGITS}x}{_RANDOM.take(1)}"


def new_ids(prefix: str, count: int) -> list[str]:
    """``count`` ids as ``new_id`` makes them, in ascending order: things made together
    (a batch's events) sort in the order they were given ids."""
    at, digits = f"{prefix}_{_now_ms():0{TIME_DIGITS}x}", _RANDOM.take(count)
    return sorted(
        at + digits[start : start + RANDOM_DIGITS] for start in range(0, len(digits), RANDOM_DIGITS)
    )


def is_id(value: str, prefix: str) -> bool:
    """Whether ``value`` has the shape of an id ``new_id(prefix)`` makes."""
    shape = rf"{re.escape(prefix)}_[0-9a-f]{{{TIME_DIGITS + RANDOM_DIGITS}}}"
    return re.fullmatch(shape, value) is not None


def ids_before(prefix: str, at_ms: int) -> str:
    """A bound above every id of ``prefix`` made up to ``at_ms`` (milliseconds) and below
    every id made later."""
    return f"{prefix}_{at_ms + 1:0{TIME_DIGITS}x}"
