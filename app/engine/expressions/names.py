"""The names a run's template context holds at its root beside the event's data fields
(app/engine/walk/context.py): what is not one of them is a field of the event's data."""

# The walk's own, over any of the event's fields of the same name: a step reading no other
# name reads the event's data as it is, and needs no context built.
WALK_NAMES = frozenset({"steps", "vars", "run", "workflow", "item", "index", "loops"})
# Every name of the root that is not a field of the event's data: the walk's, the event's
# ``user`` and ``event``, the user's stored ``profile``, an approval step's links.
CONTEXT_NAMES = WALK_NAMES | {"user", "event", "profile", "approval"}
