"""Runs per split and variant with their conversions, branches left out; on every adapter."""

from app.models.stats import VariantTally
from app.store.protocol import Store
from tests.store.records import run

WON = {"type": "purchase", "id": "ev9", "time": "2026-12-06T00:00:00+00:00"}


async def test_runs_are_tallied_per_split_and_variant_with_conversions(store: Store) -> None:
    await store.add_runs(
        [
            run("r1", variants={"s": "a", "t": "x"}, converted=WON),
            run("r2", variants={"s": "a"}),
            run("r3", variants={"s": "holdout"}, converted=WON),
            run("r4"),
            run("b1", variants={"s": "a"}, parent={"run_id": "r1", "step": "p", "branch": "b"}),
            run("o1", "other", variants={"s": "a"}),
        ]
    )
    found = sorted(await store.variant_tallies("acme", "wf"), key=lambda t: (t.split_id, t.variant))
    assert found == [
        VariantTally("s", "a", 2, 1),
        VariantTally("s", "holdout", 1, 1),
        VariantTally("t", "x", 1, 1),
    ]
    assert await store.variant_tallies("globex", "wf") == []
