"""Message templates: checked at save, rendered for a step through the gateway."""

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.registry import Registry
from app.clock import SystemClock
from app.engine.calls.gateway import Gateway
from app.engine.calls.integrations import Integrations
from app.engine.calls.keyring import Keyring
from app.engine.calls.masking import SCRUBBER
from app.engine.calls.messages import MessageTemplates
from app.engine.calls.secrets import Secrets
from app.engine.expressions.renderer import Renderer, TemplateError
from app.models.template import MessageTemplate
from app.settings import Settings
from app.store.sqlite import SQLiteStore
from tests.clock import now


@pytest.fixture
async def templates(tmp_path: Path) -> AsyncIterator[MessageTemplates]:
    store = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    yield MessageTemplates(store, Renderer())
    await store.close()


def template(name: str = "welcome_email", **parts: str | None) -> MessageTemplate:
    at = now()
    fields: dict[str, str | None] = {"subject": "Hi {{ user_name }}", "text": "Hello", "html": None}
    fields |= parts
    return MessageTemplate("acme", name, fields["subject"], fields["text"], fields["html"], at, at)


CONTEXT = {"user": {"name": "Ada <script>", "email": "ada@example.com"}, "plan": "pro"}


async def test_variables_sit_at_the_root_over_the_run_context(
    templates: MessageTemplates,
) -> None:
    await templates.create(
        template(
            subject="Welcome,\n  {{ user_name }}!",
            text="{{ user.name }} is on {{ plan }} since {{ signup_date }}",
            html="<p>{{ user_name }}</p>{{ banner|safe }}",
        )
    )
    variables = {
        "user_name": "Ada <b>",
        "signup_date": "2024-01-15",
        "plan": "team",
        "banner": "<hr>",
    }
    message = await templates.message("acme", "welcome_email", CONTEXT, variables)
    assert message.name == "welcome_email"
    assert message.subject == "Welcome, Ada <b>!"
    assert message.text == "Ada <script> is on team since 2024-01-15"
    assert message.html == "<p>Ada &lt;b&gt;</p><hr>"


async def test_a_missing_template_or_variable_is_a_final_error_naming_it(
    templates: MessageTemplates,
) -> None:
    with pytest.raises(ConnectorError, match="message template 'nope' was not found") as missing:
        await templates.message("acme", "nope", CONTEXT, {})
    assert missing.value.retryable is False
    await templates.create(template())
    with pytest.raises(ConnectorError) as undefined:
        await templates.message("acme", "welcome_email", CONTEXT, {})
    assert undefined.value.message.startswith(
        "message template 'welcome_email' subject: user_name is not in the event; it has "
    )
    with pytest.raises(ConnectorError, match="was not found"):
        await templates.message("globex", "welcome_email", CONTEXT, {"user_name": "x"})


@pytest.mark.parametrize(
    ("part", "source", "error"),
    [
        ("subject", "Hi {{ user_name ", "subject: unexpected end of template"),
        ("text", "{% for x in items %}", "text: Unexpected end of template.*endfor"),
        ("html", "<p>{{ x }}}</p>{% endif %}", "html: Encountered unknown tag 'endif'"),
        ("html", "x" * 70_000, "over the limit of 65536"),
    ],
)
async def test_a_syntax_error_is_refused_at_save_naming_the_part(
    templates: MessageTemplates, part: str, source: str, error: str
) -> None:
    with pytest.raises(TemplateError, match=error) as raised:
        await templates.create(template(**{part: source}))
    assert raised.value.details[0].loc == ("body", part)
    with pytest.raises(ConnectorError, match="not found"):
        await templates.message("acme", "welcome_email", CONTEXT, {})


async def test_a_template_cannot_reach_python_internals(templates: MessageTemplates) -> None:
    await templates.create(template(text="{{ ''.__class__.__mro__ }}"))
    with pytest.raises(ConnectorError, match="message template 'welcome_email' text"):
        await templates.message("acme", "welcome_email", CONTEXT, {"user_name": "x"})


class Recorder(ConnectorAdapter):
    """A test connector (named so): keeps the context it was called with."""

    code: ClassVar[str] = "recorder"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_email": ActionSpec()}

    def __init__(self) -> None:
        self.contexts: list[ActionContext] = []

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        self.contexts.append(context)
        return None


async def test_the_gateway_renders_the_named_template_into_the_message(
    templates: MessageTemplates, tmp_path: Path
) -> None:
    await templates.create(template())
    recorder = Recorder()
    registry = Registry([recorder])
    store = templates.store
    keyring = Keyring.from_settings(Settings(data_dir=tmp_path, _env_file=None))
    secrets = Secrets(store, keyring, SCRUBBER, env_tenants=[])
    gateway = Gateway(
        registry, secrets, Integrations(store, registry, {}, SystemClock(), 0), templates=templates
    )
    ctx = ActionContext(
        "acme", "run_1", "a1", "run_1:a1:0", 1, event=CONTEXT, template="welcome_email"
    )
    await gateway.call("send_email", {"variables": {"user_name": "Ada"}}, ctx)
    await gateway.call("send_email", {}, ActionContext("acme", "run_1", "a2", "k", 1))
    with_template, without = recorder.contexts
    assert with_template.message is not None
    assert (with_template.message.subject, with_template.message.text) == ("Hi Ada", "Hello")
    assert without.message is None
