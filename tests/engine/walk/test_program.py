"""``Program.step_at``: the action a run's position stands for, as its author wrote it."""

from app.clock import SystemClock
from app.engine.walk.program import Kind, compile_program
from app.models.document import WorkflowDocument

DOCUMENT = WorkflowDocument.model_validate(
    {
        "workflow_id": "w",
        "name": "W",
        "trigger": {"type": "signup"},
        "actions": [
            {
                "id": "check",
                "type": "condition",
                "conditions": [{"field": "vip", "operator": "equals", "value": True}],
                "then": [{"id": "gift", "type": "set", "name": "Send a gift"}],
                "else": [{"id": "plain", "type": "set"}],
            },
            {"id": "bye", "type": "log", "name": "Say goodbye", "data": {"message": "bye"}},
        ],
    }
)


def test_a_position_names_its_action_and_a_jump_names_the_action_it_goes_to() -> None:
    program = compile_program(DOCUMENT, 1, SystemClock())
    kinds = [instruction.kind for instruction in program.instructions]
    assert kinds == [Kind.BRANCH, Kind.STEP, Kind.JUMP, Kind.STEP, Kind.STEP]

    named = [getattr(program.step_at(pc), "id", None) for pc in range(len(kinds) + 1)]

    assert named == ["check", "gift", "bye", "plain", "bye", None]
    assert program.step_at(1).name == "Send a gift"  # type: ignore[union-attr]
