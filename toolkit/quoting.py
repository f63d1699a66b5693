"""Values from the corpus as findings quote them: short, and every character visible.

A message or hint that quotes a value from a file must stay a line a person reads
and a CI service accepts, whatever the file holds: an id, a reference or a key
can be a megabyte long. Every check quotes values through ``quoted``, and
``Finding`` caps what is left (``toolkit/model.py``), so that no rule, old or
new, reports more than a few hundred characters per value.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.model import VALUE_LIMIT, shortened

__all__ = ["VALUE_LIMIT", "quoted", "shortened", "shown", "visible"]

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Printable to Python, yet nothing to see: fillers, the blank braille pattern, variation selectors.
_BLANK_LOOKING = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0]")


def visible(text: str) -> str:
    """``text`` with invisible and control characters shown by their code, so the reader sees them."""
    return "".join(_shown(char) for char in text)


def shown(text: str, limit: int = VALUE_LIMIT) -> str:
    """Text for a message without quotes around it (an id in running words): shortened and visible."""
    return visible(shortened(text, limit))


def quoted(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A short rendering of a value for a message (not Python's repr of a whole tree).

    Text is shortened, then quoted with its invisible characters escaped; other
    values are named by their kind, or written as YAML writes them.
    """
    if isinstance(value, str):
        return "'" + shown(value, limit) + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return shortened(str(value), limit)


def _shown(char: str) -> str:
    if (char.isprintable() and not _BLANK_LOOKING.match(char)) or char == " ":
        return char
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"
