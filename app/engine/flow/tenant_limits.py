"""Tenants' limits as every process reads them: from the store, kept for a moment."""

from app.clock import Clock
from app.kept import Kept
from app.models.flow import TenantLimits
from app.store.protocol import Store


class TenantLimitsCache(Kept[str, TenantLimits]):
    """Each tenant's limits, read at most once per ``seconds`` (``Kept``): a worker's claim
    of 100 resumes walks 100 runs at once, and each asks for its tenant's limits."""

    def __init__(self, store: Store, clock: Clock, seconds: float) -> None:
        super().__init__(store.get_limits, clock, seconds)
