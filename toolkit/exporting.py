"""Export a valid corpus to each format, atomically: never a half-written export.

Each format is written into a staging folder ``.tmp-<format>-*`` beside its final
place, and only when every format asked for is complete are they moved into
``<out>/<format>/``, one rename each. A run killed while writing leaves the
previous export as it was; two runs into one folder take turns under a lock, so
their files never interleave. What a killed run leaves behind (a staging folder,
or a previous export set aside in the instant between two renames) is cleaned up
or put back by the next run, which holds the lock and so knows no run is alive.

Nothing of the user's is removed. The journal ``.toolkit-export.journal`` in the
output folder, written only by the toolkit, records each folder a run makes before
making it, and what each format folder held when the export put it in place (its
files with their sizes and modification times). The next run removes only
leftovers named there (a user's ``.old-stix-backup`` is never one), and replaces a
format folder only while it holds what was recorded, or less: a file added or
changed since is the user's, and the export refuses.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.exporters import FORMATS, Writer, untreated_kinds
from toolkit.model import Report
from toolkit.output_files import OutputFolder, OutputRefused, describe
from toolkit.parallel import cycle_collection_paused, processes_available, run_queued
from toolkit.quoting import shown
from toolkit.validation import DEFAULT_CORPUS, check_corpus, corpus_root

DEFAULT_OUT = Path("exports")
LOCK_NAME = ".toolkit-export.lock"
STAGING_PREFIX = ".tmp-"  # .tmp-<format>-<random>: a format being written
SET_ASIDE_PREFIX = ".old-"  # .old-<format>-<random>: the previous export, for an instant
# Marks a format folder as written by this command, so that a folder of the same
# name holding someone's own files is never replaced (and so never lost).
MARKER_NAME = ".toolkit-export"
MARKER_TEXT = "Written by 'toolkit export'; the whole folder is replaced by the next export.\n"
MARKER_BYTES = MARKER_TEXT.encode("utf-8")
# Folders other than the formats that the same machinery writes into an output
# folder, each by its command, with the marker it leaves: ``toolkit report``'s site.
REPORT_FOLDER = "report"
_COMMAND = {REPORT_FOLDER: "report"}
_MARKER_BYTES_BY_FOLDER = {
    REPORT_FOLDER: b"Written by 'toolkit report'; the whole folder is replaced by the next report.\n",
}
# The folders runs made here, and what each format folder held when put in place:
# the text, then one JSON line {"made": [name], "written": {format: {"files":
# {path: [size, mtime_ns]}, "folders": [path]}}}.
JOURNAL_NAME = ".toolkit-export.journal"
JOURNAL_TEXT = "Kept by 'toolkit export': the folders it made here and what it wrote; do not edit.\n"
JOURNAL_BYTES = JOURNAL_TEXT.encode("utf-8")
_JOURNAL_LIMIT = 64 * 1024 * 1024
_OUT_ROLE = "choose another --out"


class ExportRefused(Exception):
    """The corpus has errors; nothing was written. ``report`` says what they are."""

    def __init__(self, report: Report, done: str = "exported") -> None:
        super().__init__(f"the corpus has {report.errors} error(s); nothing was {done}")
        self.report = report


@dataclass(frozen=True)
class ExportResult:
    """The folder of each format written."""

    folders: dict[str, Path]


@contextmanager
def _locked(out: OutputFolder) -> Iterator[None]:
    # Two exports into one folder take turns, so their files never interleave. The
    # kernel drops the lock when its holder dies, even by SIGKILL. The lock file is
    # only ever created and locked, never truncated or written: one committed as a
    # link is refused, never followed.
    lock = out.open_lock(LOCK_NAME)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # which releases the lock


def _marker_bytes(name: str) -> bytes:
    """The text of the marker of the output folder ``name`` (a format's, or the report's)."""
    return _MARKER_BYTES_BY_FOLDER.get(name, MARKER_BYTES)


def _marked(folder: OutputFolder, name: str) -> bool:
    """Whether the folder holds the marker, a regular file (not a link) of the marker's text."""
    marker = _marker_bytes(name)
    return folder.read_regular(MARKER_NAME, len(marker) + 1) == marker


def _contents(folder: OutputFolder) -> dict[str, Any]:
    """What a format folder holds, as the journal records it (the marker aside)."""
    files: dict[str, list[int]] = {}
    folders: list[str] = []
    for path, (kind, size, mtime_ns) in sorted(folder.tree().items()):
        if path == MARKER_NAME:
            continue
        if kind == "file":
            files[path] = [size, mtime_ns]
        elif kind == "folder":
            folders.append(path)
        else:  # the exporters write regular files and folders only
            raise ToolkitError(f"{folder.path / path}: an export wrote something other than a file or a folder")
    return {"files": files, "folders": folders}


def _records(value: object) -> list[dict[str, Any]]:
    """The records the journal holds for a format folder (any of which it may match)."""
    return [record for record in value if isinstance(record, dict)] if isinstance(value, list) else []


def _not_written_by_the_toolkit(folder: OutputFolder, name: str, recorded: object) -> str | None:
    """What in this format folder the toolkit did not write, or changed since; None if nothing.

    Every entry must be in what the journal recorded when the folder was put in
    place, a file with the size and modification time it had then; recorded files
    that are gone do no harm (replacing the folder loses nothing of the user's).
    The marker must be there too: a format folder of an older toolkit, which kept
    no record, is judged by its files like any other.
    """
    found = folder.tree()
    if not found:
        return None
    if not _marked(folder, name):
        return MARKER_NAME if MARKER_NAME in found else min(found)
    found.pop(MARKER_NAME)
    foreign = min(found) if found else None
    for record in _records(recorded):
        recorded_files, recorded_folders = record.get("files"), record.get("folders")
        files: dict[str, Any] = recorded_files if isinstance(recorded_files, dict) else {}
        folders: list[Any] = recorded_folders if isinstance(recorded_folders, list) else []
        unrecorded = [
            path
            for path, (kind, size, mtime_ns) in sorted(found.items())
            if not (kind == "folder" and path in folders)
            and not (kind == "file" and files.get(path) == [size, mtime_ns])
        ]
        if not unrecorded:
            return None
        foreign = unrecorded[0]
    return foreign


def _check_format_folders(out: OutputFolder, names: Sequence[str], journal: _Journal) -> None:
    """Refuse a format folder that is not a folder, or that holds files the toolkit did not write."""
    for name in names:
        final = out.path / name
        mode = out.kind(name)
        if mode is None:
            continue
        if not stat.S_ISDIR(mode):
            raise ToolkitError(
                f"{final}: exists and is not a folder (it is {describe(mode)}); move it away, "
                "the export writes a folder there"
            )
        with out.subfolder(name) as folder:
            foreign = _not_written_by_the_toolkit(folder, name, journal.written.get(name))
            if foreign is not None:
                # An export of toolkit 0.1.0 is marked but was never journalled: say so,
                # since its files may well be untouched (and then removing it loses nothing).
                older = name in FORMATS and name not in journal.written and _marked(folder, name)
                command = _COMMAND.get(name, "export")
                raise ToolkitError(
                    f"{final}: holds files that 'toolkit {command}' did not write, or changed since "
                    f"(such as {shown(foreign)}); move them away or choose another --out, the "
                    "export would replace the folder"
                    + (
                        " (an export of toolkit 0.1.0 kept no record of its files: if you did not edit it, "
                        "remove the folder once)"
                        if older
                        else " (a copy of an export, a checkout or a restored cache gives its files new times, "
                        "and they count as changed: if you did not edit them, remove the folder)"
                    )
                )


# Only names of the form a run gives its folders are taken from the journal, so an
# edited journal cannot point the clean-up at any other folder.
_RUN_FOLDER = re.compile(
    rf"^(?:{re.escape(STAGING_PREFIX)}|{re.escape(SET_ASIDE_PREFIX)})"
    rf"(?P<format>{'|'.join(map(re.escape, [*FORMATS, *_MARKER_BYTES_BY_FOLDER]))})-[0-9a-f]{{8}}$"
)


class _Journal:
    """The folders runs made in the output folder, and what each format folder held when put in place."""

    def __init__(self, out: OutputFolder) -> None:
        self.out = out
        text = out.read_regular(JOURNAL_NAME, _JOURNAL_LIMIT) or b""
        state: object = {}
        if text.startswith(JOURNAL_BYTES):
            try:
                state = json.loads(text[len(JOURNAL_BYTES) :].decode("utf-8") or "{}")
            # UnicodeDecodeError is a ValueError; a journal nested thousands of levels
            # deep makes the JSON parser recurse past Python's limit.
            except (ValueError, RecursionError):
                state = {}
        state = state if isinstance(state, dict) else {}
        made, written = state.get("made"), state.get("written")
        self.made: list[str] = [
            name
            for name in dict.fromkeys(made if isinstance(made, list) else [])
            if isinstance(name, str) and _RUN_FOLDER.match(name)
        ]
        self.written: dict[str, object] = written if isinstance(written, dict) else {}

    def add(self, name: str) -> None:
        """Record a folder name before the folder is made, so that a run killed after is cleaned up."""
        self.made.append(name)
        self.save()

    def settle(self) -> None:
        """Forget the folders that are gone."""
        kept = [name for name in self.made if self.out.kind(name) is not None]
        if kept != self.made:
            self.made = kept
            self.save()

    def save(self) -> None:
        """Write the journal whole (a temporary file renamed over the old one)."""
        data = (
            JOURNAL_BYTES
            + json.dumps({"made": self.made, "written": self.written}, ensure_ascii=False).encode("utf-8")
            + b"\n"
        )
        # An empty journal is one cut short (a crash before it reached the disk).
        self.out.write_file(
            JOURNAL_NAME,
            data,
            replaces=lambda old: not old or old.startswith(JOURNAL_BYTES),
            limit=len(JOURNAL_BYTES),
            refusal="move it away, the export keeps its journal there",
        )

    def clean_up_after_killed_runs(self) -> None:
        """Remove the staging folders of runs that died; put back an export set aside."""
        for entry in self.made:
            mode = self.out.kind(entry)
            if mode is None or not stat.S_ISDIR(mode):
                continue
            matched = _RUN_FOLDER.match(entry)
            if matched is None:  # the journal keeps only names of this form; a hand-edited one is not ours
                continue
            name = matched["format"]
            if entry.startswith(SET_ASIDE_PREFIX) and self.out.kind(name) is None:
                self.out.rename(entry, name)  # killed between the two renames of _swap_in
            else:
                self.out.remove_tree(entry)
        self.settle()


def _check_places(out_dir: Path, corpus_root: Path, names: Sequence[str]) -> None:
    """Refuse an output folder inside the corpus, and format folders that hold the corpus."""
    real_out, real_corpus = Path(os.path.realpath(out_dir)), Path(os.path.realpath(corpus_root))
    if real_out.is_relative_to(real_corpus):
        raise ToolkitError(
            f"{out_dir}: is inside the corpus {real_corpus}, where exported files would be taken "
            "for annotations; choose an --out outside it"
        )
    for name in names:
        if real_corpus.is_relative_to(real_out / name):
            raise ToolkitError(
                f"{out_dir / name}: holds the corpus {real_corpus}, and the export replaces this "
                "folder; choose another --out"
            )


def _check_out_dir(out_dir: Path, names: Sequence[str]) -> None:
    """Say before any work is done that the output folder cannot take the export; create nothing."""
    try:
        with OutputFolder.open(out_dir, create=False, role=_OUT_ROLE) as out:
            _check_format_folders(out, names, _Journal(out))
    except FileNotFoundError:
        pass  # made when the export is written; a component that is a link or a file was refused above
    except OSError as error:
        raise _cannot_write(error, out_dir) from error


def _swap_in(out: OutputFolder, staged: dict[str, str], journal: _Journal, contents: dict[str, dict[str, Any]]) -> None:
    """Move each staging folder into its format's place: all of them, or, on an error, none.

    Each previous export is first set aside, and only removed once every format
    is in place; an error puts back what was already swapped.
    """
    swapped: list[tuple[str, str, str | None]] = []  # (format, its staging name, the previous export set aside)
    # While the folders are swapped, either one is the toolkit's: a run killed in
    # between leaves each format folder old or new, and the next run takes either.
    previous = {name: _records(journal.written.get(name)) for name in staged}
    journal.written.update({name: [contents[name], *previous[name]] for name in staged})
    journal.save()
    try:
        for name, staging in staged.items():
            old = None
            if out.kind(name) is not None:
                old = out.unique_name(f"{SET_ASIDE_PREFIX}{name}-")
                journal.add(old)
                out.rename(name, old)
            try:
                out.rename(staging, name)
            except BaseException:
                if old is not None:
                    out.rename(old, name)
                raise
            swapped.append((name, staging, old))
    except BaseException:
        for name, staging, old in reversed(swapped):
            with suppress(OSError):  # what cannot be put back here, the next run puts back
                out.rename(name, staging)
                if old is not None:
                    out.rename(old, name)
        raise
    for _name, _staging, old in swapped:
        if old is not None:
            with suppress(OSError):  # a folder the toolkit wrote; the next run removes what is left
                out.remove_tree(old)
    journal.written.update({name: [contents[name]] for name in staged})
    journal.save()


def _cannot_write(error: OSError, out_dir: Path) -> ToolkitError:
    where = error.filename or out_dir
    return ToolkitError(f"{where}: cannot write the export: {error.strerror or error}")


def write_tasks(names: Sequence[str], index: CorpusIndex, staged: dict[str, Path]) -> list[Callable[[], None]]:
    """Every part of the named formats as a task writing it into its staging folder, costliest first.

    A format's cost (``ExportFormat.cost``) is shared evenly among its parts. Started
    in this order, each process taking the next task when free, the processes
    end within about one small part of each other.
    """
    tasks = [
        (FORMATS[name].cost / len(format_parts), partial(_write_part, writer, index, staged[name]))
        for name in names
        for format_parts in [FORMATS[name].parts()]
        for _, writer in format_parts
    ]
    return [task for _, task in sorted(tasks, key=lambda costed: -costed[0])]


def _write_part(writer: Writer, index: CorpusIndex, out: Path) -> None:
    # The cyclic collector would walk the whole corpus again and again as the
    # writers build their objects: a fifth of the time at 100,000 records
    # (performance edit, benchmarks/README.md).
    with cycle_collection_paused():
        writer(index, out)


def export(
    formats: Sequence[str] = ("all",),
    out_dir: Path | str = DEFAULT_OUT,
    corpus: Path | str = DEFAULT_CORPUS,
    *,
    jobs: int | None = None,
) -> ExportResult:
    """Validate the corpus, then write each format into ``out_dir/<format>/``.

    Large corpora are parsed, and the formats written, side by side in forked
    processes on up to ``jobs`` cores (default: every core this process may use;
    ``1``: all in this process, one after another). The files are the same either way.

    Raises ``ExportRefused`` if the corpus has errors (nothing is written) and
    ``ToolkitError`` for usage and I/O problems (nothing is changed).
    """
    names = list(FORMATS) if "all" in formats else list(dict.fromkeys(formats))
    unknown = [name for name in names if name not in FORMATS]
    if unknown:
        raise ToolkitError(f"unknown export format {unknown[0]!r}; choose from {', '.join(FORMATS)}, all")
    gaps = untreated_kinds(names)
    if gaps:
        raise ToolkitError("; ".join(gaps) + ": add it (docs/architecture.md, 'Adding a kind')")
    root = corpus_root(corpus)
    out_dir = Path(out_dir)
    check_output_folder(out_dir, root, names)
    checked = check_corpus(root, jobs=jobs)
    report = Report.of(checked.findings, len(checked.files), len(checked.index.records))
    if report.errors:
        raise ExportRefused(report)
    write_folders(
        out_dir,
        names,
        lambda staged: write_tasks(names, checked.index, staged),
        jobs=jobs,
    )
    return ExportResult({name: out_dir / name for name in names})


def check_output_folder(out_dir: Path, root: Path, names: Sequence[str]) -> None:
    """Say before any work is done that ``out_dir`` cannot take the folders ``names``; create nothing."""
    _check_places(out_dir, root, names)
    _check_out_dir(out_dir, names)


def write_folders(
    out_dir: Path,
    names: Sequence[str],
    tasks_for: Callable[[dict[str, Path]], list[Callable[[], None]]],
    *,
    jobs: int | None = None,
) -> None:
    """Write the folders ``names`` of ``out_dir`` whole, then swap them all into place under the lock.

    ``tasks_for`` is given each name's staging folder and returns the tasks that
    write them (run on up to ``jobs`` processes, each taking the next when free).
    Raises ``ToolkitError`` for what cannot be written; the previous folders stay.
    """
    try:
        with OutputFolder.open(out_dir, create=True, role=_OUT_ROLE) as out, _locked(out):
            journal = _Journal(out)
            journal.clean_up_after_killed_runs()
            _check_format_folders(out, names, journal)  # again: another run may have changed it while this one waited
            staged: dict[str, str] = {}
            try:
                # Every folder is complete before any is moved into place, so a run
                # killed while writing changes nothing of the previous export. Each
                # folder is in the journal before it exists, so the next run knows
                # it for a leftover; the marker says what the folder is to a reader.
                for name in names:
                    staged[name] = out.make_unique_folder(f"{STAGING_PREFIX}{name}-", reserve=journal.add)
                    with out.subfolder(staged[name]) as staging:
                        staging.create_file(MARKER_NAME, _marker_bytes(name))
                run_queued(
                    tasks_for({name: out_dir / staging_name for name, staging_name in staged.items()}),
                    processes_available(jobs),
                )
                contents = {}
                for name, staging_name in staged.items():
                    with out.subfolder(staging_name) as staging:
                        contents[name] = _contents(staging)
                _swap_in(out, staged, journal, contents)
            finally:
                for staging_name in staged.values():
                    if out.kind(staging_name) is not None:
                        with suppress(OSError):
                            out.remove_tree(staging_name)
                with suppress(OSError):  # what is left in the journal, the next run removes
                    journal.settle()
    except OutputRefused as refused:
        raise ToolkitError(f"{refused.path}: cannot write the export: {refused.reason}") from None
    except OSError as error:
        raise _cannot_write(error, out_dir) from error
