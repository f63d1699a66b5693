"""The JSON text of the JSON-LD and STIX exports: one layout, written fast.

Sorted keys, two-space indent, UTF-8 characters kept, a final newline: the bytes
of ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"``.
Indented, the standard library's encoder runs in Python, not C, and writing the
text was half of the export's time; orjson writes the same bytes 15-25 times
faster (performance edit, benchmarks/README.md; a test holds the bytes equal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, BinaryIO

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


def write_streamed(stream: BinaryIO, document: dict[str, Any], key: str, items: Iterable[Any]) -> str:
    """Write ``{**document, key: list(items)}`` to ``stream``, one item at a time.

    The bytes are those of ``to_bytes``, but the whole text is never held: at
    100,000 records it is 400-500 MB, and making it (and a copy) took as long as
    building the objects (performance edit, benchmarks/README.md). Returns the
    SHA-256 (hex) of the list's text as written, from ``[`` to ``]``.
    """
    # A NUL never stands in JSON text (strings escape it), so it marks where the list goes.
    head, tail = orjson.dumps({**document, key: orjson.Fragment(b"\0")}, option=_OPTIONS).split(b"\0")
    digest = hashlib.sha256()

    def put(chunk: bytes) -> None:
        digest.update(chunk)
        stream.write(chunk)

    stream.write(head)
    separator = b"[\n" + _ITEM_INDENT
    for item in items:
        put(separator)
        # An item's text has no line break inside a string: indenting every line nests it.
        put(_item_bytes(item).replace(b"\n", b"\n" + _ITEM_INDENT))
        separator = b",\n" + _ITEM_INDENT
    put(b"[]" if separator.startswith(b"[") else b"\n  ]")
    stream.write(tail)
    return digest.hexdigest()


_ITEM_INDENT = b"    "  # items of a list under a top-level key sit two levels down


def _item_bytes(item: Any) -> bytes:
    try:
        return orjson.dumps(item, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
