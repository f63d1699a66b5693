"""Fixes of the red team's value, export, new and report findings (M9-M15), beyond its own cases.

Each test here failed on the code before the fixes (commit 3563bce): the red team's
cases were examples of a kind of hole, and these try other members of each kind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import toolkit
from toolkit.model import Finding, Severity
from toolkit.yaml_strict import parse_yaml

ACTOR = Path("actors") / "act-turkey.yaml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- M9/M10: no tags, no anchors -------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        ("name: Turkey", "name: ! Turkey"),  # the non-specific tag, resolved like a plain value
        ("name: Turkey", "!!str name: Turkey"),  # a tag on a key
        ("countries: [TR]", "countries: [!!str TR]"),  # a tag inside a flow sequence
        ("countries: [TR]", "countries: [&c TR]"),  # an anchor inside a flow sequence
        ("name: Turkey", "&n name: Turkey"),  # an anchor on a key
        ("countries: [TR]", "countries: !<tag:yaml.org,2002:seq> [TR]"),  # a verbatim tag
    ],
    ids=[
        "non-specific tag",
        "tag on a key",
        "tag in a flow list",
        "anchor in a flow list",
        "anchor on a key",
        "verbatim tag",
    ],
)
def test_every_written_tag_and_anchor_is_refused_wherever_it_stands(corpus: Path, edit: tuple[str, str]) -> None:
    _edit(corpus / ACTOR, *edit)

    report = toolkit.validate([corpus / ACTOR])

    rules = {f.rule for f in report.findings if f.file.endswith("act-turkey.yaml")}
    assert rules and rules <= {"yaml-tag", "yaml-alias"}, report.findings


def test_a_tag_that_names_the_type_a_value_has_anyway_is_refused_where_it_is_written() -> None:
    # !!int 4 is a valid integer either way; the README says no tags, and the tag
    # is the door through which text that is no YAML integer became one.
    (finding,) = parse_yaml("id: adv-x\nlevel:\n  value: !!int 4\n", "adv-x.yaml").findings

    assert (finding.rule, finding.line, finding.column, finding.path) == ("yaml-tag", 3, 10, "$.level.value")
    assert "'!!int'" in finding.message


def test_an_integer_longer_than_python_reads_is_a_finding_not_a_crash() -> None:
    # int() refuses more than 4,300 digits; such a number never reaches the schema.
    result = parse_yaml("id: adv-x\nlevel:\n  value: " + "4" * 5_000 + "\n", "adv-x.yaml")

    assert result.data is None
    assert [(f.rule, f.line, f.column) for f in result.findings] == [("schema-invalid", 3, 10)]


# --- M12: source texts are plain UTF-8 ---------------------------------------------------


def test_a_source_text_with_a_byte_order_mark_is_refused_saying_why(corpus: Path) -> None:
    text = corpus / "sources" / "src-lapid-to-visit-turkey.txt"
    data = b"\xef\xbb\xbf" + text.read_bytes()
    text.write_bytes(data)
    record = corpus / "sources" / "src-lapid-to-visit-turkey.yaml"
    lines = [
        f"sha256: {hashlib.sha256(data).hexdigest()}" if line.startswith("sha256:") else line
        for line in record.read_text(encoding="utf-8").splitlines()
    ]
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = toolkit.validate([corpus])

    (finding,) = [f for f in report.findings if f.file.endswith("src-lapid-to-visit-turkey.yaml")]
    assert finding.rule == "source-text-missing" and finding.path == "$.text"
    assert "byte-order mark" in finding.message and "quotes" in finding.message
    assert finding.hint and "without a byte-order mark" in finding.hint


# --- M13: toolkit new ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["act-turkey.Yml", "act-turkey.YAML", "ACT-TURKEY.yaml"])
def test_new_refuses_an_id_whose_record_exists_under_a_name_in_another_case(
    corpus: Path, run_toolkit, name: str
) -> None:
    (corpus / ACTOR).rename(corpus / "actors" / name)

    result = run_toolkit(["new", "actor", "act-turkey", "--corpus", str(corpus)], expect=2)

    assert "already exists" in result.output
    assert [path.name for path in (corpus / "actors").iterdir() if path.name.lower().startswith("act-turkey")] == [name]


@pytest.mark.parametrize("args", [["export", "--out", ""], ["schema", "--out", ""]], ids=["export", "schema"])
def test_an_empty_output_path_is_a_usage_error_not_the_working_directory(
    corpus: Path, tmp_path: Path, run_toolkit, monkeypatch, args
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(path.name for path in tmp_path.iterdir())

    result = run_toolkit([*args, *(["--corpus", str(corpus)] if args[0] == "export" else [])], expect=2)

    assert "empty path" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == before


# --- M14: what a finding quotes is short -----------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        # A key longer than 1,024 characters must be written as an explicit key ("? key").
        ("type: state", "type: state\n? " + "k" * 100_000 + "\n: 1"),  # an unknown field named by a huge key
        ("id: act-turkey", "id: act-" + "t" * 100_000),  # an id that differs from the file name
        ("type: state", "type: state\n? " + "d" * 100_000 + "\n: 1\n? " + "d" * 100_000 + "\n: 2"),
    ],
    ids=["unknown field", "id and file name", "duplicate key"],
)
def test_no_rule_quotes_a_value_whole_in_its_message_hint_or_path(corpus: Path, edit: tuple[str, str]) -> None:
    _edit(corpus / ACTOR, *edit)

    report = toolkit.validate([corpus / ACTOR])

    assert report.failed()
    for finding in report.findings:
        assert len(finding.message) + len(finding.hint or "") + len(finding.path) < 2_000, finding.rule


def test_a_finding_bounds_a_message_whoever_wrote_it() -> None:
    # jsonschema's own words quote the whole instance; a rule added later may too.
    finding = Finding("a.yaml", 1, 1, "schema-invalid", Severity.ERROR, "x" * 1_000_000, "$", "y" * 1_000_000)

    assert len(finding.message) <= 1_000 and len(finding.hint or "") <= 1_000


# --- M11: an export never removes a user's file ------------------------------------------------


def _export(run_toolkit, corpus: Path, out: Path, expect: int | None = 0):
    return run_toolkit(
        ["export", "--corpus", str(corpus), "--out", str(out), "--format", "csv", "--jobs", "1"], expect=expect
    )


def test_a_file_of_the_export_that_the_user_edited_is_not_replaced(corpus: Path, tmp_path: Path, run_toolkit) -> None:
    out = tmp_path / "exports"
    _export(run_toolkit, corpus, out)
    edited = out / "csv" / "actors.csv"
    edited.write_text(edited.read_text(encoding="utf-8") + "my own row\r\n", encoding="utf-8")

    result = _export(run_toolkit, corpus, out, expect=2)

    assert "actors.csv" in result.output and "did not write" in result.output
    assert "my own row" in edited.read_text(encoding="utf-8")


def test_a_users_copy_of_an_export_named_like_a_staging_folder_is_neither_removed_nor_moved(
    corpus: Path, tmp_path: Path, run_toolkit
) -> None:
    out = tmp_path / "exports"
    _export(run_toolkit, corpus, out)
    for copy in (".tmp-csv-x", ".old-csv-0badc0de"):
        shutil.copytree(out / "csv", out / copy)
    shutil.rmtree(out / "csv")  # so that a set-aside look-alike would be "put back"

    _export(run_toolkit, corpus, out)

    for copy in (".tmp-csv-x", ".old-csv-0badc0de"):
        assert (out / copy / "actors.csv").is_file(), copy
    assert (out / "csv" / "actors.csv").is_file()


def test_an_export_after_an_export_replaces_it_and_leaves_nothing_behind(
    corpus: Path, tmp_path: Path, run_toolkit
) -> None:
    out = tmp_path / "exports"
    _export(run_toolkit, corpus, out)
    _edit(corpus / ACTOR, "name: Turkey", "name: Türkiye")

    _export(run_toolkit, corpus, out)
    _export(run_toolkit, corpus, out)

    assert "Türkiye" in (out / "csv" / "actors.csv").read_text(encoding="utf-8")
    assert [path.name for path in out.iterdir() if path.name.startswith((".tmp-", ".old-"))] == []
    journal = (out / ".toolkit-export.journal").read_text(encoding="utf-8")
    assert json.loads(journal.splitlines()[1])["made"] == []


# --- M15: toolkit schema ------------------------------------------------------------------------


def test_a_generated_schema_the_user_edited_is_not_overwritten(tmp_path: Path, run_toolkit) -> None:
    out = tmp_path / "sch"
    run_toolkit(["schema", "--out", str(out)])
    path = out / "actor.schema.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["properties"]["x"] = {"type": "string"}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    result = run_toolkit(["schema", "--out", str(out)], expect=2)

    assert "actor.schema.json" in result.output
    assert '"x"' in path.read_text(encoding="utf-8")


def test_an_export_of_the_first_release_is_refused_with_the_way_out(corpus: Path, tmp_path: Path) -> None:
    # 0.1.0 marked its folders but kept no journal of their files: the folder may have
    # been edited, so it is not replaced, and the message says how to move on.
    out = tmp_path / "exports"
    toolkit.export(["csv"], out_dir=out, corpus=corpus)
    (out / ".toolkit-export.journal").unlink()

    with pytest.raises(toolkit.ToolkitError, match=r"an export of toolkit 0\.1\.0 kept no record") as refused:
        toolkit.export(["csv"], out_dir=out, corpus=corpus)

    assert "remove the folder once" in str(refused.value)
    assert (out / "csv" / ".toolkit-export").is_file()
