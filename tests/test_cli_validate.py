"""``toolkit validate`` on the command line: exit codes, paths, and no traceback on broken input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

import toolkit
from corpus_overlay import RULES_DIR, build_corpus, rule_cases
from toolkit.cli import app
from toolkit.reporters import REPORTER_BY_NAME
from toolkit.reporters.text import TextReporter

REPO = Path(__file__).resolve().parent.parent
INVALID = [path.relative_to(REPO) for path in rule_cases() if path.name == "invalid"]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def in_built_rules(rule_corpora: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the built fixtures, where ``tests/rules/<rule>/<kind>`` and ``tests/report_fixture`` are corpora."""
    monkeypatch.chdir(rule_corpora)
    return rule_corpora


def run(*args: str) -> Result:
    """The command's result; an exception other than the exit is a crash, shown in full."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"toolkit {' '.join(args)} crashed") from result.exception
    return result


@pytest.mark.usefixtures("in_built_rules")
@pytest.mark.parametrize("case", INVALID, ids=lambda case: case.parent.name)
def test_every_broken_example_exits_1_with_findings_and_no_traceback(case: Path) -> None:
    result = run("validate", "--strict", str(case))

    assert result.exit_code == 1
    assert f"[{case.parent.name}]" in result.stdout
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("in_built_rules")
@pytest.mark.parametrize("report_format", sorted(REPORTER_BY_NAME))
def test_every_format_renders_the_corpus_that_breaks_every_rule(report_format: str) -> None:
    result = run("validate", "--format", report_format, "tests/report_fixture")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "tests/report_fixture/events/evt-iranian-cell-arrested.yaml" in result.stdout


@pytest.mark.slow  # a Python process of its own
@pytest.mark.usefixtures("in_built_rules")
def test_the_entry_point_reports_broken_input_without_a_traceback() -> None:
    # The real entry point, with its last-resort handler, in a process of its own.
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "validate", "tests/report_fixture"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.endswith("60 files, 46 records: 45 errors, 6 warnings\n")


def test_a_missing_path_exits_2_with_one_line_that_says_so() -> None:
    result = run("validate", "tests/rules/no-such-rule")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: tests/rules/no-such-rule: no such file or folder\n"


@pytest.mark.usefixtures("in_built_rules")
def test_a_clean_corpus_exits_0() -> None:
    result = run("validate", "tests/rules/unreferenced-actor/valid")

    assert result.exit_code == 0
    assert result.stdout == "5 files, 5 records: 0 errors, 0 warnings\n"


@pytest.mark.usefixtures("in_built_rules")
def test_warnings_fail_the_run_only_with_strict() -> None:
    warnings_only = "tests/rules/unreferenced-actor/invalid"

    assert run("validate", warnings_only).exit_code == 0
    assert run("validate", "--strict", warnings_only).exit_code == 1


def test_with_no_path_the_corpus_in_annotations_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_corpus(RULES_DIR / "unreferenced-location" / "invalid", tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)

    result = run("validate")

    assert result.exit_code == 0
    assert result.stdout.startswith("annotations/locations/loc-israel.yaml:1:5: warning [unreferenced-location]")


@pytest.mark.usefixtures("in_built_rules")
def test_a_file_given_alone_is_checked_against_its_whole_corpus() -> None:
    corpus = Path("tests/rules/schema-vocabulary/invalid")
    actor = corpus / "actors" / "act-yair-lapid.yaml"

    alone = toolkit.validate([actor])

    # It is referred to from the event, so it is no orphan; the event's own finding stays
    # out, and only the actor's own (a reliability outside its scale) is reported.
    assert [(f.rule, f.path) for f in alone.findings] == [("schema-vocabulary", "$.reliability.grade")]
    assert (alone.files, alone.records) == (1, 1)
    assert [f.rule for f in toolkit.validate([corpus]).findings] == ["schema-vocabulary", "schema-vocabulary"]


@pytest.mark.usefixtures("in_built_rules")
def test_a_file_given_alone_also_gets_the_findings_that_span_files_wherever_they_land() -> None:
    corpus = Path("tests/rules/unreferenced-actor/invalid")
    event = corpus / "events" / "evt-lapid-visit-turkey.yaml"

    alone = toolkit.validate([event])

    # The orphan actor is a verdict on the whole corpus: the same with one file or all.
    assert [(f.file, f.rule) for f in alone.findings] == [
        ((corpus / "actors" / "act-mevlut-cavusoglu.yaml").as_posix(), "unreferenced-actor")
    ]
    assert (alone.files, alone.records) == (1, 1)


@pytest.mark.usefixtures("in_built_rules")
def test_a_broken_reference_is_reported_in_the_file_given_alone() -> None:
    event = Path("tests/rules/ref-unresolved/invalid/events/evt-lapid-visit-turkey.yaml")

    report = toolkit.validate([event])

    assert [(f.file, f.rule) for f in report.findings] == [(event.as_posix(), "ref-unresolved")]


def test_the_real_corpus_validates_clean() -> None:
    report = toolkit.validate(["annotations"])

    assert report.errors == 0, TextReporter().render(report)
