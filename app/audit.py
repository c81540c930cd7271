"""Recording changes in the audit log: one call per change, from the services the API and
the CLI share.

``await audit.record(tenant_id, actor, "workflow.publish", workflow_id, before, after)``: the
entity type is the action's first word; ``before`` and ``after`` are plain data (the entity's
state around the change) and are stored with secret references and fields named like
secrets masked, and replaced by a note when larger than ``MAX_STATE_BYTES``.
"""

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

import orjson

from app.clock import Clock
from app.models.audit import AuditEntry
from app.models.ids import new_id
from app.redaction import redact
from app.store.protocol import Store

CLI = "cli"
# The actor of the deployment's operator (AUTOMATOR_OPERATOR_TOKEN), who holds no tenant's key.
OPERATOR = "operator"
# A state larger than this (a big workflow document) is not copied into the log; its
# version stays readable through the versions API.
MAX_STATE_BYTES = 64 * 1024

State = dict[str, Any] | None


class Acting:
    """A service that names who acts through it in the audit log: ``actor``, an API key id
    (``cli`` when the command line acts). Each such service is a frozen dataclass."""

    # Declared so that the type checker takes the services for the dataclasses they are.
    __dataclass_fields__: ClassVar[dict[str, Any]]
    actor: str

    def acting_as(self, actor: str) -> Self:
        """The same service recording ``actor`` in the audit log."""
        return replace(self, actor=actor)


def _bounded(state: State) -> State:
    if state is None:
        return None
    masked: dict[str, Any] = redact(state)
    size = len(orjson.dumps(masked, default=str))
    if size <= MAX_STATE_BYTES:
        return masked
    small = {k: v for k, v in masked.items() if k != "document"}
    return small | {"omitted": f"{size} bytes, over the audit log's {MAX_STATE_BYTES}"}


@dataclass(frozen=True)
class Audit:
    store: Store
    clock: Clock

    async def record(
        self,
        tenant_id: str,
        actor: str,
        action: str,
        entity_id: str,
        before: State = None,
        after: State = None,
    ) -> AuditEntry:
        """Record that ``actor`` did ``action`` (``<entity type>.<verb>``) to ``entity_id``."""
        entry = AuditEntry(
            tenant_id=tenant_id,
            entry_id=new_id("aud"),
            at=self.clock.now(),
            actor=actor,
            action=action,
            entity_type=action.split(".", 1)[0],
            entity_id=entity_id,
            before=_bounded(before),
            after=_bounded(after),
        )
        await self.store.add_audit(entry)
        return entry
