"""The README and docs/ say only what the code accepts.

Every fenced ``json`` block must parse as JSON (``jsonc`` blocks may hold ``//`` comments),
and what it shows is checked against the real models: a workflow document, or a part of one
(``{"trigger": ...}``, ``{"settings": ...}``, ``{"actions": [...]}``, a lone action), goes
through the same parser as ``POST /api/workflows``; an event through the event model; a
message template through the template model. JSON sent by ``curl -d '...'`` in ``sh`` blocks
is checked the same way by the endpoint it is sent to. A block preceded by
``<!-- fragment -->`` is an intentionally partial snippet and is not parsed.

What the docs name must exist: every `METHOD /path` is an operation of the app's OpenAPI
document (and docs/api.md lists them all), every ``automator`` command and option is one of
the CLI's, every ``AUTOMATOR_*`` variable is one the code reads; things marked as coming are
listed here by name. Links between pages must resolve, headings included; every page is on
the index and opens with its contents; the README stays under 10 KB.
"""

import functools
import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import ValidationError

from app.actions.base import ConnectorAdapter
from app.actions.registry import action_types, default_registry
from app.api.schemas.templates import TemplateCreate
from app.api.schemas.tenants import AdminKeyCreate
from app.cli import cli
from app.errors import InvalidInput
from app.main import create_app
from app.models import jsonc
from app.settings import Settings
from app.triggers.ingest import EventIn
from app.workflows import DocumentParser

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.glob("*.md"))
MARKDOWN = [README, *PAGES]
README_LIMIT = 10_000  # bytes: the README is a front door, the reference lives in docs/

FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*([\w-]+)\s*-->$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`]*`")
CURL_BODY = re.compile(r"-d '([^']*)'")
URL_PATH = re.compile(r"(/api/[\w/{}.-]*)")
ENV_VAR = re.compile(r"AUTOMATOR_[A-Z0-9_]+")
# Read by other code than the settings class: the secret references' variables (a prefix),
# and the store's contract suite (tests/store/conftest.py).
OTHER_VARIABLES = {"AUTOMATOR_SECRET_", "AUTOMATOR_TEST_MONGODB_URL"}
ENDPOINT = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?\[]*)")
# `automator X ...` where it is the command being shown: in code, or a path to it.
CLI_USE = re.compile(r"(?:^|`|bin/)automator ([a-z][\w-]*)((?: [a-z][\w-]*)?)([^`\n]*)", re.M)
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")
WORKFLOW_PARTS = {"trigger", "actions", "settings"}
EVENT_FIELDS = set(EventIn.model_fields)
TEMPLATE_FIELDS = set(TemplateCreate.model_fields)


@dataclass(frozen=True)
class Block:
    """A fenced code block: where it is, its language, its text and the HTML comment (if
    any) on the line before its fence."""

    path: Path
    line: int
    lang: str
    text: str
    marker: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    previous, index = "", 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        marker = MARKER.match(previous)
        text = "\n".join(lines[index + 1 : end])
        yield Block(path, index + 1, opening[1], text, marker[1] if marker else None)
        previous, index = "", end + 1


def prose(path: Path) -> str:
    """The page without its code: links and headings are looked for only here."""
    kept, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            kept.append(INLINE_CODE.sub("", line))
    return "\n".join(kept)


def all_blocks(*langs: str) -> list[Any]:
    found = [b for path in MARKDOWN for b in blocks(path) if b.lang in langs]
    return [pytest.param(b, id=b.where) for b in found]


# Examples of local tasks are checked as a deployment that allows them would check them.
PARSER = DocumentParser.from_settings(Settings(local_tasks=["file", "shell"]), default_registry())


def minimal_workflow(**parts: Any) -> dict[str, Any]:
    """A document around a part shown on its own, so the part is checked in place."""
    document: dict[str, Any] = {
        "workflow_id": "docs_example",
        "name": "Docs example",
        "trigger": {"type": "docs_example"},
        "actions": [{"type": "log", "data": {"message": "example"}}],
    }
    return {**document, **parts}


def check(value: Any) -> str:
    """Validate a JSON example against the model it shows; returns what it was taken for."""
    if not isinstance(value, dict):
        return "json"
    keys = set(value)
    if {"trigger", "actions"} <= keys:
        PARSER.validate(value)
        return "workflow"
    if keys and keys <= WORKFLOW_PARTS:
        PARSER.validate(minimal_workflow(**value))
        return "workflow part"
    if value.get("type") in action_types():
        PARSER.validate(minimal_workflow(actions=[value]))
        return "action"
    if "type" in keys and keys <= EVENT_FIELDS:
        EventIn.model_validate(value)
        return "event"
    if "name" in keys and keys <= TEMPLATE_FIELDS:
        TemplateCreate.model_validate(value)
        return "template"
    return "json"


@pytest.mark.parametrize("block", all_blocks("json", "jsonc"))
def test_every_json_example_is_valid_and_passes_its_model(block: Block) -> None:
    if block.marker == "fragment":
        pytest.skip("marked <!-- fragment -->: an intentionally partial snippet")
    loads = jsonc.loads if block.lang == "jsonc" else json.loads
    try:
        value = loads(block.text)
    except ValueError as exc:
        pytest.fail(f"{block.where}: not valid {block.lang}: {exc}")
    check(value)


def curl_bodies(block: Block) -> Iterator[tuple[str, Any]]:
    """(API path, parsed body) of each ``curl ... -d '<json>'`` in a shell block."""
    # A command goes on over indented lines (after a backslash, or inside a quoted body).
    for command in re.split(r"\n(?=\S)", block.text):
        body = CURL_BODY.search(command)
        path = URL_PATH.search(command)
        if "curl" in command and body is not None and path is not None:
            yield path[1], json.loads(body[1])


@pytest.mark.parametrize("block", all_blocks("sh", "bash"))
def test_json_sent_by_curl_is_valid_for_its_endpoint(block: Block) -> None:
    for path, body in curl_bodies(block):
        if path.endswith("/api/events"):
            EventIn.model_validate(body)
        elif path.endswith("/api/templates"):
            TemplateCreate.model_validate(body)
        elif re.search(r"/api/operator/tenants/[^/]+/keys$", path):
            AdminKeyCreate.model_validate(body)
        else:
            check(body)


def test_examples_cover_the_workflow_language() -> None:
    """The classification above is what makes the checks bite: if the docs stopped showing
    workflows, events and templates in forms it recognises, nothing would be validated."""
    kinds: dict[str, int] = {}
    for param in all_blocks("json"):
        block: Block = param.values[0]
        if block.marker != "fragment":
            kind = check(json.loads(block.text))
            kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds.get("workflow", 0) >= 2, kinds
    assert kinds.get("workflow part", 0) >= 10, kinds
    assert kinds.get("action", 0) >= 4, kinds
    assert kinds.get("event", 0) >= 1, kinds
    assert kinds.get("template", 0) >= 1, kinds


def test_a_part_that_breaks_the_rules_is_refused() -> None:
    """The checker itself: a setting the validator refuses fails the example."""
    with pytest.raises(InvalidInput, match="timeout"):
        check({"settings": {"timeout": 0}})
    with pytest.raises(InvalidInput, match="unknown action type"):
        check({"actions": [{"type": "send_fax"}]})
    with pytest.raises(ValidationError, match="user"):
        check({"type": "user_signup", "user": "ada"})


def github_anchor(heading: str) -> str:
    text = INLINE_CODE.sub(lambda m: m[0].strip("`"), heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    headings, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            headings.append(line.lstrip("#"))
    return {github_anchor(heading) for heading in headings}


def links(path: Path) -> list[str]:
    return [target for target in LINK.findall(prose(path)) if not re.match(r"\w+:", target)]


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_to_files_and_headings(page: Path) -> None:
    broken = []
    for target in links(page):
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.name}: {broken}"


def test_the_index_links_every_page() -> None:
    linked = {target.partition("#")[0] for target in links(DOCS / "index.md")}
    missing = [p.name for p in PAGES if p.name != "index.md" and p.name not in linked]
    assert not missing, f"docs/index.md does not link {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_page_opens_with_contents_listing_its_sections(page: Path) -> None:
    text = prose(page)
    sections = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert sections[:1] == ["Contents"], f"{page.name}: no '## Contents' first"
    contents = text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    listed = {target.lstrip("#") for target in LINK.findall(contents)}
    unlisted = [s for s in sections[1:] if github_anchor(s) not in listed]
    assert not unlisted, f"{page.name}: contents lack {unlisted}"


def test_the_readme_is_a_front_door_under_10_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes: move reference to docs/"


def first_workflow_commands() -> str:
    section = README.read_text(encoding="utf-8").split("## A first workflow", 1)[1]
    section = section.split("\n## ", 1)[0]
    shells = [b for b in blocks_of(section) if b[0] == "sh"]
    assert len(shells) == 1, "the first workflow is one ```sh block, run as written"
    return shells[0][1]


def blocks_of(markdown: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w*)\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def test_the_first_workflow_creates_what_the_seed_reads_before_the_event() -> None:
    commands = first_workflow_commands()
    seed_path = "examples/workflows/welcome_campaign_001.json"
    seed = PARSER.parse((ROOT / seed_path).read_bytes())
    sent = {path: body for path, body in curl_bodies(Block(README, 0, "sh", commands, None))}
    assert commands.index("/api/templates") < commands.index(seed_path), "templates first"
    assert commands.index(seed_path) < commands.index("/api/events"), "then the event"
    templates = {a.template for a in seed.all_actions() if a.template}
    posted = {
        json.loads(body)["name"]
        for body in CURL_BODY.findall(commands)
        if '"name"' in body and '"type"' not in body
    }
    assert templates <= posted, f"the seed names templates {templates}, created: {posted}"
    read = set(re.findall(r"user\.(\w+)", (ROOT / seed_path).read_text()))
    read |= {c.field for c in seed.trigger.conditions if c.field and "." not in c.field}
    user = sent[next(path for path in sent if path.endswith("/api/events"))]["user"]
    assert read <= set(user), f"the event's user lacks {read - set(user)}"


def options(command: Any) -> set[str]:
    """A command's options, and ``automator``'s own ``--log-level``, which goes anywhere on
    the line (``app.cli.log_level_first``)."""
    own = {opt for param in command.params for opt in getattr(param, "opts", [])}
    return {"--help", "--log-level", *own}


def cli_problems(text: str) -> list[str]:
    """Each ``automator`` command shown with a name or option the CLI does not have."""
    commands: dict[str, Any] = getattr(typer.main.get_command(cli), "commands", {})
    problems = []
    for name, sub, rest in CLI_USE.findall(text):
        command: Any = commands.get(name)
        if hasattr(command, "commands"):  # a group: `automator secrets new-key`
            command = command.commands.get(sub.strip())
            rest = rest if command else sub + rest
        elif sub:
            rest = sub + rest
        if command is None:
            problems.append(f"automator {name}{sub}: no such command")
            continue
        unknown = set(OPTION.findall(rest)) - options(command)
        problems.extend(f"automator {name}: no option {option}" for option in sorted(unknown))
    return problems


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_cli_commands_shown_exist_with_their_options(page: Path) -> None:
    problems = cli_problems(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.name}: {problems}"


def test_the_cli_check_catches_a_command_or_option_that_does_not_exist() -> None:
    assert cli_problems("`automator runs RUN_ID --follow`") == []
    assert cli_problems("`automator secrets new-key`") == []
    assert cli_problems("`automator logs`") == ["automator logs: no such command"]
    assert cli_problems("`automator runs --tail`") == ["automator runs: no option --tail"]


def known_variables() -> set[str]:
    settings = {f"AUTOMATOR_{name.upper()}" for name in Settings.model_fields}
    commands: dict[str, Any] = getattr(typer.main.get_command(cli), "commands", {})
    cli_envvars = {
        param.envvar
        for command in commands.values()
        for param in command.params
        if isinstance(getattr(param, "envvar", None), str)
    }
    return settings | cli_envvars | OTHER_VARIABLES


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_variable_named_is_one_the_code_reads(page: Path) -> None:
    unknown = set(ENV_VAR.findall(page.read_text(encoding="utf-8"))) - known_variables()
    assert not unknown, f"{page.name} names variables nothing reads: {sorted(unknown)}"


def test_a_fragment_marker_is_read_from_the_line_before_the_fence(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text('Text.\n\n<!-- fragment -->\n```json\n"a": 1\n```\n\n```json\n{}\n```\n')
    assert [(b.marker, b.text) for b in blocks(page)] == [("fragment", '"a": 1'), (None, "{}")]


@functools.cache
def routes() -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of every operation in the app's OpenAPI document; a path
    parameter matches a placeholder (`{run_id}`) or a value (`ERP_API_KEY`, `pause`)."""
    paths: dict[str, dict[str, Any]] = create_app(Settings()).openapi()["paths"]
    return [
        (method.upper(), re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$"))
        for path, operations in paths.items()
        for method in operations
    ]


def test_api_page_documents_every_operation_the_app_serves() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    shown = ENDPOINT.findall(text)
    missing = [
        f"{method} {pattern.pattern}"
        for method, pattern in routes()
        if not any(m == method and pattern.match(path) for m, path in shown)
    ]
    assert not missing, f"docs/api.md lacks {missing}"


def unserved(text: str) -> list[str]:
    """The endpoints ``text`` names (`METHOD /path` in code) that the app does not serve."""
    return [
        f"{method} {path}"
        for method, path in ENDPOINT.findall(text)
        if not any(m == method and pattern.match(path) for m, pattern in routes())
    ]


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_endpoint_named_is_one_the_app_serves(page: Path) -> None:
    unknown = unserved(page.read_text(encoding="utf-8"))
    assert not unknown, f"{page.name} names endpoints the app does not serve: {unknown}"


def test_the_endpoint_check_tells_a_served_path_from_one_that_is_not() -> None:
    assert unserved("`POST /api/runs/run_1/pause` and `GET /api/workflows/{workflow_id}`") == []
    assert unserved("`GET /api/nope`, `DELETE /health`") == ["GET /api/nope", "DELETE /health"]


def test_the_connector_guide_shows_the_sdks_methods_as_they_are() -> None:
    """A connector written from docs/connectors.md fits what the engine calls: ``execute``
    and ``unready`` defined with the base class's signatures, line for line."""
    guide = (ROOT / "docs" / "connectors.md").read_text()
    for method in (ConnectorAdapter.execute, ConnectorAdapter.unready):
        definition = inspect.getsource(method).splitlines()[0].strip()
        assert definition in guide, definition
