"""A validation run through the cache (``toolkit/cache.py``): the same findings, reading only what changed.

``check_corpus_cached`` gives what ``toolkit.validation.check_corpus`` gives for a
report (every finding of the corpus, its files, folders and records), in one of
two ways:

- nothing changed since the last run (every file, folder and source text with
  the stamp it had, seen from the same working directory and real corpus folder,
  ``_view``): the stored findings, without loading a record;
- a few files changed (edited, added, removed, or their article text edited):
  those parsed and checked against their schema, and the checks across files run
  over the records the change can reach and their neighbours alone
  (``toolkit/check_scope.py``: the footprint of every record is kept in the
  state), the other files' findings kept; the neighbours are read again from
  disk, which for some dozens of files costs less than loading the cache's records;
- otherwise (a first run, a checkout that changed many files): the records of
  unchanged files from the cache, the changed ones parsed (in processes when
  many) and checked against their schema, then every check across files
  (``CORPUS_CHECKS``, whatever it holds) over all of them.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import toolkit.cache
from toolkit.budget import Ledger, ledger
from toolkit.cache import (
    CorpusCache,
    Entry,
    StampList,
    UntrustedCache,
    restored,
    stamp_of,
    stored,
    stored_findings,
)
from toolkit.check_scope import Check, Footprint, footprint_of, recheck, string_list
from toolkit.checks.schema import check_schema
from toolkit.kinds import KIND_BY_FOLDER, KIND_BY_NAME
from toolkit.loading import (
    MIN_FILES_PER_PROCESS,
    LoadedCorpus,
    _load_share,
    display_path,
    display_paths_under,
    folder_findings,
    is_hidden,
    is_yaml_name,
    kind_for,
    parse_file,
    working_directory,
    yaml_files_under,
)
from toolkit.model import Finding, Record
from toolkit.parallel import cycle_collection_paused, map_in_processes, processes_available, run_in_processes
from toolkit.schema_loader import SchemaSet
from toolkit.scope_store import PART_NAMES, BadPart, StoredScope, all_parts


@dataclass
class CorpusVerdict:
    """What a report needs of a checked corpus: every finding, its files, folders and record files."""

    findings: list[Finding]
    files: list[str]
    folders: list[str]
    record_files: list[str]


# A stamp packed (device, inode, size, mtime_ns, ctime_ns); this one for anything but a
# regular file, or a stamp not to be trusted: such a file is read every run.
_NO_STAMP = (-1, -1, -1, -1, -1)
_WIDTH = len(_NO_STAMP)
# From this many files on, the stamps are taken on two cores (a forked child takes half):
# one lstat costs some microseconds, the most of a run after an edit at 100,000 files.
_MIN_FILES_TO_SHARE_STAMPS = 20_000


def _packed_stamps(paths: list[str]) -> bytes:
    """The stamps of ``paths``, packed (``_NO_STAMP`` where a file is not a regular one, or is gone)."""
    packed = array("q")
    lstat, regular = os.lstat, stat.S_ISREG
    for number, path in enumerate(paths):
        try:
            status = lstat(path)
        except OSError:
            packed.extend(_NO_STAMP)
            continue
        if not regular(status.st_mode):
            packed.extend(_NO_STAMP)
            continue
        try:
            packed.extend((status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns))
        except OverflowError:  # a device or inode number past 2**63: never cached, read every run
            del packed[number * _WIDTH :]
            packed.extend(_NO_STAMP)
    return packed.tobytes()


# From folders this large on (added up, in bytes as the file system gives a folder's
# size: about its entries' names), the walk is shared with a forked child.
_MIN_FOLDER_BYTES_TO_SHARE = 400_000

# What one process's share of a walk gives: its files by the corpus's top folder they
# sit in (name, paths, packed stamps), and the folders it could not read.
_Share = tuple[list[tuple[str, list[str], bytes]], list[tuple[str, str]]]


def _folders_to_share(root: str) -> list[str]:
    """The corpus's top folders a forked child should walk (about half the work), or none."""
    if processes_available(None) < 2:
        return []
    try:
        with os.scandir(root) as scan:
            entries = list(scan)
    except OSError:
        return []
    sized: list[tuple[int, str]] = []
    for entry in entries:
        if is_hidden(entry.name) or is_yaml_name(entry.name):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                sized.append((entry.stat(follow_symlinks=False).st_size, entry.path))
        except OSError:
            continue
    total = sum(size for size, _path in sized)
    if len(sized) < 2 or total < _MIN_FOLDER_BYTES_TO_SHARE:
        return []
    shared: list[str] = []
    taken = 0
    for size, path in sorted(sized, reverse=True):
        if taken + size <= total // 2:
            shared.append(path)
            taken += size
    return shared if 0 < len(shared) < len(sized) else []


def _walk_share(root: str, folders: list[str] | None, skip: frozenset[str]) -> _Share:
    """Walk ``folders`` of the corpus at ``root`` (None: the corpus but the folders in ``skip``), taking stamps."""
    problems: list[tuple[str, str]] = []
    if folders is None:
        paths = list(yaml_files_under(root, problems, skip=skip))
    else:
        paths = [path for folder in folders for path in yaml_files_under(folder, problems)]
    prefix = os.path.join(root, "")
    groups: list[tuple[str, list[str], bytes]] = []
    start = 0
    while start < len(paths):
        top = paths[start][len(prefix) :].split(os.sep, 1)[0]
        end = start + 1
        inside = os.path.join(prefix + top, "")
        while end < len(paths) and paths[end].startswith(inside):
            end += 1
        groups.append((top, paths[start:end], _packed_stamps(paths[start:end])))
        start = end
    return groups, problems


def _walked(root: str) -> tuple[list[str], array[int], list[tuple[str, str]]]:
    """The corpus's files (``yaml_files_under``'s order) with their stamps, and the folders that could not be read.

    At 100,000 files, listing and taking stamps is most of a run after an edit: a
    forked child walks some of the top folders (``_folders_to_share``), and the
    shares are put back in the walk's order (the top folders sorted by name).
    """
    shared = _folders_to_share(root)
    if not shared:
        problems: list[tuple[str, str]] = []
        paths = list(yaml_files_under(root, problems))
        return paths, _stamps_of(paths), problems
    shares = run_in_processes(
        [partial(_walk_share, root, None, frozenset(shared)), partial(_walk_share, root, shared, frozenset())]
    )
    groups = sorted((group for found, _problems in shares for group in found), key=lambda group: group[0])
    paths = [path for _top, found, _stamps in groups for path in found]
    stamps = array("q")
    for _top, _found, packed in groups:
        stamps.frombytes(packed)
    prefix = os.path.join(root, "")
    problems = sorted(
        (problem for _found, found_problems in shares for problem in found_problems),
        key=lambda problem: problem[0][len(prefix) :].split(os.sep, 1)[0] if problem[0].startswith(prefix) else "",
    )
    return paths, stamps, problems


def _stamps_of(paths: list[str]) -> array[int]:
    packed = array("q")
    if len(paths) >= _MIN_FILES_TO_SHARE_STAMPS and processes_available(None) > 1:
        half = len(paths) // 2
        for part in run_in_processes([partial(_packed_stamps, paths[:half]), partial(_packed_stamps, paths[half:])]):
            packed.frombytes(part)
    else:
        packed.frombytes(_packed_stamps(paths))
    return packed


@dataclass
class _Walk:
    """The files of a corpus as a walk finds them, with their names in the corpus and their stamps."""

    root: str
    paths: list[str]
    names: list[str]
    stamps: array[int]  # _WIDTH numbers a file (_NO_STAMP: not a regular file), taken before any file is read
    folders: list[Finding]
    _shown: list[str] | None = None
    _names_blob: bytes | None = None

    @classmethod
    def of(cls, root: Path) -> _Walk:
        """The corpus's files with their stamps. Stamps are taken before the files are read, never after (red
        team round 8): the racy rule catches a file changed since the run began, not a folder of older files
        renamed into its place (a rename changes no stamp of the files inside)."""
        base = os.fspath(root)
        paths, stamps, problems = _walked(base)
        # The walk joins each name to the folder it lists: the corpus's own path is a prefix.
        prefix = os.path.join(base, "")
        names = [path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, base) for path in paths]
        return cls(base, paths, names, stamps, folder_findings(problems))

    def stamp(self, number: int) -> StampList | None:
        """The stamp of the walk's ``number``-th file (None: not a regular file)."""
        found = self.stamps[number * _WIDTH : (number + 1) * _WIDTH].tolist()
        return None if found == list(_NO_STAMP) else found

    def stamp_list(self) -> list[StampList | None]:
        """Every file's stamp, in the walk's order (None: not a regular file)."""
        return [self.stamp(number) for number in range(len(self.paths))]

    def shown(self) -> list[str]:
        """The files' names as findings show them (``display_path``), in the walk's order."""
        if self._shown is None:
            self._shown = display_paths_under(self.root, self.names)
        return self._shown

    def folder_keys(self) -> list[str]:
        """The folders that could not be read, with why: a state is of one such set."""
        return sorted(f"{f.file}\0{f.message}" for f in self.folders)

    def names_blob(self) -> bytes:
        """The files' names as the cache keeps them: joined by NUL, which no file name holds."""
        if self._names_blob is None:
            self._names_blob = "\0".join(self.names).encode("utf-8", "surrogateescape")
        return self._names_blob

    def stored_stamps(self, cache: CorpusCache) -> bytes:
        """The stamps as the cache keeps them: packed little-endian, those not to be trusted next run as
        ``_NO_STAMP`` (a file written in the seconds before this run: ``toolkit/cache.py``)."""
        kept = array("q", self.stamps)
        limit = cache.started_ns - toolkit.cache._RACY_NS
        if kept and (max(kept[3::_WIDTH]) >= limit or max(kept[4::_WIDTH]) >= limit):
            for number in range(len(kept) // _WIDTH):
                at = number * _WIDTH
                if max(kept[at + 3], kept[at + 4]) >= limit:
                    kept[at : at + _WIDTH] = array("q", _NO_STAMP)
        if sys.byteorder != "little":
            kept.byteswap()
        return kept.tobytes()


def _unpacked_stamps(raw: bytes, files: int) -> array[int] | None:
    """Stamps as the cache keeps them (``_Walk.stored_stamps``), or None when they are not those of ``files``."""
    if len(raw) != files * _WIDTH * 8:
        return None
    stamps = array("q")
    stamps.frombytes(raw)
    if sys.byteorder != "little":
        stamps.byteswap()
    return stamps


def _differing(before: array[int], after: array[int]) -> list[int]:
    """The positions of the files whose stamps differ, between two walks of the same names."""
    found: list[int] = []
    block = _WIDTH * 512
    for start in range(0, len(after), block):
        if before[start : start + block] != after[start : start + block]:
            for number in range(start // _WIDTH, min(len(after), start + block) // _WIDTH):
                at = number * _WIDTH
                if before[at : at + _WIDTH] != after[at : at + _WIDTH]:
                    found.append(number)
    return found


_NO_STAMP_BYTES = array("q", _NO_STAMP).tobytes()


def _unstamped(stamps: array[int]) -> list[int]:
    """The positions of the files with no stamp (read every run)."""
    if _NO_STAMP_BYTES not in stamps.tobytes():  # one scan in C; found, each file is looked at
        return []
    empty = array("q", _NO_STAMP)
    return [n for n in range(len(stamps) // _WIDTH) if stamps[n * _WIDTH : (n + 1) * _WIDTH] == empty]


# A run judges only what changed when at most this share of the corpus's files did
# (and at most this share is then read again as their neighbours); beyond, loading
# the records from the cache and checking them all costs less.
_MAX_CHANGED_SHARE = 0.02
_MAX_NEIGHBOURS_SHARE = 0.05
_MIN_INCREMENT = 200  # files: in a small corpus any change is judged by increments


def check_corpus_cached(
    root: Path,
    schemas: SchemaSet,
    cache: CorpusCache,
    run_checks: Callable[[LoadedCorpus, list[Finding]], tuple[Any, list[Finding]]],
    progress: Callable[[int, int], None] | None = None,
    *,
    jobs: int | None = None,
    checks: tuple[Check, ...] = (),
) -> tuple[CorpusVerdict, Any]:
    """Check a whole corpus through ``cache``; ``run_checks(loaded, findings)`` runs the checks across files.

    ``checks`` are those checks (``CORPUS_CHECKS``): given, a run after a few
    changes judges only what they reach. Returns the verdict, and what
    ``run_checks`` returned first (the index), or None when the verdict was had
    without one (nothing changed, or only some files).
    """
    # Records, states and parts are millions of small objects that live to the end of
    # the run: the cycle collector would walk them again and again to find nothing.
    with cycle_collection_paused():
        return _check_corpus_cached(root, schemas, cache, run_checks, progress, jobs, checks)


def _check_corpus_cached(
    root: Path,
    schemas: SchemaSet,
    cache: CorpusCache,
    run_checks: Callable[[LoadedCorpus, list[Finding]], tuple[Any, list[Finding]]],
    progress: Callable[[int, int], None] | None,
    jobs: int | None,
    checks: tuple[Check, ...],
) -> tuple[CorpusVerdict, Any]:
    root = root.absolute()
    first = cache.document() is None and not cache.holds_entries()  # nothing to look up before parsing
    walk = _Walk.of(root)
    view = _view(root)
    last = None if first else _Stored.of(cache, walk, view)
    if last is not None:
        try:
            verdict = _increment(root, walk, cache, last, schemas, checks, view)
        except _UNTRUSTED:
            verdict = None
        if verdict is not None:
            return verdict, None
    loaded, learned = load_corpus_cached(root, schemas, cache, progress, jobs=jobs, walk=walk)
    own = list(loaded.findings)

    hints: list[Ledger] = []  # what the hints' budgets were asked for, by the checks run here

    def check() -> tuple[Any, list[Finding]]:
        with ledger() as work:
            hints.append(work)
            return run_checks(loaded, list(own))

    def learn() -> dict[str, str]:
        # What the cache keeps: each file parsed this run, the index of every record, the names and stamps.
        learned()
        cache.replace_parts(all_parts({record.file: footprint_of(record, schemas) for record in loaded.records}))
        cache.put_blob("names", walk.names_blob())
        cache.put_blob("stamps", walk.stored_stamps(cache))
        return cache.save_files()

    # The cache's files are written while the checks run, on a core of their own when
    # there is one (a forked child: it sees the records without copying them).
    findings: list[Finding]
    if processes_available(jobs) > 1:
        tasks: list[Callable[[], Any]] = [check, learn]
        (index, findings), written = run_in_processes(tasks)
    else:
        index, findings = check()
        written = learn()
    cache.adopt(written, PART_NAMES)
    across = findings[len(own) :]
    record_files = [r.file for r in loaded.records]
    verdict = CorpusVerdict(findings, loaded.files, loaded.folders, record_files)
    holding = set(record_files)
    bare = [name for name, file in zip(walk.names, loaded.files, strict=True) if file not in holding]
    texts = _sources_of_texts(loaded.records, os.fspath(root))
    cache.save(_state(cache, walk, view, bare, own, across, texts, hints[0]))
    return verdict, index


def _view(root: Path) -> list[str | None]:
    """Where a run sees the corpus from: the working directory and the corpus's real folder.

    Findings name a file by its real folder, relative to the working directory
    (``display_path``): a state and its index (the names they hold) are of one view.
    The real folder can change under an unchanged path (a link above the corpus
    pointed elsewhere) without a stamp of any file changing.
    """
    return [working_directory(), os.path.realpath(root)]


class _Untrusted(Exception):
    """The cache's state holds what no run of ours wrote: the run goes the whole way instead."""


# What a part of the cache of the wrong type raises where it is used: the same as _Untrusted.
_UNTRUSTED = (_Untrusted, UntrustedCache, BadPart, TypeError, ValueError, KeyError, IndexError, AttributeError)


def _sources_of_texts(records: Iterable[Record], root: str) -> dict[str, list[str]]:
    """The source texts the checks read (relative to the corpus), each with the source files that name it."""
    named: dict[str, list[str]] = {}
    for record in records:
        text = _text_of(record, root)
        if text is not None:
            named.setdefault(text, []).append(record.file)
    return named


def _text_of(record: Record, root: str) -> str | None:
    name = record.data.get("text") if record.kind.name == "source" else None
    parts = Path(name).parts if isinstance(name, str) and name and "\0" not in name else ()
    # As CorpusIndex reads texts: '..' or '../' (one part, but the corpus's folder) is read by no check, and
    # a state naming it would never be believed (``_corpus_text``): every run would go the whole way.
    if len(parts) == 1 and parts[0] != "..":
        return os.path.relpath(os.path.join(os.path.dirname(os.fspath(record.path)), parts[0]), root)
    return None


def _text_stamp(cache: CorpusCache, name: str) -> StampList | None:
    """A source text's stamp as a state keeps it: [] when there is no such file, None when it cannot be trusted
    (a link, a folder, a file just written): such a text is read again every run."""
    stamp = stamp_of(os.path.join(cache.root, name))
    if stamp is None:
        return None if os.path.lexists(os.path.join(cache.root, name)) else []
    return stamp if cache.trusted(stamp) else None


def _state(
    cache: CorpusCache,
    walk: _Walk,
    view: list[str | None],
    bare: list[str],
    own: list[Finding],
    across: list[Finding],
    sources: dict[str, list[str]],
    hints: Ledger,
) -> dict[str, Any]:
    """What a run keeps of a whole corpus besides the parsed files and the index's parts: for the next
    run with nothing changed, and for one after an edit."""
    texts = sorted(sources)
    return {
        "view": view,
        "folder_keys": walk.folder_keys(),
        "bare": bare,  # the files that hold no record
        "own": [[f.file, *stored(f)] for f in own],
        "across": [[f.file, *stored(f)] for f in across],
        "texts": texts,
        "text_stamps": [_text_stamp(cache, name) for name in texts],
        "text_sources": [sources[name] for name in texts],
        "hints": hints.stored(),
    }


@dataclass
class _Stored:
    """The state of the last whole run, read back (each part checked where it is used)."""

    names_blob: bytes  # the names as stored, to compare with a walk's at once (``_Walk.names_blob``)
    stamps: array[int]
    bare: list[str]
    own: list[Finding]
    across: list[Finding]
    texts: list[str]
    text_stamps: list[Any]
    text_sources: list[list[str]]
    hints: Ledger  # what the hints' budgets were asked for, by the runs that found ``across``

    @classmethod
    def of(cls, cache: CorpusCache, walk: _Walk, view: list[str | None]) -> _Stored | None:
        """The stored state, if it is whole, seen from ``view`` (``_view``), with the folders the walk found,
        naming every part of the index."""
        document = cache.document()
        if document is None or document.get("view") != view or document.get("folder_keys") != walk.folder_keys():
            return None
        bare: Any = document.get("bare")
        texts: Any = document.get("texts")
        text_stamps: Any = document.get("text_stamps")
        text_sources: Any = document.get("text_sources")
        own, across = stored_findings(document.get("own")), stored_findings(document.get("across"))
        hints = Ledger.restored(document.get("hints"))
        if own is None or across is None or hints is None or not string_list(texts) or not string_list(bare):
            return None
        names_blob, stamps_blob = cache.blob("names"), cache.blob("stamps")
        if names_blob is None or stamps_blob is None:
            return None
        stamps = _unpacked_stamps(stamps_blob, names_blob.count(b"\0") + 1 if names_blob else 0)
        if stamps is None:
            return None
        if not (isinstance(text_stamps, list) and isinstance(text_sources, list)):
            return None
        if not (len(texts) == len(text_stamps) == len(text_sources)) or not all(map(string_list, text_sources)):
            return None
        if not all(map(_corpus_text, texts)):  # a run looks at these: never at a path a planted state names
            return None
        # Nor through a kind folder that is a link (the walk enters none, so no source holds a text there).
        if any(os.path.islink(os.path.join(cache.root, folder)) for folder in {t.split(os.sep)[0] for t in texts}):
            return None
        if set(cache.part_digests()) != PART_NAMES:
            return None
        return cls(names_blob, stamps, bare, own, across, texts, text_stamps, text_sources, hints)

    @functools.cached_property
    def names(self) -> list[str]:
        """The files' names, in the walk's order of the run that stored them."""
        return self.names_blob.decode("utf-8", "surrogateescape").split("\0") if self.names_blob else []

    def names_only(self, shown: Iterable[str]) -> bool:
        """Whether every finding kept is of a file in ``shown`` (what a run of ours could have found)."""
        if not (self.own or self.across):
            return True
        known = set(shown)
        return all(finding.file in known for finding in (*self.own, *self.across))


def _corpus_text(name: str) -> bool:
    """Whether a state's text is named as ``_text_of`` names them: ``<kind folder>/<name>`` inside the corpus
    (a source is a record of a kind folder; any other folder of the corpus can be a link to anywhere)."""
    parts = name.split(os.sep)
    return len(parts) == 2 and parts[0] in KIND_BY_FOLDER and "\0" not in name and parts[1] not in ("", ".", "..")


def _increment(
    root: Path,
    walk: _Walk,
    cache: CorpusCache,
    last: _Stored,
    schemas: SchemaSet,
    checks: tuple[Check, ...],
    view: list[str | None],
) -> CorpusVerdict | None:
    """The verdict after a few changes since ``last`` (or none), judging only what they reach; None when too
    many changed, or when ``checks`` is empty and anything did.

    Raises ``_Untrusted`` when the state holds what no run of ours wrote, and the cache's
    ``UntrustedCache`` or ``BadPart`` when a part of the index does; a part of the wrong
    type raises where it is used (``_UNTRUSTED``): either way the run goes the whole way.
    """
    # Which files changed: the names and stamps compared whole, then where they differ.
    same_names = walk.names_blob() == last.names_blob
    if same_names:
        removed: list[str] = []
        changed = _differing(last.stamps, walk.stamps)
    else:
        stored_at = {name: number for number, name in enumerate(last.names)}
        changed = []
        for number, name in enumerate(walk.names):
            was = stored_at.get(name)
            if (
                was is None
                or last.stamps[was * _WIDTH : (was + 1) * _WIDTH]
                != walk.stamps[number * _WIDTH : (number + 1) * _WIDTH]
            ):
                changed.append(number)
        now = set(walk.names)
        removed = [name for name in last.names if name not in now]
    changed = sorted({*changed, *_unstamped(walk.stamps)})
    # An article text edited is an edit of the sources that name it (check_scope's contract).
    retold: set[str] = set()
    for name, stamp, named in zip(last.texts, last.text_stamps, last.text_sources, strict=True):
        if stamp is None or _text_stamp(cache, name) != stamp:
            retold.update(named)
    folders = [f.file for f in walk.folders]
    files = walk.shown()
    bare = set(last.bare)
    if not (changed or removed or retold):  # nothing changed: the verdict stands, no record loaded
        if not last.names_only([*files, *folders]):
            raise _Untrusted
        return CorpusVerdict(last.own + last.across, files, folders, _record_files(walk, files, bare))
    limit = max(_MIN_INCREMENT, int(len(walk.names) * _MAX_CHANGED_SHARE))
    if not checks or len(changed) + len(removed) > limit or not last.hints.roomy():
        return None
    # A finding of a file the state never held (a planted state) would be kept below as one out of reach.
    files_before = files if same_names else display_paths_under(walk.root, last.names)
    if not last.names_only([*files_before, *folders]):
        raise _Untrusted
    # Parse what changed, as a whole run would: its own findings and its record.
    fresh: dict[str, Record] = {}
    fresh_own: list[Finding] = []
    for number in changed:
        path = Path(walk.paths[number])
        kind = kind_for(path, root)
        data, file_findings = parse_file(path, kind, files[number], root)
        fresh_own += file_findings
        if data is not None and kind is not None:
            fresh[files[number]] = Record(kind, data, files[number], path)
    fresh_own += check_schema(list(fresh.values()), schemas)
    # The footprints now of every file that changed, came or went, over the index's parts.
    now_of: dict[str, Footprint | None] = {}
    for number in changed:
        record = fresh.get(files[number])
        now_of[files[number]] = footprint_of(record, schemas) if record is not None else None
    shown_removed = dict(zip(last.names, files_before, strict=True)) if removed else {}
    for name in removed:
        now_of[shown_removed[name]] = None
    scope = StoredScope(now_of, files, cache.part)
    before: dict[str, Footprint | None] = {file: scope.stored_footprint(file) for file in now_of}
    for file in retold:
        if file not in before and (footprint := scope.footprint(file)) is not None:
            before[file] = footprint
    position = scope.position()

    def record_of(file: str) -> Record | None:
        record = fresh.get(file)
        if record is None and scope.footprint(file) is not None:
            path = Path(walk.paths[position[file]])
            kind = kind_for(path, root)
            data, _findings = parse_file(path, kind, file, root)
            if data is not None and kind is not None:
                record = fresh[file] = Record(kind, data, file, path)
        return record

    most = max(_MIN_INCREMENT, int(len(walk.names) * _MAX_NEIGHBOURS_SHARE))
    with ledger() as work:
        across = recheck(before, last.across, scope, record_of, root, schemas, checks, most)
    # A hint's budget is the whole run's (toolkit/budget.py): the findings judged here are a cold
    # run's only when the corpus's searches and these fit it, so that a cold run is refused none.
    hints = last.hints.plus(work)
    if across is None or not hints.roomy():
        return None
    parsed_again = set(now_of)
    own = [f for f in last.own if f.file not in parsed_again] + fresh_own
    # What the cache learns: the files parsed (as a whole run would store them), the parts, the state.
    for number in changed:
        name, stamp, file = walk.names[number], walk.stamp(number), files[number]
        record = fresh.get(file) if now_of[file] is not None else None
        if stamp is None:
            cache.forget(name)
        else:
            file_own = [stored(f) for f in fresh_own if f.file == file]
            kind_name = record.kind.name if record else None
            cache.store(name, Entry(stamp, kind_name, record.data if record else None, file_own))
    for name in removed:
        cache.forget(name)
    for part_name, part in scope.update(before).items():
        cache.put_part(part_name, part)
    changed_names = {walk.names[number] for number in changed}
    bare = (bare - changed_names - set(removed)) | {walk.names[n] for n in changed if now_of[files[n]] is None}
    sources: dict[str, list[str]] = {
        name: [source for source in named if source not in parsed_again]
        for name, named in zip(last.texts, last.text_sources, strict=True)
    }
    for file in {files[number] for number in changed}:
        record = fresh.get(file)
        text = _text_of(record, cache.root) if record is not None else None
        if text is not None:
            sources.setdefault(text, []).append(file)
    # A text named anew keeps its sources in the walk's order; the others keep theirs.
    sources = {
        name: sorted(named, key=lambda f: position.get(f, 0)) if len(named) > 1 else named
        for name, named in sources.items()
        if named
    }
    ordered_bare = [name for name in walk.names if name in bare] if bare else []
    if not same_names:
        cache.put_blob("names", walk.names_blob())
    cache.put_blob("stamps", walk.stored_stamps(cache))
    cache.save(_state(cache, walk, view, ordered_bare, own, across, sources, hints))
    return CorpusVerdict(own + across, files, folders, _record_files(walk, files, bare))


def _record_files(walk: _Walk, files: list[str], bare: set[str]) -> list[str]:
    """The files that hold a record: those of the walk (as shown) but the ``bare`` ones (by name)."""
    if not bare:
        return files
    return [file for name, file in zip(walk.names, files, strict=True) if name not in bare]


def load_corpus_cached(
    root: Path,
    schemas: SchemaSet,
    cache: CorpusCache,
    progress: Callable[[int, int], None] | None = None,
    *,
    jobs: int | None = None,
    walk: _Walk | None = None,
) -> tuple[LoadedCorpus, Callable[[], None]]:
    """Every record of a corpus, from the cache where a file is unchanged, with each file's own findings
    (reading, strict YAML, schema) and those of folders that could not be read.

    Also returns ``learn()``, which puts what was learned of the files parsed into the
    cache (``cache.save`` writes it): a whole run calls it where the checks do not wait.
    """
    root = root.absolute()
    walk = walk or _Walk.of(root)
    with cycle_collection_paused():
        loaded, fresh = _load(root, walk, cache, progress, jobs)
        loaded.findings.extend(walk.folders)
        loaded.folders.extend(f.file for f in walk.folders)
        records = [record for _number, _findings, record in fresh if record is not None]
        schema_findings = check_schema(records, schemas)
        loaded.findings.extend(schema_findings)

    def learn() -> None:
        by_file: dict[str, list[Finding]] = {}
        for found in schema_findings:
            by_file.setdefault(found.file, []).append(found)
        stamps, names = walk.stamps, walk.names
        for number, file_findings, record in fresh:
            at = number * _WIDTH
            if stamps[at] == -1:
                continue  # a link or anything but a regular file: read every run (its target can change)
            own = [stored(f) for f in file_findings] if file_findings else []
            if record is not None:
                if by_file:
                    own += [stored(f) for f in by_file.get(record.file, [])]
                cache.store(names[number], Entry(stamps[at : at + _WIDTH].tolist(), record.kind.name, record.data, own))
            else:
                cache.store(names[number], Entry(stamps[at : at + _WIDTH].tolist(), None, None, own))
        for number in _unstamped(stamps):
            cache.forget(names[number])
        cache.keep_only(names)

    return loaded, learn


def _load(
    root: Path,
    walk: _Walk,
    cache: CorpusCache,
    progress: Callable[[int, int], None] | None,
    jobs: int | None,
) -> tuple[LoadedCorpus, list[tuple[int, list[Finding], Record | None]]]:
    """The corpus from the cache and the files that changed; also each file parsed this run (its place in
    the walk, its own findings and its record, if it holds one)."""
    corpus = LoadedCorpus(root)
    hits: dict[int, Entry] = {}
    misses: list[Path] = []
    if cache.holds_entries():
        for position, name in enumerate(walk.names):
            entry = cache.entry_for(name, walk.stamp(position))
            if entry is not None:
                hits[position] = entry
            else:
                misses.append(Path(walk.paths[position]))
    else:  # a first run: no file's entry to look for
        misses = list(map(Path, walk.paths))
    work = partial(_load_share, root=root, progress=progress, total=len(misses))
    _processes, parsed = map_in_processes(work, misses, jobs=jobs, min_per_process=MIN_FILES_PER_PROCESS)
    parsed_in_order = iter(parsed)
    resolved: dict[str, str] = {}
    fresh: list[tuple[int, list[Finding], Record | None]] = []
    for position, path in enumerate(walk.paths):
        entry = hits.get(position)
        if entry is not None:
            file = display_path(path, resolved)
            corpus.files.append(file)
            corpus.findings.extend(restored(file, item) for item in entry.findings)
            if entry.data is not None and entry.kind is not None:
                corpus.records.append(Record(KIND_BY_NAME[entry.kind], entry.data, file, Path(path)))
            continue
        parsed_path, (file, kind_name, data), file_findings = next(parsed_in_order)
        corpus.files.append(file)
        corpus.findings.extend(file_findings or [])
        record = None
        if data is not None and kind_name is not None:
            record = Record(KIND_BY_NAME[kind_name], data, file, parsed_path)
            corpus.records.append(record)
        fresh.append((position, file_findings or [], record))
    return corpus, fresh
