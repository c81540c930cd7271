"""Request examples shown in the OpenAPI documentation (the seed's documents)."""

from typing import Any

WORKFLOW_EXAMPLE: dict[str, Any] = {
    "workflow_id": "abandoned_cart_recovery",
    "name": "Abandoned Cart Recovery",
    "trigger": {
        "type": "abandoned_cart",
        "conditions": [{"field": "cart_value", "operator": "greater_than", "value": 50}],
    },
    "actions": [
        {
            "type": "send_email",
            "template": "cart_reminder",
            "data": {
                "recipient": "{{user.email}}",
                "subject": "Your cart is waiting!",
                "variables": {"user_name": "{{user.name}}", "cart_items": "{{cart.items}}"},
            },
        },
        {
            "type": "send_push",
            "delay": 300,
            "data": {"recipients": ["{{user.deviceToken}}"], "title": "Don't forget your cart!"},
        },
    ],
    "settings": {"enabled": True, "max_executions": 10000, "timeout": 300},
}

API_KEY_EXAMPLE: dict[str, Any] = {"role": "ingest", "name": "checkout service"}

TEMPLATE_EXAMPLE: dict[str, Any] = {
    "name": "welcome_email",
    "subject": "Welcome, {{ user_name }}!",
    "text": "Hi {{ user_name }},\n\nthanks for joining on {{ signup_date }}.",
    "html": "<p>Hi {{ user_name }},</p><p>thanks for joining on {{ signup_date }}.</p>",
}

INTEGRATION_TEST_EXAMPLE: dict[str, Any] = {
    "integration": "notify_service",
    "action": "send_email",
    "data": {"recipient": "test@example.com", "subject": "Test", "body": "Test message"},
}
