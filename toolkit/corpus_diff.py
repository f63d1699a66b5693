"""``toolkit diff REF [REF2]``: what changed in the data of the corpus between two git refs.

A reviewer reads records, not YAML lines: records added, removed and renamed (the
same content, or the same evidence, under a new id), each field changed by its
path with the old and the new value, evidence quotes added or dropped, and the
references that the change leaves pointing at nothing.

The corpus at a ref is read from git's objects (``git ls-tree`` and ``git cat-file
--batch``), never checked out; without REF2 it is compared with the working tree,
read as ``toolkit validate`` reads it. Every file is parsed with the strict loader
(``toolkit/yaml_strict.py``); a file that does not parse is listed, not guessed at.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.kinds import KIND_BY_FOLDER, YAML_SUFFIXES
from toolkit.loading import MAX_FILE_BYTES, is_hidden
from toolkit.model import json_path
from toolkit.quoting import shortened, visible
from toolkit.reference_fields import reference_fields, values_at
from toolkit.schema_loader import load_schemas
from toolkit.yaml_strict import parse_yaml

WORKING_TREE = "the working tree"
# A value longer than this is cut in the diff (a note of a paragraph still reads).
_VALUE_SHOWN = 200


class _Missing:
    """The value of a field that is not there."""

    def __repr__(self) -> str:
        return "(none)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Snapshot:
    """The records of a corpus at one ref: (kind, file, data) by id, and the files that did not parse."""

    label: str
    records: dict[str, tuple[str, str, dict[str, Any]]]
    broken: list[tuple[str, str]]  # (file relative to the corpus, why)


@dataclass(frozen=True)
class FieldChange:
    """A value at a path of a record: ``MISSING`` as old or new when the field was added or removed."""

    path: str
    old: Any
    new: Any


@dataclass
class RecordChange:
    """What changed in one record (kept, or renamed from ``old_id``)."""

    id: str
    kind: str
    old_id: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    evidence_added: list[tuple[str, str]] = field(default_factory=list)
    evidence_dropped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BrokenReference:
    """A reference that resolves before the change and not after it (or is new and resolves to nothing)."""

    record: str
    path: str
    target: str


@dataclass
class CorpusDiff:
    """The semantic difference of a corpus between two refs."""

    old: str
    new: str
    added: list[tuple[str, str]] = field(default_factory=list)  # (id, kind)
    removed: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[RecordChange] = field(default_factory=list)
    changed: list[RecordChange] = field(default_factory=list)
    broken_references: list[BrokenReference] = field(default_factory=list)
    unparsed: list[tuple[str, str, str]] = field(default_factory=list)  # (label, file, why)

    @property
    def empty(self) -> bool:
        """Whether nothing changed in the data."""
        return not (self.added or self.removed or self.renamed or self.changed or self.broken_references)


# --- Reading the corpus at a ref ------------------------------------------------


def _git(top: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=top, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise ToolkitError("toolkit diff needs git, and git is not installed (or not on PATH)") from None
    if result.returncode != 0:
        message = os.fsdecode(result.stderr).strip().splitlines()
        raise ToolkitError(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
    return result.stdout


def _repository(folder: Path) -> Path:
    try:
        return Path(os.fsdecode(_git(folder, "rev-parse", "--show-toplevel")).strip())
    except ToolkitError:
        raise ToolkitError(f"toolkit diff needs a git repository, and {folder} is not inside one") from None


def _commit(top: Path, ref: str) -> str:
    unknown = f"{ref!r} is not a commit, branch or tag of this repository (in a shallow clone, fetch it first)"
    if not ref or ref.startswith("-"):  # never let a ref be read as an option of git
        raise ToolkitError(unknown)
    try:
        return os.fsdecode(_git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")).strip()
    except ToolkitError:
        raise ToolkitError(unknown) from None


def _record_place(relative: str) -> tuple[str, str] | None:
    """(kind, file name) for a path below the corpus that is a record's place (``events/x.yaml``), else None."""
    parts = relative.split("/")
    if len(parts) != 2 or is_hidden(parts[1]) or parts[0] not in KIND_BY_FOLDER:
        return None
    if os.path.splitext(parts[1])[1].lower() not in YAML_SUFFIXES:
        return None
    return KIND_BY_FOLDER[parts[0]].name, parts[1]


def _add(snapshot: Snapshot, kind: str, file: str, text: str) -> None:
    parsed = parse_yaml(text, file)
    if parsed.data is None:
        first = parsed.findings[0] if parsed.findings else None
        why = f"line {first.line}: {first.message}" if first is not None and first.line else "does not parse"
        snapshot.broken.append((file, why))
        return
    record_id = parsed.data.get("id")
    if not isinstance(record_id, str):
        snapshot.broken.append((file, "has no id"))
    elif record_id in snapshot.records:
        snapshot.broken.append((file, f"takes the id {record_id} of {snapshot.records[record_id][1]}"))
    else:
        snapshot.records[record_id] = (kind, file, parsed.data)


def _object_size(header: str, file: str, label: str) -> int:
    """The size in git's ``<sha> <type> <size>`` answer for ``file``; its ``<sha> missing`` is a ToolkitError."""
    parts = header.split()
    if len(parts) == 3 and parts[2].isdigit():
        return int(parts[2])
    # The tree names the object but the repository does not hold it: a damaged
    # repository, or a partial clone that has not fetched it. Not ours to repair.
    raise ToolkitError(
        f"{visible(file)} at {visible(label)}: git cannot read it ({visible(header.strip())}); the repository "
        "lacks this object (a damaged repository, or a partial clone that has not fetched it; `git fsck` says more)"
    )


def snapshot_at(top: Path, commit: str, corpus: str, label: str) -> Snapshot:
    """The corpus folder ``corpus`` (relative to the repository's top, '' for the top) at ``commit``."""
    snapshot = Snapshot(label, {}, [])
    prefix = f"{corpus}/" if corpus else ""
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *([corpus] if corpus else []))
    wanted: list[tuple[str, str, str]] = []  # (sha, kind, file)
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name_bytes = entry.partition(b"\t")
        mode, kind_of_object, sha = os.fsdecode(meta).split()
        name = os.fsdecode(name_bytes)
        if not name.startswith(prefix):
            continue
        place = _record_place(name[len(prefix) :])
        if place is None:
            continue
        file = name[len(prefix) :]
        if kind_of_object != "blob" or mode == "120000":
            snapshot.broken.append((file, "is not a regular file (a symbolic link, or a submodule); not read"))
            continue
        wanted.append((sha, place[0], file))
    if not wanted:
        return snapshot
    sizes = _git(top, "cat-file", "--batch-check", stdin="".join(f"{sha}\n" for sha, _, _ in wanted).encode())
    readable = []
    for (sha, kind, file), line in zip(wanted, sizes.decode().splitlines(), strict=True):
        size = _object_size(line, file, label)
        if size > MAX_FILE_BYTES:
            snapshot.broken.append((file, f"is {size:,} bytes, more than the cap of {MAX_FILE_BYTES:,}; not read"))
        else:
            readable.append((sha, kind, file))
    output = _git(top, "cat-file", "--batch", stdin="".join(f"{sha}\n" for sha, _, _ in readable).encode())
    position = 0
    for _sha, kind, file in readable:
        header_end = output.index(b"\n", position)
        size = _object_size(output[position:header_end].decode(errors="replace"), file, label)
        blob = output[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1  # the blob is followed by a newline
        try:
            _add(snapshot, kind, file, blob.decode("utf-8"))
        except UnicodeDecodeError:
            snapshot.broken.append((file, "is not UTF-8 text"))
    return snapshot


def snapshot_of_working_tree(root: Path) -> Snapshot:
    """The corpus folder ``root`` as it is on disk, read as ``toolkit validate`` reads it."""
    from toolkit.loading import load_corpus

    loaded = load_corpus(root, jobs=1)
    snapshot = Snapshot(WORKING_TREE, {}, [])
    for record in loaded.records:
        file = Path(os.path.relpath(record.path, loaded.root)).as_posix()
        record_id = record.id
        if record_id is None:
            snapshot.broken.append((file, "has no id"))
        elif record_id in snapshot.records:
            snapshot.broken.append((file, f"takes the id {record_id} of {snapshot.records[record_id][1]}"))
        else:
            snapshot.records[record_id] = (record.kind.name, file, record.data)
    for finding in loaded.findings:
        file = Path(os.path.relpath(os.path.abspath(finding.file), loaded.root)).as_posix()
        where = f"line {finding.line}: " if finding.line else ""
        snapshot.broken.append((file, f"{where}{finding.message}"))
    return snapshot


# --- Comparing ------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def field_changes(old: Any, new: Any, path: tuple[str | int, ...] = ()) -> list[FieldChange]:
    """The differences between two values, by the path of each (evidence left out at the top: see ``_evidence``).

    Mappings are compared key by key; lists of the same length item by item;
    lists whose length changed by the items added and removed.
    """
    if old == new and type(old) is type(new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in [*old, *(key for key in new if key not in old)]:
            if not path and key == "evidence":
                continue
            changes += field_changes(old.get(key, MISSING), new.get(key, MISSING), path + (key,))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        if len(old) == len(new):
            pairs = zip(old, new, strict=True)
            return [change for index, (a, b) in enumerate(pairs) for change in field_changes(a, b, path + (index,))]
        before, after = Counter(map(_canonical, old)), Counter(map(_canonical, new))
        dropped = [item for item in old if _take(before, after, item)]
        added = [item for item in new if _take(after, before, item)]
        return [FieldChange(json_path(path), item, MISSING) for item in dropped] + [
            FieldChange(json_path(path), MISSING, item) for item in added
        ]
    return [FieldChange(json_path(path), old, new)]


def _take(mine: Counter[str], theirs: Counter[str], item: Any) -> bool:
    """Whether ``item`` is one of those ``mine`` has more of than ``theirs`` (counting it off ``mine``)."""
    key = _canonical(item)
    if mine[key] > theirs[key]:
        mine[key] -= 1
        return True
    return False


def _quotes(data: dict[str, Any]) -> list[tuple[str, str]]:
    evidence = data.get("evidence")
    return [
        (item["source"], item["quote"])
        for item in (evidence if isinstance(evidence, list) else [])
        if isinstance(item, dict) and isinstance(item.get("source"), str) and isinstance(item.get("quote"), str)
    ]


def _evidence(change: RecordChange, old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = Counter(_quotes(old)), Counter(_quotes(new))
    change.evidence_dropped = sorted((before - after).elements())
    change.evidence_added = sorted((after - before).elements())
    # A note on a quote that stays: shown as a field of the item it is on now.
    old_evidence = old.get("evidence")
    old_items = [item for item in old_evidence if isinstance(item, dict)] if isinstance(old_evidence, list) else []
    new_evidence = new.get("evidence")
    new_items: list[Any] = new_evidence if isinstance(new_evidence, list) else []
    for index, item in enumerate(new_items):
        if not isinstance(item, dict):
            continue
        match = next(
            (o for o in old_items if o.get("source") == item.get("source") and o.get("quote") == item.get("quote")),
            None,
        )
        if match is not None:
            change.fields += field_changes(
                {k: v for k, v in match.items() if k not in ("source", "quote")},
                {k: v for k, v in item.items() if k not in ("source", "quote")},
                ("evidence", index),
            )


def _without_id(data: dict[str, Any]) -> str:
    return _canonical({key: value for key, value in data.items() if key != "id"})


def _unresolved(snapshot: Snapshot) -> set[BrokenReference]:
    found: set[BrokenReference] = set()
    fields = reference_fields(load_schemas())
    for record_id, (kind, _file, data) in snapshot.records.items():
        for reference in fields:
            if reference.kind != kind:
                continue
            for path, value in values_at(data, reference.path):
                if isinstance(value, str) and value not in snapshot.records:
                    found.add(BrokenReference(record_id, json_path(path), value))
    return found


def _same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return _without_id(old) == _without_id(new)


def _same_evidence(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return bool(_quotes(old)) and Counter(_quotes(old)) == Counter(_quotes(new))


def compare(old: Snapshot, new: Snapshot) -> CorpusDiff:
    """The semantic difference from ``old`` to ``new``."""
    diff = CorpusDiff(old.label, new.label)
    removed = sorted(set(old.records) - set(new.records))
    added = sorted(set(new.records) - set(old.records))
    # Renames: a removed record and an added one of the same kind with the same content
    # (but the id), or failing that the same evidence; each record in one pair at most.
    paired: dict[str, str] = {}
    for same in (_same_content, _same_evidence):
        for old_id in removed:
            if old_id in paired:
                continue
            old_kind, _, old_data = old.records[old_id]
            for new_id in added:
                new_kind, _, new_data = new.records[new_id]
                if new_id not in paired.values() and old_kind == new_kind and same(old_data, new_data):
                    paired[old_id] = new_id
                    break
    for old_id, new_id in sorted(paired.items(), key=lambda pair: pair[1]):
        kind, _, old_data = old.records[old_id]
        change = RecordChange(new_id, kind, old_id, field_changes(old_data, new.records[new_id][2]))
        change.fields = [f for f in change.fields if f.path != "$.id"]
        _evidence(change, old_data, new.records[new_id][2])
        diff.renamed.append(change)
    diff.removed = [(i, old.records[i][0]) for i in removed if i not in paired]
    diff.added = [(i, new.records[i][0]) for i in added if i not in paired.values()]
    for record_id in sorted(set(old.records) & set(new.records)):
        kind, _, old_data = old.records[record_id]
        new_data = new.records[record_id][2]
        if old_data == new_data:
            continue
        change = RecordChange(record_id, new.records[record_id][0], None, field_changes(old_data, new_data))
        _evidence(change, old_data, new_data)
        if change.fields or change.evidence_added or change.evidence_dropped:
            diff.changed.append(change)
    diff.broken_references = sorted(_unresolved(new) - _unresolved(old), key=lambda b: (b.record, b.path, b.target))
    diff.unparsed = [(old.label, file, why) for file, why in sorted(old.broken)] + [
        (new.label, file, why) for file, why in sorted(new.broken)
    ]
    return diff


def diff_corpus(ref: str, ref2: str | None = None, corpus: Path = Path("annotations")) -> CorpusDiff:
    """The semantic diff of the corpus folder ``corpus`` from ``ref`` to ``ref2`` (default: the working tree).

    Raises ``ToolkitError`` outside a git repository, for a ref git does not
    know, or a corpus folder that is not there (in the working tree) or is a link.
    """
    from toolkit.validation import check_path_given, refuse_linked_corpus

    check_path_given(corpus)
    refuse_linked_corpus(corpus)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: not a folder; pass the corpus folder as --corpus")
    top = _repository(corpus if corpus.is_absolute() else Path(os.path.abspath(corpus)))
    relative = Path(os.path.relpath(os.path.realpath(corpus), os.path.realpath(top))).as_posix()
    if relative.startswith("../"):
        raise ToolkitError(f"{corpus}: not inside the repository at {top}")
    relative = "" if relative == "." else relative
    old = snapshot_at(top, _commit(top, ref), relative, ref)
    new = (
        snapshot_at(top, _commit(top, ref2), relative, ref2)
        if ref2 is not None
        else snapshot_of_working_tree(Path(os.path.abspath(corpus)))
    )
    return compare(old, new)


# --- Rendering ------------------------------------------------------------------


def _value(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return visible(shortened(text, _VALUE_SHOWN))


def _counts(diff: CorpusDiff) -> str:
    parts = [
        (len(diff.added), "added"),
        (len(diff.removed), "removed"),
        (len(diff.renamed), "renamed"),
        (len(diff.changed), "changed"),
    ]
    text = ", ".join(f"{count} {what}" for count, what in parts)
    if diff.broken_references:
        text += f"; {len(diff.broken_references)} reference(s) broken"
    return text


def render_text(diff: CorpusDiff) -> str:
    """The diff as plain text, for a terminal."""
    lines = [f"corpus changes from {diff.old} to {diff.new}: {_counts(diff)}"]
    lines += [f"added    {record_id} ({kind})" for record_id, kind in diff.added]
    lines += [f"removed  {record_id} ({kind})" for record_id, kind in diff.removed]
    for change in diff.renamed:
        lines.append(f"renamed  {change.old_id} -> {change.id} ({change.kind})")
        lines += _text_details(change)
    for change in diff.changed:
        lines.append(f"changed  {change.id} ({change.kind})")
        lines += _text_details(change)
    if diff.broken_references:
        lines.append("references broken by the change:")
        lines += [f"  {b.record} {b.path} -> {_value(b.target)} (no such record)" for b in diff.broken_references]
    if diff.unparsed:
        lines.append("files that could not be read (left out of the comparison):")
        lines += [f"  {label}: {_value(file)}: {_value(why)}" for label, file, why in diff.unparsed]
    return "\n".join(lines) + "\n"


def _text_details(change: RecordChange) -> list[str]:
    lines = [f"  {f.path}: {_value(f.old)} -> {_value(f.new)}" for f in change.fields]
    lines += [f"  + evidence ({source}): {_value(quote)}" for source, quote in change.evidence_added]
    lines += [f"  - evidence ({source}): {_value(quote)}" for source, quote in change.evidence_dropped]
    return lines


def _code(value: Any) -> str:
    """A value as a Markdown code span: nothing in it is read as Markdown or HTML."""
    text = _value(value)
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(diff: CorpusDiff) -> str:
    """The diff as GitHub-flavoured Markdown, for a pull request's job summary."""
    lines = [f"## Corpus changes: {_code(diff.old)} → {_code(diff.new)}", "", _counts(diff) + ".", ""]
    if diff.empty and not diff.unparsed:
        return "\n".join([*lines[:2], "No record changed.", ""])
    if diff.added:
        lines += ["### Added", ""] + [f"- {_code(i)} ({kind})" for i, kind in diff.added] + [""]
    if diff.removed:
        lines += ["### Removed", ""] + [f"- {_code(i)} ({kind})" for i, kind in diff.removed] + [""]
    if diff.renamed:
        lines += ["### Renamed", ""]
        for change in diff.renamed:
            lines += [f"- {_code(change.old_id)} → {_code(change.id)} ({change.kind})", *_markdown_details(change)]
        lines.append("")
    if diff.changed:
        lines += ["### Changed", ""]
        for change in diff.changed:
            lines += [f"- {_code(change.id)} ({change.kind})", *_markdown_details(change)]
        lines.append("")
    broken = diff.broken_references
    if broken:
        lines += ["### References broken by the change", ""]
        lines += [f"- {_code(b.record)} at {_code(b.path)} → {_code(b.target)}: no such record" for b in broken]
        lines.append("")
    if diff.unparsed:
        lines += ["### Files that could not be read", ""]
        lines += [f"- {_code(label)}: {_code(file)}: {_code(why)}" for label, file, why in diff.unparsed]
        lines.append("")
    return "\n".join(lines)


def _markdown_details(change: RecordChange) -> list[str]:
    lines = [f"  - {_code(f.path)}: {_code(f.old)} → {_code(f.new)}" for f in change.fields]
    lines += [f"  - evidence added from {_code(s)}: {_code(q)}" for s, q in change.evidence_added]
    lines += [f"  - evidence dropped from {_code(s)}: {_code(q)}" for s, q in change.evidence_dropped]
    return lines
