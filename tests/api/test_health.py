import httpx

from app.main import create_app
from app.settings import Settings


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "ok", "redis": "ok"}}


async def test_ready_is_503_with_the_reason_when_redis_is_down(
    settings: Settings, closed_port: int
) -> None:
    app = create_app(
        settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port}/0"})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["store"] == "ok"
    assert body["checks"]["redis"].startswith("unreachable:")


async def test_unknown_routes_use_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_openapi_documents_every_request_body_with_an_example(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "WorkflowDocument" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            for media, content in body["content"].items():
                has_example = "example" in content or "examples" in content
                ref = content.get("schema", {}).get("$ref", "")
                named = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
                assert has_example or "examples" in named or media == "multipart/form-data", (
                    method,
                    path,
                )
