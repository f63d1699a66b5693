"""The schema means what its reader thinks, whichever validator decides (issue 13, part "schema").

A pattern is an ECMA-262 regular expression (``$`` is the end of the text, ``\\d``
is 0-9), an integer is written without a decimal point, a number is finite, text
that is "not blank" holds something visible, and the fast path (jsonschema-rs)
and the slow one (python-jsonschema) give one verdict on every value: should they
ever disagree, the record is refused, never passed.
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from toolkit.checks.schema import check_schema
from toolkit.kinds import KINDS
from toolkit.loading import load_corpus
from toolkit.model import Finding, Record
from toolkit.schema_loader import load_schemas

REPO = Path(__file__).resolve().parent.parent
CLEAN = REPO / "tests" / "corpora" / "clean"
KIND = {kind.name: kind for kind in KINDS}


@functools.cache
def _clean_records() -> dict[str, dict[str, Any]]:
    return {record.kind.name: record.data for record in load_corpus(CLEAN).records}


def _record(kind: str, **changes: Any) -> Record:
    data = copy.deepcopy(_clean_records()[kind])
    data.update(changes)
    return Record(KIND[kind], data, f"{kind}.yaml", Path(f"{kind}.yaml"))


def _both_paths(record: Record) -> list[Finding]:
    """The findings of the fast path, after checking that the slow path finds the same."""
    schemas = load_schemas()
    fast = check_schema([record], schemas)
    slow = check_schema([record], schemas, fast=False)
    assert fast == slow
    return fast


def _corpus_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(CLEAN, corpus)
    path = corpus / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return corpus


def _rules(report: Any) -> list[str]:
    return [finding.rule for finding in report.findings]


# -- the reported case: a value with a final newline ----------------------------------


def test_a_wikidata_id_ending_in_a_newline_is_refused_on_both_paths() -> None:
    record = _record("actor", external_ids={"wikidata": "Q312567\n"})
    findings = _both_paths(record)
    assert [(f.rule, f.path) for f in findings] == [("schema-format", "$.external_ids.wikidata")]
    assert "'Q312567\\n'" in findings[0].message  # the newline is shown, not printed


def test_a_date_written_as_a_block_scalar_is_refused(tmp_path: Path) -> None:
    # `start: |` keeps the final newline: "2022-06-23\n" is not a calendar date.
    corpus = _corpus_with(
        tmp_path, "events/evt-lapid-visits-turkey.yaml", 'start: "2022-06-23"', "start: |\n    2022-06-23"
    )
    report = toolkit.validate([corpus])
    assert "schema-format" in _rules(report)


def test_a_newline_before_the_end_does_not_pass_any_anchored_pattern_of_the_schemas() -> None:
    schemas = load_schemas()
    assert len(_anchored_patterns_with_examples()) >= 9
    for pattern, example in _anchored_patterns_with_examples():
        slow = schemas.validators["actor"].__class__({"pattern": pattern})
        assert slow.is_valid(example), (pattern, example)
        assert not slow.is_valid(example + "\n"), pattern


# -- patterns read as ECMA-262 by python-jsonschema ------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"^a$", "a\n"),  # $ is the end of the text
        (r"^\d+$", "\u0663\u0664"),  # Arabic-Indic digits are not \d
        (r"^\d$", "\uff11"),  # nor a fullwidth one
        (r"^\w+$", "é"),  # \w is [A-Za-z0-9_]
        (r"\s", "\x1c"),  # U+001C is not white space to ECMA-262
        (r"^\S$", "\ufeff"),  # and U+FEFF is
    ],
)
def test_python_jsonschema_reads_a_pattern_as_ecma_262(pattern: str, text: str) -> None:
    slow = load_schemas().validators["actor"].__class__({"pattern": pattern})
    fast = jsonschema_rs.validator_for({"pattern": pattern})
    assert not slow.is_valid(text)
    assert not fast.is_valid(text)


# -- numbers ---------------------------------------------------------------------------


def test_an_integer_written_with_a_decimal_point_is_refused(tmp_path: Path) -> None:
    corpus = _corpus_with(tmp_path, "advisories/adv-il-nsc-istanbul-level-4.yaml", "value: 4", "value: 4.0")
    report = toolkit.validate([corpus])
    assert [(f.rule, f.path) for f in report.findings] == [("schema-type", "$.level.value")]
    assert report.findings[0].hint == "write it without a decimal point: 4"


def test_an_integral_float_is_refused_on_both_paths() -> None:
    level = {**_clean_records()["advisory"]["level"], "value": 4.0}
    assert [f.rule for f in _both_paths(_record("advisory", level=level))] == ["schema-type"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_not_numbers(value: float) -> None:
    # python-jsonschema took NaN within any minimum and maximum: every comparison is false.
    findings = _both_paths(_record("location", coordinates={"latitude": value, "longitude": 28.97}))
    assert [(f.rule, f.path) for f in findings] == [("schema-type", "$.coordinates.latitude")]


def test_a_number_too_large_for_a_double_is_refused_as_a_number(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CLEAN, corpus)
    path = corpus / "locations" / "loc-istanbul.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "coordinates:\n  latitude: 1e400\n  longitude: 28.97\n", encoding="utf-8"
    )
    report = toolkit.validate([corpus])
    assert [(f.rule, f.path) for f in report.findings] == [("schema-type", "$.coordinates.latitude")]


# -- not blank -------------------------------------------------------------------------

_INVISIBLE = [
    "\u200b",
    "\u200b\u200c\u200d",
    "\u2060",
    "\u00ad",
    "\u3164",
    "\u115f",
    "\uffa0",
    "\u2800",
    "\ufe0f",
    "\u034f",
    "\u180e",
    "\u202e",
    "\x01",
    "\x7f",
    "\ufeff",
]
_VISIBLE = ["é", "日本", "😀", "\u0663", "-", "\U0001f1f9\U0001f1f7"]


@pytest.mark.parametrize("text", _INVISIBLE, ids=lambda text: "+".join(f"U+{ord(c):04X}" for c in text))
def test_text_is_blank_when_none_of_its_characters_is_visible(text: str) -> None:
    findings = _both_paths(_record("actor", name=text))
    assert [(f.rule, f.path) for f in findings] == [("schema-format", "$.name")]
    assert "\\u" in findings[0].message  # shown by code, not invisibly
    for visible in _VISIBLE:
        assert _both_paths(_record("actor", name=text + visible + text)) == [], visible


# -- other values ----------------------------------------------------------------------


def test_a_lone_surrogate_is_not_text() -> None:
    # No file can hold one (the YAML reader refuses the escape), but the library takes data from callers.
    findings = _both_paths(_record("actor", name="Turkey\ud800"))
    assert [(f.rule, f.path) for f in findings] == [("schema-type", "$.name")]


def test_names_that_are_the_same_text_in_unicode_are_a_repeat() -> None:
    composed, decomposed = "\u00c7avu\u015fo\u011flu", "C\u0327avus\u0327og\u0306lu"
    assert composed != decomposed
    findings = _both_paths(_record("actor", aliases=[composed, decomposed]))
    assert [(f.rule, f.path) for f in findings] == [("schema-invalid", "$.aliases")]


# -- one verdict -----------------------------------------------------------------------


def test_a_record_the_two_validators_disagree_on_is_refused_not_passed() -> None:
    # Should jsonschema-rs ever refuse what python-jsonschema passes, its verdict stands.
    schemas = load_schemas()
    refuses_all = jsonschema_rs.validator_for({"not": {}})
    stub = SimpleNamespace(fast_validators={"actor": refuses_all}, validators=schemas.validators)
    findings = check_schema([_record("actor")], stub)  # type: ignore[arg-type]
    assert [f.rule for f in findings] == ["schema-invalid"]
    assert "disagree" in (findings[0].hint or "")


def _walk(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


def _shipped(keyword: str) -> list[Any]:
    found = {
        json.dumps(node[keyword])
        for schema in load_schemas().schemas.values()
        for node in _walk(schema)
        if keyword in node
    }
    return [json.loads(each) for each in sorted(found)]


def _anchored_patterns_with_examples() -> list[tuple[str, str]]:
    examples = {"src": "src-a-1", "act": "act-a-1", "loc": "loc-a-1", "evt": "evt-a-1", "adv": "adv-a-1"}
    known = {
        r"^Q[1-9][0-9]*$": "Q42",
        r"^[1-9][0-9]*$": "745044",
        r"^[0-9a-f]{64}$": "0" * 64,
        r"^https?://[^\s]+$": "https://example.org/2022/06/23/a",
        r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$": "a.txt",
        r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2})?$": "en",
        r"^[0-9]{4}$": "2022",
        r"^[0-9]{4}-[0-9]{2}$": "2022-06",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "2022-06-23",
        r"^[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?$": "2022-06-23",
    }
    pairs = []
    for pattern in _shipped("pattern"):
        if pattern.startswith("^") and pattern.endswith("$"):
            example = known.get(pattern) or examples[pattern[1:4]]
            pairs.append((pattern, example))
    return pairs


def test_the_free_text_pattern_means_the_same_to_both_validators_on_every_character() -> None:
    slow_class = load_schemas().validators["actor"].__class__
    for pattern in [p for p in _shipped("pattern") if not p.startswith("^")] + [r"\S", r"[^\s]", r"[\s]"]:
        fast = jsonschema_rs.validator_for({"pattern": pattern})
        slow = slow_class({"pattern": pattern})
        # Every character of the BMP (where every white space, control and invisible one is),
        # and a sample of the other planes.
        for code in [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, sys.maxunicode + 1, 97)]:
            char = chr(code)
            assert fast.is_valid(char) == slow.is_valid(char), (pattern, f"U+{code:04X}")


_AWKWARD = (
    "0123456789-Qaz_.AZ\n\r\t \u00a0\u0663\uff11\u00e9\u200b\u2028\u2029\x1c\x85\ufeff\u0130\u212a\U0001d7ce\U0001f600"
)
_TEXT = st.text(alphabet=st.sampled_from(_AWKWARD), max_size=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=_TEXT, which=st.integers(0, 100))
def test_both_validators_give_one_verdict_on_each_pattern_of_the_schemas(text: str, which: int) -> None:
    patterns = _shipped("pattern")
    pattern = patterns[which % len(patterns)]
    # A known-good value with the awkward text around it, so the anchors are tested and not only the alphabet.
    for value in (text, text + "2022", "2022" + text, "Q4" + text, "act-a" + text):
        fast = jsonschema_rs.validator_for({"pattern": pattern})
        slow = load_schemas().validators["actor"].__class__({"pattern": pattern})
        assert fast.is_valid(value) == slow.is_valid(value), (pattern, value)


_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from([0.0, -0.0, 4.0, 1e300, 2.0**63, float(2**53)]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    value=st.one_of(_NUMBERS, _TEXT, st.none(), st.lists(_NUMBERS, max_size=2)),
    name=st.sampled_from(["integer", "number", "string", "boolean", "null", "array", "object"]),
)
def test_both_validators_give_one_verdict_on_each_type(value: Any, name: str) -> None:
    from toolkit.schema_semantics import FAST_KEYWORDS, fast_schemas

    schema = {"type": name, "minimum": 1, "maximum": 4} if name in ("integer", "number") else {"type": name}
    fast_schema = fast_schemas({"x": schema})
    assert fast_schema is not None
    fast = jsonschema_rs.validator_for(fast_schema["x"], keywords=FAST_KEYWORDS)
    slow = load_schemas().validators["actor"].__class__(schema)
    try:
        fast_says = fast.is_valid(value)
    except ValueError:
        fast_says = None  # a value jsonschema-rs cannot take: the slow path alone decides
    if fast_says is not None:
        assert fast_says == slow.is_valid(value), (name, value)


_LEAVES = st.one_of(
    st.none(),
    _NUMBERS,
    _TEXT,
    st.sampled_from(
        ["act-turkey", "2022-06-23", "day", "state", "TR", "act-turkey\n", "2022-06-23\n", "\u200b", "\u3164"]
    ),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["start", "value", "name"]), inner, max_size=2)
    ),
    max_leaves=5,
)


def _places(data: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _places(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _places(value, path + (index,))


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(KIND)),
    where=st.integers(0, 10**6),
    value=_VALUES,
    how=st.sampled_from(["replace", "append", "prepend"]),
    around=st.one_of(st.sampled_from(["\n", "\r\n", "\u2028", "\u0663", "\u200b", "\x85"]), _TEXT),
)
def test_both_validators_give_one_verdict_on_whole_records(
    kind: str, where: int, value: Any, how: str, around: str
) -> None:
    # A value replaced, or awkward text put around a valid one (where the anchors are tested).
    data = copy.deepcopy(_clean_records()[kind])
    places = [place for place in _places(data) if place]
    place = places[where % len(places)]
    holder = data
    for step in place[:-1]:
        holder = holder[step]
    old = holder[place[-1]]
    if how != "replace" and isinstance(old, str):
        value = old + around if how == "append" else around + old
    holder[place[-1]] = value
    schemas = load_schemas()
    try:
        fast_says = schemas.fast_validators[kind].is_valid(data)
    except ValueError:
        return  # jsonschema-rs cannot take the value: the slow path alone decides
    assert fast_says == schemas.validators[kind].is_valid(data), data
