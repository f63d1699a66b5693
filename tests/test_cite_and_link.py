"""`toolkit cite` and `toolkit link`: edits that keep the file as the curator wrote it, and pass validation."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

import toolkit
from scratch_git import CLEAN_CORPUS
from toolkit.cite import as_quote, find_passages, marked_difference
from toolkit.yaml_strict import parse_yaml

EVENT = Path("annotations/events/evt-lapid-visits-turkey.yaml")
SOURCE = "src-lapid-to-visit-turkey"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the clean corpus as ./annotations, with a second event to link to."""
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    second = (tmp_path / EVENT).read_text(encoding="utf-8").replace("evt-lapid-visits-turkey", "evt-lapid-trip")
    (tmp_path / "annotations/events/evt-lapid-trip.yaml").write_text(second, encoding="utf-8")
    return tmp_path / "annotations"


def findings(corpus: Path) -> list[tuple[str, str]]:
    return [(f.rule, Path(f.file).name) for f in toolkit.validate([corpus]).findings]


def data(path: Path) -> dict:
    parsed = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    assert parsed.data is not None
    return parsed.data


# --- Finding the words -----------------------------------------------------------


def test_words_are_found_whatever_their_quotes_dashes_and_line_breaks_and_written_as_the_text_has_them() -> None:
    text = "He said: \u201cwe will\nstay\u201d \u2013 and left.\nNext line."
    typed = '"we will stay" - and left.'

    [passage] = find_passages(typed, text)

    assert passage.line == 1
    assert as_quote(text, passage) == "\u201cwe will stay\u201d \u2013 and left."


def test_case_still_counts_when_finding_the_words() -> None:
    assert find_passages("WE WILL", "we will stay") == []


def test_the_differing_characters_are_marked_on_both_sides() -> None:
    words, passage = marked_difference("MIT said - yes", "M\u0130T said \u2013 yes")

    assert (words, passage) == ("M[I]T said - yes", "M[\u0130]T said \u2013 yes")


# --- toolkit cite ----------------------------------------------------------------------


def test_cite_adds_the_passage_and_the_record_still_validates(corpus: Path, run_toolkit) -> None:
    # Typed with curly quotes and a line break: the text has straight quotes on one line.
    result = run_toolkit(
        ["cite", "evt-lapid-visits-turkey", SOURCE, "his \u201cefforts to thwart\nterrorist activities"]
    )

    assert 'added to its evidence: src-lapid-to-visit-turkey line 3: "his "efforts to thwart' in result.output
    assert data(corpus.parent / EVENT)["evidence"][-1] == {
        "source": SOURCE,
        "quote": 'his "efforts to thwart terrorist activities',
    }
    assert findings(corpus) == []


def test_cite_keeps_the_files_comments_order_and_quoting(corpus: Path, run_toolkit) -> None:
    path = corpus.parent / EVENT
    before = path.read_text(encoding="utf-8").replace("status: planned", "status: planned  # as the text says")
    path.write_text(before, encoding="utf-8")

    run_toolkit(["cite", "evt-lapid-visits-turkey", SOURCE, "during his trip on Thursday"])

    after = path.read_text(encoding="utf-8")
    assert after == before + f'  - source: {SOURCE}\n    quote: "during his trip on Thursday"\n'


def test_cite_fills_in_the_empty_evidence_item_of_a_new_skeleton(corpus: Path, run_toolkit) -> None:
    run_toolkit(["new", "event", "evt-lapid-statement"])
    path = corpus / "events/evt-lapid-statement.yaml"
    comments = [line for line in path.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#")]

    run_toolkit(["cite", "evt-lapid-statement", SOURCE, "The statement said that Lapid"])

    assert data(path)["evidence"] == [{"source": SOURCE, "quote": "The statement said that Lapid"}]
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#")]
    assert kept == comments


def test_citing_the_same_words_twice_adds_them_once(corpus: Path, run_toolkit) -> None:
    run_toolkit(["cite", "evt-lapid-visits-turkey", SOURCE, "during his trip on Thursday"])
    result = run_toolkit(["cite", "evt-lapid-visits-turkey", SOURCE, "during his  trip on Thursday"])

    assert "already in its evidence" in result.output
    assert len(data(corpus.parent / EVENT)["evidence"]) == 2


def test_words_not_in_the_text_exit_1_with_the_closest_passage_marked_and_nothing_written(
    corpus: Path, run_toolkit
) -> None:
    before = (corpus.parent / EVENT).read_bytes()

    result = run_toolkit(["cite", "evt-lapid-visits-turkey", SOURCE, "Lapid will visit Turkey on thursday"], expect=1)

    assert "closest passage (line 1):" in result.output
    assert "text:  Lapid will visit Turkey on [T]hursday" in result.output
    assert "words: Lapid will visit Turkey on [t]hursday" in result.output
    assert (corpus.parent / EVENT).read_bytes() == before


def test_cite_of_an_unknown_record_is_a_usage_error(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["cite", "evt-nothing", SOURCE, "Lapid"], expect=2)

    assert result.output.strip() == "Error: no record with id 'evt-nothing' in annotations"


def test_cite_never_writes_through_a_record_that_is_a_link_out_of_the_corpus(
    corpus: Path, tmp_path: Path, run_toolkit
) -> None:
    outside = tmp_path / "outside.yaml"
    shutil.copy(corpus.parent / EVENT, outside)
    (corpus.parent / EVENT).unlink()
    (corpus.parent / EVENT).symlink_to(outside)
    before = outside.read_bytes()

    result = run_toolkit(["cite", "evt-lapid-visits-turkey", SOURCE, "during his trip"], expect=1)

    assert "file-unreadable" in result.output
    assert outside.read_bytes() == before


def test_cite_refuses_a_record_that_does_not_parse_and_shows_why(corpus: Path, run_toolkit) -> None:
    (corpus.parent / EVENT).write_text("id: evt-lapid-visits-turkey\nid: again\n", encoding="utf-8")

    result = run_toolkit(["cite", "evt-lapid-visits-turkey", SOURCE, "during his trip"], expect=1)

    assert "yaml-duplicate-key" in result.output
    assert "cannot be read; fix it first" in result.output


# --- toolkit link and link-one-sided ---------------------------------------------------


def test_a_same_as_link_is_written_on_both_records_and_validates(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(
        ["link", "evt-lapid-visits-turkey", "same-as", "evt-lapid-trip", "--certainty", "probable", "--note", "Same."]
    )

    assert result.output.count("wrote ") == 2
    for name, other in (("evt-lapid-visits-turkey", "evt-lapid-trip"), ("evt-lapid-trip", "evt-lapid-visits-turkey")):
        assert data(corpus / f"events/{name}.yaml")["links"] == [
            {"relation": "same-as", "target": other, "certainty": "probable", "note": "Same."}
        ]
    assert findings(corpus) == []


def test_a_same_as_link_without_a_note_is_refused_before_anything_is_written(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["link", "evt-lapid-visits-turkey", "same-as", "evt-lapid-trip", "--certainty", "certain"], 2)

    assert "needs --note" in result.output
    assert "links" not in data(corpus.parent / EVENT)


def test_a_one_sided_same_as_is_reported_at_the_link_and_its_hint_fixes_it(corpus: Path, run_toolkit) -> None:
    path = corpus.parent / EVENT
    path.write_text(
        path.read_text(encoding="utf-8")
        + "links:\n  - relation: same-as\n    target: evt-lapid-trip\n    certainty: possible\n    note: Maybe.\n",
        encoding="utf-8",
    )
    [finding] = toolkit.validate([corpus]).findings

    assert (finding.rule, finding.file, finding.line, finding.path) == (
        "link-one-sided",
        EVENT.as_posix(),
        21,
        "$.links[0]",
    )
    assert finding.hint == "write the other side: toolkit link evt-lapid-visits-turkey same-as evt-lapid-trip"
    run_toolkit(shlex.split(finding.hint.split(": ", 1)[1])[1:])
    assert findings(corpus) == []
    assert data(corpus / "events/evt-lapid-trip.yaml")["links"][0]["certainty"] == "possible"


def test_two_sides_that_disagree_are_reported_once_with_the_command_that_aligns_them(corpus: Path, run_toolkit) -> None:
    run_toolkit(
        ["link", "evt-lapid-trip", "same-as", "evt-lapid-visits-turkey", "--certainty", "probable", "--note", "Same."]
    )
    other = corpus / "events/evt-lapid-trip.yaml"
    other.write_text(other.read_text(encoding="utf-8").replace("probable", "certain"), encoding="utf-8")

    [finding] = toolkit.validate([corpus]).findings

    assert finding.rule == "link-one-sided" and finding.path == "$.links[0].certainty"
    assert finding.hint is not None and finding.hint.endswith(
        "toolkit link evt-lapid-trip same-as evt-lapid-visits-turkey --certainty certain"
    )
    run_toolkit(shlex.split(finding.hint.split(": ", 1)[1])[1:])
    assert findings(corpus) == []


def test_a_relation_that_is_not_symmetric_is_written_on_one_record_only(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["link", "evt-lapid-trip", "part-of", "evt-lapid-visits-turkey"])

    assert result.output == "wrote annotations/events/evt-lapid-trip.yaml\n"
    assert "links" not in data(corpus.parent / EVENT)


def test_an_unknown_relation_is_a_usage_error_naming_the_choices(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["link", "evt-lapid-trip", "same", "evt-lapid-visits-turkey"], expect=2)

    assert "unknown relation 'same': choose one of" in result.output
    assert "same-as" in result.output
