"""``toolkit find``: records by id, name, alias or position, whatever the spelling.

Every searchable text of every record (``SEARCHED`` says which fields) is folded
once into a key (``toolkit/name_keys.py``: case, accents, the Turkish dotless i
(U+0131) and dotted İ,
punctuation and spacing), and the keys are indexed: by key, and by the words of
the keys. A query is folded the same way and matched in three tiers, each ranked
before the next:

1. **exact**: the query's key is a record's key (``MİT``, ``mit`` and ``MIT`` all
   find the actor named ``MIT``);
2. **prefix**: a key starts with the query, or one of its words does
   (``Turkish intel`` finds ``Turkish intelligence``);
3. **fuzzy**: rapidfuzz scores the query against every key, and against every
   word of the keys (edit distance counting a swap of two letters as one typo),
   and keeps what scores above a cutoff (``MTI`` finds ``MIT``); a query of several
   words also finds keys that share enough of its words, in any order.

The index is built once per corpus; a search is a dictionary lookup, a scan of
the distinct keys for substrings, and two rapidfuzz passes in C++ with a cutoff,
so it stays well under a second at 100,000 records (benchmarks/run.py, ``find``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from toolkit.errors import ToolkitError
from toolkit.kinds import KIND_BY_NAME, KINDS
from toolkit.loading import LoadedCorpus, load_corpus
from toolkit.model import Record
from toolkit.name_keys import fold
from toolkit.positions import locate
from toolkit.reference_fields import EACH, values_at

# The fields searched, in every kind that has them, and what a match on each is
# called. Ids are searched in every kind. Summaries, notes and guidance are not:
# they are sentences, and every word of them would be a near miss for something.
SEARCHED: tuple[tuple[tuple[str, ...], str], ...] = (
    (("name",), "name"),
    (("aliases", EACH), "alias"),
    (("positions", EACH, "title"), "position"),
    (("title",), "title"),
)
# The field a record is shown by, the first it has: a name, a title, a summary.
SHOWN_BY: tuple[str, ...] = ("name", "title", "summary")
# Ranks of a match, best first.
EXACT, PREFIX, FUZZY = "exact", "prefix", "fuzzy"
_TIERS = {EXACT: 0, PREFIX: 1, FUZZY: 2}
# What an equally good match on each field weighs in the order: a name before an alias.
_FIELD_ORDER = {"name": 0, "id": 1, "alias": 2, "title": 3, "position": 4}
# Lowest rapidfuzz scores (0-100) of a fuzzy match, for whole keys and for single
# words. One wrong letter in a word of three scores 67; "MTI" for "MIT" must pass.
KEY_CUTOFF = 75.0
WORD_CUTOFF = 0.66
# The least share of words a key of several words must have in common with the query.
SHARED_WORDS_CUTOFF = 50.0
# A word that is the query with two neighbouring letters swapped: the commonest typo,
# scored as a near match (the plain edit distance gives a three-letter word 67).
SWAP_SCORE = 90.0
DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class _Entry:
    """One searchable text of one record."""

    record: int  # index into SearchIndex.records
    label: str  # "id", "name", "alias", "position", "title"
    path: tuple[str | int, ...]  # where in the record, ("aliases", 0)
    text: str


@dataclass(frozen=True, slots=True)
class Match:
    """A record found, with the text that matched and how well."""

    record: Record
    label: str
    path: tuple[str | int, ...]
    text: str
    tier: str
    score: float

    @property
    def name(self) -> str:
        """The text the record is shown by (its name, title or summary), empty if it has none."""
        return shown_name(self.record)

    def place(self) -> tuple[int | None, int | None]:
        """Line and column of the matched text in the record's file (read only when asked)."""
        return locate(self.record.path, self.path)


def shown_name(record: Record) -> str:
    """The name, title or summary a record is shown by; empty when it has none that is text."""
    for name in SHOWN_BY:
        value = record.data.get(name)
        if isinstance(value, str):
            return value
    return ""


@dataclass
class SearchIndex:
    """The folded keys of a corpus's records, built once, searched many times."""

    records: list[Record]
    entries: list[_Entry] = field(default_factory=list)
    by_key: dict[str, list[int]] = field(default_factory=dict)  # key -> entries
    keys: list[str] = field(default_factory=list)  # distinct keys, for rapidfuzz
    by_word: dict[str, list[str]] = field(default_factory=dict)  # word -> keys holding it
    words: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, records: Sequence[Record]) -> SearchIndex:
        """Index the ids and the ``SEARCHED`` fields of ``records``."""
        index = cls(list(records))
        for position, record in enumerate(index.records):
            for label, path, text in _searchable(record):
                index._add(_Entry(position, label, path, text), fold(text))
                if label == "id" and text.startswith(record.kind.id_prefix):
                    # The id without its prefix too: "mit" is as much a key of act-mit as "act mit".
                    index._add(_Entry(position, label, path, text), fold(text[len(record.kind.id_prefix) :]))
        index.keys = list(index.by_key)
        for key in index.keys:
            for word in set(key.split()):
                index.by_word.setdefault(word, []).append(key)
        index.words = list(index.by_word)
        return index

    def _add(self, entry: _Entry, key: str) -> None:
        if key:
            self.entries.append(entry)
            self.by_key.setdefault(key, []).append(len(self.entries) - 1)

    def search(self, query: str, *, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[Match]:
        """The records matching ``query`` best, at most ``limit``, best first (one match per record).

        ``kind`` keeps only records of that kind. Raises ToolkitError for a query
        with nothing to match (only punctuation or spaces) or an unknown kind.
        """
        if kind is not None and kind not in KIND_BY_NAME:
            raise ToolkitError(f"unknown kind {kind!r}: choose one of {', '.join(KIND_BY_NAME)}")
        wanted = fold(query)
        if not wanted:
            raise ToolkitError(f"{query!r} has no letter or digit to search for")
        scored: dict[str, tuple[int, float]] = {}  # key -> (tier, score), the best found

        def offer(key: str, tier: str, score: float) -> None:
            rank = (_TIERS[tier], -score)
            if key not in scored or rank < (scored[key][0], -scored[key][1]):
                scored[key] = (_TIERS[tier], score)

        if wanted in self.by_key:
            offer(wanted, EXACT, 100.0)
        for key in (key for key in self.keys if wanted in key):
            if key.startswith(wanted) or f" {wanted}" in key:
                offer(key, PREFIX, fuzz.ratio(wanted, key))
        # rapidfuzz takes its limit as a C long: never ask for more than there are
        # candidates, so `--limit 99999999999999999999` means "all", not an OverflowError.
        candidates = 4 * limit + 20
        for key, score, _ in process.extract(
            wanted, self.keys, scorer=fuzz.QRatio, score_cutoff=KEY_CUTOFF, limit=min(candidates, len(self.keys) or 1)
        ):
            offer(key, FUZZY, score)
        words = wanted.split()
        if len(words) > 1:
            # Several words: keys sharing some of them, in any order ("MIT chief" is close to "MIT").
            shared: dict[str, int] = {}
            for word in set(words):
                for key in self.by_word.get(word, ()):
                    shared[key] = shared.get(key, 0) + 1
            for key, count in shared.items():
                score = 100 * count / max(len(words), len(key.split()))
                if score >= SHARED_WORDS_CUTOFF:
                    offer(key, FUZZY, score)
        else:
            for word, similarity, _ in process.extract(
                wanted,
                self.words,
                scorer=OSA.normalized_similarity,
                score_cutoff=WORD_CUTOFF,
                limit=min(candidates, len(self.words) or 1),
            ):
                for key in self.by_word[word]:
                    offer(key, FUZZY, similarity * 100)
            for word in _swapped(wanted):
                for key in self.by_word.get(word, ()):
                    offer(key, FUZZY, SWAP_SCORE)
        return self._ranked(scored, kind, limit)

    def _ranked(self, scored: dict[str, tuple[int, float]], kind: str | None, limit: int) -> list[Match]:
        best: dict[int, tuple[tuple[int, float, int, int], _Entry, str, float]] = {}
        tier_names = {rank: name for name, rank in _TIERS.items()}
        for key, (tier, score) in scored.items():
            for entry_index in self.by_key[key]:
                entry = self.entries[entry_index]
                record = self.records[entry.record]
                if kind is not None and record.kind.name != kind:
                    continue
                rank = (tier, -score, _FIELD_ORDER[entry.label], len(key))
                if entry.record not in best or rank < best[entry.record][0]:
                    best[entry.record] = (rank, entry, tier_names[tier], score)
        kind_order = {kind.name: position for position, kind in enumerate(KINDS)}
        ordered = sorted(
            best.values(),
            key=lambda item: (
                item[0],
                kind_order[self.records[item[1].record].kind.name],
                self.records[item[1].record].id or "",
            ),
        )
        return [
            Match(self.records[entry.record], entry.label, entry.path, entry.text, tier, round(score, 1))
            for _rank, entry, tier, score in ordered[: max(limit, 0)]
        ]


def _searchable(record: Record) -> Iterator[tuple[str, tuple[str | int, ...], str]]:
    if record.id is not None:
        yield "id", ("id",), record.id
    for path, label in SEARCHED:
        for parts, value in values_at(record.data, path):
            if isinstance(value, str):
                yield label, parts, value


def _swapped(word: str) -> Iterator[str]:
    """``word`` with each pair of neighbouring letters swapped."""
    for at in range(len(word) - 1):
        if word[at] != word[at + 1]:
            yield word[:at] + word[at + 1] + word[at] + word[at + 2 :]


@dataclass(frozen=True)
class CorpusRecords:
    """The records of a corpus as ``validate`` loads them, and how many files could not be loaded."""

    root: Path
    records: list[Record]
    unreadable: int  # files (or folders) with a finding of their own while loading: not in ``records``


def read_corpus(corpus: Path | str, *, jobs: int | None = None) -> CorpusRecords:
    """Load the records of a corpus folder exactly as ``toolkit validate`` reads them.

    The folder is found by the same rules as ``validate`` and ``export``: never
    through a symbolic link, never above the corpus. Files that fail to load
    (broken YAML, unsafe characters...) are counted, not read; ``toolkit
    validate`` says why. Raises ToolkitError for a path that is no corpus.
    """
    from toolkit.validation import corpus_root

    root = corpus_root(corpus)
    loaded: LoadedCorpus = load_corpus(root, jobs=jobs)
    return CorpusRecords(loaded.root, loaded.records, len({finding.file for finding in loaded.findings}))


def find(
    query: str,
    corpus: Path | str = Path("annotations"),
    *,
    kind: str | None = None,
    limit: int = DEFAULT_LIMIT,
    jobs: int | None = None,
) -> tuple[list[Match], CorpusRecords]:
    """Search the records of ``corpus`` for ``query`` (see ``SearchIndex.search``); also return what was loaded."""
    if kind is not None and kind not in KIND_BY_NAME:
        raise ToolkitError(f"unknown kind {kind!r}: choose one of {', '.join(KIND_BY_NAME)}")
    loaded = read_corpus(corpus, jobs=jobs)
    return SearchIndex.build(loaded.records).search(query, kind=kind, limit=limit), loaded


def render_matches(matches: Sequence[Match]) -> str:
    """One line per record found: ``file:line  id  kind  name  [what matched, how]``."""
    from toolkit.quoting import quoted, shown

    lines = []
    for match in matches:
        line, _column = match.place()
        place = f"{match.record.file}:{line}" if line is not None else match.record.file
        name = shown(match.name, 80)
        matched = "" if match.label == "name" else f"{match.label} {quoted(match.text, 80)}, "
        lines.append(f"{place}  {match.record.id}  {match.record.kind.name}  {name}  [{matched}{match.tier}]")
    return "".join(f"{line}\n" for line in lines)


def matches_as_json(query: str, matches: Sequence[Match], loaded: CorpusRecords) -> dict[str, object]:
    """The records found, as ``toolkit find --format json`` writes them (a stable shape for scripts)."""
    from toolkit.model import json_path

    found = []
    for match in matches:
        line, column = match.place()
        found.append(
            {
                "id": match.record.id,
                "kind": match.record.kind.name,
                "name": match.name or None,
                "file": match.record.file,
                "line": line,
                "column": column,
                "matched": {"field": match.label, "path": json_path(match.path), "text": match.text},
                "tier": match.tier,
                "score": match.score,
            }
        )
    return {"query": query, "key": fold(query), "matches": found, "unreadable_files": loaded.unreadable}
