"""What AI calls spent, on every adapter."""

from datetime import timedelta

from app.models.stats import Period
from app.models.usage import AiUsage, UsageTally
from app.store.protocol import Store
from tests.clock import now


def call(tenant: str, workflow: str, run: str, cost: float, ago: float = 0) -> AiUsage:
    return AiUsage(
        tenant_id=tenant,
        workflow_id=workflow,
        run_id=run,
        step_id="classify",
        model="gpt-4o-mini",
        input_tokens=100,
        output_tokens=20,
        cost=cost,
        at=now() - timedelta(seconds=ago),
    )


async def test_calls_sum_per_workflow_within_the_period_for_one_tenant(store: Store) -> None:
    for usage in [
        call("acme", "reviews", "r1", 0.25),
        call("acme", "reviews", "r1", 0.5),
        call("acme", "orders", "r2", 1.0),
        call("acme", "", "", 0.125),
        call("acme", "orders", "r0", 8.0, ago=7200),
        call("globex", "orders", "g", 4),
    ]:
        await store.add_ai_usage(usage)
    last_hour = Period(now() - timedelta(hours=1), now() + timedelta(seconds=1))

    found = await store.ai_usage("acme", last_hour)

    assert found == {
        "reviews": UsageTally(2, 200, 40, 0.75),
        "orders": UsageTally(1, 100, 20, 1.0),
        "": UsageTally(1, 100, 20, 0.125),
    }
    assert await store.ai_usage("acme", last_hour, "orders") == {
        "orders": UsageTally(1, 100, 20, 1.0)
    }
    assert await store.run_ai_usage("acme", "r1") == UsageTally(2, 200, 40, 0.75)
    assert await store.run_ai_usage("globex", "r1") == UsageTally()
