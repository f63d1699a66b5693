"""The date rules of issue 16: a range's end against publication, one-day ranges' weekdays, expressions in the text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import toolkit
from scratch_git import CLEAN_CORPUS

ADVISORY = "advisories/adv-il-nsc-istanbul-level-4.yaml"
EVENT = "events/evt-lapid-visits-turkey.yaml"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    return tmp_path / "annotations"


def edit(corpus: Path, file: str, old: str, new: str) -> None:
    path = corpus / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def found(corpus: Path) -> list[tuple[str, str, int | None]]:
    return [(f.rule, f.path, f.line) for f in toolkit.validate([corpus]).findings]


def test_a_range_that_starts_before_publication_but_ends_after_it_is_reported_at_its_end(corpus: Path) -> None:
    # Published in June 2022 (by the 30th): a range into July reports what had not happened yet.
    edit(
        corpus,
        ADVISORY,
        'start: "2022-06"\n  precision: month',
        'start: "2022-06"\n  end: "2022-07-02"\n  precision: range',
    )

    assert found(corpus) == [("date-after-publication", "$.date.end", 12)]


def test_a_range_ending_within_the_month_of_publication_is_not_after_it(corpus: Path) -> None:
    edit(
        corpus,
        ADVISORY,
        'start: "2022-06"\n  precision: month',
        'start: "2022-06"\n  end: "2022-06-30"\n  precision: range',
    )

    assert found(corpus) == []


def test_a_one_day_range_is_checked_against_the_weekday_its_words_name(corpus: Path) -> None:
    # 2022-06-24 is a Friday; the words say Thursday.
    edit(
        corpus,
        EVENT,
        'start: "2022-06-23"\n  precision: day',
        'start: "2022-06-24"\n  end: "2022-06-24"\n  precision: range',
    )

    assert found(corpus) == [("date-weekday-mismatch", "$.date.start", 7)]


def test_a_range_of_several_days_is_not_held_to_one_weekday(corpus: Path) -> None:
    edit(
        corpus,
        EVENT,
        'start: "2022-06-23"\n  precision: day',
        'start: "2022-06-22"\n  end: "2022-06-24"\n  precision: range',
    )

    assert found(corpus) == []


def test_an_expression_the_text_does_not_hold_is_reported_at_the_expression(corpus: Path) -> None:
    edit(corpus, EVENT, "expression: on Thursday", "expression: next Thursday")

    assert found(corpus) == [("date-expression-not-in-text", "$.date.expression", 9)]


def test_an_expression_matches_across_line_breaks_and_typographic_quotes_as_quotes_do(corpus: Path) -> None:
    # The text writes "In recent days Lapid"; spacing and quote style are forgiven, case is not.
    edit(corpus, ADVISORY, "expression: In recent days", 'expression: "In  recent\\ndays"')
    assert found(corpus) == []

    edit(corpus, ADVISORY, 'expression: "In  recent\\ndays"', "expression: in recent days")
    assert found(corpus) == [("date-expression-not-in-text", "$.date.expression", 13)]


def test_a_sources_publication_expression_is_looked_for_in_its_own_text(corpus: Path) -> None:
    edit(
        corpus,
        "sources/src-lapid-to-visit-turkey.yaml",
        "  precision: month\n",
        "  precision: month\n  expression: last month\n",
    )
    assert found(corpus) == []

    edit(corpus, "sources/src-lapid-to-visit-turkey.yaml", "expression: last month", "expression: last year")
    assert [rule for rule, _path, _line in found(corpus)] == ["date-expression-not-in-text"]
