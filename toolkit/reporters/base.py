"""The one method every reporter has."""

from __future__ import annotations

from typing import Protocol

from toolkit.model import Report


class Reporter(Protocol):
    """Turns a report into the text of one output format."""

    def __init__(self, *, color: bool = False) -> None: ...

    def render(self, report: Report) -> str:
        """The whole output for the report, ending with a newline."""
        ...


def summary_line(report: Report) -> str:
    """'3 files, 12 records: 2 errors, 1 warning'."""

    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (
        f"{count(report.files, 'file')}, {count(report.records, 'record')}: "
        f"{count(report.errors, 'error')}, {count(report.warnings, 'warning')}"
    )


def place(file: str, line: int | None, column: int | None) -> str:
    """'file:line:column', leaving out what is not known."""
    text = file
    if line is not None:
        text += f":{line}"
        if column is not None:
            text += f":{column}"
    return text
