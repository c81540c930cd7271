"""A run's variables as an operator sets them, and which of them a walk must not overwrite."""

from datetime import UTC, datetime, timedelta

from app.models.run import Run, RunStatus

AT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def waiting() -> Run:
    run = Run("r1", "acme", "wf", 1, "e1", None, RunStatus.WAITING, {}, AT, AT)
    run.vars = {"plan": "basic", "stage": "first"}
    return run


def test_set_vars_removes_a_null_keeps_the_order_and_notes_the_names() -> None:
    run = waiting()
    run.set_vars({"stage": "second", "plan": None, "coupon": "X1"}, AT)
    assert list(run.vars.items()) == [("stage", "second"), ("coupon", "X1")]
    assert run.history == [
        {
            "at": AT.isoformat(),
            "from": "waiting",
            "to": "waiting",
            "reason": "variables changed: coupon, plan, stage",
        }
    ]


def test_the_variables_set_after_a_move_are_those_noted_after_the_first_one() -> None:
    # Set while waiting (before the pause), then paused, set, resumed, set again: the names
    # set after the pause, and none of those set before it or before the turns given.
    run = waiting()
    run.set_vars({"early": 1}, AT)
    turns = len(run.history)
    run.set_vars({"stage": "waiting"}, AT)
    run.move(RunStatus.PAUSED, AT + timedelta(seconds=1), "paused")
    run.set_vars({"coupon": "X1"}, AT + timedelta(seconds=2))
    run.move(RunStatus.WAITING, AT + timedelta(seconds=3), "resumed")
    run.set_vars({"plan": None, "tier": 2}, AT + timedelta(seconds=4))
    assert run.vars_set_after_a_move(turns) == {"coupon", "plan", "tier"}
    assert run.vars_set_after_a_move(len(run.history)) == set()
