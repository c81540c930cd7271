"""Access tokens for Google APIs minted from a service account key (OAuth 2.0 JWT bearer
grant, RFC 7523), as FCM HTTP v1 needs: a signed assertion is exchanged at the key's
``token_uri`` for a token valid about an hour, kept in this process until shortly before it
expires (each process mints its own; Google allows many live tokens)."""

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import BaseModel, ConfigDict, Field

from app.actions.base import ConnectorError
from app.actions.channels.providers import Outbound, post, refusal
from app.models.patterns import URL_PATTERN

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME = 3600  # seconds a minted assertion (and so the token) is asked to live
REFRESH_MARGIN = 300  # seconds before expiry a cached token is replaced


class ServiceAccount(BaseModel):
    """The fields used from a service account JSON key file."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    client_email: str = Field(min_length=1, max_length=320)
    private_key: str = Field(min_length=1)
    token_uri: str = Field("https://oauth2.googleapis.com/token", pattern=URL_PATTERN)
    project_id: str | None = None


@dataclass(frozen=True)
class _Token:
    value: str
    expires: float


class AccessTokens:
    """Tokens by service account and scope, minted when missing or about to expire."""

    # A token's expiry is Google's wall-clock time (its ``exp``): the machine's time.
    def __init__(self, clock: Callable[[], float] = time.time) -> None:  # noqa: TID251
        self._clock = clock
        self._tokens: dict[str, _Token] = {}

    async def token(
        self, account: ServiceAccount, scope: str, http: httpx.AsyncClient, seconds: float
    ) -> str:
        key = _cache_key(account, scope)
        cached = self._tokens.get(key)
        if cached and cached.expires - REFRESH_MARGIN > self._clock():
            return cached.value
        now = self._clock()
        form = {"grant_type": GRANT_TYPE, "assertion": assertion(account, scope, now)}
        reply = await post(http, Outbound(account.token_uri, form=form), seconds)
        problem = refusal(reply)
        if problem is not None:
            raise ConnectorError(
                f"token request refused: {problem.message}", retryable=problem.retryable
            )
        token = _read_token(reply.body, now)
        self._tokens[key] = token
        return token.value


def assertion(account: ServiceAccount, scope: str, now: float) -> str:
    """A JWT signed with the account's key (RS256) asking ``token_uri`` for ``scope``."""
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {
        "iss": account.client_email,
        "scope": scope,
        "aud": account.token_uri,
        "iat": int(now),
        "exp": int(now) + LIFETIME,
    }
    signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}".encode()
    signature = _key(account).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{_b64(signature)}"


def _key(account: ServiceAccount) -> rsa.RSAPrivateKey:
    try:
        key = load_pem_private_key(account.private_key.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConnectorError("service_account.private_key is not an unencrypted PEM RSA key")
    return key


def _read_token(body: object, now: float) -> _Token:
    if not (isinstance(body, dict) and isinstance(body.get("access_token"), str)):
        raise ConnectorError("the token endpoint's reply has no access_token", retryable=True)
    expires_in = body.get("expires_in")
    lifetime = expires_in if isinstance(expires_in, int | float) else LIFETIME
    return _Token(body["access_token"], now + lifetime)


def _cache_key(account: ServiceAccount, scope: str) -> str:
    # The key's digest too: a rotated key mints a fresh token.
    identity = "\n".join([account.client_email, account.token_uri, scope, account.private_key])
    return hashlib.sha256(identity.encode()).hexdigest()


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


TOKENS = AccessTokens()
