"""One folding of names into keys, so that spellings of one name meet.

``fold("MİT") == fold("MIT") == fold("mit")``, ``fold("Çavuşoğlu") == fold("Cavusoglu")``,
``fold("Amir-Abdollahian") == fold("amir abdollahian")``. ``toolkit find`` matches
on these keys, and the ``name-duplicate`` rule compares them; both use this one
function, so what one calls the same name the other does too.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not take apart into a base letter and a mark, written as the
# base letters a reader without the keyboard types. The Turkish dotless i comes
# first: U+0131 is "i" without its dot, and casefold() leaves it alone; its capital
# "İ" is taken apart by NFKD ("I" and a combining dot) and needs nothing here.
_LETTERS = str.maketrans(
    {
        "\u0131": "i",  # the Turkish dotless i
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ħ": "h",
        "Ħ": "h",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "Þ": "th",
    }
)
# Apostrophes join what they stand between ("Israel's" is "israels", "Ma'ariv" is
# "maariv"), straight, typographic or a modifier letter, as readers type either.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u02bb`\u00b4]")
# An acronym written with dots ("M.I.T.", "U.S.") is the acronym: its dots join too.
_DOTTED_ACRONYM = re.compile(r"\b(?:\w\.){2,}")
# Anything else that is not a letter or digit (hyphens, dots, spaces of any width)
# is a break between words, and a run of them is one break.
_BREAKS = re.compile(r"[\W_]+")

# ASCII characters that need the patterns above (apostrophes, dots, underscores); any
# other ASCII character that is no letter or digit is a break.
_ASCII_SPECIAL = re.compile(r"['`._]")
_ASCII_BREAKS = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})


def fold(text: str) -> str:
    """The key of a name: accents and case dropped, dotless and dotted i as i, punctuation and spacing collapsed.

    NFKD takes letters apart from their combining marks (and compatibility forms
    such as full-width letters or ligatures apart into plain ones), the marks are
    dropped, the text is case-folded, apostrophes and the dots of acronyms removed, and every other run of
    non-word characters made one space, trimmed at both ends.
    """
    if text.isascii():
        folded = text.casefold()
        if not _ASCII_SPECIAL.search(folded):
            # Most names and every id: only letters, digits and breaks, which a table
            # turns into spaces faster than a pattern (the index folds every id of a corpus).
            return " ".join(folded.translate(_ASCII_BREAKS).split())
    else:
        decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        folded = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
        folded = folded.translate(_LETTERS)  # casefold can make a letter above ("İ" was taken apart already)
    folded = _APOSTROPHES.sub("", folded)
    folded = _DOTTED_ACRONYM.sub(lambda match: match.group().replace(".", ""), folded)
    return _BREAKS.sub(" ", folded).strip()
