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
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.exporters import EXPORTER_BY_NAME, WRITE_COST, Writer, parts
from toolkit.findings import Finding
from toolkit.lanes import lanes_available, run_queued
from toolkit.loading import find_corpus_root
from toolkit.validation import DEFAULT_CORPUS, Report, check_corpus, cycle_collection_paused

DEFAULT_OUT = Path("exports")
LOCK_NAME = ".toolkit-export.lock"
STAGING_PREFIX = ".tmp-"  # .tmp-<format>-<random>: a format being written
SET_ASIDE_PREFIX = ".old-"  # .old-<format>-<pid>: the previous export, for an instant
# Marks a format folder as written by this command, so that a folder of the same
# name holding someone's own files is never replaced (and so never lost).
MARKER_NAME = ".toolkit-export"
MARKER_TEXT = "Written by 'toolkit export'; the whole folder is replaced by the next export.\n"


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
def _locked(out_dir: Path) -> Iterator[None]:
    # Two exports into one folder take turns, so their files never interleave. The
    # kernel drops the lock when its holder dies, even by SIGKILL.
    with open(out_dir / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _left_by_a_run(entry: Path, prefix: str) -> str | None:
    """The format a staging or set-aside folder was made for; None for anything else."""
    if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
        return None
    name = entry.name[len(prefix):].rpartition("-")[0]
    return name if name in EXPORTER_BY_NAME else None


def _clean_up_after_killed_runs(out_dir: Path) -> None:
    """Remove the staging folders of runs that died; put back an export set aside."""
    for entry in sorted(out_dir.iterdir()):
        if _left_by_a_run(entry, STAGING_PREFIX):
            shutil.rmtree(entry)
        elif name := _left_by_a_run(entry, SET_ASIDE_PREFIX):
            if not (out_dir / name).exists():
                os.rename(entry, out_dir / name)  # killed between the two renames of _replace_folder
            else:
                shutil.rmtree(entry)


def _check_out_dir(out_dir: Path, names: Sequence[str]) -> None:
    """Say before any work is done that the output folder cannot take the export."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ToolkitError(f"{out_dir}: exists and is not a folder; choose another --out")
    for name in names:
        final = out_dir / name
        if final.is_symlink() or (final.exists() and not final.is_dir()):
            raise ToolkitError(f"{final}: exists and is not a folder (a file or a link); move it away, "
                               "the export writes a folder there")
        if final.is_dir() and any(final.iterdir()) and not (final / MARKER_NAME).is_file():
            raise ToolkitError(f"{final}: holds files that 'toolkit export' did not write; move them away "
                               "or choose another --out, the export would replace the folder")


def _replace_folder(new: Path, final: Path) -> None:
    """Put ``new`` where ``final`` is; the old folder is only removed once the new one is in place."""
    old = None
    if final.exists():
        old = final.with_name(f"{SET_ASIDE_PREFIX}{final.name}-{os.getpid()}")
        os.rename(final, old)
    os.rename(new, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_tasks(names: Sequence[str], index: CorpusIndex, staged: dict[str, Path]) -> list[Callable[[], None]]:
    """Every part of the named formats as a task writing it into its staging folder, costliest first.

    A format's cost (``WRITE_COST``) is shared evenly among its parts. Started
    in this order, each process taking the next task when free, the processes
    end within about one small part of each other.
    """
    tasks = [(WRITE_COST[name] / len(format_parts), partial(_write_part, writer, index, staged[name]))
             for name in names for format_parts in [parts(name)] for _, writer in format_parts]
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
    names = list(EXPORTER_BY_NAME) if "all" in formats else list(dict.fromkeys(formats))
    unknown = [name for name in names if name not in EXPORTER_BY_NAME]
    if unknown:
        raise ToolkitError(f"unknown export format {unknown[0]!r}; choose from {', '.join(EXPORTER_BY_NAME)}, all")
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: no such corpus folder")
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, names)
    root = find_corpus_root(corpus) or corpus.absolute()
    checked = check_corpus(root, jobs=jobs)
    report = Report(tuple(sorted(set(checked.findings), key=Finding.sort_key)), len(checked.files),
                    len(checked.index.records))
    if report.errors:
        raise ExportRefused(report)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            _clean_up_after_killed_runs(out_dir)
            _check_out_dir(out_dir, names)  # again: another run may have changed it while this one waited
            staged: dict[str, Path] = {}
            try:
                # Every format is complete before any is moved into place, so a run
                # killed while writing changes nothing of the previous export.
                for name in names:
                    staged[name] = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{name}-", dir=out_dir))
                run_queued(write_tasks(names, checked.index, staged), lanes_available(jobs))
                for staging in staged.values():
                    (staging / MARKER_NAME).write_text(MARKER_TEXT, encoding="utf-8")
                for name, staging in staged.items():
                    _replace_folder(staging, out_dir / name)
            finally:
                for staging in staged.values():
                    shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        where = error.filename or out_dir
        raise ToolkitError(f"{where}: cannot write the export: {error.strerror or error}") from error
    return ExportResult({name: out_dir / name for name in names})
