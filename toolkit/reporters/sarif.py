"""SARIF 2.1.0, for code-scanning dashboards: stable rule ids, repository-relative paths."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from toolkit import __version__
from toolkit.model import Report, Severity
from toolkit.rules import RULES

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _artifact(file: str) -> dict[str, str]:
    """Where a file is: relative to the checkout (``SRCROOT``) when run inside it, else absolute."""
    if PurePath(file).is_absolute():
        return {"uri": PurePath(file).as_uri()}
    return {"uri": quote(file), "uriBaseId": "SRCROOT"}


class SarifReporter:
    """One SARIF log with one run; every rule of the toolkit is listed in the driver."""

    def __init__(self, *, color: bool = False) -> None:
        del color

    def render(self, report: Report) -> str:
        rule_ids = sorted(RULES)
        index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
        rules = [
            {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": RULES[rule_id].summary},
                "defaultConfiguration": {"level": _LEVEL[RULES[rule_id].severity]},
            }
            for rule_id in rule_ids
        ]
        results = []
        for finding in report.findings:
            location: dict[str, Any] = {"artifactLocation": _artifact(finding.file)}
            if finding.line is not None:
                location["region"] = {"startLine": finding.line}
                if finding.column is not None:
                    location["region"]["startColumn"] = finding.column
            text = finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
            result: dict[str, Any] = {
                "ruleId": finding.rule,
                "level": _LEVEL[finding.severity],
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
            }
            if finding.rule in index:
                result["ruleIndex"] = index[finding.rule]
            if finding.path:
                result["properties"] = {"jsonPath": finding.path}
            results.append(result)
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "toolkit", "version": __version__, "rules": rules}},
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                }
            ],
        }
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
