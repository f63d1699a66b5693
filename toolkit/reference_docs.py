"""The reference documentation of the data model, generated from the schemas.

Every field of every kind of record and every value of every controlled
vocabulary, with its description, as Markdown. ``docs/reference.md`` is this
module's output; a test fails when it is out of date. Regenerate it with::

    python -m toolkit.reference_docs docs/reference.md
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit.kinds import KINDS
from toolkit.model import Kind
from toolkit.schema_fields import Field, choices, kind_fields
from toolkit.schema_loader import SchemaSet, load_schemas

REGENERATE = "python -m toolkit.reference_docs docs/reference.md"

# How a field's definition reads in the Type column; other fields are named by JSON type.
_DEFINITION_LABELS = {
    "text": "text",
    "note": "text",
    "calendar_date": "date: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`",
    "linkable_id": "event or advisory id",
}
_JSON_TYPES = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
    "object": "mapping",
    "array": "list",
}
# Columns for the extra keys (x-...) that some vocabulary values carry.
_EXTRA_COLUMNS = {"x-cameo": "CAMEO"}


def slug(title: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _title(name: str, schema: dict[str, Any]) -> str:
    return schema.get("title") or name.replace("_", " ").capitalize()


def _type(
    field: Field,
    defs: dict[str, Any],
    schema: dict[str, Any] | None = None,
    definition: str | None = None,
    parent: str | None = None,
) -> str:
    schema = field.schema if schema is None else schema
    definition = field.definition if definition is None else definition
    if definition in defs and choices(defs[definition]):
        title = _title(definition, defs[definition])
        return f"[{title.lower()}](#{slug(title)})"
    if choices(schema) and parent in defs:
        title = _variant_title(parent, defs[parent], field.name)
        return f"one of the [{title.lower()}](#{slug(title)})"
    if definition in _DEFINITION_LABELS:
        return _DEFINITION_LABELS[definition]
    if definition and definition.endswith("_id"):
        return f"{definition.removesuffix('_id')} id"
    if definition and "enum" in defs.get(definition, {}):
        title = _title(definition, defs[definition])
        return f"[{title.lower()}](#{slug(title)})"
    if schema.get("type") == "array":
        items = field.items
        of = "mappings" if items.get("properties") else _type(field, defs, items, field.item_definition)
        return f"list of {of}"
    label = _JSON_TYPES.get(str(schema.get("type")), "value")
    if "pattern" in schema and not definition:
        label += f" matching `{schema['pattern']}`"
    if "minimum" in schema and "maximum" in schema:
        label += f" from {schema['minimum']} to {schema['maximum']}"
    return label


def _variant_title(name: str, schema: dict[str, Any], key: str) -> str:
    """'Advisory level scales': the section of the values a mapping's variants fix for ``key``."""
    return f"{_title(name, schema)} {key}s"


def _rows(
    fields: tuple[Field, ...], defs: dict[str, Any], prefix: str = "", parent: str | None = None
) -> Iterator[str]:
    for field in fields:
        path = f"{prefix}{field.name}"
        required = "yes" if field.required else "no"
        yield f"| `{path}` | {required} | {_type(field, defs, parent=parent)} | {_cell(field.description)} |"
        below = f"{path}[]." if field.is_list else f"{path}."
        yield from _rows(field.fields, defs, below, field.item_definition or field.definition)


def _walk(fields: tuple[Field, ...], prefix: str = "") -> Iterator[tuple[str, Field]]:
    for field in fields:
        path = f"{prefix}{field.name}"
        yield path, field
        yield from _walk(field.fields, f"{path}[]." if field.is_list else f"{path}.")


def _users(schemas: SchemaSet) -> dict[str, list[str]]:
    """For each definition, the fields (``event.type``) that use it."""
    users: dict[str, list[str]] = {}
    for kind in KINDS:
        for path, field in _walk(kind_fields(kind.name, schemas)):
            for name in {field.definition, field.item_definition} - {None}:
                users.setdefault(str(name), []).append(f"{kind.name}.{path}")
    return users


def _kind_section(kind: Kind, schemas: SchemaSet, defs: dict[str, Any]) -> list[str]:
    schema = schemas.schemas[kind.schema_file]
    return [
        f"## {schema.get('title', kind.name.capitalize())}",
        "",
        _cell(schema.get("description", "")),
        "",
        f"One file per record: `annotations/{kind.folder}/<id>.yaml`, ids starting `{kind.id_prefix}`; "
        f"schema `schemas/{kind.schema_file}`.",
        "",
        "| Field | Required | Type | Description |",
        "| --- | --- | --- | --- |",
        *_rows(kind_fields(kind.name, schemas), defs),
        "",
    ]


def _vocabulary_sections(schemas: SchemaSet, defs: dict[str, Any]) -> list[str]:
    users = _users(schemas)
    lines: list[str] = []
    for name in sorted(defs, key=lambda n: _title(n, defs[n]).lower()):
        schema = defs[name]
        used_by = ", ".join(f"`{path}`" for path in users.get(name, []))
        header = [f"### {_title(name, schema)}", "", _cell(schema.get("description", "")), ""]
        if used_by:
            header += [f"Used by {used_by}.", ""]
        values = choices(schema)
        if values:
            extras = [key for key in _EXTRA_COLUMNS if any(key in entry for entry in schema["oneOf"])]
            lines += header + [
                "| Value | Description |" + "".join(f" {_EXTRA_COLUMNS[key]} |" for key in extras),
                "| --- | --- |" + " --- |" * len(extras),
            ]
            for entry in schema["oneOf"]:
                cells = "".join(f" {entry.get(key, '')} |" for key in extras)
                lines.append(f"| `{entry['const']}` | {_cell(entry.get('description', ''))} |{cells}")
            lines.append("")
        elif "enum" in schema:
            lines += header + [" ".join(f"`{value}`" for value in schema["enum"]), ""]
    return lines


def _variant_sections(schemas: SchemaSet, defs: dict[str, Any]) -> list[str]:
    """Fields whose values are fixed by the variants of their mapping (the scales of advisory levels)."""
    lines: list[str] = []
    for name in sorted(defs):
        variants = defs[name].get("oneOf", [])
        fixed = [
            (key, entry) for entry in variants for key, sub in entry.get("properties", {}).items() if "const" in sub
        ]
        if not fixed:
            continue
        key = fixed[0][0]
        lines += [
            f"### {_variant_title(name, defs[name], key)}",
            "",
            f"{_cell(defs[name].get('description', ''))} The values of `{key}`, each with the range of "
            "the other fields.",
            "",
            f"| {key.capitalize()} | Range | Description |",
            "| --- | --- | --- |",
        ]
        for _key, entry in fixed:
            ranges = ", ".join(
                f"`{other}` {sub['minimum']} to {sub['maximum']}"
                for other, sub in entry["properties"].items()
                if "minimum" in sub and "maximum" in sub
            )
            sub = entry["properties"][key]
            lines.append(f"| `{sub['const']}` | {ranges} | {_cell(sub.get('description', ''))} |")
        lines.append("")
    return lines


def render(schemas: SchemaSet | None = None) -> str:
    """The whole reference as Markdown."""
    schemas = schemas or load_schemas()
    defs = schemas.definitions
    lines = [
        "# Annotation reference",
        "",
        f"<!-- Generated from the schemas by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every field of every kind of record, and every value of every controlled vocabulary, as the "
        "schemas in `schemas/` define them. Nested fields are written `date.start`; the fields of the "
        "mappings in a list are written `evidence[].quote`. `toolkit new KIND ID` writes a record with "
        "these fields to fill in.",
        "",
        "| Kind | Folder | Id prefix | Schema |",
        "| --- | --- | --- | --- |",
    ]
    for kind in KINDS:
        title = schemas.schemas[kind.schema_file].get("title", kind.name.capitalize())
        lines.append(
            f"| [{title}](#{slug(title)}) | `{kind.folder}/` | `{kind.id_prefix}` | `schemas/{kind.schema_file}` |"
        )
    lines.append("")
    for kind in KINDS:
        lines += _kind_section(kind, schemas, defs)
    lines += ["## Vocabularies", "", "The values that fields with a controlled vocabulary accept.", ""]
    lines += _vocabulary_sections(schemas, defs)
    lines += _variant_sections(schemas, defs)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the reference to the file named on the command line (or print it)."""
    args = sys.argv[1:] if argv is None else argv
    text = render(load_schemas(Path(args[1]) if len(args) > 1 else None))
    if args:
        Path(args[0]).parent.mkdir(parents=True, exist_ok=True)
        Path(args[0]).write_text(text, encoding="utf-8", newline="\n")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
