"""Erasing a person (the right to erasure): their live runs cancelled, then their data
removed from every record that holds it (``Store.erase_user``), recorded in the audit log
without the person's id or data.

The runs are cancelled first so no worker walks them on; cancelling moves their revision
on, and the erasure moves it again, so a worker that held one cannot write its old state
back over the erasure.
"""

import hashlib
from dataclasses import asdict, dataclass, field

from app.audit import CLI, Acting, Audit
from app.engine.walk.control import RunControl
from app.errors import Conflict, NotFound, redis_missing
from app.models.profile import Erased
from app.models.run import UNFINISHED_STATUSES, Command, RunFilter
from app.models.workflow import Page
from app.store.protocol import Store

PAGE = 500


@dataclass(frozen=True)
class Erasure:
    """What erasing a person did: the live runs cancelled, and what was removed."""

    cancelled: int
    erased: Erased


@dataclass(frozen=True)
class Privacy(Acting):
    """Erasures for ``actor`` (an API key id; ``cli`` by default), named in the audit log."""

    store: Store
    audit: Audit
    control: RunControl | None = None
    actor: str = field(default=CLI)

    async def erase(self, tenant_id: str, user_id: str) -> Erasure:
        """Cancel the person's live runs, erase their data, record it. Safe to repeat: a
        second call finds nothing left and says so with zero counts."""
        if self.control is None:
            raise redis_missing()
        cancelled = await self._cancel_live(tenant_id, user_id, self.control)
        erased = await self.store.erase_user(tenant_id, user_id)
        after = {"cancelled": cancelled, **asdict(erased)}
        await self.audit.record(
            tenant_id, self.actor, "profile.erase", pseudonym(tenant_id, user_id), None, after
        )
        return Erasure(cancelled, erased)

    async def _cancel_live(self, tenant_id: str, user_id: str, control: RunControl) -> int:
        cancelled = 0
        for status in UNFINISHED_STATUSES:
            where = RunFilter(status=status, user_id=user_id)
            page = Page(PAGE)
            while runs := await self.store.list_runs(tenant_id, where, page):
                for run in runs:
                    try:
                        await control.apply(tenant_id, run.run_id, Command.CANCEL)
                        cancelled += 1
                    except (Conflict, NotFound):
                        continue  # ended meanwhile
                page = Page(PAGE, runs[-1].run_id)
        return cancelled


def pseudonym(tenant_id: str, user_id: str) -> str:
    """What the audit log names an erased person by: it tells whether a given id was erased,
    and does not hold the id."""
    return "sha256:" + hashlib.sha256(f"{tenant_id}:{user_id}".encode()).hexdigest()[:24]
