"""`toolkit coverage` cuts sentences in one pass: the same sentences as the rule read plainly, at any length.

The cutter reads only the few letters before a full stop and each run of stops
once (red team round 4, M1: a line of "Mr. Smith" or one long word made it
quadratic). These tests pin that it still cuts exactly as the documented rule,
written here the plain way (slow on long lines, fine on short ones).
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from toolkit.coverage import _ABBREVIATIONS, sentences

_PLAIN_END = re.compile(r"""[.!?]+["'\u201d\u2019)\]]*(?=\s+["'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f\u0130])""")


def plain_sentences(text: str) -> list[tuple[int, int, int, str]]:
    """The rule of toolkit/coverage.py's docstring, read plainly: (start, end, line, text) of each sentence."""
    found = []
    offset = 0
    for number, line in enumerate(text.split("\n"), 1):
        cuts = []
        for match in _PLAIN_END.finditer(line):
            word = re.search(r"([A-Za-z]+)$", line[: match.start()])
            if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
            cuts.append(match.end())
        start = 0
        for end in [*cuts, len(line)]:
            piece = line[start:end]
            if piece.strip():
                first = offset + start + len(piece) - len(piece.lstrip())
                found.append((first, first + len(piece.strip()), number, piece.strip()))
            start = end
        offset += len(line) + 1
    return found


# Pieces that make the rule's cases likely: stops, closing and opening quotes, titles,
# initials, words just longer than a title, and whitespace of several kinds.
_PIECES = st.sampled_from(
    [".", "!", "?", "...", '"', "'", ")", "\u201d", "\u201c", "(", " ", "  ", "\t", "\n", "\u00a0"]
    + ["Mr", "mrs", "Gen", "etc", "Dept", "U", "J", "a", "Z", "9", "\u00c9", "word", "Capt", "Capta", "Smith"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
@example('Mr. Lapid met U.S. officials. "We thank you," he said!\nNo full stop here\n\nLast one.')
@example("He saw Capt. Smith. Then Capta. Then Dept. Head. And x. Y.")
@example("Stop.... Next! (Really?) \u201cYes.\u201d Done")
def test_the_sentences_are_those_of_the_rule_read_plainly(text: str) -> None:
    assert [(s.start, s.end, s.line, s.text) for s in sentences(text)] == plain_sentences(text)


def test_a_long_line_of_titles_is_one_sentence_after_the_first_full_stop() -> None:
    text = "Lapid will visit Turkey on Thursday. " + "Mr. Smith " * 50_000

    assert [s.text[:20] for s in sentences(text)] == ["Lapid will visit Tur", "Mr. Smith Mr. Smith "]


def test_a_word_longer_than_any_title_before_a_full_stop_ends_its_sentence() -> None:
    text = "On Thursday " + "a" * 100_000 + " . B"

    assert [len(s.text) for s in sentences(text)] == [len(text) - 2, 1]
