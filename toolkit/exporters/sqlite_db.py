"""SQLite export: the CSV export's tables in one database file, with real keys, for SQL at once.

The database holds exactly the tables of the Data Package (``csv_columns.TABLES``,
described by ``csv_tables.package_descriptor``), so the two exports never drift:
each table's columns, SQL types, primary key and foreign keys are read from its
Table Schema, and its rows are the CSV rows before the CSV formula escape (SQL has
no formulas: a cell holds the text as annotated).

Types follow the Table Schema: ``string`` is TEXT (codes such as a CAMEO code
``042`` stay text), ``integer`` INTEGER, ``number`` REAL, ``date`` TEXT in ISO 8601
(what SQLite's date functions read), ``boolean`` INTEGER 0 or 1. ``enum``
constraints become CHECKs that any SQLite runs; ``pattern`` constraints do not,
since SQLite has no regular expressions of its own (``toolkit validate`` checks
them on every record). The tables are not STRICT, so that SQLite older than 3.37
still opens the file.

The file is byte-identical from run to run: one transaction, rows inserted in
primary-key order, then ``VACUUM``; SQLite writes no timestamp into its files.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.exporters.csv_columns import TABLE_BY_NAME, TABLES
from toolkit.exporters.csv_tables import package_descriptor, rows
from toolkit.model import Kind

DATABASE_NAME = "corpus.sqlite"

# The SQL type of each Table Schema type (the columns' declared types, hence their affinity).
SQL_TYPES: dict[str, str] = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "date": "TEXT",
    "boolean": "INTEGER",
}


def quoted(name: str) -> str:
    """An SQL identifier, quoted (names come from the column table, but a quote is doubled all the same)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str | int) -> str:
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def create_statement(resource: dict[str, Any]) -> str:
    """The ``CREATE TABLE`` of a Data Package resource: columns typed, NOT NULL, CHECKs, primary and foreign keys."""
    schema = resource["schema"]
    lines = []
    for field in schema["fields"]:
        name = quoted(field["name"])
        constraints = field.get("constraints", {})
        line = f"{name} {SQL_TYPES[field['type']]}"
        if constraints.get("required"):
            line += " NOT NULL"
        if "enum" in constraints:
            line += f" CHECK ({name} IN ({', '.join(_literal(value) for value in constraints['enum'])}))"
        if field["type"] == "boolean":
            line += f" CHECK ({name} IN (0, 1))"
        lines.append(line)
    lines.append(f"PRIMARY KEY ({', '.join(map(quoted, schema['primaryKey']))})")
    for key in schema.get("foreignKeys", []):
        # An empty resource name is the table itself (Table Schema's self-reference).
        target = key["reference"]["resource"] or resource["name"]
        lines.append(
            f"FOREIGN KEY ({', '.join(map(quoted, key['fields']))}) "
            f"REFERENCES {quoted(target)} ({', '.join(map(quoted, key['reference']['fields']))})"
        )
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {quoted(resource['name'])} (\n  {body}\n)"


# SQLite's integers are 64-bit; a larger one would be stored as an approximate REAL.
INTEGER_RANGE = range(-(2**63), 2**63)


def refuse_integers_sqlite_cannot_hold(resource: dict[str, Any], drawn: list[list[Any]]) -> None:
    """Raise ``ToolkitError`` for an integer cell beyond 64 bits, naming its table, row and column.

    The schemas bound no count (``fatalities``), so a valid corpus may hold one; SQLite
    would keep it only approximately, and an export never loses data.
    """
    fields = resource["schema"]["fields"]
    names = [field["name"] for field in fields]
    key = [names.index(name) for name in resource["schema"]["primaryKey"]]
    for values in drawn:
        for field, value in zip(fields, values, strict=True):
            if field["type"] == "integer" and isinstance(value, int) and value not in INTEGER_RANGE:
                row = ", ".join(f"{names[i]} {values[i]}" for i in key)
                raise ToolkitError(
                    f"the SQLite export cannot hold {field['name']} = {value} in {resource['name']} "
                    f"({row}): SQLite integers stop at {INTEGER_RANGE.stop - 1}; export the other formats"
                )


def treats(kind: Kind) -> bool:
    """Whether this exporter writes records of ``kind``: its ``csv_table`` (a Data Package table) is one of ours."""
    table = TABLE_BY_NAME.get(kind.csv_table)
    return table is not None and table.kinds == (kind.name,)


def write(corpus: CorpusIndex, out: Path) -> None:
    """Write ``corpus.sqlite`` into ``out``: every table of the Data Package, keys and all."""
    resources = {resource["name"]: resource for resource in package_descriptor(corpus.schemas)["resources"]}
    path = out / DATABASE_NAME
    # isolation_level=None: the transaction is ours (BEGIN ... COMMIT), and VACUUM runs outside it.
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        # The file is written in a staging folder that a failed export removes whole:
        # no rollback journal is needed, nor a sync to disk per transaction.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        for table in TABLES:
            resource = resources[table.name]
            db.execute(create_statement(resource))
            fields = resource["schema"]["fields"]
            booleans = [i for i, field in enumerate(fields) if field["type"] == "boolean"]
            drawn = rows(table, corpus)
            for values in drawn:
                for i in booleans:
                    if values[i] is not None:
                        values[i] = int(bool(values[i]))
            refuse_integers_sqlite_cannot_hold(resource, drawn)
            marks = ", ".join("?" for _ in table.columns)
            db.executemany(f"INSERT INTO {quoted(table.name)} VALUES ({marks})", drawn)
        db.execute("COMMIT")
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:  # the corpus was validated: a reference to nothing here is the exporter's bug
            raise RuntimeError(f"the SQLite export breaks its foreign keys: {broken[:5]}")
        db.execute("VACUUM")
