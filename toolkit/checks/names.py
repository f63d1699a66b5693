"""Names: two actors (or two locations) that go by one name are likely one record made twice."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding, Record
from toolkit.name_keys import fold
from toolkit.positions import finding_at
from toolkit.quoting import quoted, shown

# The kinds whose records are people, bodies and places, named as the articles name
# them: a second record under another spelling splits what the corpus says of one.
# Position titles are not names ("Foreign Minister" is held by many).
COMPARED_KINDS: tuple[str, ...] = ("actor", "location")
_FIELD_WORDS = {"name": "the name", "aliases": "the alias"}


def names_of(record: Record) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The record's name and aliases, each with its path in the record."""
    name = record.data.get("name")
    if isinstance(name, str):
        yield ("name",), name
    aliases = record.data.get("aliases")
    if isinstance(aliases, list):
        for position, alias in enumerate(aliases):
            if isinstance(alias, str):
                yield ("aliases", position), alias


def check_names(corpus: CorpusIndex) -> list[Finding]:
    """A warning at each name or alias that folds to the key of another record's name or alias, in its kind.

    Names are compared as ``toolkit find`` matches them (``toolkit/name_keys.py``):
    case, accents, Turkish dotless i (U+0131) and dotted İ, punctuation and spacing aside. The finding is
    placed at the later record (in file order) and names the earlier one's file.
    Two records with one id are left to ``id-duplicate``.
    """
    findings: list[Finding] = []
    for kind in COMPARED_KINDS:
        first: dict[str, tuple[Record, tuple[str | int, ...], str]] = {}
        for record in corpus.of_kind(kind):
            reported: set[str] = set()
            for parts, text in names_of(record):
                key = fold(text)
                if not key:
                    continue
                seen = first.get(key)
                if seen is None:
                    first[key] = (record, parts, text)
                    continue
                other, other_parts, other_text = seen
                if other is record or other.id == record.id or key in reported:
                    continue
                reported.add(key)
                findings.append(
                    finding_at(
                        record,
                        "name-duplicate",
                        parts,
                        f"{_FIELD_WORDS[str(parts[0])]} {quoted(text)} differs only in case, accents or "
                        f"punctuation from {quoted(other_text)}, {_FIELD_WORDS[str(other_parts[0])]} of the "
                        f"{kind} {quoted(other.id or '')} ({shown(other.file, 200)})",
                        f"if they are one {kind}, keep one record and refer to it everywhere "
                        f"(`toolkit show {shown(other.id or '')}` lists what refers to it); if they are two, "
                        "name them so that they differ (a place, a year, a position)",
                    )
                )
    return findings
