"""Export a valid corpus to each format, atomically: never a half-written export.

Each format is written into a staging folder ``.tmp-<format>-*`` beside its final
place, and only when every format asked for is complete are they moved into
``<out>/<format>/``, one rename each. A run killed while writing leaves the
previous export as it was; two runs into one folder take turns under a lock, so
their files never interleave. What a killed run leaves behind (a staging folder,
or a previous export set aside in the instant between two renames) is cleaned up
or put back by the next run, which holds the lock and so knows no run is alive.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.exporters import FORMATS, Writer, untreated_kinds
from toolkit.loading import find_corpus_root
from toolkit.model import Report
from toolkit.output_files import OutputFolder, OutputRefused, describe
from toolkit.parallel import cycle_collection_paused, processes_available, run_queued
from toolkit.validation import DEFAULT_CORPUS, check_corpus

DEFAULT_OUT = Path("exports")
LOCK_NAME = ".toolkit-export.lock"
STAGING_PREFIX = ".tmp-"  # .tmp-<format>-<random>: a format being written
SET_ASIDE_PREFIX = ".old-"  # .old-<format>-<random>: the previous export, for an instant
# Marks a format folder as written by this command, so that a folder of the same
# name holding someone's own files is never replaced (and so never lost).
MARKER_NAME = ".toolkit-export"
MARKER_TEXT = "Written by 'toolkit export'; the whole folder is replaced by the next export.\n"
MARKER_BYTES = MARKER_TEXT.encode("utf-8")
_OUT_ROLE = "choose another --out"


class ExportRefused(Exception):
    """The corpus has errors; nothing was written. ``report`` says what they are."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"the corpus has {report.errors} error(s); nothing was exported")
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


def _marked(folder: OutputFolder) -> bool:
    """Whether the toolkit wrote this folder: it holds the marker, a regular file (not a link) of the marker's text."""
    return folder.read_regular(MARKER_NAME, len(MARKER_BYTES) + 1) == MARKER_BYTES


def _left_by_a_run(out: OutputFolder, name: str, prefix: str) -> str | None:
    """The format a staging or set-aside folder was made for; None for anything else.

    The name alone proves nothing (anyone can make ``.tmp-csv-x``): the folder
    must be a real folder holding the marker, which a run writes into its
    staging folder before anything else, or be empty (a run killed in between).
    """
    if not name.startswith(prefix):
        return None
    format_name = name[len(prefix):].rpartition("-")[0]
    mode = out.kind(name)
    if format_name not in FORMATS or mode is None or not stat.S_ISDIR(mode):
        return None
    with out.subfolder(name) as folder:
        return format_name if not folder.names() or _marked(folder) else None


def _clean_up_after_killed_runs(out: OutputFolder) -> None:
    """Remove the staging folders of runs that died; put back an export set aside."""
    for entry in out.names():
        if _left_by_a_run(out, entry, STAGING_PREFIX):
            out.remove_tree(entry)
        elif name := _left_by_a_run(out, entry, SET_ASIDE_PREFIX):
            if out.kind(name) is None:
                out.rename(entry, name)  # killed between the two renames of _swap_in
            else:
                out.remove_tree(entry)


def _check_format_folders(out: OutputFolder, names: Sequence[str]) -> None:
    """Refuse a format folder that is not a folder, or that holds files the toolkit did not write."""
    for name in names:
        final = out.path / name
        mode = out.kind(name)
        if mode is None:
            continue
        if not stat.S_ISDIR(mode):
            raise ToolkitError(f"{final}: exists and is not a folder (it is {describe(mode)}); move it away, "
                               "the export writes a folder there")
        with out.subfolder(name) as folder:
            if folder.names() and not _marked(folder):
                raise ToolkitError(f"{final}: holds files that 'toolkit export' did not write; move them away "
                                   "or choose another --out, the export would replace the folder")


def _check_places(out_dir: Path, corpus_root: Path, names: Sequence[str]) -> None:
    """Refuse an output folder inside the corpus, and format folders that hold the corpus."""
    real_out, real_corpus = Path(os.path.realpath(out_dir)), Path(os.path.realpath(corpus_root))
    if real_out.is_relative_to(real_corpus):
        raise ToolkitError(f"{out_dir}: is inside the corpus {real_corpus}, where exported files would be taken "
                           "for annotations; choose an --out outside it")
    for name in names:
        if real_corpus.is_relative_to(real_out / name):
            raise ToolkitError(f"{out_dir / name}: holds the corpus {real_corpus}, and the export replaces this "
                               "folder; choose another --out")


def _check_out_dir(out_dir: Path, names: Sequence[str]) -> None:
    """Say before any work is done that the output folder cannot take the export; create nothing."""
    try:
        with OutputFolder.open(out_dir, create=False, role=_OUT_ROLE) as out:
            _check_format_folders(out, names)
    except FileNotFoundError:
        pass  # made when the export is written; a component that is a link or a file was refused above
    except OSError as error:
        raise _cannot_write(error, out_dir) from error


def _swap_in(out: OutputFolder, staged: dict[str, str]) -> None:
    """Move each staging folder into its format's place: all of them, or, on an error, none.

    Each previous export is first set aside, and only removed once every format
    is in place; an error puts back what was already swapped.
    """
    swapped: list[tuple[str, str, str | None]] = []  # (format, its staging name, the previous export set aside)
    try:
        for name, staging in staged.items():
            old = None
            if out.kind(name) is not None:
                old = out.unique_name(f"{SET_ASIDE_PREFIX}{name}-")
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


def _cannot_write(error: OSError, out_dir: Path) -> ToolkitError:
    where = error.filename or out_dir
    return ToolkitError(f"{where}: cannot write the export: {error.strerror or error}")


def write_tasks(names: Sequence[str], index: CorpusIndex, staged: dict[str, Path]) -> list[Callable[[], None]]:
    """Every part of the named formats as a task writing it into its staging folder, costliest first.

    A format's cost (``ExportFormat.cost``) is shared evenly among its parts. Started
    in this order, each process taking the next task when free, the processes
    end within about one small part of each other.
    """
    tasks = [(FORMATS[name].cost / len(format_parts), partial(_write_part, writer, index, staged[name]))
             for name in names for format_parts in [FORMATS[name].parts()] for _, writer in format_parts]
    return [task for _, task in sorted(tasks, key=lambda costed: -costed[0])]


def _write_part(writer: Writer, index: CorpusIndex, out: Path) -> None:
    # The cyclic collector would walk the whole corpus again and again as the
    # writers build their objects: a fifth of the time at 100,000 records
    # (performance edit, benchmarks/README.md).
    with cycle_collection_paused():
        writer(index, out)


def export(formats: Sequence[str] = ("all",), out_dir: Path | str = DEFAULT_OUT,
           corpus: Path | str = DEFAULT_CORPUS, *, jobs: int | None = None) -> ExportResult:
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
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: no such corpus folder")
    out_dir = Path(out_dir)
    root = find_corpus_root(corpus) or corpus.absolute()
    _check_places(out_dir, root, names)
    _check_out_dir(out_dir, names)
    checked = check_corpus(root, jobs=jobs)
    report = Report.of(checked.findings, len(checked.files), len(checked.index.records))
    if report.errors:
        raise ExportRefused(report)
    try:
        with OutputFolder.open(out_dir, create=True, role=_OUT_ROLE) as out, _locked(out):
            _clean_up_after_killed_runs(out)
            _check_format_folders(out, names)  # again: another run may have changed it while this one waited
            staged: dict[str, str] = {}
            try:
                # Every format is complete before any is moved into place, so a run
                # killed while writing changes nothing of the previous export. The
                # marker comes first, so the next run knows the folder for its own.
                for name in names:
                    staged[name] = out.make_unique_folder(f"{STAGING_PREFIX}{name}-")
                    with out.subfolder(staged[name]) as staging:
                        staging.create_file(MARKER_NAME, MARKER_BYTES)
                run_queued(write_tasks(names, checked.index, {name: out_dir / staging_name
                                                              for name, staging_name in staged.items()}),
                           processes_available(jobs))
                _swap_in(out, staged)
            finally:
                for staging_name in staged.values():
                    if out.kind(staging_name) is not None:
                        with suppress(OSError):
                            out.remove_tree(staging_name)
    except OutputRefused as refused:
        raise ToolkitError(f"{refused.path}: cannot write the export: {refused.reason}") from None
    except OSError as error:
        raise _cannot_write(error, out_dir) from error
    return ExportResult({name: out_dir / name for name in names})
