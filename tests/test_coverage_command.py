"""`toolkit coverage`: the share of each article that the evidence cites, and the sentences it leaves out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scratch_git import CLEAN_CORPUS
from toolkit.coverage import sentences

SOURCE = "src-lapid-to-visit-turkey"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "annotations"


def test_sentences_end_at_line_breaks_and_full_stops_but_not_after_titles_or_initials() -> None:
    text = 'Mr. Lapid met U.S. officials. "We thank you," he said!\nNo full stop here\n\nLast one.'

    assert [(s.line, s.text) for s in sentences(text)] == [
        (1, "Mr. Lapid met U.S. officials."),
        (1, '"We thank you," he said!'),
        (2, "No full stop here"),
        (4, "Last one."),
    ]


def test_each_source_gets_its_shares_and_its_uncited_sentences_with_their_lines(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["coverage"])

    lines = result.output.splitlines()
    assert lines[0].startswith(f"{SOURCE}: 6/9 sentences cited (66.7%), 365/1,010 characters (36.1%)")
    assert (
        '  line 3: The two vowed to "continue to work toward peace and regional stability through continuous and ope...'
        in lines
    )


def test_by_sentence_lists_the_records_citing_each_sentence(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["coverage", SOURCE, "--by-sentence"])

    assert (
        "  line 1: Foreign Minister Yair Lapid will visit Turkey on Thursday as both countries continue to work toge..."
        "\n    act-turkey, act-yair-lapid, evt-lapid-visits-turkey\n" in result.output
    )
    assert "\n    not cited\n" in result.output


def test_min_share_fails_a_source_below_it_for_ci(corpus: Path, run_toolkit) -> None:
    assert "(below the minimum)" in run_toolkit(["coverage", "--min-share", "0.7"], expect=1).output
    run_toolkit(["coverage", "--min-share", "0.6"], expect=0)


def test_the_json_report_holds_every_sentence_with_its_offsets_and_records(corpus: Path, run_toolkit) -> None:
    report = json.loads(run_toolkit(["coverage", "--format", "json"]).output)

    [source] = report["sources"]
    assert (source["source"], source["sentences"], source["cited_sentences"]) == (SOURCE, 9, 6)
    text = (corpus / "sources" / f"{SOURCE}.txt").read_text(encoding="utf-8")
    for entry in source["by_sentence"]:
        assert text[entry["start"] : entry["end"]] == entry["text"]


def test_an_id_that_is_not_a_source_is_a_usage_error(corpus: Path, run_toolkit) -> None:
    result = run_toolkit(["coverage", "act-turkey"], expect=2)

    assert result.output == "Error: act-turkey is a actor; this needs a source\n"
