"""The claim rules (toolkit/checks/claims.py) beyond their example corpora in tests/rules/.

The examples show each rule broken once; these show the edges: which words hedge,
which numbers a text gives, claim dates under the date rules, a grade outside its
scale, and where a finding about another file lands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import toolkit
from corpus_overlay import RULES_DIR, build_corpus
from toolkit.checks.claims import hedges_in, numbers_in
from toolkit.model import Finding


def corpus_of(case: str, into: Path) -> Path:
    return build_corpus(RULES_DIR / case, into / "corpus")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def placed(findings: tuple[Finding, ...]) -> list[tuple[str, str, str]]:
    return [(f.rule, Path(f.file).name, f.path) for f in findings]


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("in what Tehran deemed an Israeli operation", "deemed"),
        ("eight members of an alleged Iranian cell", "alleged"),
        ("allegedly in response to the killing", "allegedly"),
        ("Tehran rejected allegations by Israel", "allegations"),
        ("The suspects reportedly traveled to Turkey", "reportedly"),
        ("It is believed that Iran is seeking to retaliate", "believed"),
        ("which Tehran blames on Israel", "blames"),
        ("a team of Iranian spies accused of plotting", "accused"),
        ("a suspected Mossad network", "suspected"),
        ("a purported plot", "purported"),
        ("an official said to be close to the cell", "said to"),
        ('the 2020 "assassination" of a scientist', '"assassination"'),
        ("the 2020 “assassination” of a scientist", '"assassination"'),
        ('trying to "hunt Israelis" through social media', '"hunt Israelis"'),
    ],
)
def test_the_words_that_mark_a_claim_are_found_in_a_quote(text: str, hedge: str) -> None:
    assert hedges_in(text) == [hedge]


@pytest.mark.parametrize(
    "text",
    [
        "Foreign Minister Yair Lapid will visit Turkey on Thursday",
        "pledged allegiance to the believers",  # words that only begin like a hedge
        '"We are full of appreciation for the Turkish government for this activity," Lapid said',  # speech
        "Channel 12 News reported that the cell was arrested",  # a report names its source
    ],
)
def test_words_that_do_not_hedge_are_not_taken_for_a_hedge(text: str) -> None:
    assert hedges_in(text) == []


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("which killed 85 people in 1994", {85, 1994}),
        ("at least 1,200 were killed", {1200}),
        ("Three soldiers and twenty civilians died", {3, 20}),
        ("no one was hurt", {0}),
        ("dozens were killed", set()),
        ("a six-person Russian espionage team", {6}),
        ("version 2.5 of the report", set()),
    ],
)
def test_a_count_is_read_from_digits_or_from_a_number_word_up_to_twenty(text: str, numbers: set[int]) -> None:
    assert numbers_in(text) == numbers


def test_fatalities_the_quote_does_not_give_are_refused_though_it_gives_other_numbers(tmp_path: Path) -> None:
    corpus = corpus_of("fatalities-not-in-evidence/valid", tmp_path)
    event = corpus / "events" / "evt-amia-bombing-1994.yaml"
    edit(event, "fatalities: 85", "fatalities: 12")

    assert placed(toolkit.validate([corpus]).findings) == [
        ("fatalities-not-in-evidence", "evt-amia-bombing-1994.yaml", "$.fatalities")
    ]


def test_a_credibility_grade_outside_its_scale_names_the_scale_and_its_values(tmp_path: Path) -> None:
    # A letter where a number belongs once ended the run in an internal error (exit 3).
    corpus = corpus_of("claim-unmarked/valid", tmp_path)
    edit(corpus / "events" / "evt-fakhrizadeh-killing.yaml", "grade: 3", "grade: B")

    [finding] = toolkit.validate([corpus]).findings

    assert (finding.rule, finding.path) == ("schema-vocabulary", "$.participants[1].claim.credibility.grade")
    assert finding.message == "'B' is not a known information credibility: one of 1, 2, 3, 4, 5, 6"
    assert finding.hint is not None and finding.hint.startswith("Admiralty / NATO information credibility")


def test_a_claim_date_is_checked_for_its_weekday_like_every_date(tmp_path: Path) -> None:
    corpus = corpus_of("claim-without-claimant/valid", tmp_path)
    # 2022-02-03 was a Thursday.
    edit(
        corpus / "events" / "evt-geller-plot.yaml",
        "    start: 2022-02\n    precision: month\n    expression: In February\n",
        "    start: 2022-02-03\n    precision: day\n    expression: On Friday\n",
    )

    findings = toolkit.validate([corpus]).findings

    assert placed(findings) == [("date-weekday-mismatch", "evt-geller-plot.yaml", "$.claim.date.start")]


def test_a_claim_dated_after_the_article_that_reports_it_is_refused_even_for_a_planned_event(tmp_path: Path) -> None:
    corpus = corpus_of("claim-without-claimant/valid", tmp_path)
    edit(
        corpus / "events" / "evt-geller-plot.yaml",
        "    start: 2022-02\n    precision: month\n    expression",
        "    start: 2022-07\n    precision: month\n    expression",
    )
    edit(corpus / "events" / "evt-geller-plot.yaml", "status: alleged", "status: planned")

    [finding] = toolkit.validate([corpus]).findings

    assert (finding.rule, finding.path) == ("date-after-publication", "$.claim.date.start")
    assert finding.message == "the claim is dated 2022-07, after src-abdollahian-visit was published (by 2022-06-26)"


def test_an_ungraded_source_is_reported_once_on_the_actor_with_the_claims_that_name_it(tmp_path: Path) -> None:
    corpus = corpus_of("claim-source-ungraded/invalid", tmp_path)
    # A second claim made by MIT: still one finding, on MIT's file, counting both.
    edit(
        corpus / "events" / "evt-geller-plot.yaml",
        "  - actor: act-yair-geller\n    role: target\n",
        "  - actor: act-yair-geller\n    role: target\n    claim:\n      by: act-mit\n"
        "      credibility:\n        grade: 3\n        reason: MIT's finding.\n",
    )

    ungraded = [f for f in toolkit.validate([corpus]).findings if f.file.endswith("act-mit.yaml")]

    assert [f.message for f in ungraded] == [
        "act-mit makes or relays claims (evt-geller-plot, $.claim.by, and 1 more) but has no reliability grade"
    ]


def test_checking_one_event_reports_the_ungraded_actor_its_claim_names(tmp_path: Path) -> None:
    # The rule spans files: what the event's claim needs is fixed in the actor's file.
    corpus = corpus_of("claim-source-ungraded/invalid", tmp_path)

    report = toolkit.validate([corpus / "events" / "evt-geller-plot.yaml"])

    assert sorted(placed(report.findings)) == [
        ("claim-source-ungraded", "act-mit.yaml", "$.reliability"),
        ("claim-source-ungraded", "act-unnamed-media-outlets.yaml", "$.reliability"),
    ]


def test_an_alleged_event_without_a_claim_is_one_finding_not_also_an_unmarked_role(tmp_path: Path) -> None:
    corpus = corpus_of("claim-unmarked/invalid", tmp_path)
    edit(corpus / "events" / "evt-fakhrizadeh-killing.yaml", "status: reported", "status: alleged")

    assert placed(toolkit.validate([corpus]).findings) == [
        ("claim-without-claimant", "evt-fakhrizadeh-killing.yaml", "$.status")
    ]


def test_a_hedge_in_the_evidence_of_an_event_with_a_claim_of_its_own_is_not_an_unmarked_role(tmp_path: Path) -> None:
    # The perpetrator inherits the event's claim: nothing rests on the article's own word.
    corpus = corpus_of("outcome-missing/valid", tmp_path)

    assert toolkit.validate([corpus]).findings == ()
