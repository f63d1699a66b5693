"""Check each record against the JSON Schema of its kind, in words a person can act on.

Two validators, one verdict. jsonschema-rs says whether a record is valid in a
few microseconds; only records it does not pass go to python-jsonschema, whose
structured errors the messages are written from. Both read the schemas as JSON
Schema means them (``schema_semantics.py``), so the findings are the same either
way (``tests/test_fast_path.py``, ``tests/test_hardening_schema.py``); and should
they ever disagree, the record is refused all the same, with jsonschema-rs's
words, never passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from toolkit.model import Finding, Record, json_path
from toolkit.positions import finding_at
from toolkit.quoting import quoted as describe_value
from toolkit.quoting import shortened
from toolkit.schema_loader import SchemaSet
from toolkit.schema_semantics import is_json_type

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import ValidationError

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "nothing",
}


def _type_of(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "a number beyond what a file can write" if not math.isnan(value) else "something that is not a number"
    if isinstance(value, str) and not is_json_type(value, "string"):
        return "text that is not valid Unicode (a lone surrogate)"
    for name, kind in (
        ("boolean", bool),
        ("integer", int),
        ("number", float),
        ("string", str),
        ("array", list),
        ("object", dict),
    ):
        if isinstance(value, kind):
            return _TYPE_WORDS[name]
    return _TYPE_WORDS["null"]


# How like a known value a word must be to be suggested (rapidfuzz's ratio, 0-100).
_CLOSEST_CUTOFF = 60
# A field name must be closer: a record has many fields, and a wrong guess ('source'
# read as 'outcome') hides the list of known fields, which is the better hint.
_CLOSEST_FIELD_CUTOFF = 75


def _closest(word: Any, choices: Iterable[str], cutoff: float = _CLOSEST_CUTOFF) -> str | None:
    """The known value most like ``word`` ("did you mean"), else one equal to it but for case.

    rapidfuzz compares in C, and with the cutoff it passes over in constant time a
    choice whose length alone keeps it from being close, so a hint costs at most the
    vocabulary's size times its longest value, however long the word: thousands of
    distinct typos, or one of a megabyte, cost milliseconds (difflib took seconds).
    """
    if not isinstance(word, str):
        return None
    options = list(choices)
    from rapidfuzz import fuzz, process  # imported on first need: a valid corpus asks for no closest word

    best = process.extractOne(word, options, scorer=fuzz.ratio, score_cutoff=cutoff)
    if best is not None:
        return best[0]
    lowered = word.lower()
    return next((choice for choice in options if choice.lower() == lowered), None)


def _vocabulary_values(error: ValidationError) -> list[str] | None:
    """The allowed values when a oneOf is a controlled vocabulary of consts."""
    options = error.schema.get("oneOf") if isinstance(error.schema, dict) else None
    if options and all(isinstance(option, dict) and "const" in option for option in options):
        return [option["const"] for option in options]
    return None


def _what(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title")
    return title.lower() if title else "value"


def _findings_for(error: ValidationError, record: Record) -> Iterator[Finding]:
    parts = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-error")
    # JSON values: iter_errors always sets them, though the stubs allow them unset.
    value: Any = error.instance
    limit: Any = error.validator_value
    if error.validator == "required":
        for field in limit:
            if isinstance(value, dict) and field not in value:
                hint = (schema.get("properties", {}).get(field) or {}).get("description")
                where = "the record" if not parts else f"{json_path(parts)}"
                yield finding_at(record, "schema-required", parts, f"missing required field '{field}' in {where}", hint)
        return
    if error.validator == "dependentRequired":
        # A field that needs another ('location' needs 'location_precision'): placed at
        # the field that is there, as a missing field, never as "a dependency" at 1:1.
        for present, needed in limit.items() if isinstance(limit, dict) else ():
            if not isinstance(value, dict) or present not in value:
                continue
            for field in needed:
                if field not in value:
                    hint = (schema.get("properties", {}).get(field) or {}).get("description")
                    yield finding_at(
                        record,
                        "schema-required",
                        parts + [present],
                        f"'{present}' needs the field '{field}' beside it",
                        hint or f"add '{field}' next to '{present}'",
                        key=True,
                    )
        return
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = list(schema.get("properties", {}))
        for field in value:
            if field not in known:
                close = _closest(field, known, _CLOSEST_FIELD_CUTOFF)
                hint = f"did you mean '{close}'?" if close else f"known fields: {', '.join(known)}"
                yield finding_at(
                    record,
                    "schema-unknown-field",
                    parts + [field],
                    f"unknown field '{shortened(field)}'",
                    hint,
                    key=True,
                )
        return
    if custom:
        yield finding_at(record, "schema-invalid", parts, custom)
        return
    if error.validator == "type" and _vocabulary_values(error) is not None:
        # A value of a controlled vocabulary fails its oneOf of consts as well, whose
        # finding names every allowed value: "expected text" (or quotes) would not help.
        return
    if error.validator == "type":
        expected: list[str] = limit if isinstance(limit, list) else [limit]  # JSON Schema type names
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in expected)
        hint = None
        if isinstance(value, str) and "integer" in expected and value.strip().lstrip("+-").isdigit():
            hint = "write the number without quotes or leading zeros"
        elif isinstance(value, float) and "integer" in expected and value.is_integer():
            hint = f"write it without a decimal point: {int(value)}"
        elif isinstance(value, (bool, int, float)) and "string" in expected:
            hint = "put the value in quotes to keep it as text"
        yield finding_at(
            record, "schema-type", parts, f"expected {words}, found {_type_of(value)} ({describe_value(value)})", hint
        )
        return
    allowed = _vocabulary_values(error)
    if allowed is not None or error.validator == "enum":
        # Shown as text: a scale's values may be numbers (information credibility, 1-6).
        allowed = [str(v) for v in (allowed if allowed is not None else limit)]
        what = _what(error) if error.validator != "enum" else (schema.get("description") or "allowed value").rstrip(".")
        message = f"{describe_value(value)} is not a known {what}"
        close = _closest(value, allowed)
        if close:
            hint = f"did you mean '{close}'?"
        elif len(allowed) <= 12:
            # A small vocabulary is a scale or a short list: the message names every value
            # (a reliability of 5 is "one of A, B, C, D, E, F"), the hint what the scale is.
            message += ": one of " + ", ".join(allowed)
            hint = schema.get("description") if error.validator != "enum" else None
        else:
            hint = "see the list in docs/reference.md"
        yield finding_at(record, "schema-vocabulary", parts, message, hint)
        return
    if error.validator in ("pattern", "format"):
        description = schema.get("description")
        subject = description.split(":")[0].rstrip(".").lower() if description else f"the required {error.validator}"
        yield finding_at(
            record,
            "schema-format",
            parts,
            f"{describe_value(value)} is not a valid {subject}"
            if description
            else f"{describe_value(value)} does not have {subject} ({limit})",
            description,
        )
        return
    if error.validator in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            yield from _findings_for(best, record)
            return
    yield finding_at(record, "schema-invalid", parts, _plain_message(error))


def _plain_message(error: ValidationError) -> str:
    value = error.instance
    keyword, limit = error.validator, error.validator_value
    messages = {
        "minItems": f"the list needs at least {limit} item{'s' if limit != 1 else ''}",
        "maxItems": f"the list takes at most {limit} items",
        "minLength": "the text is empty",
        "uniqueItems": "the list repeats an item",
        "minimum": f"{describe_value(value)} is below the minimum of {limit}",
        "maximum": f"{describe_value(value)} is above the maximum of {limit}",
        "minProperties": "the mapping is empty",
        "const": f"expected {describe_value(limit)}, found {describe_value(value)}",
    }
    return messages.get(keyword, error.message) if isinstance(keyword, str) else error.message


def check_schema(records: Iterable[Record], schemas: SchemaSet, *, fast: bool = True) -> list[Finding]:
    """Findings for every record that does not match the schema of its kind.

    With ``fast`` (the default), records that jsonschema-rs finds valid skip
    python-jsonschema; the findings are the same without it, only slower.
    """
    findings: list[Finding] = []
    quick = schemas.fast_validators if fast else {}
    for record in records:
        fast_validator = quick.get(record.kind.name)
        verdict = _fast_verdict(fast_validator, record.data) if fast_validator is not None else None
        if verdict is True:
            continue
        validator = schemas.validators[record.kind.name]
        found = [finding for error in validator.iter_errors(record.data) for finding in _findings_for(error, record)]
        if not found and verdict is False:
            # The validators disagree: one verdict means the stricter one stands.
            found = _fast_findings(fast_validator, record.data, record)
        findings.extend(found)
    return findings


def _fast_verdict(validator: jsonschema_rs.Validator, data: Any) -> bool | None:
    """jsonschema-rs's verdict on the record, or ``None`` when it cannot read it."""
    try:
        return validator.is_valid(data)
    except (ValueError, TypeError, OverflowError):
        return None  # a value JSON cannot hold (a lone surrogate): let python-jsonschema say what is wrong


def _fast_findings(validator: Any, data: Any, record: Record) -> list[Finding]:
    """Findings in jsonschema-rs's words, for a record python-jsonschema found nothing wrong with."""
    hint = "the toolkit's two schema validators disagree on this value: please report it"
    found = [
        finding_at(record, "schema-invalid", list(error.instance_path), error.message, hint)
        for error in validator.iter_errors(data)
    ]
    return found or [finding_at(record, "schema-invalid", [], "the record does not match its schema", hint)]
