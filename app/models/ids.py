"""Identifiers that sort by creation time, so "newest first" is an index scan on the id."""

import secrets
import time


def new_id(prefix: str) -> str:
    """``prefix_`` + 12 hex digits of milliseconds + 12 random hex digits."""
    # The machine's time, not the process's clock: ids from every process (each with its
    # own clock) must sort together.
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


def ids_before(prefix: str, at_ms: int) -> str:
    """A bound above every id of ``prefix`` made up to ``at_ms`` (milliseconds) and below
    every id made later."""
    return f"{prefix}_{at_ms + 1:012x}"
