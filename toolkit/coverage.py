"""``toolkit coverage``: how much of each article the records' evidence cites.

A source text is cut into sentences by one small rule, documented here because the
figures depend on it:

- a line break ends a sentence (an article's paragraphs and headings are lines);
- within a line, a sentence ends at ``.``, ``!`` or ``?`` (and any closing quotes
  or brackets right after it) followed by whitespace and then an upper-case
  letter, a digit or an opening quote;
- except after a common abbreviation of a title or a single capital initial
  (``Mr.``, ``Dr.``, ``Gen.``, ``U.S.``, ``J. Smith``).

A sentence is **cited** when some evidence quote of some record covers any of its
characters (quotes are found as the validator finds them: whitespace runs and
typographic quotes forgiven). The **character share** counts the non-whitespace
characters of the text inside some quote. Quotes that are not in their text are
left out here; ``toolkit validate`` reports them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.quotes import find_quote
from toolkit.record_edits import open_corpus

# A match starts only where a run of stops starts (the look-behind), and its runs are
# possessive: a line of a million stops or spaces is read once, not once per character.
_END = re.compile(r"""(?<![.!?])[.!?]++["'\u201d\u2019)\]]*+(?=\s++["'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f\u0130])""")
# Words after which a full stop does not end a sentence: titles, and the like.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "maj",
        "capt",
        "sgt",
        "rep",
        "sen",
        "gov",
        "st",
        "jr",
        "sr",
        "no",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "fig",
    ]
)
# The longest abbreviation: a full stop after a longer word ends a sentence, so no more is read.
_LONGEST = max(map(len, _ABBREVIATIONS))


@dataclass(frozen=True)
class Sentence:
    """A sentence of a source text: code-point offsets [start, end) and the 1-based line it starts on."""

    start: int
    end: int
    line: int
    text: str


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, by the rule in this module's docstring, without surrounding whitespace."""
    found: list[Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), 1):
        start = 0
        # "Mr." and the like, and an initial ("U.S.", "J. Smith"): not an end.
        cuts = [match.end() for match in _END.finditer(line) if not _abbreviated(line, match.start())]
        for end in [*cuts, len(line)]:
            piece = line[start:end]
            stripped = piece.strip()
            if stripped:
                first = start + len(piece) - len(piece.lstrip())
                found.append(Sentence(offset + first, offset + first + len(stripped), number, stripped))
            start = end
        offset += len(line) + 1
    return found


def _abbreviated(line: str, stop: int) -> bool:
    """Whether the word of ASCII letters right before ``line[stop]`` is an abbreviation or an initial.

    Only the last few characters are read (never the whole line or word), so that
    the cost of a line stays linear however long its words are.
    """
    word = stop
    while word > 0 and stop - word <= _LONGEST and _is_letter(line[word - 1]):
        word -= 1
    if stop - word > _LONGEST:
        return False  # longer than any abbreviation
    return stop - word == 1 or line[word:stop].lower() in _ABBREVIATIONS


def _is_letter(char: str) -> bool:
    return "a" <= char <= "z" or "A" <= char <= "Z"


@dataclass
class SentenceCoverage:
    """One sentence and the records whose evidence cites some of it."""

    sentence: Sentence
    records: list[str] = field(default_factory=list)


@dataclass
class SourceCoverage:
    """What the evidence of the corpus cites of one source text."""

    source: str
    file: str
    sentences: list[SentenceCoverage]
    characters: int  # non-whitespace characters of the text
    cited_characters: int

    @property
    def cited_sentences(self) -> int:
        """How many sentences some record cites."""
        return sum(1 for entry in self.sentences if entry.records)

    @property
    def sentence_share(self) -> float:
        """The share of sentences cited (1.0 for a text without sentences)."""
        return self.cited_sentences / len(self.sentences) if self.sentences else 1.0

    @property
    def character_share(self) -> float:
        """The share of non-whitespace characters cited."""
        return self.cited_characters / self.characters if self.characters else 1.0


@dataclass
class CoverageReport:
    """The coverage of each source asked for, and those whose text could not be read."""

    sources: list[SourceCoverage]
    unreadable: list[tuple[str, str]]  # (source id, why)


def coverage(source_ids: list[str] | None = None, corpus: Path = Path("annotations")) -> CoverageReport:
    """The coverage of each source of the corpus (or of ``source_ids``), sorted by id.

    Raises ``ToolkitError`` for a corpus that cannot be opened or an id that is not a source.
    """
    opened = open_corpus(corpus)
    index = opened.index
    if source_ids:
        sources = [opened.record(source_id, ("source",)) for source_id in source_ids]
    else:
        sources = sorted(index.of_kind("source"), key=lambda record: record.id or "")
    wanted = {source.id for source in sources}
    spans: dict[str, list[tuple[int, int, str]]] = {source.id or "": [] for source in sources}
    texts: dict[str, str] = {}
    unreadable: list[tuple[str, str]] = []
    for source in sources:
        loaded = index.source_text(source)
        if loaded.text is None:
            unreadable.append((source.id or source.file, loaded.problem[1] if loaded.problem else "no text file named"))
        else:
            texts[source.id or ""] = loaded.text
    for record in index.records:
        evidence = record.data.get("evidence")
        for item in evidence if isinstance(evidence, list) else []:
            if not isinstance(item, dict) or item.get("source") not in wanted or not isinstance(item.get("quote"), str):
                continue
            text = texts.get(item["source"])
            where = find_quote(item["quote"], index.search_text(index.by_id[item["source"]]) or "") if text else None
            if where is not None:
                spans[item["source"]].append((where[0], where[1], record.id or record.file))
    report = CoverageReport([], unreadable)
    for source in sources:
        source_id = source.id or ""
        if source_id not in texts:
            continue
        report.sources.append(_coverage_of(source_id, source.file, texts[source_id], spans[source_id]))
    return report


def _coverage_of(source_id: str, file: str, text: str, spans: list[tuple[int, int, str]]) -> SourceCoverage:
    entries = [SentenceCoverage(sentence) for sentence in sentences(text)]
    starts = [entry.sentence.start for entry in entries]
    for start, end, record_id in spans:
        first = max(bisect_right(starts, start) - 1, 0)
        for entry in entries[first:]:
            if entry.sentence.start >= end:
                break
            if entry.sentence.end > start and record_id not in entry.records:
                entry.records.append(record_id)
    for entry in entries:
        entry.records.sort()
    covered = [0] * (len(text) + 1)
    for start, end, _record in spans:
        covered[start] += 1
        covered[end] -= 1
    depth = list(accumulate(covered))
    characters = sum(1 for char in text if not char.isspace())
    cited = sum(1 for position, char in enumerate(text) if depth[position] > 0 and not char.isspace())
    return SourceCoverage(source_id, file, entries, characters, cited)


def check_share(value: float) -> float:
    """A share given on the command line, checked: a number from 0 to 1."""
    if not 0 <= value <= 1:
        raise ToolkitError(f"--min-share {value}: give a share from 0 to 1 (0.9 for 90%)")
    return value


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def render_text(report: CoverageReport, *, by_sentence: bool = False, min_share: float | None = None) -> str:
    """The report for people: figures per source, then its uncited sentences (or, ``by_sentence``, all of them)."""
    from toolkit.quoting import shortened, visible

    lines: list[str] = []
    for source in report.sources:
        below = " (below the minimum)" if min_share is not None and source.sentence_share < min_share else ""
        lines.append(
            f"{source.source}: {source.cited_sentences}/{len(source.sentences)} sentences cited "
            f"({_percent(source.sentence_share)}), {source.cited_characters:,}/{source.characters:,} characters "
            f"({_percent(source.character_share)}){below}"
        )
        for entry in source.sentences:
            if by_sentence or not entry.records:
                cited = ", ".join(entry.records) if entry.records else "not cited"
                shown = visible(shortened(entry.sentence.text, 100))
                lines.append(f"  line {entry.sentence.line}: {shown}" + (f"\n    {cited}" if by_sentence else ""))
    for source_id, why in report.unreadable:
        lines.append(f"{source_id}: the text cannot be read: {why}")
    return "\n".join(lines) + "\n" if lines else "no sources\n"


def render_json(report: CoverageReport, min_share: float | None = None) -> str:
    """The report for scripts: one object per source, with every sentence, its line and the records citing it."""
    import json

    return (
        json.dumps(
            {
                "min_share": min_share,
                "sources": [
                    {
                        "source": source.source,
                        "file": source.file,
                        "sentences": len(source.sentences),
                        "cited_sentences": source.cited_sentences,
                        "sentence_share": round(source.sentence_share, 4),
                        "characters": source.characters,
                        "cited_characters": source.cited_characters,
                        "character_share": round(source.character_share, 4),
                        "below_min_share": min_share is not None and source.sentence_share < min_share,
                        "by_sentence": [
                            {
                                "line": entry.sentence.line,
                                "start": entry.sentence.start,
                                "end": entry.sentence.end,
                                "text": entry.sentence.text,
                                "records": entry.records,
                            }
                            for entry in source.sentences
                        ],
                    }
                    for source in report.sources
                ],
                "unreadable": [{"source": source_id, "problem": why} for source_id, why in report.unreadable],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
