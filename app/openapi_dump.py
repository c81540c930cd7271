"""The API's OpenAPI document as canonical JSON (sorted keys, no spaces): the input of the
Studio's generated types (``make api-types`` writes web/src/api/schema.d.ts, whose header
carries this document's sha256 so a test can tell when the types are stale)."""

import hashlib
import json
import sys

from app.main import create_app


def canonical_openapi() -> bytes:
    """The OpenAPI document, serialized the same way every time."""
    spec = create_app().openapi()
    return json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()


def openapi_digest() -> str:
    return hashlib.sha256(canonical_openapi()).hexdigest()


def main() -> None:
    sys.stdout.buffer.write(canonical_openapi())


if __name__ == "__main__":
    main()
