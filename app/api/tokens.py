"""Deployment-level tokens (AUTOMATOR_METRICS_TOKEN, AUTOMATOR_OPERATOR_TOKEN), which are
settings, not API keys in the store."""

import hmac

from pydantic import SecretStr

from app.errors import Forbidden, Unauthenticated
from app.settings import Settings
from app.tenancy import KEY_PREFIX

# The operator's routes: AUTOMATOR_OPERATOR_TOKEN opens them, and nothing else does.
OPERATOR_PREFIX = "/api/operator/"


def matches(expected: SecretStr, given: str) -> bool:
    """Whether ``given`` is the token, compared in constant time so that how long a refusal
    takes tells nothing of it."""
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def check_operator(settings: Settings, bearer: str | None) -> None:
    """Unauthenticated unless ``bearer`` (the request's Bearer credential) is the operator
    token; one sent while AUTOMATOR_OPERATOR_TOKEN is unset is Forbidden, naming it. A
    tenant's API key is told apart, so its holder knows it never will be."""
    if bearer is None:
        raise Unauthenticated(
            "Send the operator token: `Authorization: Bearer <AUTOMATOR_OPERATOR_TOKEN>`."
        )
    expected = settings.operator_token
    if expected is None:
        raise Forbidden(
            "The operator API is off: set AUTOMATOR_OPERATOR_TOKEN (32 characters or more) "
            "on the API processes and send it as `Authorization: Bearer <token>`."
        )
    if matches(expected, bearer):
        return
    if bearer.startswith(KEY_PREFIX):
        raise Unauthenticated(
            "A tenant's API key does not open /api/operator/: send the deployment's "
            "AUTOMATOR_OPERATOR_TOKEN as `Authorization: Bearer <token>`."
        )
    raise Unauthenticated(
        "Send the operator token: `Authorization: Bearer <AUTOMATOR_OPERATOR_TOKEN>`."
    )
