"""Red team of issue 13: values, tags, exports, new, and the size of what a report quotes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import toolkit
from red_team_support import ADVISORY, LOCATION, run_command


@pytest.mark.parametrize("value", ["0x4", "4.0", "1_0", "04", "0o4", "4e0", '"4"', ".inf", "0b100"])
def test_an_integer_field_refuses_every_look_alike_of_an_integer(corpus: Path, value: str) -> None:
    path = corpus / ADVISORY
    path.write_text(path.read_text(encoding="utf-8").replace("value: 4", f"value: {value}"), encoding="utf-8")

    report = toolkit.validate([path])

    assert report.failed(), value


@pytest.mark.parametrize(
    "value", ['!!int "\u0664"', '!!int "0_4"', '!!int " 4 "'], ids=["arabic-indic digit", "underscore", "spaces"]
)
def test_an_int_tag_does_not_turn_text_that_is_no_yaml_integer_into_a_number(corpus: Path, value: str) -> None:
    # The tag is handed to Python's int(), which takes Unicode digits, underscores and
    # surrounding spaces: the quoted text "\u0664" (ARABIC-INDIC DIGIT FOUR) passes as level 4.
    path = corpus / ADVISORY
    path.write_text(path.read_text(encoding="utf-8").replace("value: 4", f"value: {value}"), encoding="utf-8")

    report = toolkit.validate([path])

    assert report.failed(), value


@pytest.mark.parametrize(
    "value",
    ['!!float "4\u0661"', '!!float "4_1"', '!!float " 41 "'],
    ids=["arabic-indic digit", "underscore", "spaces"],
)
def test_a_float_tag_does_not_turn_text_that_is_no_yaml_number_into_a_number(corpus: Path, value: str) -> None:
    path = corpus / LOCATION
    text = path.read_text(encoding="utf-8").replace(
        "within: loc-turkey\n", f"within: loc-turkey\ncoordinates:\n  latitude: {value}\n  longitude: 28.97\n"
    )
    path.write_text(text, encoding="utf-8")

    report = toolkit.validate([path])

    assert report.failed(), value


def test_a_bool_tag_does_not_read_yes_as_false(corpus: Path) -> None:
    # No field is boolean today, so the refusal shows as a type error: the value
    # reported must not be `false` for a file that says `yes`.
    path = corpus / ADVISORY
    path.write_text(path.read_text(encoding="utf-8").replace("value: 4", "value: !!bool yes"), encoding="utf-8")

    report = toolkit.validate([path])

    assert report.failed()
    assert not any("false" in f.message for f in report.findings), [f.message for f in report.findings]


@pytest.mark.parametrize(
    "edit",
    [
        ("id: act-turkey", "--- !!map\nid: act-turkey"),
        ("name: Turkey", "name: !!str Turkey"),
        ("name: Turkey", "name: &turkey Turkey"),
        ("id: act-turkey", "--- &record\nid: act-turkey"),
    ],
    ids=["tag on the document", "str tag", "anchor on a value", "anchor on the document"],
)
def test_no_tag_and_no_anchor_is_accepted_as_the_readme_says(corpus: Path, edit: tuple[str, str]) -> None:
    # README: "No tags ..., no anchors, aliases or merge keys".
    path = corpus / "actors" / "act-turkey.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8")

    report = toolkit.validate([path])

    assert report.failed(), edit


@pytest.mark.parametrize("start", ['"2022-02-29"', '"2022-06-31"', '"0000-01-01"', '"2022-13"', '"2022-6-23"'])
def test_a_date_that_is_not_in_the_calendar_is_refused(corpus: Path, start: str) -> None:
    path = corpus / "events" / "evt-lapid-visits-turkey.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('start: "2022-06-23"', f"start: {start}"), encoding="utf-8"
    )

    report = toolkit.validate([path])

    assert report.failed(), start


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b""], ids=["byte-order mark", "NUL byte"])
def test_a_source_text_with_a_byte_order_mark_or_nul_bytes_is_refused(corpus: Path, prefix: bytes) -> None:
    # README: files are read "UTF-8 without a byte-order mark and without NUL bytes";
    # a source text with either passes once its checksum is updated.
    import hashlib

    text = corpus / "sources" / "src-lapid-to-visit-turkey.txt"
    data = prefix + text.read_bytes() + (b"" if prefix else b"\x00")
    text.write_bytes(data)
    record = corpus / "sources" / "src-lapid-to-visit-turkey.yaml"
    lines = [
        f"sha256: {hashlib.sha256(data).hexdigest()}" if line.startswith("sha256:") else line
        for line in record.read_text(encoding="utf-8").splitlines()
    ]
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = toolkit.validate([corpus])

    assert report.failed()


# --- Exports: nothing of the user's is replaced ---------------------------------------


def test_a_file_the_user_put_in_an_exported_format_folder_is_not_deleted_by_the_next_export(
    corpus: Path, tmp_path: Path, run_toolkit
) -> None:
    out = tmp_path / "exports"
    run_toolkit(["export", "--corpus", str(corpus), "--out", str(out), "--format", "csv", "--jobs", "1"])
    notes = out / "csv" / "NOTES.md"
    notes.write_text("my own notes about this export\n", encoding="utf-8")

    result = run_toolkit(
        ["export", "--corpus", str(corpus), "--out", str(out), "--format", "csv", "--jobs", "1"], expect=None
    )

    assert notes.exists() or result.exit_code == 2


def test_a_users_copy_of_an_export_named_like_a_set_aside_one_is_not_deleted(
    corpus: Path, tmp_path: Path, run_toolkit
) -> None:
    out = tmp_path / "exports"
    args = ["export", "--corpus", str(corpus), "--out", str(out), "--format", "stix", "--jobs", "1"]
    run_toolkit(args)
    backup = out / ".old-stix-backup"
    shutil.copytree(out / "stix", backup)
    (backup / "mine.txt").write_text("kept by hand\n", encoding="utf-8")

    run_toolkit(args, expect=None)

    assert (backup / "mine.txt").exists()


# --- new ------------------------------------------------------------------------------


def test_new_does_not_write_a_second_record_beside_one_whose_suffix_differs_in_case(corpus: Path, run_toolkit) -> None:
    (corpus / "actors" / "act-turkey.yaml").rename(corpus / "actors" / "act-turkey.YAML")

    result = run_toolkit(["new", "actor", "act-turkey", "--corpus", str(corpus)], expect=None)

    assert result.exit_code == 2
    assert not (corpus / "actors" / "act-turkey.yaml").exists()


def test_new_with_an_empty_corpus_option_writes_no_kind_folder_into_the_working_directory(
    tmp_path: Path, run_toolkit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --corpus '' is Path('') == '.': the working directory is taken for the corpus
    # and gets an actors/ folder.
    monkeypatch.chdir(tmp_path)

    result = run_toolkit(["new", "actor", "act-x", "--corpus", ""], expect=None)

    assert not (tmp_path / "actors").exists(), result.output


# --- Reports ----------------------------------------------------------------------------


def test_a_value_quoted_in_a_finding_is_shortened_whatever_its_length(corpus: Path) -> None:
    # A vocabulary value is cut at some 60 characters; an unresolved reference of
    # 900,000 characters is quoted whole, twice (message and hint).
    path = corpus / "events" / "evt-lapid-visits-turkey.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("actor: act-turkey", "actor: act-t" + "u" * 200_000), encoding="utf-8"
    )

    report = toolkit.validate([path])

    (finding,) = [f for f in report.findings if f.rule == "ref-unresolved"]
    assert len(finding.message) + len(finding.hint or "") < 2_000


@pytest.mark.timeout(60)
def test_github_annotations_cannot_be_forged_by_a_value_with_newlines_and_colons(corpus: Path) -> None:
    path = corpus / "actors" / "act-turkey.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "type: state", 'type: "x\\n::error file=README.md,line=1::forged\\r\\n::warning ::also"'
        ),
        encoding="utf-8",
    )

    result = run_command("validate", "--format", "github", cwd=corpus.parent)

    commands = [line for line in result.stdout.splitlines() if line.startswith(("::error", "::warning"))]
    assert commands
    assert all(line.startswith(("::error file=annotations/", "::warning file=annotations/")) for line in commands)
    assert not any(line.startswith("::error file=README.md") for line in result.stdout.splitlines())
    assert result.returncode == 1


def test_json_and_sarif_reports_parse_whatever_a_file_name_holds(
    corpus: Path, run_toolkit, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ["act-a\nb.yaml", "act-\u202e.yaml", "act-%2e\t#?.yaml", "act-\x1b[2J.yaml"]:
        (corpus / "actors" / name).write_text("id: [\n", encoding="utf-8")
    monkeypatch.chdir(corpus.parent)

    for report_format in ("json", "sarif"):
        result = run_toolkit(["validate", "--format", report_format], expect=1)
        json.loads(result.stdout)
