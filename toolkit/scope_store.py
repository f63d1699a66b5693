"""The footprints of a corpus and who is whose neighbour, as the cache keeps them: read only where an edit reaches.

A run after an edit must know which records the edit reaches (``toolkit/check_scope.py``)
without reading the index of the whole corpus: at 100,000 records that index is tens
of megabytes, and parsing it cost more than judging the edit. So the cache keeps it
in **parts** (``toolkit/cache.py`` reads one only when asked, and believes it only
with the digest the state names):

- ``feet-NNN``: the footprint of each file holding a record, by file (as shown),
  ``FEET_PARTS`` parts by a hash of the file's name;
- ``keys-NNNN``: the files that hold an id, mention an id, or bear a folded name,
  by key, ``KEY_PARTS`` parts by a hash of the key (the files joined by newlines,
  which no name as shown holds: ``toolkit/unsafe_text.py`` quotes them);
- ``ids``: the files holding a record with an id and their ids, by kind, read
  only when a reference resolves nowhere and a "did you mean" hint needs them.

A part is small (some kilobytes at 100,000 records): an edit that reaches a dozen
records reads a hundred of them, not the index.

``StoredScope`` answers ``ScopeIndex``'s questions from the parts, with the files
an edit changed laid over them; ``StoredScope.update`` writes the edit into the
parts it touched.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from toolkit.check_scope import Footprint, ScopeIndex, string_list

FEET_PARTS = 512
KEY_PARTS = 1024
IDS_PART = "ids"
_FEET_NAMES = [f"feet-{number:03d}" for number in range(FEET_PARTS)]
_KEY_NAMES = [f"keys-{number:04d}" for number in range(KEY_PARTS)]
PART_NAMES = frozenset([*_FEET_NAMES, *_KEY_NAMES, IDS_PART])

# A part as the cache gives it: a JSON object read back (values checked where used).
Part = dict[str, Any]


class BadPart(Exception):
    """A part holds what no run of ours wrote (a value of the wrong type)."""


def feet_part(file: str) -> str:
    """The part that holds the footprint of ``file``."""
    return _FEET_NAMES[zlib.crc32(file.encode("utf-8", "surrogateescape")) % FEET_PARTS]


def key_part(key: str) -> str:
    """The part that holds the files of ``key`` (``keys_of``)."""
    return _KEY_NAMES[zlib.crc32(key.encode("utf-8", "surrogateescape")) % KEY_PARTS]


def _holder_key(record_id: str) -> str:
    return "i\0" + record_id


def _mention_key(record_id: str) -> str:
    return "m\0" + record_id


def _name_key(kind: str, key: str) -> str:
    return f"n\0{kind}\0{key}"


def keys_of(footprint: Footprint) -> Iterator[str]:
    """The keys under which the files of a record with ``footprint`` are found."""
    if footprint.id is not None:
        yield _holder_key(footprint.id)
    for mentioned in footprint.mentions:
        yield _mention_key(mentioned)
    for key in footprint.names:
        yield _name_key(footprint.kind, key)


def all_parts(footprints: dict[str, Footprint]) -> dict[str, Part]:
    """Every part, for a whole corpus's ``footprints`` (by file, in the walk's order)."""
    parts: dict[str, Part] = {name: {} for name in PART_NAMES}
    keyed: dict[str, list[str]] = {}
    ids: dict[str, tuple[list[str], list[str]]] = {}

    for file, footprint in footprints.items():
        parts[feet_part(file)][file] = footprint.stored()
        for key in keys_of(footprint):
            keyed.setdefault(key, []).append(file)
        if footprint.id is not None:
            held = ids.setdefault(footprint.kind, ([], []))
            held[0].append(file)
            held[1].append(footprint.id)
    for key, files in keyed.items():
        parts[key_part(key)][key] = "\n".join(files)
    parts[IDS_PART] = {kind: ["\n".join(files), held] for kind, (files, held) in ids.items()}
    return parts


class StoredScope(ScopeIndex):
    """A corpus's scope from the cache's parts, with the files an edit changed laid over them.

    ``changed`` maps each file changed, added or removed (as shown) to its footprint
    now (None: it holds no record, or is gone); ``files`` are the corpus's files now,
    in the walk's order; ``part(name)`` gives a part as stored (raising when it cannot
    be believed). Values of the wrong type raise ``BadPart``.
    """

    def __init__(self, changed: dict[str, Footprint | None], files: list[str], part: Callable[[str], Part]) -> None:
        super().__init__({file: footprint for file, footprint in changed.items() if footprint is not None})
        self.changed = changed
        self.files = files
        self._part = part
        self._stored_feet: dict[str, Footprint | None] = {}
        self._touched: dict[str, Part] = {}  # parts changed by ``update``

    # --- Reading -------------------------------------------------------------------

    def stored_footprint(self, file: str) -> Footprint | None:
        """The footprint the parts hold for ``file`` (before the edit)."""
        if file not in self._stored_feet:
            value = self._part(feet_part(file)).get(file)
            footprint = None if value is None else Footprint.restored(value)
            if value is not None and footprint is None:
                raise BadPart(file)
            self._stored_feet[file] = footprint
        return self._stored_feet[file]

    def _stored_files(self, key: str) -> list[str]:
        return [file for file in self._listed(self._part(key_part(key)), key) if file not in self.changed]

    def footprint(self, file: str) -> Footprint | None:
        if file in self.changed:
            return self.changed[file]
        return self.stored_footprint(file)

    def holders(self, record_id: str) -> Iterable[str]:
        return [*self._stored_files(_holder_key(record_id)), *super().holders(record_id)]

    def mentioners(self, record_id: str) -> Iterable[str]:
        return [*self._stored_files(_mention_key(record_id)), *super().mentioners(record_id)]

    def named(self, kind: str, key: str) -> Iterable[str]:
        return [*self._stored_files(_name_key(kind, key)), *super().named(kind, key)]

    def position(self) -> dict[str, int]:
        if self._position is None:
            self._position = {file: number for number, file in enumerate(self.files)}
        return self._position

    def ids_by_kind(self) -> dict[str, list[str]]:
        if self._ids is None:
            self._ids = {kind: [i for _file, i in pairs if i] for kind, pairs in self._held_ids().items()}
        return self._ids

    def _held_ids(self) -> dict[str, list[tuple[str, str]]]:
        """The files holding an id and their ids, by kind, in the walk's order: the stored ones with those of
        changed files left out, then the changed files' put in."""
        held: dict[str, list[tuple[str, str]]] = {}
        for kind, (files, ids) in self._stored_ids().items():
            held[kind] = [(file, i) for file, i in zip(files, ids, strict=True) if file not in self.changed]
        for file, footprint in self.changed.items():
            if footprint is not None and footprint.id is not None:
                held.setdefault(footprint.kind, []).append((file, footprint.id))
        position = self.position()
        return {kind: sorted(pairs, key=lambda pair: position.get(pair[0], -1)) for kind, pairs in held.items()}

    def _stored_ids(self) -> dict[str, tuple[list[str], list[str]]]:
        found: dict[str, tuple[list[str], list[str]]] = {}
        # Each file once, and one of the walk's (or one the edit removed): an id of a file
        # the corpus lacks, or a second one of a file, would be in the pool hints draw from.
        position, seen = self.position(), set[str]()
        for kind, value in self._part(IDS_PART).items():
            if not (type(value) is list and len(value) == 2 and type(value[0]) is str and string_list(value[1])):
                raise BadPart(kind)
            files = value[0].split("\n") if value[0] else []
            if len(files) != len(value[1]):
                raise BadPart(kind)
            for file in files:
                if file in seen or (file not in position and file not in self.changed):
                    raise BadPart(kind)
                seen.add(file)
            found[kind] = (files, value[1])
        return found

    # --- Writing the edit into the parts ---------------------------------------------

    def update(self, before: dict[str, Footprint | None]) -> dict[str, Part]:
        """The parts the edit changes, each changed (``before``: each changed file's stored footprint)."""
        ids_changed = False
        for file, now in self.changed.items():
            old = before.get(file)
            if (old and old.stored()) == (now and now.stored()):
                continue
            self._edit(feet_part(file), file, now.stored() if now is not None else None)
            old_keys = set(keys_of(old)) if old is not None else set()
            new_keys = set(keys_of(now)) if now is not None else set()
            for key in old_keys - new_keys:
                self._without(key, file)
            for key in new_keys - old_keys:
                self._with(key, file)
            if (old and (old.kind, old.id)) != (now and (now.kind, now.id)):
                ids_changed = True
        if ids_changed:
            self._touched[IDS_PART] = self._ids_part()
        return self._touched

    def _ids_part(self) -> Part:
        return {
            kind: ["\n".join(file for file, _i in pairs), [i for _file, i in pairs]]
            for kind, pairs in self._held_ids().items()
        }

    def _writable(self, name: str) -> Part:
        part = self._touched.get(name)
        if part is None:
            part = self._touched[name] = dict(self._part(name))
        return part

    def _edit(self, name: str, file: str, value: Any) -> None:
        part = self._writable(name)
        if value is None:
            part.pop(file, None)
        else:
            part[file] = value

    def _without(self, key: str, file: str) -> None:
        part = self._writable(key_part(key))
        files = [other for other in self._listed(part, key) if other != file]
        if files:
            part[key] = "\n".join(files)
        else:
            part.pop(key, None)

    def _with(self, key: str, file: str) -> None:
        part = self._writable(key_part(key))
        part[key] = "\n".join([*self._listed(part, key), file])

    @staticmethod
    def _listed(part: Part, key: str) -> list[str]:
        files = part.get(key, "")
        if type(files) is not str:
            raise BadPart(key)
        return files.split("\n") if files else []
