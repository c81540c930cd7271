"""Seed 002's ``${...}`` references as Automator templates.

``${fetch_result.body}`` (the result of the earlier task ``fetch``) becomes
``{{ steps.fetch.output.body }}``, ``${loop_item}`` inside a loop ``{{ item }}``, and any other
name (``${API_TOKEN}``, given at run time as seed 002's ``--context`` gives it) the run's data
at the root, ``{{ API_TOKEN }}``. A reference to a task that has not run yet, to a loop
variable outside a loop, or anything but a dotted name is refused.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.errors import shown
from app.task_config.refusal import Refusal, within

REFERENCE = re.compile(r"\$\{([^{}]*)\}")
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")
RESULT_SUFFIX = "_result"
LOOP_NAMES = {"loop_item": "item", "loop_index": "index"}
# What an Automator template would read as its own syntax.
TEMPLATE_MARKS = ("{{", "{%", "{#")
FORMS = "${task_result}, ${task_result.field}, ${loop_item}, ${loop_index} or ${NAME}"


@dataclass(frozen=True)
class Result:
    """Where a task's result is read in Automator: ``path``; ``bare`` the field a reference
    without one means (``${read_result}`` is the file's ``content``); ``fields``, when
    known, the result's fields by their seed 002 names → their Automator names."""

    path: str
    bare: str | None = None
    fields: Mapping[str, str] | None = None

    def read(self, task: str, segments: list[str]) -> str:
        if not segments:
            return f"{self.path}.{self.bare}" if self.bare else self.path
        first, rest = segments[0], segments[1:]
        if self.fields is not None:
            if first not in self.fields:
                raise Refusal(
                    f"the result of task '{task}' has no field '{first}' (it has: "
                    f"{', '.join(sorted(self.fields))})"
                )
            first = self.fields[first]
        return ".".join([self.path, first, *rest])


@dataclass(frozen=True)
class Scope:
    """What a task may refer to: the results of the tasks that ran before it (None: a task
    that has no result), the tasks that run after it, and whether it is inside a loop."""

    results: dict[str, Result | None] = field(default_factory=dict)
    later: frozenset[str] = frozenset()
    in_loop: bool = False

    def after(self, task: str, result: Result | None) -> "Scope":
        """The scope of the task after ``task``."""
        return replace(self, results={**self.results, task: result}, later=self.later - {task})

    def path(self, reference: str) -> str:
        """The dotted path over the run's context that ``reference`` (``name.field...``,
        without ``${}``) reads."""
        if not DOTTED.fullmatch(reference):
            raise Refusal(f"'${{{reference}}}' is not a reference Automator reads; write {FORMS}")
        name, *segments = reference.split(".")
        if name in LOOP_NAMES:
            if not self.in_loop:
                raise Refusal(f"${{{name}}} is only set inside a loop task's tasks")
            return ".".join([LOOP_NAMES[name], *segments])
        if name.endswith(RESULT_SUFFIX) and len(name) > len(RESULT_SUFFIX):
            return self._result(name.removesuffix(RESULT_SUFFIX), segments)
        return reference

    def _result(self, task: str, segments: list[str]) -> str:
        if task in self.results:
            result = self.results[task]
            if result is None:
                raise Refusal(f"task '{task}' has no result to refer to")
            return result.read(task, segments)
        if task in self.later:
            raise Refusal(f"${{{task}_result}} refers to task '{task}', which runs after this one")
        before = ", ".join(self.results) or "none"
        raise Refusal(
            f"${{{task}_result}} refers to no task that runs before this one (tasks before "
            f"it: {before})"
        )

    def template(self, text: str) -> str:
        """``text`` with each reference a template: ``"{{ path }}"`` alone keeps the value's
        type, as ``${...}`` alone did."""
        pieces, end = [], 0
        for match in REFERENCE.finditer(text):
            pieces.append(_literal(text[end : match.start()]))
            pieces.append("{{ " + self.path(match.group(1).strip()) + " }}")
            end = match.end()
        pieces.append(_literal(text[end:]))
        return "".join(pieces)

    def text(self, value: Any) -> Any:
        """``value`` for a field that takes text: a string that is one reference alone
        renders a value that is not text as JSON (an HTTP body parsed from JSON, written to
        a file, is the JSON again), where a template of one expression would keep its type."""
        found = REFERENCE.fullmatch(value) if isinstance(value, str) else None
        if found is None:
            return self.value(value)
        path = self.path(found.group(1).strip())
        return f"{{{{ {path} if {path} is string else {path} | tojson }}}}"

    def value(self, value: Any) -> Any:
        """``value`` with every string in it a template (keys as written)."""
        if isinstance(value, str):
            return self.template(value)
        if isinstance(value, list):
            return [self._at(n, item) for n, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self._at(key, item) for key, item in value.items()}
        return value

    def _at(self, key: str | int, item: Any) -> Any:
        with within(key):
            return self.value(item)


def _literal(text: str) -> str:
    if "${" in text:
        raise Refusal(f"'${{' without its closing '}}' in {shown(text)}; write {FORMS}")
    mark = next((mark for mark in TEMPLATE_MARKS if mark in text), None)
    if mark is not None:
        raise Refusal(
            f"{mark!r} in {shown(text)} would be read as Automator template syntax; "
            "remove it or write it another way"
        )
    return text
