"""API keys of the caller's tenant (admin role)."""

from fastapi import APIRouter

from app.api.bodies import JsonRoute
from app.api.deps import ApiKeysDep, KeyManager, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.keys import KeyCreate, KeyCreated, KeyRead, KeyRevoked

router = APIRouter(
    prefix="/api/keys", tags=["api keys"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("", status_code=201)
async def create_key(body: KeyCreate, caller: KeyManager, keys: ApiKeysDep) -> KeyCreated:
    """Issue a key for the caller's tenant. The reply is the only time the key is shown;
    its `notice` says when every admin key of the tenant would then expire."""
    issued = await keys.create(
        caller.tenant_id, body.role, body.name, body.workflows, body.tags, body.expires_at
    )
    read = KeyRead.of(issued.key).model_dump()
    return KeyCreated(**read, key=issued.secret, notice=issued.notice)


@router.get("")
async def list_keys(caller: KeyManager, store: StoreDep) -> list[KeyRead]:
    """The tenant's keys (prefixes only)."""
    return [KeyRead.of(key) for key in await store.list_api_keys(caller.tenant_id)]


@router.delete("/{key_id}")
async def revoke_key(key_id: str, caller: KeyManager, keys: ApiKeysDep) -> KeyRevoked:
    """Revoke a key. This process refuses it at once; other API processes within
    `AUTOMATOR_KEY_CACHE_SECONDS`. Its `notice` says when every admin key of the tenant
    left would expire."""
    revoked = await keys.revoke(caller.tenant_id, key_id)
    return KeyRevoked(**KeyRead.of(revoked.key).model_dump(), notice=revoked.notice)
