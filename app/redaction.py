"""Redacting what must never be shown: secret references, fields named like secrets, API keys.

Used where values leave the process for people to read (the audit log, the logs). It works on
shape and names alone; secret values themselves are masked where they are resolved
(``app.engine.calls.masking``).
"""

import re
from functools import lru_cache
from typing import Any

MASK = "********"
# Field names whose values are masked wherever they appear, e.g. `password`, `api_key`,
# `client_secret`, `auth_token`, `Authorization`.
SECRET_NAME = re.compile(
    r"secret|passw|token|api[-_]?key|authorization|private[-_]?key|credential", re.IGNORECASE
)
# An API key of ours, or any bearer credential, inside free text.
SECRET_TEXT = re.compile(r"atm_[A-Za-z0-9_-]{4,}|(?<=Bearer )[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# Nesting past this is not walked further (JSON parsers stop far sooner).
MAX_DEPTH = 64


def redact(value: Any, depth: int = 0) -> Any:
    """``value`` with every ``{"$secret": ...}`` reference and every field named like a
    secret replaced by ``********`` (a new value; the input is left as it is)."""
    if depth > MAX_DEPTH:
        return MASK
    if isinstance(value, dict):
        if "$secret" in value:
            return {"$secret": MASK}
        return {
            key: MASK if _secret_name(key) else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, depth + 1) for item in value]
    return value


def redact_text(text: str) -> str:
    """``text`` with API keys and bearer credentials in it replaced by ``********``."""
    return SECRET_TEXT.sub(MASK, text)


@lru_cache(maxsize=4096)
def _secret_name(key: Any) -> bool:
    """Whether a field of this name is masked; the same few names come on every log line."""
    return isinstance(key, str) and SECRET_NAME.search(key) is not None
