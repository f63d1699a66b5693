"""Evidence: source texts match their checksums, and every quote is in its source."""

from __future__ import annotations

from toolkit.budget import WorkBudget
from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding
from toolkit.positions import finding_at
from toolkit.quoting import shortened, shown


def check_sources(corpus: CorpusIndex) -> list[Finding]:
    """Each source's text file is inside the corpus, readable, and matches its SHA-256."""
    findings: list[Finding] = []
    for source in corpus.of_kind("source"):
        if not corpus.judges(source):
            continue  # a neighbour's text is not read: no finding of this check lands elsewhere
        loaded = corpus.source_text(source)
        if loaded.problem:
            rule, message = loaded.problem
            findings.append(
                finding_at(
                    source,
                    rule,
                    ("text",),
                    message,
                    loaded.hint or "keep the text file beside its record, in the corpus folder",
                )
            )
            continue
        recorded = source.data.get("sha256")
        if loaded.sha256 and isinstance(recorded, str) and recorded != loaded.sha256:
            findings.append(
                finding_at(
                    source,
                    "source-sha256-mismatch",
                    ("sha256",),
                    f"the text file's SHA-256 is {loaded.sha256}, not the recorded one",
                    "source texts are kept byte for byte: restore the text, or if the change "
                    "is deliberate, record the new checksum",
                )
            )
    return findings


# The work the closest-passage hints of one run may do, in character pairs compared
# (toolkit/budget.py): about a second at most, whatever the quotes and texts. A
# hint for a quote of some words in a news article of 10,000 characters takes some
# 4 * 10^7: hundreds fit; in a text of 2 MiB, one or two.
_PASSAGE_SEARCH_BUDGET = 15_000_000_000


# The closest passage is as long as the quote; a hint shows enough of it to find the
# place in the article (a quote of some sentences), not a whole page. It is shown as
# the article writes it, invisible joiners and all, to be copied.
_PASSAGE_SHOWN = 300


def check_quotes(corpus: CorpusIndex) -> list[Finding]:
    """Each evidence quote occurs in the text of the source it cites."""
    findings: list[Finding] = []
    budget = WorkBudget(_PASSAGE_SEARCH_BUDGET, "passages")
    for record in corpus.records:
        evidence = record.data.get("evidence")
        if not isinstance(evidence, list) or not corpus.judges(record):
            continue  # a finding of this check lands in the record quoting
        for index, item in enumerate(evidence):
            if not isinstance(item, dict):
                continue
            source_id, quote = item.get("source"), item.get("quote")
            source = corpus.by_id.get(source_id) if isinstance(source_id, str) else None
            if source is None or source.kind.name != "source" or not isinstance(quote, str):
                continue  # the reference check reports it
            text = corpus.search_text(source)
            if text is None or text.find(quote) is not None:
                continue
            passage = text.closest_passage(quote, budget)
            cited = shown(source.id or "")
            hint = (
                f'closest passage in {cited}: "{shortened(passage, _PASSAGE_SHOWN)}"'
                if passage
                else f"copy the words verbatim from {cited}"
            )
            findings.append(
                finding_at(
                    record,
                    "evidence-quote-not-found",
                    ("evidence", index, "quote"),
                    f"the quote is not in the text of {cited}",
                    hint,
                )
            )
    return findings
