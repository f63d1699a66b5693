"""CSV export: one RFC 4180 table per kind of record and per list, plus a Frictionless Data Package.

The tables and their columns are defined once, in ``csv_columns.TABLES``; this
module turns that definition into rows, CSV files and ``datapackage.json``.
Files are UTF-8 without BOM, with CRLF line ends and minimal quoting (the
``csv`` module's default dialect), rows sorted by primary key, so an export is
byte-identical from run to run.
"""

from __future__ import annotations

import csv
import json
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.corpus_index import CorpusIndex
from toolkit.exporters.csv_columns import TABLE_BY_NAME, TABLES, Column, Row, Table, value_getter
from toolkit.model import Kind
from toolkit.reference_fields import EACH
from toolkit.schema_loader import SchemaSet

PACKAGE_FILE = "datapackage.json"

# OWASP's CSV injection advice: a cell starting with one of these runs as a formula
# in spreadsheets, so it gets a leading apostrophe. A text that already starts with
# apostrophes before one of them gets one more, so the escape can always be undone:
# drop the first character of any text cell that matches this pattern.
FORMULA_TRIGGERS = "=+-@\t\r"
ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_NEEDS_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_MAY_NEED_ESCAPE = frozenset(FORMULA_TRIGGERS + "'")  # the first characters worth a look

_TYPE_BY_JSON_TYPE = {"integer": "integer", "number": "number", "string": "string"}


def escape_formula(text: str) -> str:
    """The text as a CSV cell that no spreadsheet runs as a formula (OWASP's apostrophe prefix)."""
    return "'" + text if text[:1] in _MAY_NEED_ESCAPE and _NEEDS_ESCAPE.match(text) else text


def unescape_formula(cell: str) -> str:
    """The text a string cell was written from: the inverse of ``escape_formula``."""
    return cell[1:] if ESCAPED.match(cell) else cell


# --- rows --------------------------------------------------------------------------


def rows(table: Table, corpus: CorpusIndex) -> list[list[Any]]:
    """The table's rows as typed values (``None`` for empty), sorted by primary key."""
    getters = [value_getter(column) for column in table.columns]
    drawn: list[list[Any]] = []
    for record in (record for kind in table.kinds for record in corpus.of_kind(kind)):
        items: Iterator[tuple[int | None, Any]]
        if table.items is not None:
            items = ((None, item) for item in table.items(corpus, record))
        elif table.each is None:
            items = iter([(None, record.data)])
        else:
            listed: Any = record.data
            for step in table.each:
                listed = listed.get(step) if isinstance(listed, dict) else None
            items = enumerate(listed) if isinstance(listed, list) else iter(())
        for index, item in items:
            row = Row(corpus, record, item, index)
            drawn.append([get(row) for get in getters])
    names = [column.name for column in table.columns]
    key = operator.itemgetter(*(names.index(name) for name in table.primary_key))
    return sorted(drawn, key=key)


def write_table(table: Table, fields: list[dict[str, Any]], corpus: CorpusIndex, path: Path) -> None:
    """Write one table as CSV: a header row, then its rows.

    The csv module writes ``None`` as an empty cell and numbers as ``str`` does;
    only text cells need more (the formula escape). Numbers and dates are typed
    in the Table Schema: a negative number is a number, not a formula.
    """
    text_columns = [i for i, field in enumerate(fields) if field["type"] == "string"]
    boolean_columns = [i for i, field in enumerate(fields) if field["type"] == "boolean"]
    drawn = rows(table, corpus)
    for values in drawn:
        for i in text_columns:
            if values[i] is not None:
                values[i] = escape_formula(str(values[i]))
        for i in boolean_columns:  # Table Schema's canonical spelling, not Python's True / False
            if values[i] is not None:
                values[i] = "true" if values[i] else "false"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)  # the excel dialect: RFC 4180, CRLF line ends
        writer.writerow([column.name for column in table.columns])
        writer.writerows(drawn)


# --- Table Schema ---------------------------------------------------------------


@dataclass(frozen=True)
class SchemaFacts:
    """What a JSON Schema says of one field."""

    description: str | None
    type: str
    required: bool
    enum: tuple[str, ...] | None
    pattern: str | None


def schema_facts(schemas: SchemaSet, kind: str, prefix: tuple[str, ...], path: tuple[str, ...]) -> SchemaFacts:
    """Description, type and constraints of the field at ``prefix + path`` in a kind's schema.

    ``required`` holds when every step of ``path`` is required in its parent.
    """
    node = schemas.resolve(schemas.kind_schema(kind))[0]
    required = True
    for position, step in enumerate(prefix + path):
        if step == EACH:
            node = node["items"]
        else:
            required = required and (position < len(prefix) or step in node.get("required", ()))
            node = node["properties"][step]
        node = schemas.resolve(node)[0]
    consts = [entry["const"] for entry in node.get("oneOf", ()) if "const" in entry]
    enum = node.get("enum") or (consts if consts and len(consts) == len(node["oneOf"]) else None)
    pattern = node.get("pattern")
    if pattern and pattern.startswith("^") and pattern.endswith("$"):
        # Table Schema patterns match the whole value (XML Schema style): no anchors, no (?:.
        pattern = pattern[1:-1].replace("(?:", "(")
    else:
        pattern = None  # an unanchored search such as "\\S" means something else in a Table Schema
    return SchemaFacts(
        node.get("description"),
        _TYPE_BY_JSON_TYPE.get(node.get("type", ""), "string"),
        required,
        tuple(enum) if enum else None,
        pattern,
    )


def field_descriptor(table: Table, column: Column, schemas: SchemaSet) -> dict[str, Any]:
    """The Table Schema field of a column, its blanks filled from the JSON Schema."""
    facts = None
    if column.value is None or column.described_by is not None:
        prefix = tuple(part for step in table.each or () for part in (step, EACH))
        facts = schema_facts(schemas, table.kinds[0], prefix, column.described_by or column.path)
    found = facts.description if facts else None
    description = column.description or ": ".join(filter(None, (column.about, found)))
    if description and not found and not column.description:
        description += "."
    if not description:
        raise ValueError(f"{table.name}.{column.name}: no description in the column table or the schema")
    field: dict[str, Any] = {
        "name": column.name,
        "type": column.type or (facts.type if facts else "string"),
        "description": description,
    }
    constraints: dict[str, Any] = {}
    required = column.required if column.required is not None else (facts.required if facts else False)
    if required or column.name in table.primary_key:
        constraints["required"] = True
    enum = column.enum or (facts.enum if facts else None)
    if enum:
        constraints["enum"] = list(enum)
    pattern = facts.pattern if facts else None
    if pattern and constraints.get("required"):
        constraints["pattern"] = pattern
    elif pattern and not column.references:
        # An optional field keeps its pattern in words only: frictionless's SQLite loader
        # turns a pattern into a CHECK whose function fails on NULL, and then no row of
        # the table loads (docs/export-csv.md, "Loading into SQL"). `toolkit validate`
        # checks the pattern on every record; a foreign key says it for the ids.
        field["description"] += f" When present, it matches the pattern `{pattern}`."
    if constraints:
        field["constraints"] = constraints
    return field


def resource_descriptor(table: Table, schemas: SchemaSet) -> dict[str, Any]:
    """The Data Package resource of a table: its file, dialect and Table Schema."""
    fields = [field_descriptor(table, column, schemas) for column in table.columns]
    schema: dict[str, Any] = {"fields": fields, "primaryKey": list(table.primary_key)}
    foreign_keys = [
        {
            "fields": [column.name],
            # An empty resource name means this same table (Table Schema's self-reference).
            "reference": {"resource": "" if column.references == table.name else column.references, "fields": ["id"]},
        }
        for column in table.columns
        if column.references
    ]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True},
        "schema": schema,
    }


def package_descriptor(schemas: SchemaSet) -> dict[str, Any]:
    """The ``datapackage.json`` of the export: every table, described."""
    return {
        "profile": "tabular-data-package",
        "name": "event-annotations",
        "title": "Event annotations",
        "description": (
            "Actors, locations, events and advisories annotated in news articles, each "
            "backed by verbatim quotes. Text cells that would start with = + - @, a tab "
            "or a carriage return carry a leading apostrophe (CSV injection escape): "
            "drop the first character of a text cell matching ^'+[=+\\-@\\t\\r] to get "
            "the text as annotated."
        ),
        "resources": [resource_descriptor(table, schemas) for table in TABLES],
    }


# The files of an export, each written on its own (``write_part``), so that an
# export's processes can share them.
PARTS: tuple[str, ...] = (*(table.name for table in TABLES), PACKAGE_FILE)


def treats(kind: Kind) -> bool:
    """Whether this exporter writes records of ``kind``: its ``csv_table`` is a table of that kind's records."""
    table = TABLE_BY_NAME.get(kind.csv_table)
    return table is not None and table.kinds == (kind.name,)


def write(corpus: CorpusIndex, out: Path) -> None:
    """Write every table as ``<table>.csv`` and the Data Package describing them into ``out``."""
    for part in PARTS:
        write_part(corpus, out, part)


def write_part(corpus: CorpusIndex, out: Path, part: str) -> None:
    """Write one file of the export: a table (by its name) or ``datapackage.json``."""
    if part == PACKAGE_FILE:
        text = json.dumps(package_descriptor(corpus.schemas), indent=2, ensure_ascii=False) + "\n"
        (out / PACKAGE_FILE).write_text(text, encoding="utf-8", newline="\n")
        return
    table = TABLE_BY_NAME[part]
    resource = resource_descriptor(table, corpus.schemas)
    write_table(table, resource["schema"]["fields"], corpus, out / resource["path"])
