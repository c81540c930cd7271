"""The ``ai`` configuration as a person reads it: each provider's kind, base URL and default
model, and whether a key is set, never the key (a secret's name at most).

It is read as written, before secrets are resolved, so that it can be shown without asking
the secrets store for values, and so that a configuration the providers would refuse is
still shown, with the problem the first call would meet.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.actions.ai.language_models import Anthropic, providers
from app.actions.base import ConnectorError
from app.actions.references import references, substitute
from app.errors import InvalidInput
from app.models.secret import SECRET_REF

# How a provider's key is given: a secret reference, a value written in the configuration
# (the deployment's AUTOMATOR_AI_API_KEY, or a tenant's plain value), or not at all.
KeyKind = Literal["secret", "value", "none"]
# Whose configuration the calls use: the tenant's own, else the deployment's, else none.
Source = Literal["tenant", "deployment", "none"]
# The fields a summary names; any other field a provider sets is listed by name only.
SHOWN = frozenset({"provider", "name", "base_url", "model", "api_key"})
# What a secret reference reads as when the configuration is checked without its values.
STAND_IN_VALUE = "secret"


@dataclass(frozen=True)
class ProviderSummary:
    provider: str
    name: str | None
    base_url: str | None
    model: str | None
    key: KeyKind
    key_secret: str | None
    # The names of its other fields (``models``, ``timeout``...): set, not shown here.
    settings: tuple[str, ...]


@dataclass(frozen=True)
class AiSummary:
    source: Source
    providers: list[ProviderSummary]
    # What a call would fail with at once (no provider, a field the providers refuse).
    problem: str | None


def summarise(config: Mapping[str, Any], *, tenant: bool) -> AiSummary:
    """``config`` as a person reads it; ``tenant``: it is the tenant's own."""
    listed = config.get("providers")
    items = [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
    source: Source = "tenant" if tenant else ("deployment" if config else "none")
    return AiSummary(source, [_provider(item) for item in items], _problem(config))


def _provider(item: Mapping[str, Any]) -> ProviderSummary:
    kind = str(item.get("provider", ""))
    base_url = item.get("base_url")
    if base_url is None and kind == "anthropic":
        base_url = Anthropic.model_fields["base_url"].default
    key = item.get("api_key")
    secret = key.get(SECRET_REF) if isinstance(key, dict) else None
    return ProviderSummary(
        provider=kind,
        name=_text(item.get("name")),
        base_url=_text(base_url),
        model=_text(item.get("model")),
        key="secret" if secret else ("value" if key else "none"),
        key_secret=_text(secret),
        settings=tuple(sorted(set(item) - SHOWN)),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _problem(config: Mapping[str, Any]) -> str | None:
    try:
        names = references(dict(config), ("config",))
        providers(substitute(dict(config), dict.fromkeys(names, STAND_IN_VALUE)))
    except (ConnectorError, InvalidInput) as exc:
        return exc.message
    return None
