"""Every hint, suggestion and search costs a bounded amount of work per run,
whatever the input: many records, many dangling references, many large sources,
one huge quote, many distinct typos, long supersedes chains.

Each corpus is generated here from the small valid corpus of ``tests/hostile/``,
large enough that the toolkit before these bounds took a minute or more on it;
the timeout is a hang guard, not a measurement (``benchmarks/`` measures speed).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import toolkit
from toolkit.budget import WorkBudget
from toolkit.quotes import SearchText, find_quote

CORPUS = Path(__file__).resolve().parent / "hostile" / "corpus"
SOURCE_ID = "src-amir-abdollahian-to-visit-turkey"
ARTICLE = (CORPUS / "sources" / f"{SOURCE_ID}.txt").read_text(encoding="utf-8")
QUOTE = "Iran's top diplomat Hossein Amir-Abdollahian"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the small valid corpus, to grow."""
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    return copy


def write_actor(corpus: Path, actor_id: str, source_id: str = SOURCE_ID, quote: str = QUOTE) -> None:
    (corpus / "actors" / f"{actor_id}.yaml").write_text(
        f"id: {actor_id}\ntype: person\nname: Someone {actor_id}\ncountries: [IR]\n"
        f'evidence:\n  - source: {source_id}\n    quote: "{quote}"\n',
        encoding="utf-8",
    )


def write_event(corpus: Path, event_id: str, actor_ids: list[str]) -> None:
    participants = "".join(f"  - actor: {actor_id}\n    role: participant\n" for actor_id in actor_ids)
    (corpus / "events" / f"{event_id}.yaml").write_text(
        f"id: {event_id}\ntype: CONSULT/visit\nstatus: planned\nsummary: A visit.\n"
        f'date:\n  start: "2022-06"\n  precision: month\n'
        f"participants:\n{participants}"
        f"evidence:\n  - source: {SOURCE_ID}\n    quote: {QUOTE}\n",
        encoding="utf-8",
    )


def write_source(corpus: Path, source_id: str, text: str) -> None:
    """A source record beside its text, with the text's checksum."""
    (corpus / "sources" / f"{source_id}.txt").write_text(text, encoding="utf-8")
    template = (corpus / "sources" / f"{SOURCE_ID}.yaml").read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (corpus / "sources" / f"{source_id}.yaml").write_text(
        template.replace(SOURCE_ID, source_id).replace(
            "e608a24f4048cbc6d874ed64cb50e57945bb6f457f3f3f1b9c2cceec5b1e27b3", digest
        ),
        encoding="utf-8",
    )


def hints(report: toolkit.Report, rule: str) -> list[str | None]:
    return [finding.hint for finding in report.findings if finding.rule == rule]


# --- "did you mean" for references ------------------------------------------------


@pytest.mark.timeout(20)
def test_deleting_an_actor_that_thousands_of_events_name_is_reported_promptly(corpus: Path) -> None:
    # 5,000 references to one missing id among 500 actors: one suggestion, not 5,000.
    for i in range(500):
        write_actor(corpus, f"act-someone-with-a-rather-long-name-{i:05d}")
        write_event(corpus, f"evt-visit-{i:05d}", ["act-the-central-figure-of-the-whole-story"] * 10)

    report = toolkit.validate([corpus])

    assert (
        hints(report, "ref-unresolved")
        == ["add a record 'act-the-central-figure-of-the-whole-story' under actors/"] * 5_000
    )


@pytest.mark.timeout(20)
def test_thousands_of_distinct_dangling_references_are_reported_promptly(corpus: Path) -> None:
    # Each event names ten actors that are not there, each close to one that is.
    for i in range(500):
        write_actor(corpus, f"act-someone-with-a-rather-long-name-{i:05d}")
        write_event(
            corpus, f"evt-visit-{i:05d}", [f"act-someone-with-a-rather-long-name-{i:05d}-{n}" for n in range(10)]
        )

    report = toolkit.validate([corpus])

    found = hints(report, "ref-unresolved")
    assert len(found) == 5_000
    assert found[0] == "did you mean 'act-someone-with-a-rather-long-name-00000'?"


# --- Quotes: the normalised texts, the closest passage -------------------------------


@pytest.mark.timeout(20)
def test_a_valid_corpus_with_many_large_sources_normalises_each_text_once(corpus: Path) -> None:
    # Twelve sources of some 180 KB, each cited in turn by quotes that match only once
    # whitespace is normalised: more sources than a small cache of normalised texts holds.
    sources = [f"src-article-{i:02d}" for i in range(12)]
    for number, source_id in enumerate(sources):
        write_source(corpus, source_id, f"Article {number}.\n" + ARTICLE * 60)
    spaced = QUOTE.replace(" ", "   ")
    for i in range(1_200):
        write_actor(corpus, f"act-someone-{i:05d}", sources[i % len(sources)], spaced)

    report = toolkit.validate([corpus])

    assert {finding.rule for finding in report.findings} == {"unreferenced-actor"}


@pytest.mark.timeout(20)
def test_a_huge_quote_missing_from_its_text_gets_the_plain_hint_and_leaves_the_budget_to_others(corpus: Path) -> None:
    # 26,000 characters of words of the article in another order: comparing it with
    # every passage of a 30,000-character text is some 10^13 character pairs.
    text = ARTICLE * 10
    write_source(corpus, "src-long-article", text)
    words = ARTICLE.split()
    huge = " ".join(reversed(words * 12))[:26_000].strip()
    (corpus / "actors" / "act-huge.yaml").write_text(
        "id: act-huge\ntype: person\nname: Huge\nevidence:\n"
        f"  - source: src-long-article\n    quote: |-\n      {huge}\n"
        "  - source: src-long-article\n    quote: Iran's top diplomat Hossein Amir-Abdolahian\n",
        encoding="utf-8",
    )

    report = toolkit.validate([corpus])

    assert hints(report, "evidence-quote-not-found") == [
        "copy the words verbatim from src-long-article",
        'closest passage in src-long-article: "Iran\'s top diplomat Hossein Amir-Abdollahian"',
    ]


def test_searches_for_passages_stop_when_the_run_has_spent_its_budget() -> None:
    # Each search costs the quote's length times each passage's, whatever it finds.
    text = SearchText(ARTICLE * 5)
    quote = "Iran's top diplomat Hossein Amir-Abdolahian"
    one_search = WorkBudget(10**12)
    text.closest_passage(quote, one_search)
    spent = 10**12 - one_search.left
    budget = WorkBudget(3 * spent + spent // 2)

    found = [text.closest_passage(quote, budget) for _ in range(5)]

    assert found == [QUOTE, QUOTE, QUOTE, None, None]
    assert 0 <= budget.left < spent


def test_a_search_the_budget_cannot_finish_is_refused_before_any_work() -> None:
    text = SearchText(ARTICLE * 10)
    budget = WorkBudget(10**9)

    assert text.closest_passage("word " * 2_000, budget) is None
    assert budget.left == 10**9
    assert text.closest_passage("Iran's top diplomat Hossein Amir-Abdolahian", budget) == QUOTE


def test_a_bare_text_uses_the_normalised_form_held_for_it_mapped_back_to_the_original() -> None:
    # The exporters pass the bare text: while the index holds its SearchText, they share it.
    held = SearchText("  Said: “It is   done,”\n\tthe  minister  said. \n")

    start, end = find_quote("“It is done,” the minister said.", held.text)  # type: ignore[misc]

    assert held._flat == 'Said: "It is done," the minister said. '  # built by that call, for the held one
    assert held.text[start:end] == "“It is   done,”\n\tthe  minister  said."
    start, end = find_quote('Said:  "It', held.text)  # type: ignore[misc]
    assert held.text[start:end] == "Said: “It"


# --- Supersedes cycles -------------------------------------------------------------


@pytest.mark.timeout(20)
def test_a_long_supersedes_chain_with_links_back_is_one_cycle_reported_once(tmp_path: Path) -> None:
    # 3,000 advisories in a chain, each also superseding the first: 3,000 links back,
    # each closing a cycle as long as the chain so far (quadratic to list them all).
    rules = Path(__file__).resolve().parent / "rules" / "advisory-supersedes-cycle" / "invalid"
    corpus = tmp_path / "corpus"
    shutil.copytree(rules, corpus)
    template = (corpus / "advisories" / "adv-istanbul-level-4.yaml").read_text(encoding="utf-8")
    count = 3_000
    for i in range(count):
        advisory_id = f"adv-chain-{i:05d}"
        older = ([f"adv-chain-{i + 1:05d}"] if i + 1 < count else []) + (["adv-chain-00000"] if i else [])
        record = template.replace("adv-istanbul-level-4", advisory_id).replace(
            "supersedes: [adv-istanbul-before-level-4]", f"supersedes: [{', '.join(older)}]"
        )
        (corpus / "advisories" / f"{advisory_id}.yaml").write_text(record, encoding="utf-8")

    report = toolkit.validate([corpus])

    cycles = [finding.message for finding in report.findings if finding.rule == "advisory-supersedes-cycle"]
    assert cycles == [
        "supersedes forms a cycle: adv-chain-00000 -> adv-chain-00001 -> adv-chain-00000",
        "supersedes forms a cycle: adv-istanbul-before-level-4 -> adv-istanbul-level-4 -> adv-istanbul-before-level-4",
    ]
