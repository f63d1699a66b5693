"""The JSON text of the JSON-LD and STIX exports: one layout, written fast.

Sorted keys, two-space indent, UTF-8 characters kept, a final newline: the bytes
of ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"``.
Indented, the standard library's encoder runs in Python, not C, and writing the
text was half of the export's time; orjson writes the same bytes 15-25 times
faster (performance edit, benchmarks/README.md; a test holds the bytes equal).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def to_bytes(document: Any) -> bytes:
    """``document`` as UTF-8 JSON text in the exports' layout."""
    try:
        return orjson.dumps(document, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # What orjson refuses (an integer past 64 bits) the standard library still
        # writes; a validated corpus holds none, but an export must never fail on one.
        return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def to_text(document: Any) -> str:
    """``document`` as JSON text in the exports' layout."""
    return to_bytes(document).decode("utf-8")


def write(document: Any, path: Path) -> None:
    """Write ``document`` to ``path`` in the exports' layout."""
    path.write_bytes(to_bytes(document))


def to_bytes_with(document: dict[str, Any], key: str, value_text: bytes) -> bytes:
    """``document`` with ``value_text``, a value already written by ``to_bytes``, under ``key``.

    Lets a caller use the text of a large value (say, to name the document after
    it) without writing the value twice. JSON text written by ``to_bytes`` has no
    line break inside a string, so indenting every line nests it one level down.
    """
    nested = orjson.Fragment(value_text.rstrip(b"\n").replace(b"\n", b"\n  "))
    return orjson.dumps({**document, key: nested}, option=_OPTIONS)
