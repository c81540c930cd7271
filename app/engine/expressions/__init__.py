"""Expressions over a run's context: field paths, conditions and templates; pure, no I/O."""
