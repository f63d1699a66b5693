"""The reports of a corpus that breaks every rule: text and JSON snapshots, SARIF and GitHub.

``tests/report_fixture/`` holds one file per problem. Its text and JSON reports are
pytest-regressions snapshots (``tests/test_reports/``): a change in any message,
place or order shows as a diff. Paths are stable because the run starts at the root
of the session's built fixtures (conftest's ``rule_corpora``), laid out as the
repository, where ``tests/report_fixture`` has its evidence written out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from referencing import Registry, Resource
from typer.testing import CliRunner

import toolkit
from corpus_overlay import RULES_DIR, build_corpus
from toolkit.cli import app
from toolkit.model import Finding, Report, Severity
from toolkit.reporters.github import GithubReporter, escape_data, escape_property
from toolkit.reporters.json_report import JsonReporter
from toolkit.reporters.sarif import SarifReporter
from toolkit.reporters.text import TextReporter
from toolkit.rules import RULES

REPO = Path(__file__).resolve().parent.parent
FIXTURE = "tests/report_fixture"
SARIF_SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
# Their broken files cannot live in git; tests/test_rules.py builds them.
GIT_CANNOT_HOLD = {"file-unreadable", "file-too-large"}
# The backbone of the fixture: the records the broken ones refer to.
CLEAN_FILES = {
    "actors/act-benny-gantz.yaml",
    "actors/act-isaac-herzog.yaml",
    "actors/act-israel-hayom.yaml",
    "actors/act-naftali-bennett.yaml",
    "actors/act-erdogan.yaml",  # the earlier of the two Erdogans: name-duplicate lands on the later
    "actors/act-turkish-foreign-ministry.yaml",
    "actors/act-turkish-intelligence.yaml",
    "advisories/adv-istanbul-level-4.yaml",
    "events/evt-herzog-erdogan-call.yaml",
    "events/evt-lapid-visit-turkey.yaml",
    "locations/loc-israel.yaml",
    "locations/loc-turkey.yaml",
    "sources/src-lapid-visit.yaml",
}


@pytest.fixture(scope="module")
def at_repo_root(rule_corpora: Path) -> Iterator[None]:
    """Run from the built fixtures, where ``tests/report_fixture`` is the corpus the reports show."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(rule_corpora)
        yield


@pytest.fixture(scope="module")
def report(at_repo_root: None) -> Report:
    return toolkit.validate([FIXTURE])


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))

    def refuse(uri: str) -> Resource:
        raise LookupError(f"no network in tests: {uri}")

    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=Registry(retrieve=refuse), format_checker=cls.FORMAT_CHECKER)


def test_the_fixture_breaks_every_rule_that_git_can_hold(report: Report) -> None:
    assert {f.rule for f in report.findings} == set(RULES) - GIT_CANNOT_HOLD


def test_one_broken_file_never_hides_the_findings_of_the_others(report: Report) -> None:
    fixture = Path(FIXTURE)
    files = {p.relative_to(fixture).as_posix() for p in fixture.rglob("*") if p.suffix in (".yaml", ".yml")}
    with_findings = {Path(f.file).relative_to(FIXTURE).as_posix() for f in report.findings}

    assert files - with_findings == CLEAN_FILES
    assert report.files == len(files)


def test_text_report_matches_its_snapshot(report: Report, file_regression) -> None:
    file_regression.check(TextReporter().render(report), extension=".txt")


def test_json_report_matches_its_snapshot(report: Report, file_regression) -> None:
    file_regression.check(JsonReporter().render(report), extension=".json")


def test_a_quote_missing_from_its_source_is_shown_with_the_closest_passage(report: Report) -> None:
    [finding] = [f for f in report.findings if f.rule == "evidence-quote-not-found"]

    assert finding.path == "$.evidence[0].quote"
    assert finding.hint == 'closest passage in src-lapid-visit: "said it was a safe country"'


def test_text_report_ends_with_a_summary_line(report: Report) -> None:
    last = TextReporter().render(report).splitlines()[-1]

    assert last == f"{report.files} files, {report.records} records: {report.errors} errors, {report.warnings} warnings"


def test_text_report_is_coloured_only_when_asked(report: Report) -> None:
    assert "\033[" not in TextReporter().render(report)
    assert "\033[31merror\033[0m" in TextReporter(color=True).render(report)


def test_cli_output_has_no_colour_when_not_on_a_terminal(at_repo_root: None) -> None:
    result = CliRunner().invoke(app, ["validate", FIXTURE])

    assert result.exit_code == 1
    assert "\033[" not in result.stdout


def test_json_report_has_the_documented_shape(report: Report) -> None:
    document = json.loads(JsonReporter().render(report))

    assert document["version"] == 1
    assert document["summary"] == {
        "files": report.files,
        "records": report.records,
        "errors": report.errors,
        "warnings": report.warnings,
    }
    keys = {"rule", "severity", "file", "line", "column", "path", "message", "hint"}
    assert all(set(item) == keys for item in document["findings"])
    places = [(f["file"], f["line"] or 0, f["column"] or 0, f["rule"]) for f in document["findings"]]
    assert places == sorted(places)


def test_sarif_from_the_command_line_is_valid_sarif_2_1_0(at_repo_root: None, sarif_validator) -> None:
    result = CliRunner().invoke(app, ["validate", "--format", "sarif", FIXTURE])
    log = json.loads(result.stdout)

    assert result.exit_code == 1
    assert [error.message for error in sarif_validator.iter_errors(log)] == []
    assert len(log["runs"][0]["results"]) == 51


def test_sarif_uses_stable_rule_ids_and_repository_relative_paths(report: Report) -> None:
    run = json.loads(SarifReporter().render(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]

    assert run["columnKind"] == "unicodeCodePoints"
    assert [rule["id"] for rule in rules] == sorted(RULES)
    for result, finding in zip(run["results"], report.findings, strict=True):
        assert result["ruleId"] == finding.rule
        assert rules[result["ruleIndex"]]["id"] == finding.rule
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "SRCROOT"
        assert urlsplit(artifact["uri"]).scheme == ""
        assert unquote(artifact["uri"]) == finding.file
        assert finding.file.startswith(f"{FIXTURE}/")


def test_sarif_columns_count_unicode_code_points(tmp_path: Path, sarif_validator) -> None:
    # 🇮🇱 is two code points and four UTF-16 units: the column tells them apart.
    corpus = build_corpus(RULES_DIR / "schema-vocabulary" / "valid", tmp_path / "corpus")
    actor = corpus / "actors" / "act-yair-lapid.yaml"
    line = "positions: [{title: 🇮🇱 Foreign Minister, in: act-yair-lapid, status: curent}]"
    actor.write_text(actor.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")

    log = json.loads(SarifReporter().render(toolkit.validate([corpus])))
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]

    assert [error.message for error in sarif_validator.iter_errors(log)] == []
    assert region["startColumn"] == line.index("curent") + 1
    assert region["startColumn"] != len(line[: line.index("curent")].encode("utf-16-le")) // 2 + 1


def test_sarif_names_a_file_outside_the_working_directory_by_an_absolute_uri(
    tmp_path: Path, at_repo_root: None, sarif_validator
) -> None:
    corpus = build_corpus(RULES_DIR / "unreferenced-actor" / "invalid", tmp_path / "corpus")

    log = json.loads(SarifReporter().render(toolkit.validate([corpus])))
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]

    assert [error.message for error in sarif_validator.iter_errors(log)] == []
    assert artifact == {"uri": (corpus / "actors" / "act-mevlut-cavusoglu.yaml").as_uri()}


def test_github_escapes_messages_and_properties_as_the_runner_requires() -> None:
    assert escape_data("100% sure\r\nnext: a, b") == "100%25 sure%0D%0Anext: a, b"
    assert escape_property("odd,name:1%\n.yaml") == "odd%2Cname%3A1%25%0A.yaml"


def test_github_command_carries_file_line_column_title_and_hint() -> None:
    finding = Finding("odd,dir/a:b.yaml", 3, 7, "schema-type", Severity.ERROR, "100% wrong: a, b", "$.x", "quote it")

    output = GithubReporter().render(Report((finding,), 1, 1))

    assert output.splitlines()[-1] == (
        "::error file=odd%2Cdir/a%3Ab.yaml,line=3,col=7,title=schema-type::100%25 wrong: a, b%0Ahint: quote it"
    )


def test_github_output_holds_every_finding_as_plain_text_too(report: Report) -> None:
    output = GithubReporter().render(report)
    lines = output.splitlines()

    for text_line in TextReporter().render(report).splitlines():
        assert text_line in lines
    assert sum(line.startswith("::error ") for line in lines) == report.errors
    assert sum(line.startswith("::warning ") for line in lines) == report.warnings


def test_github_plain_text_cannot_run_workflow_commands() -> None:
    # A value quoted in a message could start a line with '::' in the plain text part.
    finding = Finding("a.yaml", 1, 1, "schema-vocabulary", Severity.ERROR, "'x\n::add-mask::secret' is not known")

    lines = GithubReporter().render(Report((finding,), 1, 1)).splitlines()
    start = lines[0].removeprefix("::stop-commands::")

    assert lines[0].startswith("::stop-commands::") and start
    assert lines.index(f"::{start}::") > lines.index("::add-mask::secret' is not known")
    assert lines[-1].startswith("::error file=a.yaml,line=1,col=1,")
