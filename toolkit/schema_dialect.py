"""The schemas as jsonschema-rs should read them, so that its "valid" is python-jsonschema's too.

The validation fast path (``toolkit/checks/schema.py``) skips python-jsonschema
for records that jsonschema-rs finds valid, so jsonschema-rs must never pass a
record that python-jsonschema fails. The two differ where a schema leaves room
for interpretation:

- ``pattern``: python-jsonschema reads it as a Python regex, jsonschema-rs as an
  ECMAScript one. A pattern written only in the syntax both read alike (literals,
  classes of literals, groups, alternation, repetition, ``^`` and ``$``) matches
  no more in ECMAScript: their only difference there, ``$`` before a final
  newline, makes jsonschema-rs the stricter. ``\\S`` (not blank) is the one class
  the schemas use: ECMAScript's also matches U+001C-U+001F and U+0085, which are
  whitespace to Python, so jsonschema-rs gets a class without them.
- ``format`` and ``multipleOf``: each validator has its own format checks and
  float arithmetic.

``fast_schemas`` returns the schemas with their patterns so rewritten, or
``None`` when any schema uses something outside what is vouched for here; then
every record is checked by python-jsonschema (the same findings, only slower).
"""

from __future__ import annotations

import re
from typing import Any

# Where a keyword's value is a schema, a list of schemas, or schemas by name.
_SUBSCHEMA = {"items", "additionalItems", "additionalProperties", "unevaluatedProperties",
              "unevaluatedItems", "contains", "propertyNames", "not", "if", "then", "else"}
_SUBSCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SUBSCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
_NOT_VOUCHED_FOR = {"format", "multipleOf", "$dynamicRef", "$recursiveRef"}

# Python's \S, as an ECMAScript class: ECMAScript's \s lacks U+001C-U+001F and
# U+0085 and has U+FEFF, so this matches what \S matches in Python, less U+FEFF.
_NOT_BLANK = {r"\S": r"[^\s\x1c-\x1f\x85]"}

# One token of the regex syntax that Python and ECMAScript read alike.
_PLAIN_TOKEN = re.compile(r"""
    \\[.\-/+*?()\[\]{}|^$\\]                                     # escaped punctuation
  | \[\^?(?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9_.,:/ ]|\\[.\-/\\\[\]])+-?\]  # a class of literals and ranges
  | \(\?:|\((?!\?)                                               # a group (no flags, no lookaround)
  | [)|^$*+?]                                                    # alternation, anchors, repetition
  | \{[0-9]+(?:,[0-9]*)?\}                                       # counted repetition
  | [A-Za-z0-9_\-/:,@ '"#%&=<>!~]                                # a literal
""", re.VERBOSE)


class _NotVouchedFor(Exception):
    """A schema uses something the two validators may read differently."""


def fast_schemas(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """The schemas (by file name) for jsonschema-rs, or ``None`` if its verdicts cannot be trusted."""
    try:
        return {name: _schema(schema) for name, schema in schemas.items()}
    except _NotVouchedFor:
        return None


def fast_pattern(pattern: str) -> str:
    """The ECMAScript pattern that matches no more than ``pattern`` does in Python."""
    if pattern in _NOT_BLANK:
        return _NOT_BLANK[pattern]
    position = 0
    while position < len(pattern):
        token = _PLAIN_TOKEN.match(pattern, position)
        if token is None:
            raise _NotVouchedFor(pattern)
        position = token.end()
    return pattern


def _schema(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema  # true, false, or not a schema at all: left to the validators
    copy: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword in _NOT_VOUCHED_FOR:
            raise _NotVouchedFor(keyword)
        if keyword == "pattern" and isinstance(value, str):
            copy[keyword] = fast_pattern(value)
        elif keyword in _SUBSCHEMA or keyword in _SUBSCHEMA_LISTS:
            copy[keyword] = [_schema(item) for item in value] if isinstance(value, list) else _schema(value)
        elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
            rename = fast_pattern if keyword == "patternProperties" else str
            copy[keyword] = {rename(name): _schema(item) for name, item in value.items()}
        else:
            copy[keyword] = value  # data (const, enum), annotations and references stay as they are
    return copy
