"""``toolkit link A RELATION B``: add a link to a record, and for a symmetric relation its other side."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.links import LINKABLE, find_link, symmetric_relations
from toolkit.model import Record
from toolkit.record_edits import Change, edit_records, new_mapping, open_corpus, quoted_text
from toolkit.schema_loader import SchemaSet


@dataclass
class LinkResult:
    """What ``link`` wrote: each record's file it changed, and those it left as they were."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    symmetric: bool = False


def _set_link(record: Record, relation: str, target: str, certainty: str | None, note: str | None) -> Change:
    def change(data: dict[str, Any]) -> bool:
        links = data.get("links")
        if links is not None and not isinstance(links, list):
            raise ToolkitError(f"{record.file}: its links are not a list; fix it first")
        existing = find_link(data, relation, target)
        if existing is not None:
            changed = False
            for key, value in (("certainty", certainty), ("note", note)):
                if value is not None and existing.get(key) != value:
                    existing[key] = quoted_text(value) if key == "note" else value
                    changed = True
            return changed
        link: dict[str, Any] = {"relation": relation, "target": target}
        if certainty is not None:
            link["certainty"] = certainty
        if note is not None:
            link["note"] = quoted_text(note)
        if links is None:
            data["links"] = [new_mapping(link)]
        else:
            links.append(new_mapping(link))
        return True

    return change


def link(
    source_id: str,
    relation: str,
    target_id: str,
    *,
    certainty: str | None = None,
    note: str | None = None,
    back_note: str | None = None,
    corpus: Path = Path("annotations"),
) -> LinkResult:
    """Add the link ``source_id -relation-> target_id``; for a symmetric relation, write the other side too.

    A link already there keeps what is not given and takes the certainty and note
    that are. The other side of a symmetric link gets the same certainty and
    ``back_note`` (by default the same note); when the command names neither, they
    are taken from the side already written, so ``toolkit link A same-as B`` writes
    the missing side of a one-sided link. Raises ``ToolkitError`` for an unknown
    relation or certainty, a record that is missing or not an event or advisory, a
    link to itself, or a link the schema requires more of (a new ``same-as``
    needs a certainty and a note).
    """
    opened = open_corpus(corpus)
    schemas = opened.index.schemas
    relations = [entry["const"] for entry in schemas.vocabulary("link_relation")]
    if relation not in relations:
        raise ToolkitError(f"unknown relation {relation!r}: choose one of {', '.join(relations)}")
    certainties = [entry["const"] for entry in schemas.vocabulary("certainty")]
    if certainty is not None and certainty not in certainties:
        raise ToolkitError(f"unknown certainty {certainty!r}: choose one of {', '.join(certainties)}")
    if source_id == target_id:
        raise ToolkitError(f"{source_id} cannot be linked to itself")
    source = opened.record(source_id, LINKABLE)
    target = opened.record(target_id, LINKABLE)
    symmetric = relation in symmetric_relations(schemas)
    # What the schema requires of a link of this relation (same-as: a certainty and a note).
    required = _required_fields(schemas, relation)
    existing = find_link(source.data, relation, target_id)
    if symmetric and existing is None and certainty is None and note is None:
        back = find_link(target.data, relation, source_id)
        if back is not None:  # the side written already gives what the new side needs
            certainty = back.get("certainty") if isinstance(back.get("certainty"), str) else None
            note = back.get("note") if isinstance(back.get("note"), str) else None
    missing = [name for name, value in (("certainty", certainty), ("note", note)) if name in required and value is None]
    if existing is None and missing:
        raise ToolkitError(
            f"a {relation} link needs {' and '.join('--' + name for name in missing)}: say how sure the link is and why"
        )
    result = LinkResult(symmetric=symmetric)
    sides = [(source, target_id, note)]
    if symmetric:
        if certainty is None and existing is not None and isinstance(existing.get("certainty"), str):
            certainty = existing["certainty"]  # the other side agrees with this one
        other_note = back_note if back_note is not None else note
        if other_note is None and find_link(target.data, relation, source_id) is None:
            written_note = existing.get("note") if existing is not None else None
            other_note = written_note if isinstance(written_note, str) else None
        sides.append((target, source_id, other_note))
    changes: list[tuple[Record, Change]] = []
    for record, to, side_note in sides:
        if side_note is None and "note" in required and find_link(record.data, relation, to) is None:
            raise ToolkitError(f"a {relation} link needs --note for {record.id}: say why")
        changes.append((record, _set_link(record, relation, to, certainty, side_note)))
    # Both sides of a symmetric link, or neither: a one-sided same-as fails validation.
    for (record, _change), edit in zip(changes, edit_records(opened.index.root, changes), strict=True):
        (result.written if edit.changed else result.unchanged).append(record.file)
    return result


def _required_fields(schemas: SchemaSet, relation: str) -> set[str]:
    """The fields a link of ``relation`` must have beyond relation and target, read from the link schema's if/then."""
    definition = schemas.definition("link")
    required: set[str] = set()
    for rule in [definition, *definition.get("allOf", [])]:
        condition = rule.get("if", {}).get("properties", {}).get("relation", {})
        if condition.get("const") == relation:
            required |= set(rule.get("then", {}).get("required", []))
    return required
