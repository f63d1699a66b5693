"""Reporters render a validation report; the CLI picks one by name."""

from __future__ import annotations

from toolkit.reporters.base import Reporter
from toolkit.reporters.github import GithubReporter
from toolkit.reporters.json_report import JsonReporter
from toolkit.reporters.sarif import SarifReporter
from toolkit.reporters.text import TextReporter

REPORTER_BY_NAME: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
    "sarif": SarifReporter,
}

__all__ = ["REPORTER_BY_NAME", "Reporter"]
