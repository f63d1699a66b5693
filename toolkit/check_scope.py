"""Which records the checks across files must see to judge some files, and which files an edit can reach.

The checks across files (``toolkit.validation.CORPUS_CHECKS``) judge a record by
what it says and by its neighbours, never by the corpus as a whole. Every check
keeps to this contract, and a new one must too (``tests/test_check_scope.py``
runs every rule's example corpus both ways and compares):

    The findings placed in a record depend only on the record itself, on its
    **neighbours**, and on the set of ids each kind holds (the "did you mean"
    hints of references that resolve nowhere).

One exception, kept by the caller: a hint that searches (a closest passage, "did
you mean") does so only while the run's budget for such searches lasts
(``toolkit/budget.py``), which every search of the run draws on. A run judging a
scope keeps a ``Ledger`` of its searches, and its hints are those of a whole run
only when the whole corpus's searches fit the budget (``toolkit/incremental.py``).

A record's neighbours are those that

- it mentions (an id at any reference field: ``toolkit/reference_fields.py``),
- mention it (its id at a reference field of theirs),
- share its id, or a folded name or alias of its kind (``checks/names.py``),
- and, for an advisory, every advisory its ``supersedes`` chain reaches either
  way (a loop is reported once, on its first id: the whole chain decides).

A source's text is part of the source record (an edited article is an edit of its
source). Given that, the findings of some files are those of the checks run over
those files and their neighbours alone (``neighbourhood``), which is what lets a
language server answer a keystroke, and a validate after an edit, at the cost of
the few records an edit reaches rather than of the corpus (``reach``).

Each record is summed up by its ``Footprint``: its kind, its id, the ids it
mentions, its name keys and what it supersedes. Footprints are plain data, kept in
the cache (``toolkit/cache.py``) so that a run after an edit needs no other record
than the neighbours it reads again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from toolkit.checks.names import COMPARED_KINDS, names_of
from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding, Record
from toolkit.name_keys import fold
from toolkit.reference_fields import EACH, reference_fields
from toolkit.schema_loader import SchemaSet

# A check across files: the corpus (or the part of it a scope needs) in, findings out.
Check = Callable[[CorpusIndex], list[Finding]]


class Footprint(NamedTuple):
    """What the checks across files may look up about a record: see the module's docstring."""

    kind: str
    id: str | None
    mentions: Sequence[str]  # the ids at its reference fields, each once, in order
    names: Sequence[str]  # its folded name and aliases ("" never), for the kinds compared by name
    supersedes: Sequence[str]  # for an advisory, the ids it supersedes

    def stored(self) -> list[Any]:
        """The footprint as the cache keeps it (JSON)."""
        return [self.kind, self.id, list(self.mentions), list(self.names), list(self.supersedes)]

    @classmethod
    def restored(cls, value: object) -> Footprint | None:
        """A footprint read back from the cache (JSON), or None when the value is not one in every part.

        Every part is checked: a string where a list of ids belongs is iterable too,
        and its letters would be taken for ids (a run after an edit would miss a record
        the edit reaches). Checked by type, not isinstance: JSON makes plain lists and
        strings, and the index of a large corpus holds a footprint per file.
        """
        if type(value) is not list or len(value) != 5:
            return None
        kind, record_id, mentions, names, supersedes = value
        if type(kind) is not str or not (record_id is None or type(record_id) is str):
            return None
        if not (string_list(mentions) and string_list(names) and string_list(supersedes)):
            return None
        return cls(kind, record_id, mentions, names, supersedes)


_STRING = {str}


def string_list(value: object) -> bool:
    """Whether a value read back from JSON is a list of strings (and nothing else)."""
    return type(value) is list and (not value or set(map(type, value)) == _STRING)


# The reference paths as a tree: field name (or EACH) -> the tree below it; an empty
# tree is a place that holds an id.
_Tree = dict[str, "_Tree"]


@lru_cache(maxsize=8)
def _reference_tree(schemas: SchemaSet) -> _Tree:
    # Every kind's reference paths, applied to every record whatever its folder: a
    # record holding another kind's field (a schema error) is still read by some checks.
    tree: _Tree = {}
    for field_ in reference_fields(schemas):
        node = tree
        for step in field_.path:
            node = node.setdefault(step, {})
    return tree


def _collect(data: Any, tree: _Tree, found: dict[str, None]) -> None:
    if not tree:
        if isinstance(data, str):
            found[data] = None
        return
    if isinstance(data, dict):
        for step, below in tree.items():
            value = data.get(step) if step != EACH else None  # EACH steps into lists only
            if value is not None:
                _collect(value, below, found)
    elif isinstance(data, list):
        each = tree.get(EACH)
        if each is not None:
            for item in data:
                _collect(item, each, found)


def footprint_of(record: Record, schemas: SchemaSet) -> Footprint:
    """The footprint of one record."""
    data = record.data
    mentions: dict[str, None] = {}
    _collect(data, _reference_tree(schemas), mentions)
    kind = record.kind.name
    names: tuple[str, ...] = ()
    if kind in COMPARED_KINDS:
        names = tuple(dict.fromkeys(key for _parts, text in names_of(record) if (key := fold(text))))
    supersedes: tuple[str, ...] = ()
    if kind == "advisory":
        listed = data.get("supersedes")
        if isinstance(listed, list):
            supersedes = tuple(dict.fromkeys(item for item in listed if isinstance(item, str)))
    return Footprint(kind, record.id, tuple(mentions), names, supersedes)


def _identity(footprint: Footprint | None) -> tuple[str, str | None] | None:
    return (footprint.kind, footprint.id) if footprint is not None else None


@dataclass
class ScopeIndex:
    """The footprints of a corpus's records (by file, in the corpus walk's order), and who is whose neighbour.

    The footprints are indexed both ways once (who holds an id, who mentions it, who
    bears a name). Every question goes through ``footprint``, ``holders``,
    ``mentioners``, ``named``, ``position`` and ``ids_by_kind``: a subclass can answer
    them from elsewhere (``toolkit/scope_store.py`` reads the cache's tables only for
    the ids an edit touches).
    """

    footprints: dict[str, Footprint]
    _holders: dict[str, list[str]] = field(default_factory=dict)  # id -> files whose record has it
    _mentioners: dict[str, list[str]] = field(default_factory=dict)  # id -> files that mention it
    _named: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (kind, name key) -> files
    _position: dict[str, int] | None = None  # each file's place in the walk's order, once asked for
    _ids: dict[str, list[str]] | None = None  # the ids of each kind, once asked for

    def __post_init__(self) -> None:
        for file, footprint in self.footprints.items():
            self._add(file, footprint)

    def _add(self, file: str, footprint: Footprint) -> None:
        if footprint.id is not None:
            self._holders.setdefault(footprint.id, []).append(file)
        for mentioned in footprint.mentions:
            self._mentioners.setdefault(mentioned, []).append(file)
        for key in footprint.names:
            self._named.setdefault((footprint.kind, key), []).append(file)

    def _remove(self, file: str, footprint: Footprint) -> None:
        def drop(table: dict[Any, list[str]], key: Any) -> None:
            files = table.get(key)
            if files is not None:
                files[:] = [other for other in files if other != file]
                if not files:
                    del table[key]

        if footprint.id is not None:
            drop(self._holders, footprint.id)
        for mentioned in footprint.mentions:
            drop(self._mentioners, mentioned)
        for key in footprint.names:
            drop(self._named, (footprint.kind, key))

    # --- The questions (a subclass may answer them from elsewhere) -----------------

    def footprint(self, file: str) -> Footprint | None:
        """The footprint of ``file``'s record (None: no such file, or it holds no record)."""
        return self.footprints.get(file)

    def holders(self, record_id: str) -> Iterable[str]:
        """The files whose record has id ``record_id``."""
        return self._holders.get(record_id, ())

    def mentioners(self, record_id: str) -> Iterable[str]:
        """The files whose record mentions ``record_id`` at a reference field."""
        return self._mentioners.get(record_id, ())

    def named(self, kind: str, key: str) -> Iterable[str]:
        """The files whose record, of ``kind``, bears the folded name ``key``."""
        return self._named.get((kind, key), ())

    def position(self) -> dict[str, int]:
        """Each file's place in the corpus's order (the walk's, as constructed or reordered)."""
        if self._position is None:
            self._position = {file: number for number, file in enumerate(self.footprints)}
        return self._position

    def ids_by_kind(self) -> dict[str, list[str]]:
        """The ids of each kind, in the corpus's order: what "did you mean" hints are chosen from."""
        if self._ids is None:
            ids: dict[str, list[str]] = {}
            for footprint in self.footprints.values():
                if footprint.id:
                    ids.setdefault(footprint.kind, []).append(footprint.id)
            self._ids = ids
        return self._ids

    # --- Changes (a language server's open documents) ------------------------------

    def replace(self, file: str, footprint: Footprint | None) -> None:
        """Record that ``file`` now has ``footprint`` (None: it holds no record, or is gone).

        A file new to the index goes last: ``reorder`` puts it in the walk's order.
        """
        old = self.footprints.pop(file, None) if footprint is None else self.footprints.get(file)
        if old is not None:
            self._remove(file, old)
        if footprint is not None:
            self.footprints[file] = footprint
            self._add(file, footprint)
        if old is None or footprint is None:
            self._position = None  # a file came or went
        if _identity(old) != _identity(footprint) or old is None or footprint is None:
            self._ids = None

    def reorder(self, files: Iterable[str]) -> None:
        """Put the footprints in the order of ``files`` (the walk's), which must name each file once."""
        self.footprints = {file: self.footprints[file] for file in files if file in self.footprints}
        self._position = self._ids = None

    # --- Who is whose neighbour ----------------------------------------------------

    def related(self, footprints: Iterable[Footprint]) -> set[str]:
        """The files of records that are neighbours of records with ``footprints`` (but supersedes chains)."""
        found: set[str] = set()
        for footprint in footprints:
            for mentioned in footprint.mentions:
                found.update(self.holders(mentioned))
            if footprint.id is not None:
                found.update(self.mentioners(footprint.id))
                found.update(self.holders(footprint.id))
            for key in footprint.names:
                found.update(self.named(footprint.kind, key))
        return found

    def supersedes_chain(self, files: Iterable[str]) -> set[str]:
        """The advisories that ``files``' advisories reach through supersedes, either way, with them."""
        seen: set[str] = set()
        todo = [file for file in files if self._advisory(file)]
        while todo:
            file = todo.pop()
            if file in seen:
                continue
            seen.add(file)
            footprint = self.footprint(file)
            assert footprint is not None  # an advisory's (``_advisory``)
            linked = [holder for older in footprint.supersedes for holder in self.holders(older)]
            if footprint.id is not None:
                for other in self.mentioners(footprint.id):
                    found = self.footprint(other)
                    if found is not None and footprint.id in found.supersedes:
                        linked.append(other)
            todo += [other for other in linked if other not in seen and self._advisory(other)]
        return seen

    def _advisory(self, file: str) -> bool:
        footprint = self.footprint(file)
        return footprint is not None and footprint.kind == "advisory"

    def neighbourhood(self, files: Iterable[str]) -> set[str]:
        """``files`` and all their neighbours: the records the checks must see to judge ``files``."""
        wanted = {file: found for file in files if (found := self.footprint(file)) is not None}
        return set(wanted) | self.related(wanted.values()) | self.supersedes_chain(wanted)

    def reach(self, before: Mapping[str, Footprint | None], unresolved: Iterable[str] = ()) -> set[str]:
        """The files whose findings an edit can change, this index being the corpus after it.

        ``before`` maps each file the edit changed, added or removed to its footprint
        before (None: it held no record). When the ids of the corpus changed, the
        files in ``unresolved`` (those with a reference that resolved nowhere, whose
        "did you mean" hint may now differ) are reached too.
        """
        reached: set[str] = set(before)
        asked = [footprint for file, old in before.items() for footprint in (old, self.footprint(file)) if footprint]
        reached |= self.related(asked)
        ids_changed = any(_identity(old) != _identity(self.footprint(file)) for file, old in before.items())
        if ids_changed:
            reached.update(unresolved)
        reached = {file for file in reached if file in before or self.footprint(file) is not None}
        return reached | self.supersedes_chain(reached)


def findings_within(
    scope: ScopeIndex,
    files: set[str],
    record_of: Callable[[str], Record | None],
    root: Any,
    schemas: SchemaSet,
    checks: Sequence[Check],
    neighbourhood: set[str] | None = None,
) -> list[Finding]:
    """What ``checks`` find in ``files``, run over those files' neighbourhood alone.

    ``record_of(file)`` gives the record of a file of the neighbourhood (from memory,
    or read again). The checks see the records in the corpus's order (``scope``'s:
    the first of two records with one id is the one kept). ``neighbourhood`` is
    ``scope.neighbourhood(files)`` when the caller has it already.
    """
    wanted = scope.neighbourhood(files) if neighbourhood is None else neighbourhood
    position = scope.position()
    records = [
        record
        for file in sorted(wanted, key=lambda name: position.get(name, len(position)))
        if (record := record_of(file)) is not None
    ]
    index = CorpusIndex(root, records, schemas, corpus_ids_by_kind=scope.ids_by_kind, judged=frozenset(files))
    return [finding for check in checks for finding in check(index) if finding.file in files]


def recheck(
    before: Mapping[str, Footprint | None],
    found_before: Sequence[Finding],
    scope: ScopeIndex,
    record_of: Callable[[str], Record | None],
    root: Any,
    schemas: SchemaSet,
    checks: Sequence[Check],
    most: int | None = None,
) -> list[Finding] | None:
    """Every finding of ``checks`` after an edit, from those before it and the files the edit can reach.

    ``before`` maps each file changed, added or removed to its footprint before the
    edit; ``found_before`` is every finding of ``checks`` before it; ``scope`` is the
    corpus after. Returns the findings (those of files out of reach kept as they
    were), or None when judging them would read more than ``most`` records.
    """
    unresolved = {finding.file for finding in found_before if finding.rule == "ref-unresolved"}
    reached = scope.reach(before, unresolved)
    neighbourhood = scope.neighbourhood(reached)
    if most is not None and len(neighbourhood) > most:
        return None
    kept = [finding for finding in found_before if finding.file not in reached]
    return kept + findings_within(scope, reached, record_of, root, schemas, checks, neighbourhood)
