"""Errors the library raises for problems that are not findings (usage, I/O)."""


class ToolkitError(Exception):
    """A problem with what the user asked for; the CLI shows it as one line and exits 2."""
