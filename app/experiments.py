"""The experiment report of a workflow's splits: per split and variant (the holdout
included), its runs, their conversions to the workflow's goal, the conversion rate with a
95 % Wilson score interval, and the uplift against the holdout.

Counts are over the runs still kept (retention may purge older ones); parallel branches are
parts of their parent's run and are not counted.
"""

import math
from dataclasses import dataclass

from app.models.stats import VariantTally
from app.store.protocol import Store

HOLDOUT = "holdout"
Z_95 = 1.959964  # the normal quantile of a two-sided 95 % interval


@dataclass(frozen=True)
class VariantResult:
    variant: str
    runs: int
    conversions: int
    rate: float | None
    low: float | None
    high: float | None
    # Against the holdout: rate - holdout rate, and that relative to the holdout rate.
    uplift_absolute: float | None
    uplift: float | None


@dataclass(frozen=True)
class SplitResult:
    split_id: str
    variants: list[VariantResult]


def wilson(conversions: int, runs: int) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of a conversion rate (sound for few runs and for
    rates near 0 or 1, unlike the normal approximation); None without runs."""
    if runs == 0:
        return None
    rate, z2 = conversions / runs, Z_95 * Z_95
    centre = (rate + z2 / (2 * runs)) / (1 + z2 / runs)
    margin = Z_95 * math.sqrt(rate * (1 - rate) / runs + z2 / (4 * runs * runs)) / (1 + z2 / runs)
    return max(0.0, centre - margin), min(1.0, centre + margin)


def _result(tally: VariantTally, holdout: VariantTally | None) -> VariantResult:
    rate = tally.conversions / tally.runs if tally.runs else None
    interval = wilson(tally.conversions, tally.runs)
    base = holdout.conversions / holdout.runs if holdout and holdout.runs else None
    absolute = relative = None
    if rate is not None and base is not None and tally.variant != HOLDOUT:
        absolute = rate - base
        relative = absolute / base if base else None
    low, high = interval if interval is not None else (None, None)
    return VariantResult(
        tally.variant, tally.runs, tally.conversions, rate, low, high, absolute, relative
    )


async def experiment_report(store: Store, tenant_id: str, workflow_id: str) -> list[SplitResult]:
    """Every split the workflow's runs went through, by split id, variants by name with the
    holdout last (NotFound for an unknown workflow)."""
    await store.get_workflow(tenant_id, workflow_id)
    by_split: dict[str, list[VariantTally]] = {}
    for tally in await store.variant_tallies(tenant_id, workflow_id):
        by_split.setdefault(tally.split_id, []).append(tally)
    report = []
    for split_id in sorted(by_split):
        tallies = sorted(by_split[split_id], key=lambda t: (t.variant == HOLDOUT, t.variant))
        holdout = next((t for t in tallies if t.variant == HOLDOUT), None)
        report.append(SplitResult(split_id, [_result(t, holdout) for t in tallies]))
    return report
