"""``toolkit cite ID SOURCE "words"``: find the words in an article and add them to a record's evidence.

The words are looked for forgiving what a curator cannot type or see: typographic
quotes and apostrophes against straight ones, dashes (U+2010 to U+2015,
the minus sign) against a hyphen, and any run of whitespace (line breaks, non-breaking spaces) against
another. Case and every other character must match. What is written is the
passage as the article has it, each of its characters as it is, except that a run
of whitespace holding a line break becomes one space (a quote stays on one line of
YAML; the validator forgives whitespace runs): so the quote always passes
``evidence-quote-not-found``.

When the words are not there, the closest passage of the article is shown, with
the characters that differ marked on both sides (``M[İ]T`` against ``M[I]T``):
the validator's closest-passage search (``toolkit/quotes.py``), within its budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from toolkit.budget import WorkBudget
from toolkit.errors import ToolkitError
from toolkit.quotes import SearchText
from toolkit.record_edits import edit_record, new_mapping, open_corpus, quoted_text

# Typographic characters read as the plain one a keyboard types: one character for
# one, so offsets in the translated text are offsets in the original.
_LOOSE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_SPACE = re.compile(r"\s+")
# The closest-passage search of one cite: a few seconds at most, even for a long article.
_PASSAGE_BUDGET = 30_000_000_000


@dataclass(frozen=True)
class Passage:
    """Where words were found in a text: code-point offsets and the 1-based line they start on."""

    start: int
    end: int
    line: int


def _flattened(text: str) -> tuple[str, list[int]]:
    """``text`` made plain (typographic characters, whitespace runs) and where each of its characters came from."""
    translated = text.translate(_LOOSE)
    flat: list[str] = []
    origin: list[int] = []
    position = 0
    for run in _SPACE.finditer(translated):
        flat.append(translated[position : run.start()])
        origin.extend(range(position, run.start()))
        flat.append(" ")
        origin.append(run.start())
        position = run.end()
    flat.append(translated[position:])
    origin.extend(range(position, len(translated)))
    return "".join(flat), origin


def find_passages(words: str, text: str) -> list[Passage]:
    """Every place the words occur in the text, forgiving typographic characters and whitespace (not case)."""
    wanted = _SPACE.sub(" ", words.translate(_LOOSE)).strip()
    if not wanted:
        return []
    flat, origin = _flattened(text)
    found: list[Passage] = []
    at = flat.find(wanted)
    while at >= 0:
        start, end = origin[at], origin[at + len(wanted) - 1] + 1
        found.append(Passage(start, end, text.count("\n", 0, start) + 1))
        at = flat.find(wanted, at + 1)
    return found


def as_quote(text: str, passage: Passage) -> str:
    """The passage as the text has it, a whitespace run with a line break in it made one space."""
    return re.sub(r"\s*[\n\r]\s*", " ", text[passage.start : passage.end])


def marked_difference(words: str, passage: str) -> tuple[str, str]:
    """The words and the passage, whitespace runs made one space, with the characters that differ in [brackets].

    Typographic quotes and dashes count as their plain forms, as the search does.
    """
    ours, theirs = _SPACE.sub(" ", words).strip(), _SPACE.sub(" ", passage).strip()
    marked_ours: list[str] = []
    marked_theirs: list[str] = []
    for op in Levenshtein.opcodes(ours.translate(_LOOSE), theirs.translate(_LOOSE)):
        left, right = ours[op.src_start : op.src_end], theirs[op.dest_start : op.dest_end]
        if op.tag == "equal":
            marked_ours.append(left)
            marked_theirs.append(right)
        else:
            marked_ours.append(f"[{left}]")
            marked_theirs.append(f"[{right}]")
    return "".join(marked_ours), "".join(marked_theirs)


@dataclass
class CiteResult:
    """What ``cite`` did: the quote written (or already there), or the closest passage when none was found."""

    record: str
    source: str
    file: str
    quote: str | None = None
    line: int | None = None
    occurrences: int = 0
    written: bool = False
    closest: str | None = None  # the passage, as the text has it, whitespace made single spaces
    closest_line: int | None = None
    marked_words: str | None = None
    marked_closest: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether the words are in the text (and so in the record's evidence now)."""
        return self.quote is not None


def cite(record_id: str, source_id: str, words: str, corpus: Path = Path("annotations")) -> CiteResult:
    """Find ``words`` in the text of ``source_id`` and add them as evidence to ``record_id``.

    The evidence item ``{source, quote}`` is appended (or fills in the empty item
    ``toolkit new`` leaves); a quote the record already cites from that source is
    not added twice. When the words are not in the text nothing is written, and
    the result holds the closest passage with its differences marked. Raises
    ``ToolkitError`` for an unknown record or source, an unreadable text, and a
    record file that cannot be read or written (``EditRefused`` carries findings).
    """
    if not words.strip():
        raise ToolkitError("give the words to cite: they are empty")
    opened = open_corpus(corpus)
    record = opened.record(record_id)
    source = opened.record(source_id, ("source",))
    loaded = opened.index.source_text(source)
    if loaded.text is None:
        problem = loaded.problem[1] if loaded.problem else "its record names no text file"
        raise ToolkitError(f"{source.file}: the text of {source_id} cannot be read: {problem}")
    text = loaded.text
    result = CiteResult(record_id, source_id, record.file)
    passages = find_passages(words, text)
    if not passages:
        search = SearchText(text)
        closest = search.closest_passage(words, WorkBudget(_PASSAGE_BUDGET))
        if closest is not None:
            where = search.find(closest)
            original = text[where[0] : where[1]] if where else closest
            result.closest = _SPACE.sub(" ", original)
            result.closest_line = text.count("\n", 0, where[0]) + 1 if where else None
            result.marked_words, result.marked_closest = marked_difference(words, original)
        return result
    first = passages[0]
    result.quote, result.line, result.occurrences = as_quote(text, first), first.line, len(passages)
    quote = result.quote

    def add(data: dict[str, Any]) -> bool:
        evidence = data.get("evidence")
        if isinstance(evidence, list):
            for item in evidence:
                if isinstance(item, dict) and item.get("source") == source_id and item.get("quote") == quote:
                    return False
            for item in evidence:
                # The empty item of a skeleton (`- source:` / `quote:`): filled in, keeping its comments.
                if isinstance(item, dict) and all(value is None for value in item.values()):
                    item["source"] = source_id
                    item["quote"] = quoted_text(quote)
                    return True
            evidence.append(new_mapping({"source": source_id, "quote": quoted_text(quote)}))
            return True
        if evidence is not None:
            raise ToolkitError(f"{record.file}: its evidence is not a list; fix it first")
        data["evidence"] = [new_mapping({"source": source_id, "quote": quoted_text(quote)})]
        return True

    result.written = edit_record(record, opened.index.root, add).changed
    if not result.written:
        result.notes.append("the record already cites these words from this source")
    return result
