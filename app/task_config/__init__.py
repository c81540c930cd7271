"""Seed 002's configuration file (named workflows of tasks with ``${task_result}``
references, plus ``schedules``) translated into workflow documents, or refused at the exact
line that cannot be translated: ``source`` reads the file with the position of each value,
``references`` turns ``${...}`` into templates, ``tasks`` translates each task type, and
``translate`` puts the workflows and their schedules together."""
