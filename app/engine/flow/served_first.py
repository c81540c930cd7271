"""How many new runs the worker embedded in the API's process (``automator dev``) takes on
while the API serves requests.

One process holds both, with one event loop and one GIL: every walk the worker has going
takes turns of both from the requests waiting for them. Requests are bound by their latency;
runs are asynchronous by contract (an event is answered once its runs are stored, not run).
So while requests are in flight the worker runs at most a few arq jobs at once (start jobs
mostly): never none, so runs keep completing, and the rest are taken as soon as the requests
stop. Resumes
of runs already started (timers, waits' deadlines, wakes) are not held back: their deadlines
are kept (``app/worker.py`` takes them beside arq's jobs).
"""

from collections.abc import Callable


class ServedFirst:
    """The room a worker sharing a process with the API has for new arq jobs:
    ``in_flight`` tells how many requests the API has in flight now; while any are, at most
    ``jobs`` arq jobs run at once (0: no bound beyond the worker's own)."""

    def __init__(self, in_flight: Callable[[], int], jobs: int) -> None:
        self.in_flight = in_flight
        self.jobs = jobs

    def room(self, room: int, running: int) -> int:
        """Of the worker's ``room`` for more jobs beside the ``running`` ones, what it may
        take now."""
        if self.jobs == 0 or self.in_flight() == 0:
            return room
        return min(room, self.jobs - running)
