"""Export a valid corpus to each format, atomically: never a half-written export."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.exporters import EXPORTER_BY_NAME, exporter
from toolkit.findings import Finding
from toolkit.loading import find_corpus_root
from toolkit.validate import DEFAULT_CORPUS, Report, check_corpus

DEFAULT_OUT = Path("exports")
LOCK_NAME = ".toolkit-export.lock"


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
    # Two exports into one folder take turns, so their files never interleave.
    with open(out_dir / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace_folder(new: Path, final: Path) -> None:
    """Put ``new`` where ``final`` is; the old folder is only removed once the new one is in place."""
    if final.exists() and not final.is_dir():
        raise ToolkitError(f"{final}: exists and is not a folder")
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        os.rename(final, old)
    os.rename(new, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export(formats: Sequence[str] = ("all",), out_dir: Path | str = DEFAULT_OUT,
           corpus: Path | str = DEFAULT_CORPUS) -> ExportResult:
    """Validate the corpus, then write each format into ``out_dir/<format>/``.

    Raises ``ExportRefused`` if the corpus has errors (nothing is written) and
    ``ToolkitError`` for usage and I/O problems.
    """
    names = list(EXPORTER_BY_NAME) if "all" in formats else list(dict.fromkeys(formats))
    unknown = [name for name in names if name not in EXPORTER_BY_NAME]
    if unknown:
        raise ToolkitError(f"unknown export format {unknown[0]!r}; choose from {', '.join(EXPORTER_BY_NAME)}, all")
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: no such corpus folder")
    root = find_corpus_root(corpus) or corpus.absolute()
    checked = check_corpus(root)
    report = Report(tuple(sorted(set(checked.findings), key=Finding.sort_key)), len(checked.files),
                    len(checked.index.records))
    if report.errors:
        raise ExportRefused(report)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        folders: dict[str, Path] = {}
        with _locked(out_dir):
            for name in names:
                staging = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=out_dir))
                try:
                    exporter(name)(checked.index, staging)
                    _replace_folder(staging, out_dir / name)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                folders[name] = out_dir / name
    except OSError as error:
        raise ToolkitError(f"{error.filename or out_dir}: cannot write the export: {error.strerror or error}") from error
    return ExportResult(folders)
