"""Local tasks (seed 002): ``file`` and ``shell`` act on the server, so each is off unless
the deployment allows it (``AUTOMATOR_LOCAL_TASKS``) and the tenant opts in (its
configuration of the connector says ``enabled``); ``transform`` touches nothing and is
always available."""
