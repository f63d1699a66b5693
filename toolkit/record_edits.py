"""Editing records in place: the corpus opened for an edit, and YAML rewritten keeping its comments and style.

Commands that change a record (``toolkit cite``, ``toolkit link``) find it by id in
the corpus, change its data, and write the file back:

- **Comments, key order, quoting and layout are kept**: the file is edited with
  ruamel.yaml's round-trip mode, set to the layout the corpus uses (mappings
  indented by 2, list items by 2 with their dash, no line wrapping), under which
  every record of the corpus reads and writes back byte for byte. New text values
  are written double-quoted, as the corpus writes them.
- **The result is proved before it replaces the file**: the new text is parsed
  with the strict loader (``toolkit/yaml_strict.py``) and must give exactly the
  data intended (the old data, strictly read, with the same change made to it);
  after the write the file is read back and parsed again.
- **Written as everything else the toolkit writes** (``toolkit/output_files.py``):
  into a temporary file beside the record, then renamed over it, through no
  symbolic link at or below the corpus folder, and only if the file still holds
  the bytes that were read (an edit made meanwhile is not overwritten).
"""

from __future__ import annotations

import copy
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.input_files import read_capped
from toolkit.loading import MAX_FILE_BYTES, display_path, find_corpus_root, load_corpus
from toolkit.model import Finding, Record
from toolkit.output_files import OutputFolder, OutputRefused
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


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never fold a long value onto more lines than it had
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


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


def edit_record(record: Record, root: Path, change: Callable[[dict[str, Any]], bool]) -> Edit:
    """Apply ``change`` to the record's file, keeping its comments and style; write it only if it changed.

    ``change`` is called twice, on the strictly loaded data and on the round-trip
    tree (both are mappings; it must build new values with ``quoted_text`` and
    ``new_mapping``, and make the same change to both), and returns whether it
    changed anything. Raises ``ToolkitError`` if the file cannot be read or
    written, changed meanwhile, or if its rewritten text would not read back as
    the intended data (then nothing is written).
    """
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
        return Edit(path, False)
    yaml = _round_trip()
    tree = yaml.load(text)
    change(tree)
    out = io.StringIO()
    yaml.dump(tree, out)
    new_text = out.getvalue()
    written = parse_yaml(new_text, shown)
    if written.data != intended:
        raise ToolkitError(
            f"{shown}: the edited file would not read back as intended; nothing was written. "
            "This is a bug in toolkit: please report it with the file"
        )
    _replace(path, root, raw, new_text.encode("utf-8"))
    try:
        reread = parse_yaml(read_capped(path, MAX_FILE_BYTES, within=root).decode("utf-8"), shown).data
    except (OSError, UnicodeDecodeError) as error:
        raise ToolkitError(f"{shown}: cannot read it back after writing: {error}") from None
    if reread != intended:
        raise ToolkitError(f"{shown}: changed by something else right after it was written; check it")
    return Edit(path, True)


def _replace(path: Path, root: Path, old: bytes, new: bytes) -> None:
    """Replace the record file ``path`` of the corpus ``root`` by ``new``, atomically, if it still holds ``old``."""
    role = "the toolkit edits records only in real folders of the corpus"
    relative = Path(os.path.relpath(path, root))
    try:
        with OutputFolder.open(root, create=False, role=role) as folder:
            opened = [folder]
            try:
                for part in relative.parts[:-1]:
                    opened.append(opened[-1].subfolder(part, role=role))
                opened[-1].write_file(
                    relative.name,
                    new,
                    replaces=lambda content: content == old,
                    limit=len(old) + 1,
                    refusal="it was edited while the toolkit changed it; run the command again",
                )
            finally:
                for sub in opened[1:]:
                    sub.close()
    except OutputRefused as refused:
        raise ToolkitError(f"{display_path(refused.path)}: {refused.reason}") from None
    except OSError as error:
        raise ToolkitError(f"cannot write {display_path(path)}: {error.strerror or error}") from None
