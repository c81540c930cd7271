"""The Studio's generated API types match the API they call."""

import re
from pathlib import Path

from app.openapi_dump import openapi_digest

SCHEMA = Path(__file__).parents[2] / "web" / "src" / "api" / "schema.d.ts"


def test_the_studio_types_are_generated_from_the_current_api() -> None:
    header = SCHEMA.read_text(encoding="utf-8")[:400]
    found = re.search(r"openapi sha256: ([0-9a-f]{64})", header)
    assert found, f"{SCHEMA} has no 'openapi sha256' header: run `make api-types`"
    assert found.group(1) == openapi_digest(), (
        "The API changed since web/src/api/schema.d.ts was generated: run `make api-types` "
        "and commit the result (and fix what the Studio's type check then reports)."
    )
