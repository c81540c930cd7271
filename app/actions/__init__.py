"""Connectors: the actions a workflow can take."""
