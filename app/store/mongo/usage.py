"""What AI calls spent, on MongoDB: a document per call, summed by an aggregation."""

from dataclasses import asdict

from app.models.stats import Period
from app.models.usage import AiUsage, UsageTally
from app.store.mongo.connection import Connection
from app.store.mongo.documents import Doc, within

SUMS: Doc = {
    "calls": {"$sum": 1},
    "input_tokens": {"$sum": "$input_tokens"},
    "output_tokens": {"$sum": "$output_tokens"},
    "cost": {"$sum": "$cost"},
}


class Usage(Connection):
    async def add_ai_usage(self, usage: AiUsage) -> None:
        await self._db.ai_usage.insert_one(asdict(usage))

    async def ai_usage(
        self, tenant_id: str, period: Period, workflow_id: str | None = None
    ) -> dict[str, UsageTally]:
        match: Doc = {"tenant_id": tenant_id, "at": within(period)}
        if workflow_id is not None:
            match["workflow_id"] = workflow_id
        return await self._sums(match, "$workflow_id")

    async def run_ai_usage(self, tenant_id: str, run_id: str) -> UsageTally:
        found = await self._sums({"tenant_id": tenant_id, "run_id": run_id}, None)
        return found.get("", UsageTally())

    async def _sums(self, match: Doc, by: str | None) -> dict[str, UsageTally]:
        cursor = await self._db.ai_usage.aggregate(
            [{"$match": match}, {"$group": {"_id": by, **SUMS}}]
        )
        return {
            row["_id"] or "": UsageTally(
                row["calls"], row["input_tokens"], row["output_tokens"], float(row["cost"])
            )
            async for row in cursor
        }
