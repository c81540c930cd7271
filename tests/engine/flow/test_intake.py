"""When a worker takes new runs beside the resumes of runs already started: what its
claims of resumes saw decides, on a clock the test moves (named so: not the process's)."""

from app.engine.flow.intake import Intake


class Seconds:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_new_runs_wait_while_due_resumes_wait_for_room() -> None:
    intake = Intake(1.0, Seconds())
    intake.note(waiting=True, ahead=0, room=0, walking=100)
    assert not intake.open
    intake.note(waiting=False, ahead=0, room=40, walking=60)
    assert intake.open


def test_new_runs_stop_before_more_resumes_fall_due_than_there_is_room_for() -> None:
    clock = Seconds()
    intake = Intake(1.0, clock)
    intake.note(waiting=False, ahead=100, room=100, walking=0)
    assert intake.open, "as many as there is room for: no hold"
    intake.note(waiting=False, ahead=1000, room=100, walking=0)
    assert not intake.open
    clock.now += 0.9
    intake.note(waiting=True, ahead=0, room=0, walking=100)  # the burst fell due
    clock.now += 0.2
    intake.note(waiting=False, ahead=0, room=60, walking=40)  # its last walks
    assert not intake.open
    clock.now += 0.1
    intake.note(waiting=False, ahead=0, room=100, walking=0)  # the burst is done
    assert intake.open


def test_a_steady_stream_of_resumes_holds_new_runs_off_at_most_half_the_time() -> None:
    """Always more due within the look ahead than there is room for, never a claim that
    fills the room: new runs are held off twice the look ahead, then taken as long."""
    clock = Seconds()
    intake = Intake(0.5, clock)
    opened = 0
    for _ in range(1000):  # 10 s in steps of 10 ms, a claim each
        intake.note(waiting=False, ahead=150, room=50, walking=50)
        opened += intake.open
        clock.now += 0.01
    assert 480 <= opened <= 520


def test_no_look_ahead_no_hold() -> None:
    intake = Intake(0, Seconds())
    intake.note(waiting=False, ahead=1000, room=100, walking=0)
    assert intake.open
