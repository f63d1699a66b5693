"""JSON: a stable, documented shape for other programs.

    {"version": 1,
     "summary": {"files": int, "records": int, "errors": int, "warnings": int},
     "findings": [{"rule", "severity", "file", "line", "column", "path",
                   "message", "hint"}, ...]}

``line``, ``column`` and ``hint`` may be null; findings are sorted by file,
line, column and rule.
"""

from __future__ import annotations

import json

from toolkit.model import Report

SHAPE_VERSION = 1


class JsonReporter:
    """The report as one JSON document."""

    def __init__(self, *, color: bool = False) -> None:
        del color

    def render(self, report: Report) -> str:
        document = {
            "version": SHAPE_VERSION,
            "summary": {
                "files": report.files,
                "records": report.records,
                "errors": report.errors,
                "warnings": report.warnings,
            },
            "findings": [
                {
                    "rule": f.rule,
                    "severity": f.severity.value,
                    "file": f.file,
                    "line": f.line,
                    "column": f.column,
                    "path": f.path,
                    "message": f.message,
                    "hint": f.hint,
                }
                for f in report.findings
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
