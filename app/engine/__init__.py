"""The executor: runs, steps, conditions, templates, timers."""
