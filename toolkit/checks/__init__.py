"""Checks: each takes loaded records and returns findings; none prints."""
