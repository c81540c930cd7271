"""Single events at concurrency 50 (``POST /api/events``), to ``automator api`` alone (no
worker in its process) and to ``automator dev`` (API, worker and scheduler in one process):
first events no workflow listens to, then events that each start a run of the issue's
workflow (``bench.runs.hooks``; with ``dev`` its worker runs them meanwhile, and the figure
says how long the runs took to end after wrk stopped, and the CPU per event with its run)."""

import asyncio
import time
from dataclasses import replace

from bench.harness import Figure, Meter, Options, Service, automator, create_workflow, measure
from bench.runs import finished_runs, hooks


def scenario(options: Options) -> list[Figure]:
    figures = []
    for command in ("api", "dev"):
        with automator(options, f"ingest-{command}", [command]) as service:
            create_workflow(service, hooks(options.sink))
            figures.append(
                measure(
                    service,
                    f"`automator {command}`, events no workflow listens to",
                    "unheard",
                    options.seconds,
                )
            )
            starting = measure(
                service,
                f"`automator {command}`, events starting a run",
                "hook",
                options.seconds,
            )
            figures.append(drained(service, starting) if command == "dev" else starting)
    return figures


def drained(service: Service, figure: Figure) -> Figure:
    """``figure``, of events each starting a run in a process that runs them too, noting
    what its runs took once wrk stopped: how long until the last one ended, and the CPU per
    event with its run (what wrk's window left of the runs' work, added)."""
    meter, stopped = Meter(service), time.monotonic()
    asyncio.run(finished_runs(service.directory))
    took = time.monotonic() - stopped
    cpu_ms = (figure.usage.total + meter.read().total) * 1000 / max(figure.count, 1)
    note = f"runs ended {took:.1f} s after wrk; {cpu_ms:.3g} ms of CPU per event with its run"
    return replace(figure, note=note)
