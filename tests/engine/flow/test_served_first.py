"""How many start jobs a worker sharing the API's process takes on while the API serves."""

from app.engine.flow.served_first import ServedFirst


class Requests:
    """The API's requests in flight, as the test sets them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        return self.count


def test_the_worker_keeps_its_whole_room_while_no_request_is_in_flight() -> None:
    requests = Requests()
    assert ServedFirst(requests, 10).room(60, 40) == 60


def test_requests_in_flight_bound_the_start_jobs_run_at_once() -> None:
    requests = Requests()
    served_first = ServedFirst(requests, 10)
    requests.count = 3
    assert served_first.room(100, 0) == 10
    assert served_first.room(96, 4) == 6
    assert served_first.room(60, 40) <= 0, "no more while 40 are running"
    requests.count = 0
    assert served_first.room(60, 40) == 60, "all the room again once the requests are done"


def test_no_bound_when_set_to_0() -> None:
    requests = Requests()
    requests.count = 50
    assert ServedFirst(requests, 0).room(100, 0) == 100
