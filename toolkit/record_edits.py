"""Editing records in place: the corpus opened for an edit, and YAML rewritten keeping its comments and style.

Commands that change a record (``toolkit cite``, ``toolkit link``) find it by id in
the corpus, change its data, and write the file back:

- **Comments, key order, quoting and layout are kept**: the file is edited with
  ruamel.yaml's round-trip mode, set to the file's own layout: the indents of its
  first nested mapping and list (the corpus's are mappings by 2, list items by 2
  with their dash), its ``---`` and ``...`` markers, and its line ends (CRLF is
  written back as CRLF); no line wrapping. Every record of the corpus reads and
  writes back byte for byte. New text values are written double-quoted, as the
  corpus writes them.
- **The result is proved before it replaces the file**: the new text is parsed
  with the strict loader (``toolkit/yaml_strict.py``) and must give exactly the
  data intended (the old data, strictly read, with the same change made to it);
  after the write the file is read back and parsed again.
- **Written as everything else the toolkit writes** (``toolkit/output_files.py``):
  into a temporary file beside the record (with the record's mode), then renamed
  over it, through no symbolic link at or below the corpus folder, and only if the
  file still holds the bytes that were read, checked again just before the rename
  (an edit made meanwhile is not overwritten). A read-only record is not edited.
- **Edits take turns and are all-or-nothing**: an exclusive ``flock`` on the corpus
  folder is held from the first read to the last write, so commands run at once
  do not lose each other's change; the files of one command (both sides of a
  ``same-as``) are all staged before any is replaced, and restored if a later one
  fails. Not promised: an editor that saves in the instant between the last check
  and the rename (rename(2) cannot compare first).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import fcntl
import io
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.input_files import read_capped
from toolkit.loading import MAX_FILE_BYTES, display_path, find_corpus_root, load_corpus
from toolkit.model import Finding, Record
from toolkit.output_files import OutputFolder, OutputRefused, describe
from toolkit.schema_loader import load_schemas
from toolkit.validation import check_path_given, refuse_linked_corpus
from toolkit.yaml_strict import parse_yaml


class EditRefused(ToolkitError):
    """The record cannot be edited because its file has findings that stop it being read (exit 1, not 2)."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings


@dataclass
class OpenedCorpus:
    """A corpus loaded for a command: its index, and the findings of the files that did not load."""

    index: CorpusIndex
    broken: list[Finding]

    def record(self, record_id: str, kinds: tuple[str, ...] = ()) -> Record:
        """The record of ``record_id``; ``ToolkitError`` if there is none (or it is not of ``kinds``).

        When a file named after the id is there but cannot be read, ``EditRefused``
        carries its findings.
        """
        record = self.index.by_id.get(record_id)
        if record is None:
            broken = [f for f in self.broken if os.path.splitext(os.path.basename(f.file))[0] == record_id]
            if broken:
                raise EditRefused(f"{broken[0].file}: the record {record_id} cannot be read; fix it first", broken)
            raise ToolkitError(f"no record with id {record_id!r} in {display_path(self.index.root)}")
        if kinds and record.kind.name not in kinds:
            raise ToolkitError(f"{record_id} is a {record.kind.name}; this needs a {' or '.join(kinds)}")
        return record


def open_corpus(corpus: Path) -> OpenedCorpus:
    """The corpus at ``corpus`` (a corpus folder or one of its kind folders), loaded and indexed, unchecked.

    Raises ``ToolkitError`` for a path that does not exist, holds no corpus, or is
    reached through a symbolic link.
    """
    check_path_given(corpus)
    refuse_linked_corpus(corpus)
    root = find_corpus_root(corpus)
    if root is None:
        raise ToolkitError(f"{corpus}: not a corpus folder (one that holds sources/, actors/...); pass it as --corpus")
    refuse_linked_corpus(root)
    loaded = load_corpus(root, jobs=1)
    return OpenedCorpus(CorpusIndex(loaded.root, loaded.records, load_schemas()), loaded.findings)


def _round_trip(layout: _Layout) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never fold a long value onto more lines than it had
    yaml.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
    yaml.explicit_start = layout.explicit_start
    yaml.explicit_end = layout.explicit_end
    return yaml


@dataclass
class _Layout:
    """How a file lays its YAML out, as ruamel.yaml's writer is told: the corpus's by default."""

    mapping: int = 2
    sequence: int = 4  # column of a list item's content, from its key's
    offset: int = 2  # column of a list item's dash, from its key's
    explicit_start: bool = False
    explicit_end: bool = False
    crlf: bool = False


def _layout_of(text: str, tree: Any) -> _Layout:
    """The layout of ``text`` (loaded as ``tree``): its first nested mapping and list give the indents.

    Why: the writer lays out the whole file with one set of indents, so a file
    indented otherwise than the corpus would be re-indented whole by one edit.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    layout = _Layout()
    lines = text.split("\n")
    layout.crlf = len(lines) > 1 and all(line.endswith("\r") for line in lines[:-1])
    layout.explicit_start = any(line.rstrip("\r") == "---" or line.startswith("--- ") for line in lines)
    layout.explicit_end = any(line.rstrip("\r") == "..." for line in lines)
    found: set[str] = set()
    pending: list[Any] = [tree]
    while pending and len(found) < 2:
        node = pending.pop(0)
        if isinstance(node, CommentedSeq):
            pending.extend(node)
            continue
        if not isinstance(node, CommentedMap):
            continue
        for key in node:
            value = node[key]
            pending.append(value)
            line, column = node.lc.key(key)
            if not isinstance(value, CommentedMap | CommentedSeq) or not value or value.lc.line == line:
                continue  # empty, or a flow collection on the key's line: says nothing of the block layout
            if isinstance(value, CommentedMap) and "mapping" not in found:
                layout.mapping = max(1, value.lc.col - column)
                found.add("mapping")
            elif isinstance(value, CommentedSeq) and "sequence" not in found:
                offset = value.lc.col - column
                sequence = value.lc.item(0)[1] - column
                if offset >= 0 and sequence >= offset + 2:  # what the writer can lay out
                    layout.offset, layout.sequence = offset, sequence
                    found.add("sequence")
    return layout


def quoted_text(value: str) -> Any:
    """``value`` as text that the round-trip writer puts in double quotes (it is still a ``str``)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(value)


def new_mapping(items: dict[str, Any]) -> Any:
    """A mapping for the round-trip writer, written in block style in the order given (a ``dict``)."""
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap(items)


@dataclass(frozen=True)
class Edit:
    """What an edit did to one file."""

    path: Path
    changed: bool


Change = Callable[[dict[str, Any]], bool]


@dataclass
class _Prepared:
    """One record's edit, worked out and proved, before anything is written."""

    record: Record
    old: bytes
    new: bytes
    intended: Any


def edit_record(record: Record, root: Path, change: Change) -> Edit:
    """Apply ``change`` to the record's file, keeping its comments and style; write it only if it changed.

    ``change`` is called twice, on the strictly loaded data and on the round-trip
    tree (both are mappings; it must build new values with ``quoted_text`` and
    ``new_mapping``, and make the same change to both), and returns whether it
    changed anything. Raises ``ToolkitError`` if the file cannot be read or
    written, changed meanwhile, or if its rewritten text would not read back as
    the intended data (then nothing is written).
    """
    return edit_records(root, [(record, change)])[0]


def edit_records(root: Path, changes: list[tuple[Record, Change]]) -> list[Edit]:
    """Apply each change to its record's file (see ``edit_record``): all of them are written, or none.

    Edits of one corpus take turns (an exclusive ``flock`` on the corpus folder,
    held from the first read to the last write), so two commands run at once
    never lose each other's change. Each file must still hold the bytes read just
    before it is replaced; if a later file cannot be written, those written
    already get their old bytes back.
    """
    role = "the toolkit edits records only in real folders of the corpus"
    try:
        with OutputFolder.open(root, create=False, role=role) as top:
            _lock(top)
            prepared = [_prepare(record, root, change) for record, change in changes]
            _replace_all(top, root, [edit for edit in prepared if edit is not None], role)
    except OutputRefused as refused:
        raise ToolkitError(f"{display_path(refused.path)}: {refused.reason}") from None
    except OSError as error:
        where = display_path(Path(error.filename)) if error.filename else display_path(root)
        raise ToolkitError(f"cannot write {where}: {error.strerror or error}") from None
    edits = []
    for (record, _change), edit in zip(changes, prepared, strict=True):
        if edit is not None:
            _check_written(edit, root)
        edits.append(Edit(record.path, edit is not None))
    return edits


def _lock(folder: OutputFolder) -> None:
    """Wait for other edits of the corpus to finish; released when ``folder`` is closed."""
    try:
        fcntl.flock(folder.fd, fcntl.LOCK_EX)
    except OSError as error:
        # A file system without locks (some network ones): the check of each file's
        # bytes just before it is replaced still keeps an edit made meanwhile.
        if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
            raise


def _prepare(record: Record, root: Path, change: Change) -> _Prepared | None:
    """Read the record's file, change it, and prove the new text; None if ``change`` changed nothing."""
    path = record.path
    shown = record.file
    try:
        raw = read_capped(path, MAX_FILE_BYTES, within=root)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{shown}: cannot read it: {getattr(error, 'strerror', None) or error}") from None
    strict = parse_yaml(text, shown)
    if strict.data is None:
        raise EditRefused(f"{shown}: the record cannot be read; fix it first", strict.findings)
    intended = copy.deepcopy(strict.data)
    if not change(intended):
        return None
    from ruamel.yaml import YAML

    # Line ends are the file's own business: edited as LF, written back as they were.
    plain = text.replace("\r\n", "\n")
    layout = _layout_of(text, YAML(typ="rt").load(plain))
    yaml = _round_trip(layout)
    tree = yaml.load(plain)
    change(tree)
    out = io.StringIO()
    yaml.dump(tree, out)
    new_text = out.getvalue()
    if layout.crlf:
        new_text = new_text.replace("\n", "\r\n")
    written = parse_yaml(new_text, shown)
    if written.data != intended:
        raise ToolkitError(
            f"{shown}: the edited file would not read back as intended; nothing was written. "
            "This is a bug in toolkit: please report it with the file"
        )
    return _Prepared(record, raw, new_text.encode("utf-8"), intended)


def _check_written(edit: _Prepared, root: Path) -> None:
    """Read the file back after the write: it must hold the intended data."""
    shown = edit.record.file
    try:
        reread = parse_yaml(read_capped(edit.record.path, MAX_FILE_BYTES, within=root).decode("utf-8"), shown).data
    except (OSError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{shown}: cannot read it back after writing: {error}") from None
    if reread != edit.intended:
        raise ToolkitError(f"{shown}: changed by something else right after it was written; check it")


_EDITED_MEANWHILE = "it was edited while the toolkit changed it; run the command again"


def _replace_all(top: OutputFolder, root: Path, edits: list[_Prepared], role: str) -> None:
    """Replace each edited file by its new bytes, atomically each, and all or none of them.

    Every new text is written to a temporary file (with the mode of the file it
    replaces) before any file is replaced, so a folder that cannot be written or a
    full disk stops the edit before it changes anything.
    """
    opened: list[OutputFolder] = []
    staged: list[tuple[OutputFolder, str, str, _Prepared]] = []
    try:
        for edit in edits:
            folder = top
            for part in Path(os.path.relpath(edit.record.path, root)).parts[:-1]:
                folder = folder.subfolder(part, role=role)
                opened.append(folder)
            name = edit.record.path.name
            mode = folder.kind(name)
            if mode is None or not stat.S_ISREG(mode):
                what = "gone" if mode is None else describe(mode)
                raise OutputRefused(folder.path / name, f"is {what} now; it is left alone: {_EDITED_MEANWHILE}")
            if not mode & 0o222:
                raise OutputRefused(
                    folder.path / name,
                    f"is read-only (mode {stat.S_IMODE(mode):o}); the toolkit does not edit a file "
                    "made read-only: make it writable first",
                )
            staged.append((folder, name, folder.stage_file(name, edit.new, mode=stat.S_IMODE(mode)), edit))
        # Checked after the slow part, just before the renames: an edit saved meanwhile stays.
        for folder, name, _temporary, edit in staged:
            if folder.read_regular(name, len(edit.old) + 1) != edit.old:
                raise OutputRefused(folder.path / name, _EDITED_MEANWHILE)
        done: list[tuple[OutputFolder, str, str, _Prepared]] = []
        try:
            for folder, name, temporary, edit in staged:
                os.rename(temporary, name, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
                done.append((folder, name, temporary, edit))
        except BaseException:
            for folder, name, _temporary, edit in reversed(done):
                with contextlib.suppress(OSError, ToolkitError):
                    folder.write_file(
                        name,
                        edit.old,
                        replaces=edit.new.__eq__,
                        limit=len(edit.new) + 1,
                        refusal=_EDITED_MEANWHILE,
                    )
            raise
    finally:
        for folder, _name, temporary, _edit in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder.fd)
        for folder in opened:
            folder.close()
