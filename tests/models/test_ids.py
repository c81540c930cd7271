"""Identifiers: unique, ordered by creation, never repeated across a fork."""

import os

from app.models.ids import IDS_PER_DRAW, new_id, new_ids


def test_ids_made_together_sort_in_the_order_they_were_made() -> None:
    made = new_ids("evt", 3 * IDS_PER_DRAW)  # more than one draw of random digits
    assert made == sorted(made)
    singles = [new_id("evt") for _ in range(IDS_PER_DRAW + 1)]
    assert len(set(made) | set(singles)) == len(made) + len(singles)
    assert all(len(one) == len("evt_") + 24 for one in made + singles)


def test_a_forked_child_makes_ids_its_parent_does_not() -> None:
    new_id("run")  # the parent holds undrawn digits the child must not reuse
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's coverage is not collected)
        os.write(writer, " ".join(new_ids("run", 10)).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        theirs = pipe.read().split()
    os.waitpid(child, 0)
    ours = new_ids("run", 10)
    assert len(theirs) == 10
    assert {one[-12:] for one in theirs}.isdisjoint(one[-12:] for one in ours)
