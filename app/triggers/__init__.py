"""Trigger matching and schedules."""
