"""The batch endpoint (``POST /api/events/batch``): requests of 1,000 events no workflow
listens to, 4 at once, to ``automator api``."""

from bench.harness import Figure, Options, automator, measure

SIZE = 1000


def scenario(options: Options) -> list[Figure]:
    with automator(options, "batch", ["api"]) as service:
        name = f"`automator api`, batch endpoint, {SIZE:,} events per request, 4 at once"
        return [measure(service, name, "unheard", options.seconds, batch=SIZE)]
