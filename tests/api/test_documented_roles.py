"""What docs/api.md's tables say about who may call a GET endpoint is what the API does: a
row saying "any role" answers an ingest key, a row saying an ingest key's answer is 403
refuses it (ingest keys may only send events; every other role may read)."""

import re
from pathlib import Path

import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for

API_DOC = Path(__file__).parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| (?P<endpoints>[^|]*) \| (?P<says>.*) \|$", re.MULTILINE)
# Paths a call can be made to as written: no {placeholder}, no query to fill in.
GET = re.compile(r"`GET (/api/[^`{}?]*)`")
ADMITS_INGEST = re.compile(r"\bany role\b", re.IGNORECASE)
REFUSES_INGEST = re.compile(r"\ban ingest key's answer is 403\b", re.IGNORECASE)


def documented(claim: re.Pattern[str]) -> list[str]:
    """The GET paths of the rows whose description makes ``claim``."""
    return [
        path
        for row in ROW.finditer(API_DOC.read_text())
        if claim.search(row["says"])
        for path in GET.findall(row["endpoints"])
    ]


async def test_what_the_docs_say_an_ingest_key_may_read_is_what_it_may(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    """``GET /api/copilot`` was documented for "Any role" and answered an ingest key 403."""
    client, resources = app_resources
    ingest = await auth_for(resources, "acme", Role.INGEST)
    for path in documented(ADMITS_INGEST):
        assert (await client.get(path, headers=ingest)).status_code != 403, path
    refused = documented(REFUSES_INGEST)
    assert "/api/copilot" in refused
    for path in refused:
        assert (await client.get(path, headers=ingest)).status_code == 403, path
