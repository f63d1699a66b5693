"""Plain text for terminals and logs: one line per finding, a hint under it, a summary."""

from __future__ import annotations

from toolkit.model import Report, Severity
from toolkit.reporters.base import place, summary_line

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m"}
_DIM, _BOLD, _RESET = "\033[2m", "\033[1m", "\033[0m"

# Messages quote values from the files. Control characters (a terminal's escape
# sequences, a carriage return that overwrites the line) and bidirectional
# overrides are shown as escapes, never sent to the terminal as they are. Tabs and
# line breaks stay: the GitHub reporter fences this text against workflow commands.
_INVISIBLE = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)] if chr(code) not in "\t\n"} | {
    code: f"\\u{code:04x}" for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}


def _visible(text: str) -> str:
    return text.translate(_INVISIBLE)


class TextReporter:
    """``file:line:column: error [rule] message`` lines, colour only on a terminal."""

    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def _paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def render(self, report: Report) -> str:
        lines = []
        for finding in report.findings:
            severity = self._paint(_COLORS[finding.severity], finding.severity.value)
            where = self._paint(_BOLD, _visible(place(finding.file, finding.line, finding.column)))
            at = f" (at {_visible(finding.path)})" if finding.path and finding.path != "$" else ""
            lines.append(f"{where}: {severity} [{finding.rule}] {_visible(finding.message)}{at}")
            if finding.hint:
                lines.append(self._paint(_DIM, f"    hint: {_visible(finding.hint)}"))
        lines.append(summary_line(report))
        return "\n".join(lines) + "\n"
