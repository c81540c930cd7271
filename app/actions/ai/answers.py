"""Model answers kept for reuse (``ai_task``'s ``cache``), in Redis with their TTL.

Keys are built by the task (``automator:ai:answer:<tenant>:<sha256 of the model and the
rendered inputs>``), so one tenant never reads another's answer.
"""

from typing import Any

import orjson
from redis.asyncio import Redis


class RedisAnswers:
    """Answers shared by every worker using this Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, key: str) -> dict[str, Any] | None:
        kept = await self.redis.get(key)
        if kept is None:
            return None
        value = orjson.loads(kept)
        return value if isinstance(value, dict) else None

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        await self.redis.set(key, orjson.dumps(value), px=max(1, round(ttl * 1000)))
