"""Seed 002's configuration file translated into workflow documents the save's validator
accepts, or refused at the exact line (app/task_config)."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.actions.registry import default_registry
from app.errors import InvalidInput
from app.models import jsonc
from app.settings import Settings
from app.task_config.source import SourceText
from app.task_config.translate import documents, is_task_config
from app.workflows import DocumentParser
from tests.conftest import SEEDS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "seed002"


def parser(*local_tasks: str) -> DocumentParser:
    settings = Settings(local_tasks=list(local_tasks), _env_file=None)
    return DocumentParser.from_settings(settings, default_registry(settings.connector_modules))


def translated(raw: bytes, name: str = "automation.json") -> dict[str, dict[str, Any]]:
    found = documents(SourceText.parse(name, raw), parser("file", "shell").validate)
    return {document.workflow_id: document.canonical() for document, _ in found}


def refusal(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        translated(text.encode(), "tasks.json")
    return refused.value


def test_the_seed_examples_become_documents_the_validator_accepts() -> None:
    raw = (FIXTURES / "automation.json").read_bytes()
    assert is_task_config(SourceText.parse("automation.json", raw).value)
    seed_document = jsonc.loads((SEEDS / "user_onboarding.json").read_bytes())
    assert not is_task_config(seed_document)
    found = translated(raw)
    assert list(found) == ["file_processing", "api_integration", "disk_check", "backup_workflow"]

    processing = found["file_processing"]
    assert processing["trigger"] == {"type": "file_processing"}
    assert processing["description"] == "Read a file, process it, and save the result"
    assert [a["data"] for a in processing["actions"]] == [
        {"operation": "read", "path": "input.txt"},
        {"message": "Processing: {{ steps.read_input.output.content }}"},
        {
            "operation": "write",
            "path": "output.txt",
            "content": "Processed: {{ steps.read_input.output.content }}",
        },
    ]

    fetch, save = found["api_integration"]["actions"]
    assert fetch["type"] == "webhook_call"
    assert fetch["data"]["headers"] == {"Authorization": "Bearer {{ API_TOKEN }}"}
    # Text, whatever the body is: an object parsed from JSON is written as JSON again.
    body = "steps.fetch_data.output.body"
    assert save["data"]["content"] == f"{{{{ {body} if {body} is string else {body} | tojson }}}}"


def test_a_conditional_sets_its_result_and_skip_conditions_read_it() -> None:
    disk = translated((FIXTURES / "automation.json").read_bytes())["disk_check"]
    shell, condition, email = disk["actions"]
    assert shell["data"] == {"argv": ["df", "-h", "/"]}
    assert condition["conditions"] == [
        {"field": "steps.check_disk.output.stdout", "operator": "contains", "value": "9[0-9]%"}
    ]
    assert condition["then"][0]["data"] == {"check_space_result": "ALERT"}
    assert condition["else"][0]["data"] == {"check_space_result": "OK"}
    assert email["type"] == "send_email"
    assert email["data"]["recipients"] == ["admin@example.com"]
    assert email["conditions"] == [
        {"field": "vars.check_space_result", "operator": "not_equals", "value": "OK"}
    ]


def test_schedules_become_schedule_triggers() -> None:
    backup = translated((FIXTURES / "automation.json").read_bytes())["backup_workflow"]
    assert backup["trigger"] == {
        "id": "hourly_backup",
        "type": "schedule",
        "cron": "0 * * * *",
        "timezone": "UTC",
    }
    assert [a["type"] for a in backup["actions"]] == ["file", "delay", "log"]
    assert backup["actions"][1]["delay"] == 1
    two = translated(
        b"""{"workflows": {"w": {"tasks": [{"type": "log", "name": "a"}]}},
        "schedules": [
          {"name": "hourly", "workflow": "w", "schedule": "0 * * * *"},
          {"name": "often", "workflow": "w", "interval": 60, "timezone": "Europe/Paris"},
          {"name": "off", "workflow": "w", "schedule": "0 0 * * *", "enabled": false}]}"""
    )["w"]
    assert two["trigger"]["id"] == "hourly"
    assert two["triggers"] == [
        {"id": "often", "type": "schedule", "interval": 60, "timezone": "Europe/Paris"}
    ]


def test_a_loop_reads_its_items_and_its_tasks_see_the_loop_variables() -> None:
    found = translated(
        b"""{"workflows": {"w": {"tasks": [
          {"type": "http", "name": "list", "config": {"url": "https://example.com/users"}},
          {"type": "loop", "name": "each", "config": {"items": "${list_result.body.users}",
            "tasks": [{"type": "log", "name": "say",
                       "config": {"message": "#${loop_index}: ${loop_item.name}"}}]}}]}}}"""
    )["w"]
    loop = found["actions"][1]
    assert loop["data"] == {"items": "{{ steps.list.output.body.users }}"}
    assert loop["actions"][0]["data"] == {"message": "#{{ index }}: {{ item.name }}"}


@pytest.mark.parametrize(
    ("text", "marker", "said"),
    [
        (  # seed 002's example 3 as written: its command is a pipeline
            (FIXTURES / "disk_alert.json").read_text(),
            '"df -h | grep',
            "workflow 'disk_alert', task 'check_disk': the command \"df -h | grep -E '^/dev/'\" "
            "needs a shell for '|'",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n'
            '  {"type": "log", "name": "a", "config": {"message": "${b_result}"}},\n'
            '  {"type": "log", "name": "b"}]}}}',
            '"${b_result}"',
            "task 'a': ${b_result} refers to task 'b', which runs after this one",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n  // a comment\n  {"type": "ftp", "name": "up"}]}}}',
            '"ftp"',
            "task 'up': task type 'ftp' has no translation",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n'
            '  {"type": "file", "name": "f",\n'
            '   "config": {"operation": "read", "file_path": "/etc/passwd"}}]}}}',
            '"/etc/passwd"',
            "'/etc/passwd' leaves the folder Automator's file tasks work in",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n'
            '  {"type": "file", "name": "f",\n'
            '   "config": {"operation": "chmod", "file_path": "a.txt"}}]}}}',
            '"chmod"',
            "file operation 'chmod' has no translation (known: read, write, append, copy, "
            "delete, list)",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n'
            '  {"type": "transform", "name": "t",\n'
            '   "config": {"operation": "median", "input": [1, 2]}}]}}}',
            '"median"',
            "transform operation 'median' has no translation (known: csv_to_json, json_to_csv,",
        ),
        (
            '{"workflows": {"w": {"tasks": [{"type": "log", "name": "a"}]}},\n'
            ' "schedules": [{"name": "s", "workflow": "x", "schedule": "* * * * *"}]}',
            '"x"',
            "schedule 's': schedule names workflow 'x', which the file lacks (w)",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n'
            '  {"type": "email", "name": "e",\n'
            '   "config": {"to_emails": ["a@example.com"], "smtp_server": "mail"}}]}}}',
            '"mail"',
            "'smtp_server': Automator sends email through its email channel",
        ),
        (
            '{"workflows": {"w": {"tasks": [\n'
            '  {"type": "log", "name": "a", "config": {"message": "{{ raw }}"}}]}}}',
            '"{{ raw }}"',
            "'{{' in '{{ raw }}' would be read as Automator template syntax",
        ),
        (  # refused by the save's validator, at the line of the schedule
            '{"workflows": {"w": {"tasks": [{"type": "log", "name": "a"}]}},\n'
            ' "schedules": [\n'
            '   {"name": "s", "workflow": "w", "schedule": "0 0 30 2 *"}]}',
            '{"name": "s"',
            "schedule 's': Invalid workflow: trigger: invalid cron expression '0 0 30 2 *'",
        ),
    ],
)
def test_what_cannot_be_translated_is_refused_at_its_line(
    text: str, marker: str, said: str
) -> None:
    """The message names the file, the line and the column where the refused value starts."""
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if marker in text_line)
    column = text.splitlines()[line - 1].index(marker) + 1
    refused = refusal(text)
    assert refused.message.startswith(f"tasks.json, line {line}, column {column}: "), (
        refused.message
    )
    assert said in refused.message, refused.message


def test_a_workflow_the_validator_refuses_is_refused_at_its_tasks_line() -> None:
    text = (
        '{"workflows": {"w": {"tasks": [\n'
        '  {"type": "log", "name": "ok"},\n'
        '  {"type": "shell", "name": "run", "config": {"command": "date"}}]}}}'
    )
    with pytest.raises(InvalidInput) as refused:
        documents(SourceText.parse("tasks.json", text.encode()), parser().validate)
    assert refused.value.message.startswith(
        "tasks.json, line 3, column 3: workflow 'w', task 'run': "
    )
    assert "AUTOMATOR_LOCAL_TASKS" in refused.value.message


@pytest.mark.parametrize(
    ("data", "said"),
    [
        # Refused by the validator: an object in the data has an "id" naming a task.
        ('"headers": {"id": "ok", "X-Count": 5}', "5 is not of type 'string'"),
        # Refused while translated: an object in the data has a task's "name" and "type".
        ('"json": {"name": "ok", "type": "log", "v": "${nope"}', "without its closing"),
    ],
    ids=["validated", "translated"],
)
def test_a_refusal_inside_a_tasks_config_names_that_task_not_one_its_data_names(
    data: str, said: str
) -> None:
    text = (
        '{"workflows": {"w": {"tasks": [\n'
        '  {"type": "log", "name": "ok"},\n'
        '  {"type": "http", "name": "call", "config": {"url": "https://api.example/",\n'
        f"   {data}}}}}]}}}}}}"
    )
    with pytest.raises(InvalidInput) as refused:
        documents(SourceText.parse("tasks.json", text.encode()), parser().validate)
    assert "workflow 'w', task 'call': " in refused.value.message, refused.value.message
    assert "line 2" not in refused.value.message
    assert said in refused.value.message


HUGE = "{0}" + "x" * 100_000


@pytest.mark.parametrize(
    ("task", "said"),
    [
        ({"type": [[HUGE]], "name": "t"}, "task type [['{0}xxx"),
        ({"type": "shell", "name": "t", "config": {"command": f"a | {HUGE}"}}, "the command 'a |"),
        ({"type": "shell", "name": "t", "config": {"command": f"'{HUGE}"}}, "the command \"'{0}"),
        ({"type": "log", "name": "t", "config": {"message": f"${{{HUGE}"}}, "in '${{0}xxx"),
    ],
    ids=["task-type", "needs-a-shell", "unsplittable", "unclosed-reference"],
)
def test_a_huge_refused_value_is_quoted_cut(task: dict[str, Any], said: str) -> None:
    text = json.dumps({"workflows": {"w": {"tasks": [task]}}})
    refused = refusal(text)
    assert said in refused.message
    assert "..." in refused.message
    assert len(refused.message) < 1_000, refused.message[:1_000]
