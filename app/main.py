"""The application factory: resources are built in the lifespan, never at import time."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.actions.registry import default_registry
from app.api import (
    approvals,
    audit,
    campaigns,
    connectors,
    copilot,
    debug,
    docs,
    errors,
    events,
    health,
    hooks,
    integrations,
    keys,
    metrics,
    operator,
    outbox,
    profiles,
    quota,
    runs,
    secrets,
    segments,
    series,
    session,
    stats,
    studio,
    templates,
    tenant,
    workflows,
)
from app.api.intake import RequestIntake
from app.api.metrics import EventRejections
from app.api.schemas.events import EventBatch
from app.clock import Clock
from app.models.document import WorkflowDocument
from app.models.validation import ValidationRules
from app.resources import Resources, open_resources
from app.settings import Settings
from app.triggers.ingest import EventIn
from app.workflows import DocumentParser

# Bodies the routes parse themselves (for comments, or off the event loop): their schemas.
HAND_PARSED: tuple[type[BaseModel], ...] = (WorkflowDocument, EventIn, EventBatch)


def create_app(
    settings: Settings | None = None,
    resources: Resources | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The API; it opens its own resources (over ``clock``, the system's unless given) unless
    given ones (``automator dev`` shares its store and clock with the worker in the same
    process)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if resources is not None:
            app.state.resources = resources
            yield
            return
        async with open_resources(settings, clock) as opened:
            app.state.resources = opened
            yield

    app = FastAPI(
        title="Automator",
        version="0.1.0",
        description="Event-driven workflow automation. Authenticate with "
        "`Authorization: Bearer <API key>`.",
        lifespan=lifespan,
        # Served by app.api.docs with local assets instead of FastAPI's CDN-loading pages.
        docs_url=None,
        redoc_url=None,
        # A body with no Content-Type is read as JSON, as events and workflow documents
        # (parsed by hand) always were. FastAPI's strict default guards cookie-signed routes
        # against another site's page posting one; here such requests carry the Studio's
        # CSRF header (app.api.deps), which that page cannot send without CORS's consent.
        strict_content_type=False,
    )
    app.add_middleware(
        RequestIntake,
        max_bytes=settings.max_request_bytes,
        large_at_once=settings.max_large_bodies,
        direct=events.DIRECT,
    )
    app.add_middleware(EventRejections)
    errors.install(app)
    app.include_router(health.router)
    # Routes are matched in order, each check costing microseconds: the hot path first.
    app.include_router(events.router)
    app.include_router(workflows.router)
    app.include_router(hooks.router)
    app.include_router(hooks.deliveries)
    app.include_router(runs.router)
    app.include_router(approvals.router)
    app.include_router(approvals.links)
    app.include_router(debug.router)
    app.include_router(keys.router)
    app.include_router(operator.router)
    app.include_router(connectors.router)
    app.include_router(metrics.router)
    app.include_router(stats.router)
    app.include_router(series.router)
    app.include_router(secrets.router)
    app.include_router(templates.router)
    app.include_router(outbox.router)
    app.include_router(integrations.router)
    app.include_router(profiles.router)
    app.include_router(segments.router)
    app.include_router(campaigns.router)
    app.include_router(tenant.router)
    app.include_router(quota.router)
    app.include_router(copilot.router)
    app.include_router(audit.router)
    app.include_router(session.router)
    app.include_router(docs.router)
    app.include_router(studio.router)
    _document_schemas(app, settings)
    return app


def create_probes(resources: Resources) -> FastAPI:
    """What ``automator worker`` and ``automator scheduler`` serve on
    ``AUTOMATOR_METRICS_PORT``: ``/health``, ``/ready`` (the store, Redis and the process's
    supervised task) and ``/metrics``, as the API answers them."""
    app = FastAPI(title="Automator probes", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.resources = resources
    errors.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


def _document_schemas(app: FastAPI, settings: Settings) -> None:
    """Bodies parsed by hand still get their schema in /openapi.json; an action's type is
    one this deployment accepts."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in HAND_PARSED:
                document = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(document.pop("$defs", {}))
                components[model.__name__] = document
            registry = default_registry(settings.connector_modules)
            _state_action_types(components, DocumentParser.from_settings(settings, registry).rules)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _state_action_types(components: dict[str, Any], rules: ValidationRules) -> None:
    """The action types a saved document may hold, as an enum: the registered ones but the
    local tasks this deployment refuses. Each type's ``data`` stays free-form here (its
    inputs are in ``GET /api/connectors``): a union of one schema per type, tried, made
    schemathesis's coverage phase generate more than 70,000 cases for one document
    operation in a minute, unfinished, where this enum gives 13,000 in all."""
    accepted = sorted(rules.action_types - rules.refused_types.keys())
    action_type = components["Action"]["properties"]["type"]
    components["Action"]["properties"]["type"] = {
        "title": action_type["title"],
        "description": "One of the action types this deployment accepts (`file` and `shell` "
        "where AUTOMATOR_LOCAL_TASKS enables them); GET /api/connectors lists each one's "
        "`data`.",
        "enum": accepted,
        "examples": action_type["examples"],
    }
