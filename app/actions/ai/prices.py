"""What a model's tokens cost: US dollars per million tokens in and out.

The table is the deployment's (these list prices, overridden and extended by
``AUTOMATOR_AI_PRICES``), never a tenant's: budgets are counted in it. A model answers under
its exact name or a dated one (``gpt-4o-mini-2024-07-18``), so the longest listed name the
model's name starts with prices it. A model the table does not know costs 0 and is flagged
``priced: false`` in the step's usage.
"""

from collections.abc import Mapping
from dataclasses import dataclass

PER_TOKENS = 1_000_000

# List prices, USD per million tokens (input, output), as published by the vendors.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "gpt-4.1": {"input": 2.00, "output": 8.00},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
    "gpt-4.1-nano": {"input": 0.10, "output": 0.40},
    "claude-3-5-haiku": {"input": 0.80, "output": 4.00},
    "claude-3-5-sonnet": {"input": 3.00, "output": 15.00},
    "claude-sonnet-4": {"input": 3.00, "output": 15.00},
    "claude-opus-4": {"input": 15.00, "output": 75.00},
}


@dataclass(frozen=True)
class Cost:
    usd: float
    priced: bool


@dataclass(frozen=True)
class Prices:
    table: Mapping[str, Mapping[str, float]]

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Mapping[str, float]]) -> "Prices":
        return cls({**DEFAULT_PRICES, **overrides})

    def price(self, model: str) -> Mapping[str, float] | None:
        names = [name for name in self.table if model == name or model.startswith(name + "-")]
        return self.table[max(names, key=len)] if names else None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> Cost:
        price = self.price(model)
        if price is None:
            return Cost(0.0, priced=False)
        usd = input_tokens * price.get("input", 0) + output_tokens * price.get("output", 0)
        return Cost(round(usd / PER_TOKENS, 8), priced=True)
