"""Every regular expression an input is checked with has words for its refusals."""

from collections.abc import Iterator
from typing import Any

from app.actions.registry import default_registry
from app.main import create_app
from app.models.patterns import ID_PATTERN, PHONE_PATTERN, WORDS
from app.settings import Settings


def patterns_in(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from patterns_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from patterns_in(item)


def test_every_pattern_of_the_api_and_the_connectors_has_words(settings: Settings) -> None:
    registry = default_registry()
    specs = [
        spec.input_schema
        for connector in registry.connectors()
        for spec in connector.actions.values()
    ]
    found = set(patterns_in(create_app(settings).openapi())) | set(patterns_in(specs))
    assert found - WORDS.keys() == set()
    assert {PHONE_PATTERN, ID_PATTERN} <= found  # the walk reaches both sources
