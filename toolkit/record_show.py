"""``toolkit show ID``: a record, what refers to it and how, and the sources its evidence cites.

What refers to a record is read with the reference table (``toolkit/reference_fields.py``,
derived from the schemas), so a new reference field is shown without a change
here. Each reference is named by the referring record and the field path
(``participants[2].actor``), with the values beside it that say how: a
vocabulary value (``perpetrator``, ``same-as``) or a required text (a position's
title, an evidence quote).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolkit.kinds import KINDS
from toolkit.model import Record, json_path
from toolkit.positions import locate
from toolkit.quoting import shown, visible
from toolkit.record_search import CorpusRecords, SearchIndex, read_corpus, shown_name
from toolkit.reference_fields import EACH, reference_fields, values_at
from toolkit.schema_fields import Field, choices, kind_fields
from toolkit.schema_loader import SchemaSet, load_schemas

# How many "did you mean" ids an unknown id gets.
SUGGESTIONS = 5


class RecordNotFound(Exception):
    """No record has the id asked for; ``suggestions`` are the closest records (``toolkit find``)."""

    def __init__(self, record_id: str, suggestions: list[Record], unreadable: int) -> None:
        super().__init__(f"no record has the id {record_id!r}")
        self.record_id = record_id
        self.suggestions = suggestions
        self.unreadable = unreadable


@dataclass(frozen=True)
class Reference:
    """One place in another record that holds the id shown."""

    record: Record
    path: tuple[str | int, ...]
    details: dict[str, Any]  # the values beside it that say how: {"role": "perpetrator"}

    @property
    def field(self) -> str:
        """The field path as people write it: ``participants[2].actor``."""
        return json_path(self.path).removeprefix("$.")


@dataclass(frozen=True)
class Citation:
    """A source the record's evidence cites, and how many of its quotes come from it."""

    source_id: str
    source: Record | None  # None when no record has that id (validate reports it)
    quotes: int


@dataclass(frozen=True)
class Shown:
    """Everything ``toolkit show`` prints about one record."""

    record: Record
    referenced_by: list[Reference]
    cites: list[Citation]
    same_id: list[Record] = field(default_factory=list)  # other records with this id (an id-duplicate)
    unreadable: int = 0


def show(record_id: str, corpus: Path | str = Path("annotations"), *, jobs: int | None = None) -> Shown:
    """The record ``record_id`` of ``corpus``, what refers to it, and the sources it cites.

    Raises RecordNotFound (with the closest ids, as ``toolkit find`` ranks them)
    when no record has the id, and ToolkitError when the corpus cannot be read.
    """
    loaded = read_corpus(corpus, jobs=jobs)
    return show_in(record_id, loaded)


def show_in(record_id: str, loaded: CorpusRecords, schemas: SchemaSet | None = None) -> Shown:
    """``show`` over records already loaded."""
    schemas = schemas or load_schemas()
    matching = [record for record in loaded.records if record.id == record_id]
    if not matching:
        found = SearchIndex.build(loaded.records).search(record_id, limit=SUGGESTIONS) if record_id.strip() else []
        raise RecordNotFound(record_id, [match.record for match in found], loaded.unreadable)
    record = matching[0]
    fields = reference_fields(schemas)
    trees = {kind.name: kind_fields(kind.name, schemas) for kind in KINDS}
    referenced_by: list[Reference] = []
    cited: dict[str, int] = {}
    for other in loaded.records:
        for reference in fields:
            if reference.kind != other.kind.name:
                continue
            for parts, value in values_at(other.data, reference.path):
                if other is record and "source" in reference.targets and isinstance(value, str):
                    cited[value] = cited.get(value, 0) + 1
                if value == record_id and other is not record:
                    details = _details(other.data, parts, trees[other.kind.name], reference.path)
                    referenced_by.append(Reference(other, parts, details))
    by_id = {r.id: r for r in reversed(loaded.records) if r.id is not None}
    cites = [Citation(source, by_id.get(source), count) for source, count in cited.items()]
    return Shown(record, referenced_by, cites, matching[1:], loaded.unreadable)


def _details(data: Any, parts: tuple[str | int, ...], tree: tuple[Field, ...], path: tuple[str, ...]) -> dict[str, Any]:
    """The values beside a reference that say how it refers: vocabulary values and required texts.

    Only inside a list item (a participant, an affiliation, a link): the fields
    beside a top-level reference (an event's ``location``) describe the record.
    """
    if len(parts) < 2:
        return {}
    siblings = _fields_at(tree, path[:-1])
    parent: Any = data
    for part in parts[:-1]:
        parent = parent[part]
    if not isinstance(parent, dict):
        return {}
    details: dict[str, Any] = {}
    for sibling in siblings:
        if sibling.name == path[-1] or sibling.name not in parent:
            continue
        value = parent[sibling.name]
        vocabulary = bool(choices(sibling.schema)) or bool(choices(sibling.items))
        required_text = sibling.required and sibling.schema.get("type") == "string" and not sibling.definition
        required_text = required_text or (sibling.required and sibling.definition == "text")
        if (vocabulary or required_text) and isinstance(value, (str, int, float, bool, list)):
            details[sibling.name] = value
    return details


def _fields_at(tree: tuple[Field, ...], path: tuple[str, ...]) -> tuple[Field, ...]:
    """The fields of the mapping at ``path`` (field names and EACH) in a kind's field tree."""
    fields = tree
    for step in path:
        if step == EACH:
            continue
        found = next((f for f in fields if f.name == step), None)
        if found is None:
            return ()
        fields = found.fields
    return fields


def _place(record: Record, parts: tuple[str | int, ...]) -> str:
    line, _column = locate(record.path, parts)
    return f"{record.file}:{line}" if line is not None else record.file


def _detail_text(details: dict[str, Any]) -> str:
    values = [shown(str(value), 60) for value in details.values()]
    return f" ({', '.join(values)})" if values else ""


def render_text(result: Shown) -> str:
    """The record as ``toolkit show`` prints it by default."""
    record = result.record
    name = shown_name(record)
    lines = [f"{record.id} ({record.kind.name}){': ' + shown(name, 200) if name else ''}", f"{record.file}", ""]
    dumped = yaml.safe_dump(record.data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    lines += ["  " + line for line in dumped.rstrip("\n").split("\n")]
    for other in result.same_id:
        lines += ["", f"Another record has this id: {other.file} (toolkit validate reports it)"]
    lines.append("")
    if result.referenced_by:
        lines.append(f"Referred to by {len(result.referenced_by)}:")
        for reference in result.referenced_by:
            what = f"{reference.record.id} {reference.field}{_detail_text(reference.details)}"
            lines.append(f"  {what}  {_place(reference.record, reference.path)}")
    else:
        lines.append("Referred to by no record.")
    if result.cites:
        lines.append(f"Its evidence cites {len(result.cites)} source{'s' if len(result.cites) != 1 else ''}:")
        for citation in result.cites:
            quotes = f"{citation.quotes} quote{'s' if citation.quotes != 1 else ''}"
            title = shown_name(citation.source) if citation.source else ""
            place = citation.source.file if citation.source else "no such record"
            lines.append(f"  {citation.source_id} ({quotes}){': ' + shown(title, 100) if title else ''}  {place}")
    else:
        lines.append("Its evidence cites no source.")
    # YAML leaves bidi overrides, zero-width and C1 characters raw: each line is made
    # visible (as `toolkit find` shows names), so a value cannot reorder or hide the view.
    return "\n".join(map(visible, lines)) + "\n"


def as_json(result: Shown) -> dict[str, Any]:
    """The record, what refers to it and what it cites, as ``toolkit show --format json`` writes them."""
    record = result.record

    def line_of(other: Record, parts: tuple[str | int, ...]) -> int | None:
        return locate(other.path, parts)[0]

    return {
        "id": record.id,
        "kind": record.kind.name,
        "name": shown_name(record) or None,
        "file": record.file,
        "record": record.data,
        "referenced_by": [
            {
                "id": reference.record.id,
                "kind": reference.record.kind.name,
                "field": reference.field,
                "details": reference.details,
                "file": reference.record.file,
                "line": line_of(reference.record, reference.path),
            }
            for reference in result.referenced_by
        ],
        "cites": [
            {
                "source": citation.source_id,
                "title": shown_name(citation.source) if citation.source else None,
                "quotes": citation.quotes,
                "file": citation.source.file if citation.source else None,
            }
            for citation in result.cites
        ],
        "same_id": [other.file for other in result.same_id],
        "unreadable_files": result.unreadable,
    }
