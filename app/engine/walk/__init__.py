"""Walking runs: the compiled program, the walker that steps through it, and around it the
executor, run control, forks and joins, waits, dry runs and the worker's jobs."""
