"""What cannot be translated, and where: a path into the file and what to do instead."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.task_config.source import Path


class Refusal(Exception):
    """A part of the file that has no translation; ``path`` leads to it from the part being
    translated, and grows as the refusal goes up to the file."""

    def __init__(self, reason: str, path: Path = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


@contextmanager
def within(*prefix: str | int) -> Iterator[None]:
    """Refusals raised inside are about the part at ``prefix``."""
    try:
        yield
    except Refusal as refusal:
        refusal.path = (*prefix, *refusal.path)
        raise


def only(config: Any, known: tuple[str, ...], what: str) -> dict[str, Any]:
    """``config`` as an object holding only ``known`` keys; a Refusal naming the first other
    one (or saying it is not an object)."""
    if not isinstance(config, dict):
        raise Refusal(f"{what} is an object ({{...}}), not {type(config).__name__}")
    for key in config:
        if key not in known:
            raise Refusal(
                f"{what} has '{key}', which has no translation (it reads only: "
                f"{', '.join(known)}); remove it or do it another way",
                (key,),
            )
    return config
