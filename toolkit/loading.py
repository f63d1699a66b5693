"""Loading: annotation files on disk to records that remember where they came from."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.findings import Finding, Severity
from toolkit.kinds import KIND_BY_FOLDER, YAML_SUFFIXES, Kind
from toolkit.yaml_strict import parse_yaml

# One record per file is a few kilobytes; a cap keeps a mistaken or hostile file
# (a log, a dump, an alias bomb written out) from being parsed at all.
MAX_FILE_BYTES = 1024 * 1024


@dataclass(slots=True)
class Record:
    """One annotation record: its kind, data and the file it was read from."""

    kind: Kind
    data: dict[str, Any]
    file: str  # as shown in findings
    path: Path  # on disk

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None


@dataclass(slots=True)
class LoadedCorpus:
    """Every record of one corpus folder, and the findings of files that failed to load."""

    root: Path
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def display_path(path: Path) -> str:
    """The path as findings show it: relative to the working directory when inside it."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    return shown.as_posix()


def read_text(path: Path, file: str) -> tuple[str | None, list[Finding]]:
    """Read a file as strict UTF-8 text, or say why it cannot be."""

    def fail(rule: str, message: str, line: int | None = None, column: int | None = None,
             hint: str | None = None) -> tuple[None, list[Finding]]:
        return None, [Finding(file, line, column, rule, Severity.ERROR, message, "", hint)]

    try:
        size = path.stat().st_size
        if path.is_dir():
            return fail("file-unreadable", "expected a file, found a directory")
        if size > MAX_FILE_BYTES:
            return fail("file-too-large", f"the file is {size:,} bytes, more than the cap of {MAX_FILE_BYTES:,}",
                        hint="one record per file is a few kilobytes; split the file or remove what does not belong")
        raw = path.read_bytes()
    except FileNotFoundError:
        return fail("file-unreadable", "the file does not exist")
    except OSError as error:
        return fail("file-unreadable", f"cannot read the file: {error.strerror or error}")
    if raw.startswith(b"\xef\xbb\xbf"):
        return fail("yaml-encoding", "the file starts with a byte-order mark (BOM)", 1, 1,
                    hint="save the file as UTF-8 without BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        return fail("yaml-encoding", f"byte 0x{raw[error.start]:02x} is not valid UTF-8", line, column,
                    hint="save the file as UTF-8 text")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return fail("yaml-encoding", "the file holds NUL bytes: it looks binary, not text", line,
                    hint="annotation files are UTF-8 YAML text")
    return text, []


def find_corpus_root(path: Path) -> Path | None:
    """The corpus folder a path belongs to: the folder holding the kind folders."""
    path = path.absolute()
    candidates = [path] if path.is_dir() else []
    candidates += list(path.parents)
    for candidate in candidates:
        if candidate.name in KIND_BY_FOLDER and candidate.parent != candidate:
            return candidate.parent
        if any((candidate / folder).is_dir() for folder in KIND_BY_FOLDER):
            return candidate
    return None


def annotation_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every YAML file named by ``paths`` (files as given, folders searched), sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and not p.is_dir()
            )
        else:
            yield path


def load_file(path: Path, kind: Kind | None, file: str | None = None) -> tuple[Record | None, list[Finding]]:
    """Read and parse one annotation file."""
    file = file or display_path(path)
    text, findings = read_text(path, file)
    if text is None:
        return None, findings
    result = parse_yaml(text, file)
    if result.data is None:
        return None, result.findings
    if kind is None:
        folders = ", ".join(f"{name}/" for name in KIND_BY_FOLDER)
        return None, [Finding(file, None, None, "file-kind-unknown", Severity.ERROR,
                              "cannot tell which kind of record this is from its folder",
                              "", f"put the file in one of the folders {folders}")]
    return Record(kind, result.data, file, path), []


def kind_for(path: Path, root: Path) -> Kind | None:
    """The kind of record a file holds, from the folder it sits in under the corpus root."""
    try:
        relative = path.absolute().relative_to(root)
    except ValueError:
        return None
    return KIND_BY_FOLDER.get(relative.parts[0]) if len(relative.parts) == 2 else None


def load_corpus(root: Path) -> LoadedCorpus:
    """Load every annotation file under a corpus folder."""
    root = root.absolute()
    corpus = LoadedCorpus(root)
    for path in annotation_files([root]):
        file = display_path(path)
        corpus.files.append(file)
        record, findings = load_file(path, kind_for(path, root), file)
        corpus.findings.extend(findings)
        if record is not None:
            corpus.records.append(record)
    return corpus


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path``, with symlinks resolved, lies inside ``folder``."""
    return os.path.commonpath([path.resolve(), folder.resolve()]) == str(folder.resolve())
