"""Single events at concurrency 50 (``POST /api/events``), to ``automator api`` alone (no
worker in its process) and to ``automator dev`` (API, worker and scheduler in one process):
first events no workflow listens to, then events that each start a run of the issue's
workflow (``bench.runs.hooks``; with ``dev`` its worker runs them meanwhile)."""

from bench.harness import Figure, Options, automator, create_workflow, measure
from bench.runs import hooks


def scenario(options: Options) -> list[Figure]:
    figures = []
    for command in ("api", "dev"):
        with automator(options, f"ingest-{command}", [command]) as service:
            create_workflow(service, hooks(options.sink))
            figures += [
                measure(
                    service,
                    f"`automator {command}`, events no workflow listens to",
                    "unheard",
                    options.seconds,
                ),
                measure(
                    service,
                    f"`automator {command}`, events starting a run",
                    "hook",
                    options.seconds,
                ),
            ]
    return figures
