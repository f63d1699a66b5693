"""Every rule has an example corpus that breaks it and one that keeps it.

``tests/rules/<rule-id>/valid/`` must validate clean and ``tests/rules/<rule-id>/invalid/``
must give findings of that rule, each placed and explained. Adding a case is
dropping a folder there; a rule in ``toolkit/rules.py`` without one fails here.
Each folder is an overlay on ``tests/rules/_base/`` (tests/corpus_overlay.py): the
corpora are built once per session, in a temporary folder laid out as the
repository, and checked from there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import toolkit
from corpus_overlay import BASE, RULES_DIR, build_corpus, rule_cases
from toolkit.loading import MAX_FILE_BYTES
from toolkit.model import Finding
from toolkit.rules import RULES
from toolkit.yaml_strict import parse_yaml

REPO = Path(__file__).resolve().parent.parent

# Rules whose broken file git cannot hold; each is built in a temporary folder below.
COVERED_ELSEWHERE = {
    "file-unreadable": "a missing, unreadable or directory path: test_files_that_cannot_be_read_*",
    "file-too-large": "a file over the size cap: test_a_file_over_the_size_cap_is_not_parsed",
}

# Rules that cannot be broken alone. An id of the wrong kind also fails the
# field's id pattern, since every id pattern names its kind ('act-', 'loc-'...).
ALSO_FOUND = {"ref-wrong-kind": {"schema-format"}}

# Rules about a whole file, whose findings have no line or column.
WHOLE_FILE = {"file-unreadable", "file-too-large", "file-kind-unknown", "yaml-empty"}

CASES = rule_cases()
VALID = [case for case in CASES if case.name == "valid"]
INVALID = [case for case in CASES if case.name == "invalid"]


def case_id(case: Path) -> str:
    return case.parent.name


@pytest.fixture(autouse=True)
def _built_root(rule_corpora: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Findings name files relative to the working directory: the built copy of the
    # repository's layout, so that they read tests/rules/<rule>/<kind>/... as in git.
    monkeypatch.chdir(rule_corpora)


def built(case: Path) -> Path:
    """The built corpus of ``case``, relative to the working directory."""
    return case.relative_to(REPO)


def assert_placed(finding: Finding) -> None:
    assert finding.message.strip(), finding
    assert finding.severity is RULES[finding.rule].severity, finding
    if finding.rule not in WHOLE_FILE:
        assert finding.line is not None and finding.line >= 1, finding
        assert finding.column is not None and finding.column >= 1, finding


def test_every_rule_has_a_valid_and_an_invalid_example() -> None:
    missing = [
        rule
        for rule in RULES
        if rule not in COVERED_ELSEWHERE
        and not ((RULES_DIR / rule / "valid").is_dir() and (RULES_DIR / rule / "invalid").is_dir())
    ]
    assert missing == [], f"add tests/rules/<rule>/valid/ and invalid/ for: {missing}"


def test_every_example_folder_is_named_after_a_rule() -> None:
    folders = {path.name for path in RULES_DIR.iterdir() if path.is_dir() and path != BASE}
    assert folders - set(RULES) == set()
    assert folders & set(COVERED_ELSEWHERE) == set()


@pytest.mark.parametrize("case", VALID, ids=case_id)
def test_valid_example_has_no_findings(case: Path) -> None:
    report = toolkit.validate([built(case)])

    assert report.records > 0
    assert report.findings == ()


@pytest.mark.parametrize("case", INVALID, ids=case_id)
def test_invalid_example_breaks_its_rule_and_says_where(case: Path) -> None:
    rule = case.parent.name
    report = toolkit.validate([built(case)])

    found = {finding.rule for finding in report.findings}
    assert rule in found
    assert found - {rule} <= ALSO_FOUND.get(rule, set()), report.findings
    for finding in report.findings:
        assert_placed(finding)
        assert Path(finding.file).resolve().is_relative_to(built(case).resolve())


def test_the_base_corpus_alone_is_clean() -> None:
    # Every overlay starts from it: a finding here would show in every case.
    report = toolkit.validate([built(BASE)])

    assert report.records > 0
    assert report.findings == ()


def test_files_that_cannot_be_read_are_reported_with_the_others(tmp_path: Path) -> None:
    # A dangling symlink stands for a file deleted while the run walks the corpus.
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "evt-gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "actors").mkdir()
    (tmp_path / "actors" / "act-empty.yaml").write_text("# nothing yet\n", encoding="utf-8")

    report = toolkit.validate([tmp_path])

    assert [(f.rule, Path(f.file).name, f.message) for f in report.findings] == [
        ("yaml-empty", "act-empty.yaml", "the file holds no record"),
        ("file-unreadable", "evt-gone.yaml", "the file does not exist"),
    ]
    for finding in report.findings:
        assert_placed(finding)


def test_files_that_cannot_be_read_include_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "events" / "evt-loop.yaml"
    loop.parent.mkdir()
    loop.symlink_to(loop)

    report = toolkit.validate([tmp_path])

    assert [(f.rule, f.message) for f in report.findings] == [
        ("file-unreadable", "cannot read the file: Too many levels of symbolic links"),
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_files_that_cannot_be_read_include_one_without_read_permission(tmp_path: Path) -> None:
    locked = tmp_path / "actors" / "act-locked.yaml"
    locked.parent.mkdir()
    locked.write_text("id: act-locked\n", encoding="utf-8")
    locked.chmod(0)
    try:
        report = toolkit.validate([tmp_path])
    finally:
        locked.chmod(0o644)

    assert [(f.rule, f.message) for f in report.findings] == [
        ("file-unreadable", "cannot read the file: Permission denied"),
    ]


def test_a_file_over_the_size_cap_is_not_parsed(tmp_path: Path) -> None:
    big = tmp_path / "events" / "evt-log-dump.yaml"
    big.parent.mkdir()
    big.write_text("note: " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")

    report = toolkit.validate([tmp_path])

    assert [f.rule for f in report.findings] == ["file-too-large"]
    assert report.findings[0].hint
    assert_placed(report.findings[0])


def test_nesting_that_would_overflow_the_yaml_parser_is_a_finding_not_a_crash() -> None:
    # libyaml's composer recurses in C and segfaults some 20,000 levels down; run in a
    # child process so that a regression fails this test instead of ending the session.
    script = (
        "from toolkit.yaml_strict import parse_yaml\n"
        "text = 'aliases: ' + '[' * 100000 + ']' * 100000 + '\\n'\n"
        "print([(f.rule, f.line, f.column) for f in parse_yaml(text, 'x.yaml').findings])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('yaml-too-deep', 1, 42)]"


@pytest.mark.parametrize(
    "before", ["name: Deep\t# a tab libyaml allows before a comment\n", "tags: [a,\tb]\n", "note: x\n" * 20_000]
)
def test_nesting_past_libyaml_own_limit_is_placed_at_the_first_level_too_deep(before: str) -> None:
    # libyaml 0.2.6 stops at 1,000 levels by itself, far past the first level too deep;
    # what comes before the nesting must not change where the finding is.
    text = "id: act-deep\n" + before + "aliases: " + "[" * 1_001 + "\n"

    findings = parse_yaml(text, "x.yaml").findings

    assert [(f.rule, f.line, f.column) for f in findings] == [("yaml-too-deep", text.count("\n"), 42)]


@pytest.mark.parametrize(
    "value", ["2022-02-30", "2022-06-31", "2022-13-01", "2022-00-10", "2022-06-99999999999999999999"]
)
def test_a_date_that_is_not_in_the_calendar_is_reported(value: str, tmp_path: Path) -> None:
    # The example folder holds one such date; these are the others a typo gives.
    corpus = build_corpus(RULES_DIR / "date-invalid" / "valid", tmp_path / "corpus")
    event = corpus / "events" / "evt-lapid-visit-turkey.yaml"
    event.write_text(
        event.read_text(encoding="utf-8").replace("start: 2022-06-23", f"start: '{value}'"), encoding="utf-8"
    )

    report = toolkit.validate([corpus])

    invalid = [f for f in report.findings if f.rule == "date-invalid"]
    assert [(f.path, f.message) for f in invalid] == [("$.date.start", f"{value!r} is not a date in the calendar")]
