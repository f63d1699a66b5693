"""A loaded corpus indexed for the corpus-wide checks and the exporters."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.input_files import OutsideCorpus, read_capped
from toolkit.model import Record
from toolkit.quotes import SearchText
from toolkit.schema_loader import SchemaSet

# An article is some kilobytes of text; the cap keeps a mistaken file (a dump, a
# disk image) from being read into memory and searched for every quote.
MAX_TEXT_BYTES = 2 * 1024 * 1024


@dataclass(slots=True)
class SourceText:
    """The text of a source article, or why it could not be read."""

    text: str | None
    sha256: str | None
    problem: tuple[str, str] | None = None  # (rule, message)
    hint: str | None = None  # how to fix the problem, where the default hint does not say
    # The text with its normalised form for quote searches, built on first need and
    # kept as long as the text: once per source and run, for every quote citing it.
    search: SearchText | None = None


@dataclass
class CorpusIndex:
    """Records by id, plus the source texts, for checks that look across files."""

    root: Path
    records: list[Record]
    schemas: SchemaSet
    by_id: dict[str, Record] = field(default_factory=dict)
    # The ids of each kind in the whole corpus, in its order, when ``records`` is only
    # part of it (``toolkit/check_scope.py``): the pool "did you mean" hints draw from.
    # (A callable: asked only when a reference resolves nowhere, which most runs after an edit never meet.)
    corpus_ids_by_kind: Callable[[], dict[str, list[str]]] | None = None
    # The files whose findings are wanted, when ``records`` are some files and their
    # neighbours (``toolkit/check_scope.py``): the other records are there to be looked
    # up, and a check may leave out the costly work (a hint's search, a quote's) for them.
    judged: frozenset[str] | None = None
    _texts: dict[str, SourceText] = field(default_factory=dict)
    _by_kind: dict[str, list[Record]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for record in self.records:
            if record.id is not None:
                self.by_id.setdefault(record.id, record)
            self._by_kind.setdefault(record.kind.name, []).append(record)

    def ids_by_kind(self) -> dict[str, list[str]]:
        """The ids of each kind in the corpus, in file order."""
        if self.corpus_ids_by_kind is not None:
            return self.corpus_ids_by_kind()
        ids: dict[str, list[str]] = {}
        for record in self.records:
            if record.id:
                ids.setdefault(record.kind.name, []).append(record.id)
        return ids

    def judges(self, record: Record) -> bool:
        """Whether the findings placed in ``record`` are wanted (every record's, but for a scope's neighbours)."""
        return self.judged is None or record.file in self.judged

    def of_kind(self, kind: str) -> list[Record]:
        """The records of one kind, in file order."""
        return self._by_kind.get(kind, [])

    def source_text(self, source: Record) -> SourceText:
        """Read a source's text file once; refuse paths that leave the corpus."""
        key = source.file
        if key not in self._texts:
            self._texts[key] = self._read_source_text(source)
        return self._texts[key]

    def search_text(self, source: Record) -> SearchText | None:
        """A source's text prepared for quote searches (None when it cannot be read)."""
        return self.source_text(source).search

    def _read_source_text(self, source: Record) -> SourceText:
        name = source.data.get("text")
        if not isinstance(name, str) or not name or "\0" in name:
            return SourceText(None, None)  # the schema check reports it
        path = source.path.parent / name
        shown = repr(name if len(name) <= 80 else name[:77] + "...")
        outside = SourceText(
            None, None, ("source-text-outside", f"the text path {shown} leads outside the corpus folder")
        )
        # The schema already refuses a '/' in the name; this layer holds on its own,
        # for names that pass it ('..'), symlinks, and records checked without it.
        # A text is a file beside its record: a name that goes through a folder (which a
        # pull request can make a link to anywhere) is refused like one that climbs.
        if Path(name).is_absolute() or len(Path(name).parts) != 1 or name in (".", ".."):
            return outside
        try:
            # Through the one guarded open: a link out of the corpus is refused on the
            # file actually opened, not after a separate check of the path.
            raw = read_capped(path, MAX_TEXT_BYTES, within=self.root)
        except OutsideCorpus:
            return outside
        except OSError as error:
            return SourceText(
                None, None, ("source-text-missing", f"cannot read the text file {shown}: {error.strerror or error}")
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return SourceText(
                None, hashlib.sha256(raw).hexdigest(), ("source-text-missing", f"the text file {shown} is not UTF-8")
            )
        not_plain = not_plain_text(text)
        if not_plain is not None:
            return SourceText(
                None,
                hashlib.sha256(raw).hexdigest(),
                ("source-text-missing", f"the text file {shown} {not_plain}"),
                hint="save the article as plain UTF-8 text, without a byte-order mark or NUL bytes, "
                "and record its new checksum",
            )
        return SourceText(text, hashlib.sha256(raw).hexdigest(), search=SearchText(text))


def not_plain_text(text: str) -> str | None:
    """Why a text cannot be searched for quotes (a byte-order mark, a NUL byte), or None when it can."""
    # Quotes are matched against the text as written. A byte-order mark is an
    # invisible character glued to the first word, and a NUL byte marks a binary
    # file, not an article: either makes the file other than the plain UTF-8 text
    # that annotation files must be too, so neither is searched for quotes.
    if text.startswith("\ufeff"):
        return (
            "starts with a byte-order mark (BOM): quotes are matched against plain UTF-8 text, "
            "and the mark would be an invisible part of its first word"
        )
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        return (
            f"holds a NUL byte (line {line}): it looks binary, not the plain UTF-8 text that quotes are matched against"
        )
    return None
