"""Characters that make the text a person reviews differ from the text a program reads.

A reviewer sees an annotation file through ``git diff``, a pull request page,
grep or an editor; the toolkit reads it through libyaml. Some characters are
taken differently by the two: libyaml ends a line at U+2028, U+2029, NEL (U+0085)
and a lone CR, which ``git diff`` and editors show inside one line (so a field
can hide behind a comment); bidi controls reorder what is displayed ("Trojan
Source"); control characters rewrite a terminal; invisible characters are simply
not seen. This module finds them in file text (one fast regex scan) and makes
file names safe to show (the same characters, plus undecodable bytes, escaped
the way git quotes a path).

Deliberately allowed, although invisible: ZERO WIDTH NON-JOINER and JOINER
(U+200C, U+200D), LEFT-TO-RIGHT and RIGHT-TO-LEFT MARK (U+200E, U+200F), ARABIC
LETTER MARK (U+061C), the variation selectors (U+FE00-FE0F, U+E0100-E01EF) and
the Mongolian selectors (U+180B-180F). Persian and Kurdish spelling needs ZWNJ,
Indic scripts and emoji sequences need ZWJ, names and quotes that mix Hebrew or
Arabic with Latin text or digits need the marks, and quotes must match the article
that holds them. None of them breaks a line, reorders more than the neutral
characters next to it, or turns text into YAML syntax; and every field where an
invisible difference would matter (keys, ids, references, dates, vocabulary
values) is held to ASCII patterns or fixed values by the schemas.
"""

from __future__ import annotations

import re
import unicodedata

# Characters libyaml takes as a line break, besides LF and CRLF.
_LINE_BREAKS = "\r\x85\u2028\u2029"
# The embeddings, overrides and isolates of "Trojan Source" (CVE-2021-42574).
_BIDI = "\u202a-\u202e\u2066-\u2069"
# Default-ignorable code points (invisible by definition) that no script needs.
_INVISIBLE_BMP = (
    "\u00ad"  # SOFT HYPHEN
    "\u034f"  # COMBINING GRAPHEME JOINER
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers: letters that show nothing
    "\u17b4\u17b5"  # Khmer inherent vowels (deprecated)
    "\u200b"  # ZERO WIDTH SPACE
    "\u2060-\u2065"  # WORD JOINER, invisible operators, an unassigned one
    "\u206a-\u206f"  # deprecated format characters
    "\ufeff"  # ZERO WIDTH NO-BREAK SPACE, a byte-order mark inside the text
    "\ufff0-\ufffb"  # unassigned specials and the interlinear annotation marks
)
_INVISIBLE_ASTRAL = (
    "\U0001bca0-\U0001bca3"  # shorthand format controls
    "\U0001d173-\U0001d17a"  # musical format controls
    "\U000e0000-\U000e00ff"  # tag characters: a whole hidden ASCII message
    "\U000e01f0-\U000e0fff"  # unassigned default-ignorables
)
_INVISIBLE = _INVISIBLE_BMP + _INVISIBLE_ASTRAL
# Not characters of text at all: controls other than tab and LF (CR only before
# LF), lone surrogates (only names and escapes can carry them) and noncharacters.
_NOT_TEXT_BMP = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
_NOT_TEXT_ASTRAL = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
_NOT_TEXT = _NOT_TEXT_BMP + _NOT_TEXT_ASTRAL

# What the scan refuses, exactly. CR is allowed only as the first half of CRLF.
UNSAFE_CHARACTER = re.compile(f"[{_NOT_TEXT}\x85\u2028\u2029{_BIDI}{_INVISIBLE}]|\r(?!\n)")

# The same, fast. Python's regex engine tests a character against each range
# beyond U+FFFF in turn, which made the exact pattern cost more than parsing a
# small file; so the scan matches the BMP characters exactly and any astral
# character (rare in text: emoji, some CJK) as a candidate, checked on its own.
_ASTRAL = "\U00010000-\U0010ffff"
_BMP_UNSAFE = f"{_NOT_TEXT_BMP}\x85\u2028\u2029{_BIDI}{_INVISIBLE_BMP}"
_CANDIDATE = re.compile(f"[{_BMP_UNSAFE}{_ASTRAL}]")
_CANDIDATE_OR_CR = re.compile(f"[{_BMP_UNSAFE}{_ASTRAL}]|\r(?!\n)")
_ASTRAL_UNSAFE = re.compile(f"[{_NOT_TEXT_ASTRAL}{_INVISIBLE_ASTRAL}]")
# A name shown in a report is quoted when it holds an unsafe character, a tab or
# line feed, or a quote or backslash (so that a quoted name cannot be forged by an
# unquoted one).
_NAME_CANDIDATE = re.compile(f'[{_BMP_UNSAFE}\t\n\r"\\\\{_ASTRAL}]')


def first_unsafe(text: str, start: int = 0) -> int | None:
    """Where the first character ``UNSAFE_CHARACTER`` refuses is, from ``start``; one fast scan."""
    pattern = _CANDIDATE_OR_CR if "\r" in text else _CANDIDATE
    while (match := pattern.search(text, start)) is not None:
        char = match.group()
        if char <= "\uffff" or _ASTRAL_UNSAFE.match(char):
            return match.start()
        start = match.end()
    return None


def _needs_quotes(name: str) -> bool:
    # Printable ASCII holds no unsafe character but the quote and the backslash: a scan
    # in C, where the pattern's large class costs 70 ms over 100,000 names joined.
    if name.isascii() and name.isprintable():
        return '"' in name or "\\" in name
    start = 0
    while (match := _NAME_CANDIDATE.search(name, start)) is not None:
        if match.group() <= "\uffff" or _ASTRAL_UNSAFE.match(match.group()):
            return True
        start = match.end()
    return False


_LINE_BREAK = re.compile(f"[{_LINE_BREAKS}]")
_BIDI_CONTROL = re.compile(f"[{_BIDI}]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE_CHARACTER = re.compile(f"[{_INVISIBLE}]")

_NAMES = {
    "\r": "CARRIAGE RETURN",
    "\x85": "NEXT LINE (NEL)",
    "\x1b": "ESCAPE",
    "\x00": "NUL",
    "\x08": "BACKSPACE",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\x7f": "DELETE",
}


def label(char: str) -> str:
    """'U+2028 LINE SEPARATOR': the code point and, where Unicode has one, its name."""
    name = _NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def explain(char: str) -> str:
    """Why a character found by ``UNSAFE_CHARACTER`` is refused, in one sentence."""
    what = label(char)
    if char == "\r":
        return (
            "a carriage return that is not followed by a line feed is a line break for the YAML parser "
            "but not for git diff, grep or most editors: what follows it is read as YAML yet shown "
            "as part of the same line"
        )
    if _LINE_BREAK.fullmatch(char):
        return (
            f"{what} is a line break for the YAML parser but not for git diff, grep or most editors: "
            "what follows it is read as YAML yet shown as part of the same line"
        )
    if _BIDI_CONTROL.fullmatch(char):
        return (
            f"{what} reorders how the text around it is displayed ('Trojan Source'): "
            "the text shown for review is not the text that is read"
        )
    if _CONTROL.fullmatch(char):
        return f"{what} is a control character, not text: it can hide or rewrite what a terminal or editor shows"
    if _SURROGATE.fullmatch(char) or 0xFDD0 <= ord(char) <= 0xFDEF or ord(char) & 0xFFFE == 0xFFFE:
        return f"{what} is not a character of text (a lone surrogate or a noncharacter)"
    return f"{what} is invisible: the text shown for review is not the text that is read"


def hint_for(char: str) -> str:
    """What to do about a refused character."""
    if _LINE_BREAK.fullmatch(char):
        return "end lines with a line feed (LF) or CRLF only; put each field on a line of its own"
    remove = "delete it (editors show such characters with 'show invisibles' or 'render control characters')"
    if not _INVISIBLE_CHARACTER.fullmatch(char):
        return remove
    # A quote copied from an article may need an invisible character to match it: an
    # escape keeps it, and keeps it visible to a reviewer.
    escape = f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
    return f'{remove}; a quote that must hold it can spell it as an escape in double quotes, such as "{escape}"'


def _escaped(char: str) -> str:
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    if "\udc80" <= char <= "\udcff":  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\{ord(char) - 0xDC00:03o}"
    if _needs_quotes(char):
        return "".join(f"\\{byte:03o}" for byte in char.encode("utf-8", "surrogatepass"))
    return char


_C_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
}


def shown_name(name: str) -> str:
    """A file name as reports show it: valid text on one line, whatever bytes it has on disk.

    A name of plain characters is shown as it is. Any other is quoted the way git
    quotes a path: in double quotes, with C escapes for tab, newline and the like,
    ``\\"`` and ``\\\\`` for quote and backslash, and octal escapes for the bytes of
    an undecodable, control, bidi or invisible character (``"caf\\303"``).
    """
    if not _needs_quotes(name):
        return name
    return '"' + "".join(map(_escaped, name)) + '"'
