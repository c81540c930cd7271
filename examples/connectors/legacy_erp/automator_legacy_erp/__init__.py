"""An example connector package: the seed's Legacy ERP adapter, over HTTP.

Configuration (``AUTOMATOR_INTEGRATIONS`` or ``PUT /api/integrations/legacy_erp``)::

    {"legacy_erp": {"url": "https://erp.example", "api_key": {"$secret": "ERP_KEY"}}}
"""

from typing import Any

import httpx

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError


class LegacyERPAdapter(ConnectorAdapter):
    code = "legacy_erp"
    name = "Legacy ERP System"
    description = "Integration with the on-prem ERP."
    actions = {
        "create_order": ActionSpec(
            inputs={
                "customer_id": {"type": "string", "required": True},
                "items": {"type": "array", "required": True},
            },
            outputs={"order_id": {"type": "string"}},
            description="Create an order for a customer.",
        )
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        if action != "create_order":
            raise NotImplementedError(f"Action {action} unknown")
        http = context.services.http
        if http is None:
            raise ConnectorError("no HTTP client is configured for connectors")
        try:
            response = await http.post(
                f"{context.config['url']}/orders",
                json=params,
                headers={
                    "X-Api-Key": str(context.config.get("api_key", "")),
                    "Idempotency-Key": context.idempotency_key,
                },
            )
        except httpx.HTTPError as exc:
            raise ConnectorError(f"ERP unreachable: {exc}", retryable=True) from exc
        if response.status_code >= 500:
            raise ConnectorError(f"ERP failed: HTTP {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise ConnectorError(f"ERP refused the order: {response.text[:200]}")
        return {"order_id": str(response.json()["id"])}
