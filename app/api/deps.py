"""Typed dependencies: resources, the caller's key, permission checks, and the services
acting for the caller.

All are ``async def``: FastAPI runs a plain ``def`` dependency in a thread pool, which cost
more than the dependencies themselves on every request."""

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app import logs
from app.alerts import Alerts
from app.api.scope import check_scope
from app.audit import Acting
from app.bulk import BulkRuns
from app.clock import Clock
from app.configuration import Configuration
from app.engine.redis_keys import hook_rate_key
from app.errors import Forbidden, RateLimited, Unauthenticated
from app.event_log import EventLog
from app.hooks import Hooks
from app.models.tenant import ROLE_PERMISSIONS, ApiKey, Permission
from app.privacy import Privacy
from app.resources import Resources
from app.retention import Retainer
from app.runs import Runs
from app.store.protocol import Store
from app.tenancy import ApiKeys
from app.workflows import WorkflowService

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")
SESSION_COOKIE = "automator_session"
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The Studio's sign-in session, set by `POST /api/session`. Requests it "
    "authenticates with POST, PUT, PATCH or DELETE must also send `X-Automator-Client: studio`.",
)
# A page on another site cannot set a custom header without the service's CORS consent
# (which it never gives), so this header with SameSite=Strict answers cross-site forgery.
CSRF_HEADER = "X-Automator-Client"
CSRF_VALUE = "studio"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def resources_of(request: Request) -> Resources:
    """The process's resources, for the hot routes that take them without a dependency."""
    resources: Resources = request.app.state.resources
    return resources


async def get_resources(request: Request) -> Resources:
    return resources_of(request)


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_store(resources: ResourcesDep) -> Store:
    return resources.store


StoreDep = Annotated[Store, Depends(get_store)]


async def get_clock(resources: ResourcesDep) -> Clock:
    return resources.clock


ClockDep = Annotated[Clock, Depends(get_clock)]


def require_csrf_header(request: Request) -> None:
    """Forbidden for an unsafe request without the Studio's header (cookie-authenticated
    requests only: a Bearer key cannot be sent by another site's page)."""
    if request.method in SAFE_METHODS or request.headers.get(CSRF_HEADER) == CSRF_VALUE:
        return
    raise Forbidden(
        f"A request signed in by the `{SESSION_COOKIE}` cookie that changes something must "
        f"send the header `{CSRF_HEADER}: {CSRF_VALUE}` (the Studio does); API clients send "
        "`Authorization: Bearer <key>` instead."
    )


async def authenticate(
    resources: Resources, request: Request, bearer_key: str | None, session: str | None
) -> ApiKey:
    """The key a request is made with: its Bearer API key or, failing that, its Studio
    session (whose unsafe requests must carry the CSRF header). Also used before a body is
    read (``app.api.intake``)."""
    if bearer_key is not None:
        return await resources.keys.authenticate(bearer_key)
    if session is not None:
        require_csrf_header(request)
        return await resources.engine.sessions.caller(session)
    raise Unauthenticated(
        "Send an API key: `Authorization: Bearer <key>` (or sign in to the Studio)."
    )


# Where ``app.api.intake`` leaves the key it authenticated before reading the body, so the
# route's dependencies do not authenticate the same request twice.
CALLER_IN_SCOPE = "automator.caller"
# The caller once rate-limited and scope-checked: a route may reach it through several
# dependencies (a permission and a service), and it is counted once.
CHECKED_CALLER = "automator.checked_caller"
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
Session = Annotated[str | None, Depends(session_cookie)]


async def get_caller(request: Request, credentials: Credentials, session: Session) -> ApiKey:
    """The key of a Bearer API key or, failing that, of the Studio's session cookie."""
    checked: ApiKey | None = request.scope.get(CHECKED_CALLER)
    if checked is not None:
        return checked
    resources = resources_of(request)
    key: ApiKey | None = request.scope.get(CALLER_IN_SCOPE)
    if key is None:
        bearer_key = credentials.credentials if credentials is not None else None
        key = await authenticate(resources, request, bearer_key, session)
    logs.bind(tenant_id=key.tenant_id, key_id=key.key_id)
    if resources.redis_engine is not None:
        await resources.redis_engine.limiter.check(key.key_id)
    await check_scope(key, request, resources.store)
    request.scope[CHECKED_CALLER] = key
    return key


Caller = Annotated[ApiKey, Depends(get_caller)]


async def limit_deliveries(hook_id: str, resources: ResourcesDep) -> None:
    """Count a delivery to ``/hooks/{hook_id}`` against the hook's own rate limit, before
    its signature is checked (a flood of forged deliveries costs one Redis call each);
    RateLimited (429 with Retry-After) once over it."""
    engine = resources.redis_engine
    if engine is None:
        return
    retry_after = await engine.hook_limiter.count(hook_rate_key(hook_id))
    if retry_after is not None:
        limiter = engine.hook_limiter
        raise RateLimited(
            f"This hook received over {limiter.limit} deliveries in {limiter.window:g} s "
            f"(AUTOMATOR_HOOK_RATE_LIMIT); retry in {retry_after} s.",
            retry_after=retry_after,
        )


def _permitted(caller: ApiKey, permission: Permission) -> ApiKey:
    if not caller.can(permission):
        raise Forbidden(
            f"The {caller.role} role may not do this (needs {permission}: "
            f"a key of role {_roles_with(permission)})."
        )
    return caller


def _roles_with(permission: Permission) -> str:
    """``admin, editor or viewer``: which key to use instead, since the permission's name
    alone would send the caller to the docs."""
    roles = [role.value for role, granted in ROLE_PERMISSIONS.items() if permission in granted]
    return " or ".join(roles) if len(roles) < 3 else f"{', '.join(roles[:-1])} or {roles[-1]}"


def _requires(permission: Permission) -> object:
    # The caller is worked out here, not through ``Caller``: one dependency fewer for
    # FastAPI to solve on every request.
    async def check(request: Request, credentials: Credentials, session: Session) -> ApiKey:
        return _permitted(await get_caller(request, credentials, session), permission)

    return Depends(check)


# The security a route taking ``Caller`` gets in OpenAPI, declared by the routes that call
# ``authorized`` instead (in ``openapi_extra``), so the document does not change.
CALLER_SECURITY: list[dict[str, list[str]]] = [
    {bearer.scheme_name: []},
    {session_cookie.scheme_name: []},
]


async def authorized(request: Request, permission: Permission) -> ApiKey:
    """What ``_requires(permission)`` gives, for the ingest routes without any dependency:
    FastAPI's resolution of the three cost more CPU than accepting the event itself."""
    if CALLER_IN_SCOPE in request.scope:  # authenticated before its body was read
        caller = await get_caller(request, None, None)
    else:
        caller = await get_caller(request, await bearer(request), await session_cookie(request))
    return _permitted(caller, permission)


Reader = Annotated[ApiKey, _requires(Permission.READ)]
Writer = Annotated[ApiKey, _requires(Permission.WRITE)]
KeyManager = Annotated[ApiKey, _requires(Permission.MANAGE_KEYS)]
SecretManager = Annotated[ApiKey, _requires(Permission.MANAGE_SECRETS)]
Configurer = Annotated[ApiKey, _requires(Permission.CONFIGURE)]
Auditor = Annotated[ApiKey, _requires(Permission.AUDIT)]


S = TypeVar("S", bound=Acting)


def _acting_for_caller(service: Callable[[Resources], S]) -> object:
    """A dependency: the process's ``service`` acting for the request's caller."""

    async def bind(resources: ResourcesDep, caller: Caller) -> S:
        return service(resources).acting_as(caller.key_id)

    return Depends(bind)


ApiKeysDep = Annotated[ApiKeys, _acting_for_caller(lambda resources: resources.api_keys)]
ConfigurationDep = Annotated[
    Configuration, _acting_for_caller(lambda resources: resources.configuration)
]
RunsDep = Annotated[Runs, _acting_for_caller(lambda resources: resources.runs)]
EventLogDep = Annotated[EventLog, _acting_for_caller(lambda resources: resources.events)]
BulkRunsDep = Annotated[BulkRuns, _acting_for_caller(lambda resources: resources.bulk)]
HooksDep = Annotated[Hooks, _acting_for_caller(lambda resources: resources.hooks)]
PrivacyDep = Annotated[Privacy, _acting_for_caller(lambda resources: resources.privacy)]
RetainerDep = Annotated[Retainer, _acting_for_caller(lambda resources: resources.retention)]
AlertsDep = Annotated[Alerts, _acting_for_caller(lambda resources: resources.alerts)]


async def get_workflows(resources: ResourcesDep, caller: Caller) -> WorkflowService:
    service = resources.workflows.acting_as(
        caller.key_id, uses_secrets=caller.can(Permission.MANAGE_SECRETS)
    )
    return service.limited_to(caller.scope)


WorkflowsDep = Annotated[WorkflowService, Depends(get_workflows)]
