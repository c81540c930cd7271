"""``transform``: data in, data out, nothing touched (always available).

``csv_to_json`` (CSV text, a header row first → a list of objects), ``json_to_csv`` (a list
of objects → CSV text, the columns in order of first appearance), and aggregations over a
list from the context (``"input": "{{ steps.orders.output.items }}"``): ``count``, ``sum``,
``avg``, ``min``, ``max`` of a ``field`` (dotted), and ``group_by`` a field, with the count
of each group and, given a ``field``, its sum, avg, min and max.
"""

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.errors import quoted, shown

MAX_ROWS = 100_000
MAX_CSV_CHARS = 10 * 1024 * 1024
AGGREGATES = ("count", "sum", "avg", "min", "max")
OPERATIONS = ("csv_to_json", "json_to_csv", *AGGREGATES, "group_by")
_FIELD = {"type": "string", "maxLength": 256}

INPUTS = {
    "type": "object",
    "properties": {
        "operation": {"enum": list(OPERATIONS)},
        "input": {
            "description": "CSV text (csv_to_json), or a list: a template such as "
            "`{{ steps.read.output.rows }}`, or the list itself."
        },
        "field": _FIELD
        | {
            "description": "sum, avg, min, max (and group_by): the dotted "
            "field of each item aggregated."
        },
        "by": _FIELD | {"description": "group_by: the dotted field items are grouped by."},
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
    },
    "required": ["operation", "input"],
    "additionalProperties": False,
}


def _items(value: Any, operation: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConnectorError(
            f"data.input must be a list to {operation}, not {type(value).__name__}"
        )
    if len(value) > MAX_ROWS:
        raise ConnectorError(f"data.input holds {len(value)} items, over the limit of {MAX_ROWS}")
    return value


def _field(item: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(item, Mapping) or part not in item:
            return None
        item = item[part]
    return item


def _numbers(items: list[Any], path: str) -> list[float]:
    """The numbers at ``path`` (numeric text counts; missing values are left out)."""
    found = []
    for position, item in enumerate(items):
        value = _field(item, path)
        if value is None or value == "":
            continue
        try:
            found.append(float(value))
        except (TypeError, ValueError):
            raise ConnectorError(
                f"data.input[{position}].{quoted(path)} is {shown(value)}, not a number"
            ) from None
    return found


def _stats(values: list[float]) -> dict[str, float | None]:
    return {
        "sum": sum(values),
        "avg": sum(values) / len(values) if values else None,
        "min": min(values, default=None),
        "max": max(values, default=None),
    }


def aggregate(operation: str, items: list[Any], path: str | None) -> dict[str, Any]:
    if operation == "count":
        return {"result": len(items)}
    if not path:
        raise ConnectorError(f"data.field is required to {operation}")
    return {"result": _stats(_numbers(items, path))[operation]}


def group_by(items: list[Any], by: str | None, path: str | None) -> dict[str, Any]:
    if not by:
        raise ConnectorError("data.by is required to group_by")
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(str(_field(item, by)), []).append(item)
    result = {}
    for key, members in groups.items():
        result[key] = {"count": len(members)} | (_stats(_numbers(members, path)) if path else {})
    return {"groups": result}


def csv_to_json(text: Any, delimiter: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise ConnectorError("data.input must be CSV text to csv_to_json")
    if len(text) > MAX_CSV_CHARS:
        raise ConnectorError(f"data.input is over the limit of {MAX_CSV_CHARS} characters")
    try:
        rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise ConnectorError(f"data.input is not CSV: {exc}") from None
    if len(rows) > MAX_ROWS:
        raise ConnectorError(f"data.input holds {len(rows)} rows, over the limit of {MAX_ROWS}")
    return {"rows": rows, "count": len(rows)}


def json_to_csv(items: list[Any], delimiter: str) -> dict[str, Any]:
    if not all(isinstance(item, Mapping) for item in items):
        raise ConnectorError("data.input must be a list of objects to json_to_csv")
    columns = list(dict.fromkeys(key for item in items for key in item))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(items)
    return {"csv": out.getvalue(), "count": len(items)}


Transform = Callable[[dict[str, Any]], dict[str, Any]]


def _aggregating(name: str) -> Transform:
    return lambda params: aggregate(name, _items(params["input"], name), params.get("field"))


TRANSFORMS: dict[str, Transform] = {
    "csv_to_json": lambda p: csv_to_json(p["input"], p.get("delimiter") or ","),
    "json_to_csv": lambda p: json_to_csv(
        _items(p["input"], "json_to_csv"), p.get("delimiter") or ","
    ),
    "group_by": lambda p: group_by(_items(p["input"], "group_by"), p.get("by"), p.get("field")),
    **{name: _aggregating(name) for name in AGGREGATES},
}


class TransformTask(ConnectorAdapter):
    code: ClassVar[str] = "transform"
    name: ClassVar[str] = "Data transforms"
    description: ClassVar[str] = (
        "CSV to JSON and back, and count, sum, avg, min, max and group_by over a list from "
        "the run's context. Touches nothing: always available."
    )
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "transform": ActionSpec(inputs=INPUTS, description="Transform or aggregate data."),
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        transform = TRANSFORMS.get(str(params.get("operation")))
        if transform is None:
            raise ConnectorError(f"data.operation must be one of {', '.join(OPERATIONS)}")
        if "input" not in params:
            raise ConnectorError("data.input is required")
        return transform(params)
