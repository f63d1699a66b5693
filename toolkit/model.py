"""The data the pipeline passes around: kinds, records, findings and reports.

This module imports nothing of the pipeline (no YAML, no JSON Schema, no files,
no processes), so that loaders, checks, reporters and exporters can all share
these types, and a reporter can be used without loading the whole toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    """How much a finding matters: errors fail a run, warnings only with --strict."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of record: the folder its files live in, its schema file, and the prefix of its ids.

    The kinds themselves are registered in ``toolkit/kinds.py``, each with how
    every exporter treats it: ``csv_table`` is the CSV table of one row per
    record, ``jsonld_classes`` the JSON-LD classes of every record, and
    ``stix_type`` the STIX object each record becomes. An exporter whose own
    tables lack a kind (its columns, its fields, its mapping) refuses to start,
    naming itself (``toolkit.exporters.untreated_kinds``).
    """

    name: str
    folder: str
    schema_file: str
    id_prefix: str
    csv_table: str = ""
    jsonld_classes: tuple[str, ...] = ()
    stix_type: str = ""


@dataclass(slots=True)
class Record:
    """One annotation record: its kind, data and the file it was read from."""

    kind: Kind
    data: dict[str, Any]
    file: str  # as shown in findings
    path: Path  # on disk

    @property
    def id(self) -> str | None:
        """The record's id, or None when it has none that is text (the schema check says so)."""
        value = self.data.get("id")
        return value if isinstance(value, str) else None


# Long enough for any real id, vocabulary word or date; a longer value is cut.
VALUE_LIMIT = 60


def shortened(text: str, limit: int = VALUE_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, ending in '...' when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


# The most characters a finding's message or hint holds: several quoted values and
# the words around them, far below what CI annotations take (some 64 KiB).
TEXT_LIMIT = 1_000


def _cut(text: str) -> str:
    return text[: TEXT_LIMIT - 3] + "..."


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one place of the corpus.

    ``line`` and ``column`` are 1-based and count Unicode code points; they are
    ``None`` when the problem has no place in a file (a missing file, say).
    ``path`` is a JSON path into the record (``$.participants[0].role``), empty
    when the finding concerns the whole file.
    """

    file: str
    line: int | None
    column: int | None
    rule: str
    severity: Severity
    message: str
    path: str = ""
    hint: str | None = None

    def __post_init__(self) -> None:
        # Checks quote values through toolkit/quoting.py; this bound holds for any
        # message, also one a library wrote (jsonschema quotes the whole instance):
        # a report stays some lines per finding, whatever a file holds.
        if len(self.message) > TEXT_LIMIT:
            object.__setattr__(self, "message", _cut(self.message))
        if self.hint is not None and len(self.hint) > TEXT_LIMIT:
            object.__setattr__(self, "hint", _cut(self.hint))

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order findings by place, then rule, so reports are stable."""
        return (self.file, self.line or 0, self.column or 0, self.rule, self.message)


def json_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a path into a record as ``$.key[0].other``."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{shortened(part)}"
        else:
            text += f"[{shortened(part)!r}]"  # a key from the file can be of any length
    return text


@dataclass(frozen=True)
class Report:
    """What a validation run found, over how many files and records."""

    findings: tuple[Finding, ...]
    files: int
    records: int

    @classmethod
    def of(cls, findings: list[Finding] | tuple[Finding, ...], files: int, records: int) -> Report:
        """A report of these findings, each once, in the stable order reports show them."""
        return cls(tuple(sorted(set(findings), key=Finding.sort_key)), files, records)

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def failed(self, strict: bool = False) -> bool:
        """Whether the run should fail: any error, or any warning under --strict."""
        return self.errors > 0 or (strict and self.warnings > 0)
