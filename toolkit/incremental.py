"""A validation run through the cache (``toolkit/cache.py``): the same findings, reading only what changed.

``check_corpus_cached`` gives what ``toolkit.validation.check_corpus`` gives for a
report (every finding of the corpus, its files, folders and records), in one of
two ways:

- nothing changed since the last run (every file, folder and source text with
  the stamp it had, the same working directory): the stored findings, without
  loading a record;
- otherwise: the records of unchanged files from the cache, the changed ones
  parsed (in processes when many) and checked against their schema, then every
  check across files (``CORPUS_CHECKS``, whatever it holds) over all of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from toolkit.cache import CorpusCache, Entry, StampList, restored, stamp_of, state_key, stored
from toolkit.checks.schema import check_schema
from toolkit.kinds import KIND_BY_NAME
from toolkit.loading import (
    MIN_FILES_PER_PROCESS,
    LoadedCorpus,
    _load_share,
    display_path,
    folder_findings,
    working_directory,
    yaml_files_under,
)
from toolkit.model import Finding, Record
from toolkit.parallel import cycle_collection_paused, map_in_processes
from toolkit.schema_loader import SchemaSet


@dataclass
class CorpusVerdict:
    """What a report needs of a checked corpus: every finding, its files, folders and record files."""

    findings: list[Finding]
    files: list[str]
    folders: list[str]
    record_files: list[str]


def _texts_read(records: list[Record], root: str) -> list[str]:
    """The source texts the checks read (relative to the corpus): a plain file name beside a source record."""
    texts = set()
    for record in records:
        name = record.data.get("text") if record.kind.name == "source" else None
        if isinstance(name, str) and name and "\0" not in name and len(Path(name).parts) == 1:
            texts.add(os.path.relpath(os.path.join(os.path.dirname(os.fspath(record.path)), name), root))
    return sorted(texts)


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

    def key(self, cache: CorpusCache, texts: list[str], cwd: str | None) -> str | None:
        folders = sorted(f"{f.file}\0{f.message}" for f in self.folders)
        return state_key(cache, list(zip(self.names, self.stamps, strict=True)), folders, texts, cwd)


def check_corpus_cached(
    root: Path,
    schemas: SchemaSet,
    cache: CorpusCache,
    run_checks: Callable[[LoadedCorpus, list[Finding]], tuple[Any, list[Finding]]],
    progress: Callable[[int, int], None] | None = None,
    *,
    jobs: int | None = None,
) -> tuple[CorpusVerdict, Any]:
    """Check a whole corpus through ``cache``; ``run_checks(loaded, findings)`` runs the checks across files.

    Returns the verdict, and what ``run_checks`` returned first (the index), or
    None when the stored verdict was served.
    """
    root = root.absolute()
    walk = _Walk.of(root)
    cwd = working_directory()
    texts = cache.stored_texts()
    if texts is not None:
        key = walk.key(cache, texts, cwd)
        document = cache.state(key) if key is not None else None
        if document is not None:
            findings = [restored(item[0], item[1:]) for item in document["findings"]]
            return CorpusVerdict(findings, document["files"], document["folders"], document["records"]), None
    loaded = load_corpus_cached(root, schemas, cache, progress, jobs=jobs, walk=walk)
    with cycle_collection_paused():
        index, findings = run_checks(loaded, list(loaded.findings))
    verdict = CorpusVerdict(findings, loaded.files, loaded.folders, [r.file for r in loaded.records])
    texts_now = _texts_read(loaded.records, os.fspath(root))
    key = walk.key(cache, texts_now, cwd)
    state = None
    if key is not None:
        state = {
            "key": key,
            "findings": [[f.file, *stored(f)] for f in findings],
            "files": verdict.files,
            "folders": verdict.folders,
            "records": verdict.record_files,
            "texts": texts_now,
        }
    cache.save(state)
    return verdict, index


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
