"""The dev outbox of the caller's tenant: channel messages kept instead of sent, because no
provider was configured (``automator dev``, or ``AUTOMATOR_OUTBOX=true``)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.bodies import JsonRoute
from app.api.deps import Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.page import Page
from app.models.outbox import OutboxFilter, OutboxMessage
from app.models.workflow import Page as PageQuery

router = APIRouter(
    prefix="/api/outbox", tags=["outbox"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

Channel = Literal["email", "sms", "push", "whatsapp"]


class OutboxRead(BaseModel):
    """One message as its channel would have sent it."""

    id: str = Field(validation_alias="message_id", examples=["msg_019ad3c2b1e04f6a2c9d81e7"])
    channel: Channel
    recipient: str = Field(
        description="An email address (several joined by `, `), an E.164 number or a device token.",
        examples=["ada@example.com"],
    )
    subject: str | None = Field(description="The email's subject, or the push's title.")
    text: str | None = Field(description="The rendered plain text (a WhatsApp template as JSON).")
    html: str | None = Field(description="The rendered HTML of an email.")
    idempotency_key: str = Field(description="The step's: a retried step is kept once.")
    run_id: str
    step_id: str
    workflow_id: str
    created_at: datetime

    @classmethod
    def of(cls, message: OutboxMessage) -> "OutboxRead":
        return cls.model_validate(message, from_attributes=True)


class OutboxList(Page[OutboxRead]):
    """A page of outbox messages, newest first."""


@router.get("")
async def list_outbox(
    caller: Reader,
    store: StoreDep,
    channel: Channel | None = None,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(description="The last id of the page before.")] = None,
) -> OutboxList:
    """Messages the dev outbox kept, newest first: filter by channel, recipient (exact) and
    run; paged."""
    where = OutboxFilter(channel, recipient, run_id)
    messages = await store.list_outbox(caller.tenant_id, where, PageQuery(limit, after))
    return OutboxList.after_last(
        [OutboxRead.of(message) for message in messages], limit, lambda item: item.id
    )


@router.get("/{message_id}")
async def get_outbox_message(message_id: str, caller: Reader, store: StoreDep) -> OutboxRead:
    """One kept message; 404 for an id of another tenant."""
    return OutboxRead.of(await store.get_outbox_message(caller.tenant_id, message_id))
