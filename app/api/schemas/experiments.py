"""What the experiment report answers."""

from pydantic import BaseModel, Field

from app.experiments import SplitResult, VariantResult


class VariantRead(BaseModel):
    variant: str = Field(description="The variant's name, or `holdout` (the control group).")
    runs: int
    conversions: int = Field(description="Runs the workflow's goal event converted.")
    conversion_rate: float | None = Field(description="conversions / runs; null without runs.")
    confidence_low: float | None = Field(description="95 % Wilson score interval, low end.")
    confidence_high: float | None = Field(description="95 % Wilson score interval, high end.")
    uplift_absolute: float | None = Field(
        description="The rate minus the holdout's; null for the holdout, or without one."
    )
    uplift: float | None = Field(
        description="The absolute uplift relative to the holdout's rate (0.25: 25 % more); "
        "null when the holdout's rate is 0 or there is none."
    )

    @classmethod
    def of(cls, result: VariantResult) -> "VariantRead":
        return cls(
            variant=result.variant,
            runs=result.runs,
            conversions=result.conversions,
            conversion_rate=result.rate,
            confidence_low=result.low,
            confidence_high=result.high,
            uplift_absolute=result.uplift_absolute,
            uplift=result.uplift,
        )


class SplitRead(BaseModel):
    split_id: str
    variants: list[VariantRead] = Field(description="By name, the holdout last.")

    @classmethod
    def of(cls, result: SplitResult) -> "SplitRead":
        return cls(split_id=result.split_id, variants=[VariantRead.of(v) for v in result.variants])


class ExperimentReport(BaseModel):
    workflow_id: str
    splits: list[SplitRead] = Field(description="Every split its kept runs went through.")
