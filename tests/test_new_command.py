"""`toolkit new KIND ID`: a skeleton record to fill in, in the right folder, never over a record."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scratch_git import CLEAN_CORPUS
from toolkit.kinds import KINDS
from toolkit.validation import validate
from toolkit.yaml_strict import parse_yaml

# What an annotator types into the empty fields of each kind, by field name; a
# bare "-" is the first item of a list of values.
FILLED_IN: dict[str, dict[str, str]] = {
    "source": {
        "title": "Lapid to visit Turkey",
        "start": '"2022-06"',
        "precision": "month",
        "note": "Inferred from the visit it announces.",
        "language": "en",
        "text": "src-lapid-to-visit-turkey.txt",
        "sha256": "ce0c45d0b8b34b7cf1a19f563a9179f56f296803a6ffb6582b7b293e03128941",
        "source": "src-lapid-to-visit-turkey",
        "quote": "Follow Israel Hayom",
    },
    "actor": {
        "type": "person",
        "name": "Mevlut Cavusoglu",
        "source": "src-lapid-to-visit-turkey",
        "quote": "Turkish counterpart Mevlut Cavusoglu",
    },
    "location": {
        "type": "country",
        "name": "Israel",
        "country": "IL",
        "source": "src-lapid-to-visit-turkey",
        "quote": "visited Israel",
    },
    "event": {
        "type": "CONSULT/phone",
        "status": "reported",
        "summary": "Israel's President Herzog spoke on the phone with Turkey's President Erdogan.",
        "start": '"2022-06"',
        "precision": "month",
        "actor": "act-israel",
        "role": "initiator",
        "source": "src-lapid-to-visit-turkey",
        "quote": "President Isaac Herzog spoke on the phone with his Turkish counterpart",
    },
    "advisory": {
        "issuer": "act-israel-nsc-counterterrorism-bureau",
        "-": "loc-istanbul",
        "audience": "Israelis",
        "guidance": "Avoid going to Turkey.",
        "start": '"2022-06"',
        "precision": "month",
        "source": "src-lapid-to-visit-turkey",
        "quote": "avoid going to Turkey, particularly to Istanbul",
    },
}
NEW_IDS = {
    "source": "src-lapid-to-visit-turkey-again",
    "actor": "act-mevlut-cavusoglu",
    "location": "loc-israel",
    "event": "evt-herzog-erdogan-call",
    "advisory": "adv-avoid-turkey",
}


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the clean corpus as ./annotations."""
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    return Path("annotations")


def fill_in(text: str, values: dict[str, str]) -> str:
    """Type a value into every empty field (``key:`` or ``-`` alone on a line) that has one."""

    def value_for(match: re.Match[str]) -> str:
        lead, key = match.group(1), match.group(2)
        return f"{lead}{key}: {values[key]}" if key in values else match.group(0)

    text = re.sub(r"^(\s*(?:- )?)([a-z_0-9]+):$", value_for, text, flags=re.M)
    return re.sub(
        r"^(\s*)-$", lambda m: f"{m.group(1)}- {values['-']}" if "-" in values else m.group(0), text, flags=re.M
    )


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_new_writes_a_parseable_skeleton_into_the_kind_folder(kind, corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["new", kind.name, NEW_IDS[kind.name]])

    path = corpus / kind.folder / f"{NEW_IDS[kind.name]}.yaml"
    assert result.stdout.startswith(f"wrote {path.as_posix()}: fill in the empty fields")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema=../../schemas/{kind.schema_file}"
    parsed = parse_yaml(text, str(path))
    assert parsed.findings == []
    assert parsed.data is not None and parsed.data["id"] == NEW_IDS[kind.name]


def test_an_event_skeleton_reads_like_this(corpus: Path, run_toolkit, file_regression) -> None:
    run_toolkit(["new", "event", "evt-herzog-erdogan-call"])

    file_regression.check(
        (corpus / "events/evt-herzog-erdogan-call.yaml").read_text(encoding="utf-8"),
        basename="new_event_skeleton",
        extension=".yaml",
    )


def test_validate_names_each_empty_field_of_an_unfilled_skeleton_by_its_line(corpus: Path, run_toolkit) -> None:
    run_toolkit(["new", "actor", "act-mevlut-cavusoglu"])
    path = corpus / "actors/act-mevlut-cavusoglu.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()

    report = validate([path])

    errors = [finding for finding in report.findings if finding.severity.value == "error"]
    placeholders = {
        "$.type": "type:",
        "$.name": "name:",
        "$.evidence[0].source": "  - source:",
        "$.evidence[0].quote": "    quote:",
    }
    assert {finding.path for finding in errors} == set(placeholders)
    for finding in errors:
        assert lines[finding.line - 1] == placeholders[finding.path]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_filling_in_the_empty_fields_makes_the_record_valid(kind, corpus: Path, run_toolkit) -> None:
    run_toolkit(["new", kind.name, NEW_IDS[kind.name]])
    path = corpus / kind.folder / f"{NEW_IDS[kind.name]}.yaml"
    path.write_text(fill_in(path.read_text(encoding="utf-8"), FILLED_IN[kind.name]), encoding="utf-8")

    report = validate([path])

    assert report.errors == 0, [f"{f.line}: {f.message} ({f.path})" for f in report.findings]
    assert report.records == 1


def test_an_optional_field_uncommented_is_valid_yaml_with_its_required_parts(corpus: Path, run_toolkit) -> None:
    run_toolkit(["new", "actor", "act-mevlut-cavusoglu"])
    path = corpus / "actors/act-mevlut-cavusoglu.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("# positions:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("#  "))
    # What an editor's "toggle comment" does to the block.
    lines[start:end] = [line[2:] for line in lines[start:end]]

    parsed = parse_yaml("\n".join(lines) + "\n", str(path))

    assert parsed.findings == []
    assert parsed.data is not None and parsed.data["positions"] == [{"title": None, "in": None, "status": None}]


def test_new_never_overwrites_a_record(corpus: Path, run_toolkit) -> None:
    path = corpus / "actors/act-turkey.yaml"
    before = path.read_bytes()

    result = run_toolkit(["new", "actor", "act-turkey"], expect=2)

    assert result.stderr == (
        "Error: annotations/actors/act-turkey.yaml already exists; toolkit new never "
        "overwrites a record: edit it, or choose another id\n"
    )
    assert path.read_bytes() == before


def test_new_refuses_a_record_whose_id_is_taken_by_a_yml_file(corpus: Path, run_toolkit) -> None:
    (corpus / "actors/act-turkey.yaml").rename(corpus / "actors/act-turkey.yml")

    result = run_toolkit(["new", "actor", "act-turkey"], expect=2)

    assert "annotations/actors/act-turkey.yml already exists" in result.stderr
    assert not (corpus / "actors/act-turkey.yaml").exists()


@pytest.mark.parametrize(
    "bad_id", ["evt-lapid", "act-Yair-Lapid", "act-yair_lapid", "act-", "act-yair--lapid", "act-yair-lapid\n"]
)
def test_new_refuses_an_id_that_does_not_have_the_kinds_form(bad_id: str, corpus: Path, run_toolkit) -> None:
    before = sorted((corpus / "actors").iterdir())

    result = run_toolkit(["new", "actor", bad_id], expect=2)

    assert result.stderr.startswith(f"Error: {bad_id!r} is not a valid actor id. Id of an actor: 'act-' then")
    assert sorted((corpus / "actors").iterdir()) == before


def test_new_refuses_to_start_a_corpus_where_there_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_toolkit
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run_toolkit(["new", "actor", "act-yair-lapid"], expect=2)

    assert result.stderr.startswith("Error: annotations: no such corpus folder")
    assert not (tmp_path / "annotations").exists()


def test_new_creates_a_missing_kind_folder_and_its_modeline_finds_the_schemas_written_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_toolkit
) -> None:
    (tmp_path / "data/corpus").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)

    run_toolkit(["new", "advisory", "adv-avoid-turkey", "--corpus", "data/corpus"])
    run_toolkit(["schema", "--out", "data/schemas"])

    record = tmp_path / "data/corpus/advisories/adv-avoid-turkey.yaml"
    first_line = record.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../../schemas/advisory.schema.json"
    assert (record.parent / "../../schemas/advisory.schema.json").is_file()  # what the editor will read
