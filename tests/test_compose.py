"""docker-compose.yml, the full stack: the API, the worker and the scheduler run in
containers of their own, each with a data directory of its own, so what they must share
comes from the environment they all take."""

import re
from pathlib import Path

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"
PROCESSES = ("api", "worker", "scheduler")


def test_every_process_of_the_stack_takes_the_one_secrets_master_key() -> None:
    """Without it each container generates a key of its own: a worker cannot read the
    secrets the API stored, and the processes name flow-control state in Redis (rate
    limits, throttles, concurrency) each with its own key, so none finds another's."""
    text = COMPOSE.read_text(encoding="utf-8")
    shared = text[text.index("environment: &automator-env") : text.index("depends_on:")]
    assert re.search(r"^ +AUTOMATOR_SECRETS_KEY: \$\{AUTOMATOR_SECRETS_KEY:\?", shared, re.M)
    services = text[text.index("\nservices:") :]
    for process in PROCESSES:
        block = re.search(rf"^  {process}:\n((?:    .*\n|\n)*)", services, re.M)
        assert block, f"no {process} service"
        assert "<<: *automator" in block.group(1)
        assert "environment:" not in block.group(1)  # one of its own would replace the shared
