"""Studio sign-in: an API key exchanged for an HttpOnly session cookie.

The browser never keeps the key: the cookie holds an opaque token (see ``app.sessions``), is
HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it), and
Secure when the request came over https.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from app.api.bodies import JsonRoute
from app.api.deps import (
    SESSION_COOKIE,
    Caller,
    ResourcesDep,
    require_csrf_header,
    session_cookie,
)
from app.api.errors import ERROR_RESPONSES
from app.models.tenant import ApiKey, Role

router = APIRouter(
    prefix="/api/session",
    tags=["session"],
    responses=ERROR_RESPONSES,
    route_class=JsonRoute,
    # Unlike the others, signing in needs no key or CSRF header: a body with no type, which
    # another site's page may post unasked, is not read (each wrong key it carried would
    # count against the visitor's address: AUTOMATOR_SIGN_IN_FAILURES).
    strict_content_type=True,
)


class SessionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"api_key": "atm_…"}]}
    )

    api_key: SecretStr = Field(
        min_length=1, max_length=200, description="An API key of the tenant, as issued."
    )


class SessionRead(BaseModel):
    """Who is signed in: all the Studio keeps about the session (in memory)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"tenant_id": "default", "role": "admin", "key_id": "key_3f9c", "name": "bootstrap"}
            ]
        }
    )

    tenant_id: str
    role: Role = Field(description="Decides what the Studio offers (and what the API allows).")
    key_id: str
    name: str | None = Field(description="The key's label; null when it has none.")

    @classmethod
    def of(cls, key: ApiKey) -> "SessionRead":
        return cls(tenant_id=key.tenant_id, role=key.role, key_id=key.key_id, name=key.name or None)


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("", responses={429: ERROR_RESPONSES[429]})
async def sign_in(
    body: SessionCreate, request: Request, response: Response, resources: ResourcesDep
) -> SessionRead:
    """Sign in to the Studio with an API key: sets the `automator_session` cookie (HttpOnly,
    SameSite=Strict, Secure over https) for `AUTOMATOR_SESSION_SECONDS`. A wrong key is a
    401; after `AUTOMATOR_SIGN_IN_FAILURES` failures from one address in 15 minutes, 429."""
    sessions = resources.engine.sessions
    signed_in = await sessions.sign_in(body.api_key.get_secret_value(), _client(request))
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        max_age=sessions.seconds,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return SessionRead.of(signed_in.key)


@router.get("")
async def current_session(caller: Caller) -> SessionRead:
    """Who the cookie (or Bearer key) signs in as; 401 once the session has ended."""
    return SessionRead.of(caller)


# Signing out needs no session: without one it is a 204 that changes nothing.
@router.delete("", status_code=204, openapi_extra={"security": [{}, {"APIKeyCookie": []}]})
async def sign_out(
    request: Request,
    resources: ResourcesDep,
    token: Annotated[str | None, Depends(session_cookie)],
) -> Response:
    """Sign out: ends the session in Redis and clears the cookie. 204 also when it had
    already ended. Needs `X-Automator-Client: studio`, like every cookie write."""
    if token is not None:
        require_csrf_header(request)
        await resources.engine.sessions.sign_out(token)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
