"""How the schemas are read: as JSON Schema means them, alike by both validators.

Validation (``toolkit/checks/schema.py``) asks jsonschema-rs first and
python-jsonschema only about the records it refuses, so the two must give one
verdict on every value. Left to their defaults they do not, and neither reads the
schemas as their reader does:

- ``pattern`` is an ECMA-262 regular expression (JSON Schema's own dialect), but
  python-jsonschema runs it with Python's ``re``: ``$`` also matches before a
  final newline (``"Q312567\\n"`` passed ``^Q[1-9][0-9]*$``), ``\\d`` takes
  Arabic-Indic and other digits, ``\\w`` and ``\\s`` other letters and spaces.
  Here python-jsonschema runs every pattern with ``regress``, an ECMA-262 engine
  (with the ``u`` flag, as editors do), and jsonschema-rs, which translates
  ECMA-262 for its own engine, gets only patterns written in a syntax that both
  read alike (``fast_pattern``), else the fast path is off.
- ``integer`` and ``number``: both validators take ``4.0`` as an integer, as JSON
  Schema allows, and python-jsonschema takes NaN and infinity as numbers. A reader
  of ``"type": "integer"`` expects ``4``, and so does every exporter: here an
  integer is an ``int``, a number an ``int`` or a finite ``float``, and a boolean
  never either (``is_json_type``). python-jsonschema gets this as its type
  checker; jsonschema-rs gets it as a keyword of our own beside each numeric
  ``type`` (``x-toolkit-type``), so no value it reads as a number escapes it.
- ``string``: text is Unicode text; a lone surrogate (which no file can hold but a
  caller of the library can pass) is not a string to python-jsonschema, and
  jsonschema-rs cannot take it at all (the fast path then has no verdict).
- ``uniqueItems``: two strings that are the same text in Unicode's sense (one
  written with ``ç``, the other with ``c`` and a combining cedilla) look the
  same to every reader but differ code point by code point; here they are
  compared in their NFC form, a repeat like any other.
- ``format`` and ``multipleOf``: each validator has its own format checks and
  float arithmetic; a schema using them turns the fast path off.

``fast_schemas`` returns the schemas as jsonschema-rs should get them, or
``None`` when any schema uses something outside what is vouched for here; then
every record is checked by python-jsonschema alone (the same findings, only
slower). ``tests/test_hardening_schema.py`` checks that the two agree, value by
value, on every pattern and type of the shipped schemas.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import regress
    from jsonschema.protocols import Validator

# -- values: the JSON types as a reader of the schema means them --------------------

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def is_json_type(value: Any, name: str) -> bool:
    """Whether ``value`` is of the JSON Schema type ``name``, as a reader of the schema means it.

    Stricter than JSON Schema's letter in three places: an integer is never a
    float (``4.0``), a number is finite (no NaN or infinity, which JSON cannot
    write), and a string holds no lone surrogate. A boolean is never a number.
    """
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if name == "string":
        return isinstance(value, str) and _LONE_SURROGATE.search(value) is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    return False


def nfc_items(items: list[Any]) -> list[Any]:
    """The items of a list with every string in its NFC form: canonically equal texts become equal."""
    return [unicodedata.normalize("NFC", item) if isinstance(item, str) else item for item in items]


def _all_nfc(items: list[Any]) -> bool:
    return all(unicodedata.is_normalized("NFC", item) for item in items if isinstance(item, str))


# -- patterns: ECMA-262, with the u flag ----------------------------------------------


@lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> regress.Regex:
    """``pattern`` compiled as JSON Schema means it: an ECMA-262 regular expression (``u`` flag)."""
    import regress

    return regress.Regex(pattern, "u")


def pattern_matches(pattern: str, text: str) -> bool:
    """Whether a schema's ``pattern`` matches ``text`` anywhere, with ECMA-262's meaning of every token.

    Text with a lone surrogate matches nothing: it is not Unicode text.
    """
    try:
        return ecma_regex(pattern).find(text) is not None
    except UnicodeError:
        return False


# -- python-jsonschema: the slow path, whose errors the messages are written from ------


@cache
def slow_validator_class() -> type[Validator]:
    """Draft 2020-12 with ECMA-262 patterns and the types of ``is_json_type``.

    Built on first use: importing python-jsonschema costs more than validating a
    thousand records, and a clean corpus never needs it.
    """
    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "string") and not pattern_matches(pattern, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")

    def pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Any:
        if not validator.is_type(instance, "object"):
            return
        for each, subschema in patterns.items():
            for key, value in instance.items():
                if pattern_matches(each, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=each)

    def additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Any:
        # python-jsonschema's own version finds the additional properties with re.search.
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extras = [
            key for key in instance if key not in known and not any(pattern_matches(each, key) for each in patterns)
        ]
        if validator.is_type(additional, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], additional, path=extra)
        elif not additional and extras:
            listed = ", ".join(repr(extra) for extra in sorted(extras, key=str))
            yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")

    plain_unique_items = Draft202012Validator.VALIDATORS["uniqueItems"]

    def unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "array") and not _all_nfc(instance):
            instance = nfc_items(instance)
        yield from plain_unique_items(validator, unique, instance, schema)

    types = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            name: (lambda type_name: lambda _checker, value: is_json_type(value, type_name))(name)
            for name in ("integer", "number", "string", "boolean", "null", "array", "object")
        }
    )
    # types-jsonschema leaves extend() unannotated: its result is the class it builds.
    dialect: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        validators={
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
            "uniqueItems": unique_items,
        },
        type_checker=types,
    )
    return dialect


# -- jsonschema-rs: the fast path ------------------------------------------------------

# The keyword of our own set beside each "type" that names a numeric type.
STRICT_TYPE = "x-toolkit-type"
_NUMERIC = {"integer", "number"}


class _StrictType:
    """jsonschema-rs keyword: the value is of one of the types, as ``is_json_type`` means them.

    jsonschema-rs checks ``type`` itself, and agrees with ``is_json_type`` except on
    numbers (``4.0`` is an integer to it); this refuses those. It is set only beside
    numeric types, so a clean record calls into Python once per number it holds.
    """

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        self.types = value if isinstance(value, list) else [value]

    def validate(self, instance: Any) -> None:
        if isinstance(instance, (int, float)) and not any(is_json_type(instance, name) for name in self.types):
            raise ValueError(f"{instance!r} is not of type {' or '.join(map(repr, self.types))}")


# The keyword of our own set beside each "uniqueItems": true.
UNIQUE_TEXT = "x-toolkit-unique-text"


class _UniqueText:
    """jsonschema-rs keyword: no two strings of the list are the same text once in NFC form.

    jsonschema-rs checks ``uniqueItems`` code point by code point; a list whose
    strings are all in NFC already (nearly every list) costs one check per string.
    """

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        self.unique = value is True

    def validate(self, instance: Any) -> None:
        if self.unique and isinstance(instance, list) and not _all_nfc(instance):
            texts = [item for item in nfc_items(instance) if isinstance(item, str)]
            if len(set(texts)) != len(texts):
                raise ValueError("the list repeats a text (the same once in Unicode's NFC form)")


FAST_KEYWORDS: dict[str, type] = {STRICT_TYPE: _StrictType, UNIQUE_TEXT: _UniqueText}

# Where a keyword's value is a schema, a list of schemas, or schemas by name.
_SUBSCHEMA = {
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
}
_SUBSCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SUBSCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
# Read differently by the two validators (their own format checks and float
# arithmetic), or, for unevaluatedProperties beside patternProperties, by
# python-jsonschema with Python's re.
_NOT_VOUCHED_FOR = {"format", "multipleOf", "$dynamicRef", "$recursiveRef", STRICT_TYPE, UNIQUE_TEXT}

# One token of the ECMA-262 syntax that jsonschema-rs's translation and regress read
# alike, whatever the text (tests/test_hardening_schema.py tries every code point on
# the classes): no Unicode property tables, whose versions may differ, no flags,
# no lookaround, no backreferences.
_ESCAPE = r"\\(?:[.\-/+*?()\[\]{}|^$\\]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\})"
_CLASS_ITEM = rf"(?:{_ESCAPE}|\\s|[A-Za-z0-9_.,:/ ])"
_PLAIN_TOKEN = re.compile(
    rf"""
    {_ESCAPE}                                                    # an escaped character
  | \[\^?(?:{_CLASS_ITEM}-{_CLASS_ITEM}|{_CLASS_ITEM})+-?\]      # a class of characters, ranges and \\s
  | \(\?:|\((?!\?)                                               # a group (no flags, no lookaround)
  | [)|^$*+?]                                                    # alternation, anchors, repetition
  | \{{[0-9]+(?:,[0-9]*)?\}}                                     # counted repetition
  | \\S                                                          # not white space
  | [A-Za-z0-9_\-/:,@ '"#%&=<>!~]                                # a literal
""",
    re.VERBOSE,
)


class _NotVouchedFor(Exception):
    """A schema uses something the two validators may read differently."""


def fast_schemas(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """The schemas (by file name) for jsonschema-rs, or ``None`` if its verdicts cannot be trusted."""
    try:
        for schema in schemas.values():
            _check_unevaluated(schema)
        return {name: _schema(schema) for name, schema in schemas.items()}
    except _NotVouchedFor:
        return None


def fast_pattern(pattern: str) -> str:
    """``pattern`` for jsonschema-rs, if it reads it as regress does; else raises ``_NotVouchedFor``."""
    position = 0
    while position < len(pattern):
        token = _PLAIN_TOKEN.match(pattern, position)
        if token is None:
            raise _NotVouchedFor(pattern)
        position = token.end()
    return pattern


def _check_unevaluated(schema: Any) -> None:
    # python-jsonschema finds the properties that patternProperties evaluated with re.search.
    if isinstance(schema, dict):
        if "unevaluatedProperties" in schema and "patternProperties" in schema:
            raise _NotVouchedFor("unevaluatedProperties")
        for value in schema.values():
            _check_unevaluated(value)
    elif isinstance(schema, list):
        for value in schema:
            _check_unevaluated(value)


def _schema(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema  # true, false, or not a schema at all: left to the validators
    copy: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword in _NOT_VOUCHED_FOR:
            raise _NotVouchedFor(keyword)
        if keyword == "pattern" and isinstance(value, str):
            copy[keyword] = fast_pattern(value)
        elif keyword == "type":
            copy[keyword] = value
            names = value if isinstance(value, list) else [value]
            if _NUMERIC & set(names):
                copy[STRICT_TYPE] = names
        elif keyword == "uniqueItems":
            copy[keyword] = value
            if value is True:
                copy[UNIQUE_TEXT] = True
        elif keyword in _SUBSCHEMA or keyword in _SUBSCHEMA_LISTS:
            copy[keyword] = [_schema(item) for item in value] if isinstance(value, list) else _schema(value)
        elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
            rename = fast_pattern if keyword == "patternProperties" else str
            copy[keyword] = {rename(name): _schema(item) for name, item in value.items()}
        else:
            copy[keyword] = value  # data (const, enum), annotations and references stay as they are
    return copy
