"""Calling connectors: the gateway a step calls through, its configuration, secrets and their
masking, stored message templates, and test calls."""
