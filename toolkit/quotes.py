"""Finding a quote in a source text, with the one documented normalisation.

A quote matches when it occurs in the text after both are normalised: runs of
whitespace become one space, and typographic quotes become straight ones
(‘ ’ ‚ ‛ to ', “ ” „ ‟ to "). Nothing else is forgiven: case, dashes and
spelling must match the article.

A source is searched for every quote that cites it, so its normalised form is
built once per source and run, by the ``SearchText`` the corpus index holds for
it (``CorpusIndex.search_text``), never once per quote.
"""

from __future__ import annotations

import re
import weakref
from array import array
from bisect import bisect_left, bisect_right

from toolkit.budget import WorkBudget

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")

# A passage must be at least this similar to the quote to be shown as the closest.
_PASSAGE_CUTOFF = 0.5
# Passages compared with a quote in one call to rapidfuzz.
_BATCH = 1_024
# What a passage costs besides its characters (toolkit/budget.py): cutting it out of
# the text, a step of a Python loop, about 1.5 us.
_PER_PASSAGE = 20_000


def normalise(text: str) -> str:
    """The form in which quotes are compared with source texts."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


class SearchText:
    """A source text, with its normalised form built on first need and then kept.

    The normalised form maps back to the original text by segments (one per run
    of whitespace, 16 bytes each), not by a list of one int object per character
    (tens of bytes each), so that holding it for every source costs little.
    """

    __slots__ = ("__weakref__", "_flat", "_flat_starts", "_text_starts", "_words", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._flat: str | None = None
        self._flat_starts = array("q")  # where each segment starts in the normalised text
        self._text_starts = array("q")  # and where it starts in the original text
        self._words: array[int] | None = None
        _HELD.setdefault(id(text), self)  # a SearchText already held for this text stays the one found

    @property
    def flat(self) -> str:
        """The normalised text (it keeps one trailing space if the text ends with whitespace)."""
        if self._flat is None:
            self._flat = self._normalise()
        return self._flat

    def _normalise(self) -> str:
        # Quotes are translated one character for one, so offsets only move where
        # a run of whitespace shrinks to one space: one segment per run.
        translated = self.text.translate(_QUOTES)
        pieces: list[str] = []
        flat_length = 0
        # The leading whitespace: str.isspace is what \s means to re for str patterns.
        segment = len(translated) - len(translated.lstrip())
        for run in _SPACE.finditer(translated, segment):
            start, end = run.span()
            self._flat_starts.append(flat_length)
            self._text_starts.append(segment)
            pieces.append(translated[segment:start])
            pieces.append(" ")
            flat_length += start - segment + 1
            segment = end
        if segment < len(translated):
            self._flat_starts.append(flat_length)
            self._text_starts.append(segment)
            pieces.append(translated[segment:])
        return "".join(pieces)

    def _origin(self, offset: int) -> int:
        """The offset in the original text of a character of the normalised one."""
        segment = bisect_right(self._flat_starts, offset) - 1
        return self._text_starts[segment] + offset - self._flat_starts[segment]

    def find(self, quote: str) -> tuple[int, int] | None:
        """Code-point offsets [start, end) of the quote in the original text, or None.

        An exact match is tried first; otherwise the normalised forms are compared and
        the offsets mapped back to the original text.
        """
        start = self.text.find(quote)
        if start >= 0:
            return start, start + len(quote)
        wanted = normalise(quote)
        if not wanted:
            return None
        flat = self.flat
        found = flat.find(wanted)
        if found < 0:
            return None
        return self._origin(found), self._origin(found + len(wanted) - 1) + 1

    def closest_passage(self, quote: str, budget: WorkBudget) -> str | None:
        """The passage of the text most like the quote, to show when it is not found.

        Passages start at each word and are as long as the quote, to the end of a
        word; the most similar (rapidfuzz's Indel ratio, at least 0.5) wins, the
        first of equals. Comparing costs the quote's length times each passage's,
        taken from ``budget``: None when the budget cannot hold the search, so a
        huge quote, a huge text or thousands of quotes fall back to the plain hint.
        """
        wanted = normalise(quote)
        flat = self.flat
        end_of_text = len(flat) - flat.endswith(" ")  # passages leave out a trailing space
        if not wanted or not end_of_text:
            return None
        width = len(wanted)
        # Refuse up front, before any work, a search the budget cannot finish: each
        # passage is as long as the quote, but for those in the last ``width`` characters.
        passages = flat.count(" ", 0, end_of_text) + 1  # one word after each space
        full = max(passages - width // 2 - 1, 0)
        if not budget.holds(WorkBudget.cost(width, full * width, full, _PER_PASSAGE)):
            return None
        if self._words is None:
            self._words = array("q", (match.start() for match in _WORD.finditer(flat)))
        words = self._words
        count = len(words)
        best_ratio, best = 0.0, None
        longest = 3 * width  # a longer passage has a ratio under 0.5 (2 * width / (width + length))
        for first in range(0, count, _BATCH):
            # A batch of passages compared in one call: a step of a Python loop per
            # passage would cost more than rapidfuzz's comparison of it. The batch is
            # paid for before any passage is cut out of the text.
            # A passage ends at the first space from ``width`` characters on: found by
            # bisection in the word starts, not by scanning (a word can be megabytes long).
            spans = [
                (
                    start,
                    words[following] - 1
                    if (following := bisect_left(words, start + width + 1)) < count
                    else end_of_text,
                )
                for start in words[first : first + _BATCH]
            ]
            spans = [(start, end) for start, end in spans if end - start <= longest]
            characters = sum(end - start for start, end in spans)
            if not budget.spend(WorkBudget.cost(width, characters, min(_BATCH, count - first), _PER_PASSAGE)):
                return None
            from rapidfuzz import process  # imported on first need: most runs search no passage
            from rapidfuzz.distance import Indel

            found = process.extractOne(
                wanted,
                [flat[start:end] for start, end in spans],
                scorer=Indel.normalized_similarity,
                score_cutoff=max(best_ratio, _PASSAGE_CUTOFF),
            )
            if found is not None and found[1] > best_ratio:
                best, best_ratio = found[0], found[1]
        return best


# The SearchText of each text object that something (the corpus index) still holds,
# by the text's identity: ``find_quote`` called with the bare text, as the exporters
# do, uses the normalised form built for it once instead of building it again per
# quote. An entry goes when its SearchText does, so this holds nothing of its own.
_HELD: weakref.WeakValueDictionary[int, SearchText] = weakref.WeakValueDictionary()


def search_text(text: str) -> SearchText:
    """The SearchText held for this very text object, or a new one."""
    held = _HELD.get(id(text))
    if held is not None and held.text is text:  # it holds its text: the id is not a reused one
        return held
    return SearchText(text)


def find_quote(quote: str, text: str | SearchText) -> tuple[int, int] | None:
    """Code-point offsets [start, end) of the quote in the original text, or None (``SearchText.find``)."""
    return (text if isinstance(text, SearchText) else search_text(text)).find(quote)


def closest_passage(quote: str, text: str | SearchText, budget: WorkBudget) -> str | None:
    """The passage of the text most like the quote, within ``budget`` (``SearchText.closest_passage``)."""
    return (text if isinstance(text, SearchText) else search_text(text)).closest_passage(quote, budget)
