"""GitHub Actions workflow commands, so findings show inline on a pull request.

GitHub shows at most 10 error annotations per step, so every finding is also
printed as a plain text line: the log always holds the whole report. The plain
text quotes values from the annotation files, so it is printed between
``::stop-commands::`` and its end token: a value cannot run a workflow command.
"""

from __future__ import annotations

import hashlib

from toolkit.model import Report, Severity
from toolkit.reporters.text import TextReporter


def escape_data(text: str) -> str:
    """Escape a command's message as GitHub's runner requires."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property (file, title) as GitHub's runner requires."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter:
    """The text report, then one ``::error``/``::warning`` command per finding."""

    def __init__(self, *, color: bool = False) -> None:
        del color

    def render(self, report: Report) -> str:
        text = TextReporter().render(report).rstrip("\n")
        # Derived from the text, so the output stays deterministic and no value in it
        # can contain the token that ends the stop.
        token = "toolkit-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        lines = [f"::stop-commands::{token}", text, f"::{token}::"]
        for finding in report.findings:
            command = "error" if finding.severity is Severity.ERROR else "warning"
            properties = [f"file={escape_property(finding.file)}"]
            if finding.line is not None:
                properties.append(f"line={finding.line}")
                if finding.column is not None:
                    properties.append(f"col={finding.column}")
            properties.append(f"title={escape_property(finding.rule)}")
            message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
            lines.append(f"::{command} {','.join(properties)}::{escape_data(message)}")
        return "\n".join(lines) + "\n"
