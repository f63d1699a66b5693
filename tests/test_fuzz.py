"""Fuzzing: generated YAML-like text and mutated copies of real annotation files
go through the loader and the whole validation without an exception or a hang.

The seeds are the annotation files of the fixture corpora under ``tests/``. The
runs are derandomized (the same examples on every machine, so CI is
reproducible) and bounded in number, so the file takes a few seconds.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.model import Finding
from toolkit.positions import clear_cache
from toolkit.rules import RULES
from toolkit.schema_loader import load_schemas
from toolkit.validation import check_corpus
from toolkit.yaml_strict import parse_yaml

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "hostile" / "corpus"
# Every fixture corpus of the suite is a seed: files written by other hands, in
# every kind and shape the project knows (the rule examples break one rule each).
SEEDS = sorted(
    {
        *CORPUS.rglob("*.yaml"),
        *(TESTS / "hostile" / "formula-corpus").rglob("*.yaml"),
        *TESTS.glob("corpora/*/*/*.yaml"),
        *TESTS.glob("rules/*/*/*/*.yaml"),
        *TESTS.glob("rules/_base/*/*.yaml"),
    }
)
SEED_TEXTS = {path: path.read_bytes() for path in SEEDS}

FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces of YAML syntax, of the records' vocabulary, and of what hostile files hold.
TOKENS = [
    "\n",
    "  ",
    "    ",
    "- ",
    ": ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "'",
    '"',
    "# ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:evil.example,2022:\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!python/object/apply:os.system ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!local ",
    "!<tag:yaml.org,2002:str> ",
    "\t",
    "\\",
    "\\x00",
    "\\u202e",
    "\x00",
    "\ufeff",
    "\u2028",
    "\x85",
    "\r",
    "~",
    "null",
    "yes",
    "NO",
    "on",
    "010",
    "0x1F",
    "1:20",
    "1e999",
    "-.inf",
    ".nan",
    "9" * 5000,
    "2022-06-23",
    "2022-02-30",
    "id: ",
    "act-yair-lapid",
    "evt-x",
    "src-lapid-visit",
    "type: ",
    "person",
    "name: ",
    "evidence:\n",
    "  - source: ",
    "    quote: ",
    "participants:\n",
    "  - actor: ",
    "    role: ",
    "date:\n",
    "  start: ",
    "  precision: ",
    "day",
    "range",
    "text: ",
    "../../etc/hostname",
    "/etc/passwd",
    "sha256: ",
    "level:\n",
    "  scale: ",
    "  value: ",
    "supersedes: ",
    "links:\n",
    "  - relation: ",
    "    target: ",
]


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail an example that hangs, instead of hanging the suite (hypothesis's
    ``deadline`` only judges an example once it has returned)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


yaml_like = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=40).map("".join)


@st.composite
def mutated_seed(draw: st.DrawFn) -> tuple[Path, bytes]:
    """A fixture file with a few edits of the kinds typos, bad merges and attacks make."""
    path = draw(st.sampled_from(SEEDS))
    text = SEED_TEXTS[path].decode("utf-8", "replace")
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 60)))
        edit = draw(st.sampled_from(["delete", "duplicate", "insert", "replace", "indent", "swap-lines"]))
        if edit == "delete":
            text = text[:start] + text[end:]
        elif edit == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif edit == "insert":
            text = text[:start] + draw(st.sampled_from(TOKENS)) + text[start:]
        elif edit == "replace":
            text = text[:start] + draw(st.text(min_size=1, max_size=3)) + text[end:]
        elif edit == "indent":
            text = text[:start] + draw(st.sampled_from([" ", "   ", "\t", "\n "])) + text[start:]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:  # sometimes a byte that breaks the encoding
        index = draw(st.integers(0, len(data) - 1))
        data = data[:index] + bytes([draw(st.integers(0x80, 0xFF))]) + data[index + 1 :]
    return path, data


@pytest.fixture(scope="module")
def schemas():
    return load_schemas()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus per seed folder, copied once; each example overwrites one file of one."""
    return tmp_path_factory.mktemp("fuzz")


def assert_well_formed(findings: list[Finding] | tuple[Finding, ...]) -> None:
    for finding in findings:
        assert finding.rule in RULES, finding
        assert finding.message, finding
        assert finding.line is None or finding.line >= 1, finding


def test_there_are_seeds_of_every_kind() -> None:
    assert {path.parent.name for path in SEEDS} >= {"sources", "actors", "locations", "events", "advisories"}


@FUZZ
@given(text=yaml_like)
def test_yaml_like_text_gives_data_or_findings_never_an_exception(text: str) -> None:
    with time_limit(10):
        result = parse_yaml(text, "fuzz.yaml")

    assert (result.data is None) == bool(result.findings)
    assert result.data is None or isinstance(result.data, dict)
    assert_well_formed(result.findings)


@FUZZ
@given(mutation=mutated_seed())
def test_mutated_annotation_files_are_validated_without_an_exception(
    mutation: tuple[Path, bytes], schemas, workspace: Path
) -> None:
    seed, data = mutation
    seed_corpus = seed.parent.parent
    corpus = workspace / "-".join(seed_corpus.relative_to(TESTS).parts)
    if not corpus.exists():
        shutil.copytree(seed_corpus, corpus, symlinks=True)
    target = corpus / seed.relative_to(seed_corpus)
    target.unlink(missing_ok=True)  # not written through a symlink a fixture may hold
    target.write_bytes(data)
    clear_cache()  # positions are cached by path; this path now holds other text
    try:
        with time_limit(10):
            checked = check_corpus(corpus, schemas)
    finally:
        target.unlink()
        target.write_bytes(SEED_TEXTS[seed])

    assert_well_formed(checked.findings)
