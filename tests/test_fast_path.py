"""The fast path (jsonschema-rs first, python-jsonschema only for what it rejects) finds exactly what the slow one does.

Every example corpus of the repository is validated both ways; a property test
mutates real records at random and checks that jsonschema-rs never passes what
python-jsonschema fails, which is what makes skipping python-jsonschema safe.
"""

from __future__ import annotations

import copy
import functools
import importlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_overlay import REPORT_FIXTURE, build_fixture, rule_cases
from toolkit.checks.schema import check_schema
from toolkit.kinds import KINDS
from toolkit.loading import load_corpus
from toolkit.model import Record
from toolkit.schema_loader import load_schemas
from toolkit.schema_semantics import fast_pattern, fast_schemas
from toolkit.validation import validate

REPO = Path(__file__).resolve().parent.parent
# Relative to the repository; the rule cases (tests/rules/<rule>/<kind>) are overlays and
# the report fixture writes its evidence short: both are checked as built in rule_corpora.
CORPORA = sorted(
    [case.relative_to(REPO) for case in rule_cases()]
    + [path.relative_to(REPO) for path in (REPO / "tests" / "corpora").glob("*") if path.is_dir()]
    + [Path("tests/report_fixture"), Path("annotations")]
)


def corpus_id(path: Path) -> str:
    return path.as_posix()


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # findings name files relative to the working directory


def full_corpus(corpus: Path, rule_corpora: Path) -> Path:
    """Where the whole corpus ``corpus`` is: the built copy for a rule case, else in the repository."""
    built = corpus.parts[:2] == ("tests", "rules") or corpus == Path("tests/report_fixture")
    return rule_corpora / corpus if built else corpus


@pytest.mark.parametrize("corpus", CORPORA, ids=corpus_id)
def test_validation_finds_the_same_with_and_without_the_fast_path(
    corpus: Path, rule_corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = full_corpus(corpus, rule_corpora)
    fast = validate([corpus])
    pipeline = importlib.import_module("toolkit.validation")
    monkeypatch.setattr(pipeline, "check_schema", functools.partial(check_schema, fast=False))
    slow = validate([corpus])
    assert fast.findings == slow.findings
    assert (fast.files, fast.records) == (slow.files, slow.records)


def test_the_example_corpora_include_schema_errors_of_every_kind(rule_corpora: Path) -> None:
    # The comparison above means something only if the slow path has work to do.
    rules = {f.rule for corpus in CORPORA for f in validate([full_corpus(corpus, rule_corpora)]).findings}
    assert {
        "schema-required",
        "schema-unknown-field",
        "schema-type",
        "schema-vocabulary",
        "schema-format",
        "schema-invalid",
    } <= rules


def test_the_shipped_schemas_take_the_fast_path() -> None:
    assert set(load_schemas().fast_validators) == {kind.name for kind in KINDS}


def test_a_clean_corpus_never_loads_python_jsonschema() -> None:
    # Importing it costs more than validating a thousand records; a clean run needs only jsonschema-rs.
    import subprocess

    code = (
        "import sys, toolkit; r = toolkit.validate(['tests/corpora/clean']); "
        "assert not r.findings, r.findings; print('jsonschema' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_text_that_python_finds_blank_is_blank_to_jsonschema_rs_too() -> None:
    # ECMAScript's \S matches U+001C-U+001F and U+0085; Python's does not.
    fast = load_schemas().fast_validators["actor"]
    slow = load_schemas().validators["actor"]
    record = _records()["actor"][0]
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isspace():
            data = {**record, "name": char * 3}
            assert not slow.is_valid(data)
            assert not fast.is_valid(data), f"U+{code:04X}"


@pytest.mark.parametrize("pattern", [r"\d", r"\w+", r"(?i)x", r"(?=a)", r"a\Z", r"[a-z&&b]", r"\p{L}"])
def test_patterns_outside_the_shared_syntax_turn_the_fast_path_off(pattern: str) -> None:
    assert fast_schemas({"x.schema.json": {"properties": {"a": {"pattern": pattern}}}}) is None


@pytest.mark.parametrize("keyword", [{"format": "date"}, {"multipleOf": 0.1}])
def test_keywords_the_validators_read_differently_turn_the_fast_path_off(keyword: dict) -> None:
    assert fast_schemas({"x.schema.json": {"items": {"type": "string", **keyword}}}) is None


def test_patterns_in_the_shared_syntax_reach_jsonschema_rs_unchanged() -> None:
    for pattern in (r"^act-[a-z0-9]+(?:-[a-z0-9]+)*$", r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$", r"^[0-9a-f]{64}$"):
        assert fast_pattern(pattern) == pattern


def test_a_value_json_cannot_hold_takes_the_slow_path() -> None:
    # jsonschema-rs cannot take a lone surrogate; python-jsonschema judges the record.
    record = {**_records()["actor"][0], "name": "\ud800"}
    as_record = Record(next(k for k in KINDS if k.name == "actor"), record, "x.yaml", Path("x.yaml"))
    schemas = load_schemas()
    assert check_schema([as_record], schemas) == check_schema([as_record], schemas, fast=False)


# -- property: jsonschema-rs never passes what python-jsonschema fails -------------

_AWKWARD_TEXT = [
    "",
    " ",
    "\x1c",
    "\x85",
    "\ufeff",
    "x\n",
    "2022-06-23\n",
    "act-iran\n",
    "\ud800",
    "NO",
    "2022-02-30",
    "day",
    "CONSULT/visit",
    "act-iran",
    "loc-turkey",
    "src-x",
]
_NUMBERS = st.one_of(
    st.integers(), st.integers(min_value=-(10**40), max_value=10**40), st.floats(allow_nan=True, allow_infinity=True)
)
_LEAVES = st.one_of(st.none(), st.booleans(), _NUMBERS, st.text(max_size=6), st.sampled_from(_AWKWARD_TEXT))
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(_AWKWARD_TEXT + ["note", "start"]), inner, max_size=3),
    ),
    max_leaves=6,
)


@functools.cache
def _records() -> dict[str, list[dict[str, Any]]]:
    with tempfile.TemporaryDirectory() as folder:
        loaded = load_corpus(build_fixture(REPORT_FIXTURE, Path(folder) / "report_fixture"))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for record in loaded.records:
        by_kind.setdefault(record.kind.name, []).append(record.data)
    return by_kind


def _places(data: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _places(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _places(value, path + (index,))


def _mutated(data: dict, path: tuple, value: Any, remove: bool) -> dict:
    data = copy.deepcopy(data)
    if not path:
        return data
    holder = data
    for step in path[:-1]:
        holder = holder[step]
    if remove:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["source", "actor", "location", "event", "advisory"]),
    pick=st.integers(0, 10**6),
    where=st.integers(0, 10**6),
    value=st.one_of(st.sampled_from(_AWKWARD_TEXT), _VALUES),
    remove=st.booleans(),
)
def test_jsonschema_rs_never_passes_a_record_that_python_jsonschema_fails(
    kind: str, pick: int, where: int, value: Any, remove: bool
) -> None:
    records = _records()[kind]
    original = records[pick % len(records)]
    places = list(_places(original))
    data = _mutated(original, places[where % len(places)], value, remove)
    schemas = load_schemas()
    try:
        fast_says_valid = schemas.fast_validators[kind].is_valid(data)
    except ValueError:
        fast_says_valid = False  # the fast path then asks python-jsonschema
    if fast_says_valid:
        assert schemas.validators[kind].is_valid(data), data
