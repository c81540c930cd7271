"""Service-account access tokens, minted at a local token endpoint."""

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.actions.base import ConnectorError
from app.actions.channels.google import FCM_SCOPE, GRANT_TYPE, AccessTokens, ServiceAccount

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()


def account(httpserver: HTTPServer, **changes: Any) -> ServiceAccount:
    fields = {
        "type": "service_account",
        "project_id": "demo-project",
        "client_email": "sender@demo-project.iam.gserviceaccount.com",
        "private_key": PEM,
        "token_uri": httpserver.url_for("/token"),
        **changes,
    }
    return ServiceAccount.model_validate(fields)


def decode(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def token_server(httpserver: HTTPServer, assertions: list[str]) -> None:
    def mint(request: Request) -> Response:
        assert request.form["grant_type"] == GRANT_TYPE
        assertions.append(request.form["assertion"])
        reply = {"access_token": f"ya29.token-{len(assertions)}", "expires_in": 3599}
        return Response(json.dumps(reply), content_type="application/json")

    httpserver.expect_request("/token", method="POST").respond_with_handler(mint)


async def test_the_assertion_is_signed_by_the_key_and_asks_for_the_scope(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    assertions: list[str] = []
    token_server(httpserver, assertions)

    token = await AccessTokens(clock=lambda: 1_800_000_000).token(
        account(httpserver), FCM_SCOPE, http, 10
    )

    assert token == "ya29.token-1"
    header, claims, signature = assertions[0].split(".")
    assert decode(header) == {"alg": "RS256", "typ": "JWT"}
    assert decode(claims) == {
        "iss": "sender@demo-project.iam.gserviceaccount.com",
        "scope": FCM_SCOPE,
        "aud": httpserver.url_for("/token"),
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
    }
    KEY.public_key().verify(  # raises if the signature is not the key's
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


async def test_a_token_is_reused_until_shortly_before_it_expires(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    assertions: list[str] = []
    token_server(httpserver, assertions)
    now = [1_800_000_000.0]
    tokens = AccessTokens(clock=lambda: now[0])

    first = await tokens.token(account(httpserver), FCM_SCOPE, http, 10)
    now[0] += 3000
    second = await tokens.token(account(httpserver), FCM_SCOPE, http, 10)
    now[0] += 400
    third = await tokens.token(account(httpserver), FCM_SCOPE, http, 10)

    assert (first, second, third) == ("ya29.token-1", "ya29.token-1", "ya29.token-2")


async def test_a_refused_grant_is_final_and_a_bad_key_never_calls_out(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/token").respond_with_json(
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, status=400
    )
    with pytest.raises(ConnectorError) as refused:
        await AccessTokens().token(account(httpserver), FCM_SCOPE, http, 10)
    assert refused.value.message == (
        "token request refused: HTTP 400: invalid_grant: Invalid JWT Signature."
    )
    assert refused.value.retryable is False

    httpserver.clear_log()
    with pytest.raises(ConnectorError) as bad:
        await AccessTokens().token(
            account(httpserver, private_key="not a key"), FCM_SCOPE, http, 10
        )
    assert bad.value.message == "service_account.private_key is not an unencrypted PEM RSA key"
    assert httpserver.log == []
