"""Finding a quote in a source text, with the one documented normalisation.

A quote matches when it occurs in the text after both are normalised: runs of
whitespace become one space, and typographic quotes become straight ones
(‘ ’ ‚ ‛ to ', “ ” „ ‟ to "). Nothing else is forgiven: case, dashes and
spelling must match the article.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form in which quotes are compared with source texts."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def find_quote(quote: str, text: str) -> tuple[int, int] | None:
    """Code-point offsets [start, end) of the quote in the original text, or None.

    An exact match is tried first; otherwise the normalised forms are compared and
    the offsets mapped back to the original text.
    """
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    wanted = normalise(quote)
    if not wanted:
        return None
    flat, origin = _normalised_with_origin(text)
    found = flat.find(wanted)
    if found < 0:
        return None
    return origin[found], origin[found + len(wanted) - 1] + 1


# A source is searched for every quote that cites it: its normalised form is built
# once, not once per quote (thousands of quotes in a hostile file made that
# quadratic). Texts are held by the corpus anyway, so caching a few costs little.
@lru_cache(maxsize=8)
def _normalised_with_origin(text: str) -> tuple[str, list[int]]:
    """The normalised text, and the offset in ``text`` of each of its characters."""
    normalised_chars: list[str] = []
    origin: list[int] = []
    previous_space = True
    for index, char in enumerate(text.translate(_QUOTES)):
        if char.isspace():
            if previous_space:
                continue
            normalised_chars.append(" ")
            previous_space = True
        else:
            normalised_chars.append(char)
            previous_space = False
        origin.append(index)
    return "".join(normalised_chars), origin


def closest_passage(quote: str, text: str) -> str | None:
    """The passage of the text most like the quote, to show when it is not found."""
    wanted = normalise(quote)
    flat = normalise(text)
    if not wanted or not flat:
        return None
    width = len(wanted)
    words = [match.start() for match in re.finditer(r"\S+", flat)]
    best_ratio, best = 0.0, None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)
    for start in words:
        end = flat.find(" ", start + width)
        window = flat[start : end if end >= 0 else len(flat)]
        matcher.set_seq1(window)
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best_ratio, best = ratio, window
    return best if best_ratio >= 0.5 else None
