"""Label values stay bounded whatever tenants do."""

from app.metrics import OTHER, WorkflowLabels


def test_workflows_past_the_limit_share_one_label() -> None:
    labels = WorkflowLabels(2)
    assert labels("acme", "a") == ("acme", "a")
    assert labels("globex", "a") == ("globex", "a")
    assert labels("acme", "b") == (OTHER, OTHER)
    assert labels("acme", "a") == ("acme", "a")


def test_a_limit_of_zero_labels_nothing() -> None:
    assert WorkflowLabels(0)("acme", "a") == (OTHER, OTHER)
