"""The one value every check produces and every reporter renders."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from toolkit.quoting import shortened


# The most characters a finding's message or hint holds: several quoted values and
# the words around them, far below what CI annotations take (some 64 KiB).
TEXT_LIMIT = 1_000


def _cut(text: str) -> str:
    return text[: TEXT_LIMIT - 3] + "..."


class Severity(str, Enum):
    """How much a finding matters: errors fail a run, warnings only with --strict."""

    ERROR = "error"
    WARNING = "warning"


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
