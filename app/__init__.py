"""Automator: event-driven workflow automation."""
