"""Approvals: decided through the API by an editor or admin, or through the signed links an
earlier step sent (``{{ approval.approve_url }}``), which need no key.

A link's ``GET`` only shows the approval and a button; the button's ``POST`` decides. Mail
scanners and link previews fetch links, and must not approve anything by doing so.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from html import escape
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.api.bodies import JsonRoute
from app.api.deps import Reader, ResourcesDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.approvals import ApprovalRead, DecisionBody
from app.approvals import LINK, Approvals, ApprovalState
from app.engine.walk.approvals import Decision
from app.errors import AutomatorError

router = APIRouter(
    prefix="/api/approvals", tags=["approvals"], responses=ERROR_RESPONSES, route_class=JsonRoute
)
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
# A link is opened in a browser: its refusals are pages titled by their status.
REFUSALS = {
    403: "Invalid link",
    404: "No such approval",
    409: "Not waiting for a decision",
    410: "Link expired",
    503: "Not available now",
}
LINK_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": HTML_PAGE, "description": "The page"},
    **{status: {"content": HTML_PAGE, "description": title} for status, title in REFUSALS.items()},
    422: {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        "description": "Invalid input; details name each field and rule",
    },
}


class PageRoute(JsonRoute):
    """A route whose service errors are answered with a page rather than JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def paged(request: Request) -> Response:
            try:
                return await handler(request)
            except AutomatorError as error:
                title = REFUSALS.get(error.status, "Not decided")
                return _page(title, escape(error.message), error.status)

        return paged


links = APIRouter(
    prefix="/approvals", tags=["approvals"], responses=LINK_RESPONSES, route_class=PageRoute
)

MAX_COMMENT = 2000
# The body is optional, so its schema is no plain reference that would carry the model's.
COMMENT_EXAMPLE = {"comment": {"value": {"comment": "Budget checked."}}}


@router.get("/{approval_id}")
async def get_approval(approval_id: str, caller: Reader, resources: ResourcesDep) -> ApprovalRead:
    """An approval: pending while its run waits at the step, or decided (by whom, when, with
    what comment). Approval ids are shown by `GET /api/runs?status=waiting`."""
    return ApprovalRead.of(await resources.approvals.state(caller.tenant_id, approval_id))


@router.post("/{approval_id}/{decision}", responses={409: {"description": "Not waiting"}})
async def decide_approval(
    approval_id: str,
    decision: Decision,
    caller: Writer,
    resources: ResourcesDep,
    body: Annotated[DecisionBody | None, Body(openapi_examples=COMMENT_EXAMPLE)] = None,
) -> ApprovalRead:
    """`approve` or `reject` an approval the run waits at (editor or admin), with an
    optional comment: the run goes on down `on_approve` or `on_reject`. A second decision
    changes nothing and answers the first (`already_decided`). 409 while the run has not
    reached the approval, or once it ended without a decision (a timeout is a decision)."""
    approvals = resources.approvals.acting_as(caller.key_id)
    comment = body.comment if body is not None else None
    decided = await approvals.decide(caller.tenant_id, approval_id, decision, comment)
    return ApprovalRead.of(decided.state, already_decided=not decided.now)


@dataclass(frozen=True)
class Link:
    """A signed link's approval and decision, checked: signed by us and not expired."""

    approvals: Approvals
    tenant: str
    approval_id: str
    decision: Decision


async def signed_link(
    approval_id: str,
    decision: Decision,
    resources: ResourcesDep,
    tenant: Annotated[str, Query(max_length=128)],
    expires: int,
    signature: Annotated[str, Query(max_length=128)],
) -> Link:
    approvals = resources.approvals.acting_as(LINK)
    approvals.check_link(tenant, approval_id, decision, expires, signature)
    return Link(approvals, tenant, approval_id, decision)


SignedLink = Annotated[Link, Depends(signed_link)]


@links.get("/{approval_id}/{decision}", response_class=HTMLResponse)
async def approval_page(link: SignedLink, request: Request) -> HTMLResponse:
    """The page a signed link opens: the approval and a button that decides it."""
    state = await link.approvals.state(link.tenant, link.approval_id)
    if state.status != "pending":
        return _page("Already decided", _decided(state))
    verb = link.decision.value.capitalize()
    form = (
        f'<form method="post" action="{escape(str(request.url))}">'
        '<label>Comment (optional)<br><textarea name="comment" maxlength="2000"></textarea>'
        f'</label><p><button type="submit">{verb}</button></p></form>'
    )
    return _page(f"{verb}?", _about(state) + form)


@links.post("/{approval_id}/{decision}", response_class=HTMLResponse)
async def approve_by_link(link: SignedLink, request: Request) -> HTMLResponse:
    """Decide through a signed link: once; a second use says it was already decided."""
    form = parse_qs((await request.body()).decode(errors="replace"))
    comment = (form.get("comment") or [""])[0].strip()[:MAX_COMMENT] or None
    decided = await link.approvals.decide(link.tenant, link.approval_id, link.decision, comment)
    if not decided.now:
        return _page("Already decided", _decided(decided.state))
    return _page(f"{decided.state.status.capitalize()}", _decided(decided.state))


def _about(state: ApprovalState) -> str:
    message = f"<p>{escape(state.message)}</p>" if state.message else ""
    return (
        f"{message}<p>Workflow <code>{escape(state.workflow_id)}</code>, step "
        f"<code>{escape(state.step_id)}</code>, run <code>{escape(state.run_id)}</code>.</p>"
    )


def _decided(state: ApprovalState) -> str:
    who = f" by {escape(state.decided_by)}" if state.decided_by else ""
    when = f" at {escape(state.decided_at)}" if state.decided_at else ""
    return f"{_about(state)}<p>This approval was {state.status.replace('_', ' ')}{who}{when}.</p>"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>{body}"
        "</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
