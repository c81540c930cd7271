"""A configuration file as written: its value, and the line and column where each of its
parts starts, so that a refusal can name the exact line.

The text is JSON with ``//`` and ``/* */`` comments, as seed 002 writes it. Positions come
from the standard library's own JSON parser, told to note where each member of each object
and array starts; comments are blanked first (newlines kept), so offsets stay those of the
file. A file that only JSON5 reads (trailing commas, single quotes) is still read, without
positions: a refusal then names the path of what it refuses.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# The standard parser's own object, array and scanner functions: not in typeshed, but the
# pure-Python path the json module has kept since Python 2.6 (JSONDecoder uses them).
from json.decoder import JSONArray, JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

from app.models import jsonc

Path = tuple[str | int, ...]
# A string (kept whole, escapes included) or a comment (blanked).
STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*[\s\S]*?\*/')
Scan = Callable[[str, int], tuple[Any, int]]


def blank_comments(text: str) -> str:
    """``text`` with each comment replaced by spaces (its newlines kept)."""

    def blank(match: re.Match[str]) -> str:
        found = match.group()
        return found if found.startswith('"') else re.sub(r"[^\n]", " ", found)

    return STRING_OR_COMMENT.sub(blank, text)


class _NotingDecoder(json.JSONDecoder):
    """The standard decoder on its pure-Python scanner, noting the offset at which each
    member of each object (by key) and array (by index) starts, by the container's id."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: dict[int, dict[str | int, int]] = {}
        self.parse_object = self._object
        self.parse_array = self._array
        self.scan_once = py_make_scanner(self)

    def _object(
        self,
        s_and_end: tuple[str, int],
        strict: bool,
        scan_once: Scan,
        object_hook: Any,
        object_pairs_hook: Any,
        memo: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], int]:
        starts: list[int] = []
        pairs, end = JSONObject(s_and_end, strict, _noting(scan_once, starts), None, list, memo)
        value = dict(pairs)
        self.starts[id(value)] = {key: at for (key, _), at in zip(pairs, starts, strict=True)}
        return value, end

    def _array(self, s_and_end: tuple[str, int], scan_once: Scan) -> tuple[list[Any], int]:
        starts: list[int] = []
        values, end = JSONArray(s_and_end, _noting(scan_once, starts))
        self.starts[id(values)] = dict(enumerate(starts))
        return values, end


def _noting(scan_once: Scan, starts: list[int]) -> Scan:
    def scan(text: str, offset: int) -> tuple[Any, int]:
        starts.append(offset)
        return scan_once(text, offset)

    return scan


@dataclass(frozen=True)
class SourceText:
    """A parsed file: its ``value`` and where each part of it starts."""

    name: str
    text: str
    value: Any
    starts: dict[int, dict[str | int, int]] = field(default_factory=dict)

    @classmethod
    def parse(cls, name: str, raw: bytes) -> "SourceText":
        """Parse ``raw``; InvalidInput (naming the line) when it is not JSON with comments."""
        value = jsonc.loads(raw)  # its syntax errors name the line; its limits apply
        text = raw.decode("utf-8", errors="replace")
        decoder = _NotingDecoder()
        try:
            positioned = decoder.decode(blank_comments(text))
        except ValueError:  # JSON5 beyond comments: read, but without positions
            return cls(name, text, value)
        return cls(name, text, positioned, decoder.starts)

    def where(self, path: Path) -> str:
        """``name, line 12, column 7``: where the part at ``path`` starts (or the innermost
        part around it that has a position); just the name when none has."""
        offset, node = None, self.value
        for part in path:
            members = self.starts.get(id(node), {})
            if part not in members or not isinstance(node, dict | list):
                break
            offset, node = members[part], node[part]  # type: ignore[index]
        if offset is None:
            return self.name
        line, column = jsonc.position(self.text, offset)
        return f"{self.name}, line {line}, column {column}"
