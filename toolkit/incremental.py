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

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from toolkit.budget import Ledger, ledger
from toolkit.cache import (
    CorpusCache,
    Entry,
    StampList,
    restored,
    stamp_of,
    stored,
    stored_findings,
)
from toolkit.check_scope import Check, Footprint, ScopeIndex, footprint_of, recheck, string_list
from toolkit.checks.schema import check_schema
from toolkit.kinds import KIND_BY_NAME
from toolkit.loading import (
    MIN_FILES_PER_PROCESS,
    LoadedCorpus,
    _load_share,
    display_path,
    folder_findings,
    kind_for,
    parse_file,
    working_directory,
    yaml_files_under,
)
from toolkit.model import Finding, Record
from toolkit.parallel import cycle_collection_paused, map_in_processes, processes_available, run_in_processes
from toolkit.schema_loader import SchemaSet


@dataclass
class CorpusVerdict:
    """What a report needs of a checked corpus: every finding, its files, folders and record files."""

    findings: list[Finding]
    files: list[str]
    folders: list[str]
    record_files: list[str]


@dataclass
class _Walk:
    """The files of a corpus as a walk finds them, with their names in the corpus and their stamps."""

    paths: list[str]
    names: list[str]
    stamps: list[StampList | None]
    folders: list[Finding]

    @classmethod
    def of(cls, root: Path) -> _Walk:
        base = os.fspath(root)
        problems: list[tuple[str, str]] = []
        paths = list(yaml_files_under(base, problems))
        # The walk joins each name to the folder it lists: the corpus's own path is a prefix.
        prefix = os.path.join(base, "")
        names = [path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, base) for path in paths]
        return cls(paths, names, [stamp_of(path) for path in paths], folder_findings(problems))

    def folder_keys(self) -> list[str]:
        """The folders that could not be read, with why: a state is of one such set."""
        return sorted(f"{f.file}\0{f.message}" for f in self.folders)


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
    root = root.absolute()
    walk = _Walk.of(root)
    view = _view(root)
    last = _Stored.of(cache, walk, view)
    if last is not None:
        try:
            verdict = _increment(root, walk, cache, last, schemas, checks, view)
        except _UNTRUSTED:
            verdict = None
        if verdict is not None:
            return verdict, None
    loaded = load_corpus_cached(root, schemas, cache, progress, jobs=jobs, walk=walk)
    own = list(loaded.findings)

    hints: list[Ledger] = []  # what the hints' budgets were asked for, by the checks run here

    def check() -> tuple[Any, list[Finding]]:
        with cycle_collection_paused(), ledger() as work:
            hints.append(work)
            return run_checks(loaded, list(own))

    def learn() -> dict[str, str]:
        # What the cache keeps of every file: its entry (parsed this run) and its line in the index.
        footprints = {record.file: footprint_of(record, schemas).stored() for record in loaded.records}
        cache.replace_index(
            {
                name: cache.index_line(file, stamp, footprints.get(file))
                for name, stamp, file in zip(walk.names, walk.stamps, loaded.files, strict=True)
            }
        )
        return cache.save_files()

    # The cache's files are written while the checks run, on a core of their own when
    # there is one (a forked child: it sees the records without copying them).
    findings: list[Finding]
    if processes_available(jobs) > 1:
        tasks: list[Callable[[], Any]] = [check, learn]
        (index, findings), written = run_in_processes(tasks)
        cache.adopt(written)
    else:
        index, findings = check()
        cache.adopt(learn())
    across = findings[len(own) :]
    verdict = CorpusVerdict(findings, loaded.files, loaded.folders, [r.file for r in loaded.records])
    texts = _sources_of_texts(loaded.records, os.fspath(root))
    cache.save(_state(cache, walk, view, own, across, texts, hints[0]))
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
    """The cache's index holds what no run of ours wrote: the run goes the whole way instead."""


# What a part of the cache of the wrong type raises where it is used: the same as _Untrusted.
_UNTRUSTED = (_Untrusted, TypeError, ValueError, KeyError, IndexError, AttributeError)


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
    if isinstance(name, str) and name and "\0" not in name and len(Path(name).parts) == 1:
        return os.path.relpath(os.path.join(os.path.dirname(os.fspath(record.path)), name), root)
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
    own: list[Finding],
    across: list[Finding],
    sources: dict[str, list[str]],
    hints: Ledger,
) -> dict[str, Any]:
    """What a run keeps of a whole corpus besides the file index: for the next run with nothing changed,
    and for one after an edit."""
    texts = sorted(sources)
    return {
        "view": view,
        "folder_keys": walk.folder_keys(),
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

    own: list[Finding]
    across: list[Finding]
    texts: list[str]
    text_stamps: list[Any]
    text_sources: list[list[str]]
    files: dict[str, Any]  # the cache's file index: name -> [shown, stamp, footprint]
    hints: Ledger  # what the hints' budgets were asked for, by the runs that found ``across``

    @classmethod
    def of(cls, cache: CorpusCache, walk: _Walk, view: list[str | None]) -> _Stored | None:
        """The stored state with its file index, if both are whole and of one run, seen from ``view``
        (``_view``), with the folders the walk found."""
        document = cache.document()
        if document is None or document.get("view") != view or document.get("folder_keys") != walk.folder_keys():
            return None
        texts: Any = document.get("texts")
        text_stamps: Any = document.get("text_stamps")
        text_sources: Any = document.get("text_sources")
        own, across = stored_findings(document.get("own")), stored_findings(document.get("across"))
        hints = Ledger.restored(document.get("hints"))
        if own is None or across is None or hints is None or not string_list(texts):
            return None
        if not (isinstance(text_stamps, list) and isinstance(text_sources, list)):
            return None
        if not (len(texts) == len(text_stamps) == len(text_sources)) or not all(map(string_list, text_sources)):
            return None
        if not all(map(_corpus_text, texts)):  # a run looks at these: never at a path a planted state names
            return None
        if not cache.index_matches(document):
            return None
        return cls(own, across, texts, text_stamps, text_sources, cache.file_index(), hints)

    def names_only(self, shown: set[str]) -> bool:
        """Whether every finding kept is of a file in ``shown`` (what a run of ours could have found)."""
        return all(finding.file in shown for finding in (*self.own, *self.across))

    def listing(self, walk: _Walk) -> tuple[list[str], list[str]] | None:
        """The files of the walk as shown, and those that hold a record, from the index (None: it lacks one)."""
        files: list[str] = []
        records: list[str] = []
        for name in walk.names:
            entry = self.files.get(name)
            if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)):
                return None
            files.append(entry[0])
            if entry[2] is not None:
                records.append(entry[0])
        return files, records


def _corpus_text(name: str) -> bool:
    """Whether a state's text is named as ``_text_of`` names them: ``<folder>/<name>`` inside the corpus."""
    parts = name.split(os.sep)
    return len(parts) == 2 and "\0" not in name and all(part not in ("", ".", "..") for part in parts)


def _footprint(value: Any) -> Footprint | None:
    """A footprint from the index (None: the file held no record); raises ``_Untrusted`` for anything else,
    checked in every part (``Footprint.restored``): what no run of ours wrote sends the run the whole way."""
    if value is None:
        return None
    footprint = Footprint.restored(value)
    if footprint is None:
        raise _Untrusted
    return footprint


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

    Raises ``_Untrusted`` when the index holds what no run of ours wrote; a part of the wrong
    type raises where it is used (``_UNTRUSTED``): either way the run goes the whole way.
    """
    index = last.files
    changed: list[int] = []  # positions in the walk
    for number, (name, stamp) in enumerate(zip(walk.names, walk.stamps, strict=True)):
        entry = index.get(name)
        if entry is None or stamp is None or entry[1] != stamp:
            changed.append(number)
    now = set(walk.names)
    removed = [name for name in index if name not in now]
    # An article text edited is an edit of the sources that name it (check_scope's contract).
    retold: set[str] = set()
    for name, stamp, named in zip(last.texts, last.text_stamps, last.text_sources, strict=True):
        if stamp is None or _text_stamp(cache, name) != stamp:
            retold.update(named)
    folders = [f.file for f in walk.folders]
    if not (changed or removed or retold):  # nothing changed: the verdict stands, no record loaded
        listed = last.listing(walk)
        if listed is None or not last.names_only({*listed[0], *folders}):
            raise _Untrusted
        return CorpusVerdict(last.own + last.across, listed[0], folders, listed[1])
    limit = max(_MIN_INCREMENT, int(len(walk.names) * _MAX_CHANGED_SHARE))
    if not checks or len(changed) + len(removed) > limit or not last.hints.roomy():
        return None
    # A finding of a file the index never held (a planted state) would be kept below as one out of reach.
    if not last.names_only({*(entry[0] for entry in index.values()), *folders}):
        raise _Untrusted
    resolved: dict[str, str] = {}
    changed_at = set(changed)
    files = [
        index[name][0] if number not in changed_at else display_path(walk.paths[number], resolved)
        for number, name in enumerate(walk.names)
    ]
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
    # The footprints after, in the walk's order, and before, of every file that changed.
    footprints: dict[str, Footprint] = {}
    for number, (name, file) in enumerate(zip(walk.names, files, strict=True)):
        if number in changed_at:
            record = fresh.get(file)
            footprint = footprint_of(record, schemas) if record is not None else None
        else:
            footprint = _footprint(index[name][2])
        if footprint is not None:
            footprints[file] = footprint
    before: dict[str, Footprint | None] = {}
    for name in [walk.names[number] for number in changed] + removed:
        entry = index.get(name)
        if entry is not None:
            before[entry[0]] = _footprint(entry[2])
    for number in changed:
        before.setdefault(files[number], None)
    for file in retold & set(footprints):
        before.setdefault(file, footprints[file])
    scope = ScopeIndex(footprints, indexed=False)
    path_of = {file: walk.paths[number] for number, file in enumerate(files)}

    def record_of(file: str) -> Record | None:
        record = fresh.get(file)
        if record is None and file in footprints:
            path = Path(path_of[file])
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
    parsed_again = {files[number] for number in changed} | {index[name][0] for name in removed}
    own = [f for f in last.own if f.file not in parsed_again] + fresh_own
    # What the cache learns: the files parsed (as a whole run would store them), the index, the state.
    for number in changed:
        name, stamp, file = walk.names[number], walk.stamps[number], files[number]
        record = fresh.get(file)
        if stamp is None:
            cache.forget(name)
        else:
            file_own = [stored(f) for f in fresh_own if f.file == file]
            kind_name = record.kind.name if record else None
            cache.store(name, Entry(stamp, kind_name, record.data if record else None, file_own))
        footprint = footprints.get(file)
        cache.index_file(name, cache.index_line(file, stamp, footprint.stored() if footprint else None))
    for name in removed:
        cache.forget(name)
        cache.index_file(name, None)
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
    position = scope.position() if any(len(named) > 1 for named in sources.values()) else {}
    sources = {
        name: sorted(named, key=lambda f: position.get(f, 0)) if len(named) > 1 else named
        for name, named in sources.items()
        if named
    }
    cache.save(_state(cache, walk, view, own, across, sources, hints))
    return CorpusVerdict(own + across, files, folders, list(footprints))


def load_corpus_cached(
    root: Path,
    schemas: SchemaSet,
    cache: CorpusCache,
    progress: Callable[[int, int], None] | None = None,
    *,
    jobs: int | None = None,
    walk: _Walk | None = None,
) -> LoadedCorpus:
    """Every record of a corpus, from the cache where a file is unchanged, with each file's own findings
    (reading, strict YAML, schema) and those of folders that could not be read. The cache learns the
    files parsed; ``cache.save`` writes it."""
    root = root.absolute()
    walk = walk or _Walk.of(root)
    with cycle_collection_paused():
        loaded, fresh = _load(root, walk.paths, walk.names, walk.stamps, cache, progress, jobs)
        loaded.findings.extend(walk.folders)
        loaded.folders.extend(f.file for f in walk.folders)
        records = [record for _name, _entry, record in fresh if record is not None]
        schema_findings = check_schema(records, schemas)
        loaded.findings.extend(schema_findings)
    by_file: dict[str, list[Finding]] = {}
    for found in schema_findings:
        by_file.setdefault(found.file, []).append(found)
    for name, entry, record in fresh:
        if entry is None:
            continue
        if record is not None:
            entry.findings += [stored(f) for f in by_file.get(record.file, [])]
        cache.store(name, entry)
    for name, stamp in zip(walk.names, walk.stamps, strict=True):
        if stamp is None:
            cache.forget(name)
    cache.keep_only(walk.names)
    return loaded


def _load(
    root: Path,
    paths: list[str],
    names: list[str],
    stamps: list[StampList | None],
    cache: CorpusCache,
    progress: Callable[[int, int], None] | None,
    jobs: int | None,
) -> tuple[LoadedCorpus, list[tuple[str, Entry | None, Record | None]]]:
    """The corpus from the cache and the files that changed; also what was learned of each file parsed
    this run (its name in the corpus, its entry, its record if it holds one)."""
    corpus = LoadedCorpus(root)
    hits: dict[int, Entry] = {}
    misses: list[Path] = []
    for position, (name, stamp) in enumerate(zip(names, stamps, strict=True)):
        entry = cache.entry_for(name, stamp)
        if entry is not None:
            hits[position] = entry
        else:
            misses.append(Path(paths[position]))
    work = partial(_load_share, root=root, progress=progress, total=len(misses))
    _processes, parsed = map_in_processes(work, misses, jobs=jobs, min_per_process=MIN_FILES_PER_PROCESS)
    parsed_by_path = {os.fspath(path): (loaded, findings) for path, loaded, findings in parsed}
    resolved: dict[str, str] = {}
    fresh: list[tuple[str, Entry | None, Record | None]] = []
    for position, path in enumerate(paths):
        entry = hits.get(position)
        if entry is not None:
            file = display_path(path, resolved)
            corpus.files.append(file)
            corpus.findings.extend(restored(file, item) for item in entry.findings)
            if entry.data is not None and entry.kind is not None:
                corpus.records.append(Record(KIND_BY_NAME[entry.kind], entry.data, file, Path(path)))
            continue
        (file, kind_name, data), file_findings = parsed_by_path[path]
        corpus.files.append(file)
        corpus.findings.extend(file_findings or [])
        stamp = stamps[position]
        # A link or anything but a regular file is read every run, never kept (its target can change).
        new = Entry(stamp, kind_name, data, [stored(f) for f in file_findings or []]) if stamp is not None else None
        record = None
        if data is not None and kind_name is not None:
            record = Record(KIND_BY_NAME[kind_name], data, file, Path(path))
            corpus.records.append(record)
        fresh.append((names[position], new, record))
    return corpus, fresh
