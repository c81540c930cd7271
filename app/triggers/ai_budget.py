"""The tenant's AI budget: whether runs fit what is left of it (seed 003's credit check,
counted in US dollars).

What a period spent is read from the store's AI usage (``UsageStore.ai_usage``); what a run
will spend is estimated from its workflow (``app.actions.ai.estimate``). The check is made
as runs are admitted, without a reservation: runs admitted at the same moment may together
pass the budget by their estimates, and the estimate is a guess, so the budget bounds
starting runs, not every dollar spent.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from app.actions.ai.estimate import run_cost
from app.actions.ai.prices import Prices
from app.engine.flow.limiters import instant, ms
from app.models.document import WorkflowDocument
from app.models.flow import AiBudget, period_seconds
from app.models.stats import Period
from app.settings import Settings
from app.store.protocol import Store


@dataclass(frozen=True)
class BudgetCheck:
    """The budget against ``runs`` planned runs of a workflow."""

    allowed: float
    period_seconds: float
    spent: float
    per_run: float
    needed: float
    resets_at: datetime

    @property
    def remaining(self) -> float:
        return max(self.allowed - self.spent, 0.0)

    @property
    def fits(self) -> bool:
        return self.needed <= self.remaining


@dataclass(frozen=True)
class AiCosts:
    """The deployment's price table and default model, over the store's usage."""

    store: Store
    prices: Prices
    default_model: str | None

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> "AiCosts":
        """AUTOMATOR_AI_PRICES over the list prices; AUTOMATOR_AI_MODEL for steps naming
        no model (a tenant's own provider's default model is not known here)."""
        return cls(store, Prices.with_overrides(settings.ai_prices), settings.ai_model)

    def per_run(self, document: WorkflowDocument) -> float:
        return run_cost(document, self.prices, self.default_model)

    async def check(
        self, tenant_id: str, budget: AiBudget, per_run: float, runs: int, now: datetime
    ) -> BudgetCheck:
        """Whether ``runs`` runs costing ``per_run`` each, times ``1 + margin``, fit."""
        seconds = period_seconds(budget.period)
        window = int(seconds * 1000)
        since = instant(ms(now) // window * window)
        spent = await self.store.ai_usage(tenant_id, Period(since, now))
        return BudgetCheck(
            allowed=budget.usd,
            period_seconds=seconds,
            spent=sum(tally.cost for tally in spent.values()),
            per_run=per_run,
            needed=per_run * runs * (1 + budget.margin),
            resets_at=instant(ms(since) + window),
        )


def refusal(check: BudgetCheck, now: datetime) -> str:
    """Why a run was not started, for its record."""
    resets_in = math.ceil((check.resets_at - now).total_seconds())
    return (
        f"AI budget: ${check.needed:.6f} needed (the run's estimate with its margin), "
        f"${check.remaining:.6f} of ${check.allowed:g} left; resets in {resets_in} s"
    )
