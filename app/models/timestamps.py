"""Instants as ISO 8601 text, made once for an instant written several times."""

from datetime import UTC, datetime

import orjson

# The ISO text of the instants written last, by the object. An event's instant is written
# up to seven times (its context's time, its profile's first and last seen, its runs'
# creation, update and due times, its row), and ``datetime.isoformat`` costs about a
# microsecond each time. By identity, as equal instants in two zones read differently; an
# entry holds its instant, so no other object takes its id while it is kept.
_TEXTS: dict[int, tuple[datetime, str]] = {}
KEPT_TEXTS = 256


def iso_text(at: datetime) -> str:
    """``at.isoformat()``, made once for an instant written several times."""
    kept = _TEXTS.get(id(at))
    if kept is not None and kept[0] is at:
        return kept[1]
    if len(_TEXTS) >= KEPT_TEXTS:
        _TEXTS.clear()
    text = at.isoformat()
    _TEXTS[id(at)] = (at, text)
    return text


def fresh_text(at: datetime) -> str:
    """``at.isoformat()`` of an instant written once (a run's due and update times, new at
    every save; the instant of a turn in its history): a UTC one by orjson, a quarter of
    ``isoformat``'s work (which builds its text through a ``printf`` per field and another
    for the offset); the same text, since an offset of zero reads ``+00:00`` in both (orjson
    drops an offset's seconds, so any other zone goes to ``isoformat``)."""
    if at.tzinfo is UTC:
        return orjson.dumps(at)[1:-1].decode()
    return at.isoformat()
