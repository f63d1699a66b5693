"""The tables in SQL: the Data Package through frictionless, DuckDB, sqlite-utils and pandas, and `--format sqlite`.

Each consumer is run as docs/export-sql.md tells a user to run it, on the fixture
corpus (known answers: CAMEO codes with leading zeros) and on the live corpus
(every row of every table, whatever it holds).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
import frictionless
import pandas as pd
import pytest
import sqlite_utils
from typer.testing import CliRunner

from corpus_overlay import built_export_corpus
from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.exporters.csv_columns import TABLES
from toolkit.exporters.csv_tables import PACKAGE_FILE, unescape_formula
from toolkit.exporters.sqlite_db import DATABASE_NAME, SQL_TYPES, refuse_integers_sqlite_cannot_hold
from toolkit.exporting import MARKER_NAME, export

HERE = Path(__file__).parent
FIXTURE_CORPUS = built_export_corpus()
REAL_CORPUS = HERE.parent / "annotations"
TABLE_NAMES = [table.name for table in TABLES]
# "When present, it matches the pattern `...`.": an optional field's pattern, kept in words (docs/export-csv.md).
PATTERN_IN_WORDS = re.compile(r"When present, it matches the pattern `(?P<pattern>[^`]+)`\.")

# The participations by actor type and role: events joined to their participants and actors.
JOIN = """
SELECT actors.type AS actor_type, event_participants.role AS role, COUNT(*) AS n, COUNT(DISTINCT events.id) AS events
FROM events
JOIN event_participants ON event_participants.event_id = events.id
JOIN actors ON actors.id = event_participants.actor_id
GROUP BY actors.type, event_participants.role
"""


@pytest.fixture(scope="module", params=["fixture", "live"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = FIXTURE_CORPUS if request.param == "fixture" else REAL_CORPUS
    return export(["csv", "sqlite"], tmp_path_factory.mktemp(request.param), corpus, jobs=1).folders["csv"].parent


@pytest.fixture(scope="module")
def fixture_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return (
        export(["csv", "sqlite"], tmp_path_factory.mktemp("fixture-only"), FIXTURE_CORPUS, jobs=1).folders["csv"].parent
    )


def _package(out: Path) -> dict[str, Any]:
    package: dict[str, Any] = json.loads((out / "csv" / PACKAGE_FILE).read_text(encoding="utf-8"))
    return package


def _csv_rows(out: Path, table: str) -> list[dict[str, str]]:
    with (out / "csv" / f"{table}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _published(out: Path, tmp_path: Path) -> sqlite3.Connection:
    """The Data Package published to SQLite by frictionless, as docs/export-sql.md says."""
    target = tmp_path / "published.db"
    frictionless.Package(out / "csv" / PACKAGE_FILE).publish(f"sqlite:///{target}")
    return sqlite3.connect(target)


def _pandas_join(out: Path) -> dict[tuple[str, str], tuple[int, int]]:
    read = {name: pd.read_csv(out / "csv" / f"{name}.csv", dtype=str, keep_default_na=False) for name in TABLE_NAMES}
    joined = read["events"].merge(read["event_participants"], left_on="id", right_on="event_id", suffixes=("", "_p"))
    joined = joined.merge(read["actors"], left_on="actor_id", right_on="id", suffixes=("", "_actor"))
    grouped = joined.groupby(["type_actor", "role"]).agg(n=("id", "size"), events=("id", "nunique"))
    return {key: (int(row.n), int(row.events)) for key, row in grouped.iterrows()}


def _sql_join(db: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]]:
    return {(actor_type, role): (n, events) for actor_type, role, n, events in db.execute(JOIN)}


# The Data Package through frictionless


def test_frictionless_publishes_every_row_of_every_table_to_sqlite(exported: Path, tmp_path: Path) -> None:
    db = _published(exported, tmp_path)
    for name in TABLE_NAMES:
        (count,) = db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()
        assert count == len(_csv_rows(exported, name)), name


def test_a_join_of_events_participants_and_actors_counts_in_sql_as_in_pandas(exported: Path, tmp_path: Path) -> None:
    by_pandas = _pandas_join(exported)
    assert by_pandas
    assert _sql_join(_published(exported, tmp_path)) == by_pandas
    assert _sql_join(sqlite3.connect(exported / "sqlite" / DATABASE_NAME)) == by_pandas


def test_codes_keep_their_leading_zeros_as_text_in_the_published_database(fixture_export: Path, tmp_path: Path) -> None:
    db = _published(fixture_export, tmp_path)
    codes = dict(db.execute("SELECT cameo_code, typeof(cameo_code) FROM events WHERE cameo_code LIKE '0%'"))
    assert codes == {"042": "text", "016": "text"}


def test_an_optional_field_keeps_its_pattern_in_words_and_every_value_matches_it(exported: Path) -> None:
    worded = 0
    for resource in _package(exported)["resources"]:
        keys = {key["fields"][0] for key in resource["schema"].get("foreignKeys", [])}
        for field in resource["schema"]["fields"]:
            constraints = field.get("constraints", {})
            if "pattern" in constraints:
                assert constraints.get("required"), (resource["name"], field["name"])
            found = PATTERN_IN_WORDS.search(field["description"])
            if found is None:
                continue
            worded += 1
            assert field["name"] not in keys  # a foreign key's values are the ids of its table, which has the pattern
            for row in _csv_rows(exported, resource["name"]):
                cell = row[field["name"]]
                assert cell == "" or re.fullmatch(found["pattern"], cell), (resource["name"], field["name"], cell)
    assert worded > 0


def test_frictionless_still_fails_on_null_in_an_optional_field_with_a_pattern(tmp_path: Path) -> None:
    # The upstream bug worked around above (docs/export-sql.md): when this test fails,
    # frictionless loads such fields, and optional fields can have their patterns back.
    (tmp_path / "t.csv").write_text("id,code\r\na,\r\n", encoding="utf-8")
    package = frictionless.Package(
        {
            "resources": [
                {
                    "name": "t",
                    "path": "t.csv",
                    "schema": {"fields": [{"name": "id"}, {"name": "code", "constraints": {"pattern": "[0-9]+"}}]},
                }
            ]
        },
        basepath=str(tmp_path),
    )
    with pytest.raises(Exception, match="user-defined function raised exception"):
        package.publish(f"sqlite:///{tmp_path / 't.db'}")


# DuckDB, sqlite-utils and pandas, typed from the Table Schema (the recipes of docs/export-sql.md)

DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "boolean": "BOOLEAN"}
PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "Float64", "date": "string", "boolean": "boolean"}


def test_duckdb_reads_every_table_typed_from_the_table_schema_keeping_codes_as_text(fixture_export: Path) -> None:
    package = _package(fixture_export)
    con = duckdb.connect()
    for resource in package["resources"]:
        types = {field["name"]: DUCKDB_TYPES[field["type"]] for field in resource["schema"]["fields"]}
        path = str(fixture_export / "csv" / resource["path"])
        con.execute(
            f'CREATE TABLE "{resource["name"]}" AS SELECT * FROM read_csv(?, header = true, columns = ?)', [path, types]
        )
        (count,) = con.execute(f'SELECT COUNT(*) FROM "{resource["name"]}"').fetchone()
        assert count == len(_csv_rows(fixture_export, resource["name"]))
    assert sorted(con.execute("SELECT DISTINCT cameo_code FROM events WHERE cameo_code LIKE '0%'").fetchall()) == [
        ("016",),
        ("042",),
    ]


def test_sqlite_utils_loads_every_table_typed_from_the_table_schema_keeping_codes_as_text(
    fixture_export: Path, tmp_path: Path
) -> None:
    package = _package(fixture_export)
    db = sqlite_utils.Database(tmp_path / "utils.db")
    python_types: dict[str, type] = {"string": str, "integer": int, "number": float, "date": str, "boolean": int}
    for resource in package["resources"]:
        fields = {field["name"]: field["type"] for field in resource["schema"]["fields"]}

        def typed(row: dict[str, str], fields: dict[str, str] = fields) -> dict[str, Any]:
            return {
                name: None if cell == "" else (cell == "true") if fields[name] == "boolean" else cell
                for name, cell in row.items()
            }

        table = db.table(resource["name"])
        table.create({name: python_types[kind] for name, kind in fields.items()}, pk=resource["schema"]["primaryKey"])
        table.insert_all(typed(row) for row in _csv_rows(fixture_export, resource["name"]))
        assert table.count == len(_csv_rows(fixture_export, resource["name"]))
    codes = {row["cameo_code"] for row in db.query("SELECT DISTINCT cameo_code FROM events WHERE cameo_code LIKE '0%'")}
    assert codes == {"016", "042"}
    (kind,) = db.execute("SELECT typeof(cameo_code) FROM events WHERE cameo_code = '042'").fetchone()
    assert kind == "text"


def test_pandas_typed_from_the_table_schema_keeps_codes_as_text(fixture_export: Path) -> None:
    resource = next(r for r in _package(fixture_export)["resources"] if r["name"] == "events")
    dtype = {field["name"]: PANDAS_TYPES[field["type"]] for field in resource["schema"]["fields"]}
    events = pd.read_csv(fixture_export / "csv" / "events.csv", dtype=dtype, keep_default_na=False, na_values=[""])
    assert set(events.cameo_code.dropna()) >= {"042", "016"}
    untyped = pd.read_csv(fixture_export / "csv" / "events.csv")
    assert 42 in set(untyped.cameo_code)  # what the issue saw: without the types, "042" is 42


# toolkit export --format sqlite


def _database(out: Path) -> sqlite3.Connection:
    return sqlite3.connect(out / "sqlite" / DATABASE_NAME)


def _scratch_copy(out: Path) -> sqlite3.Connection:
    """The exported database copied into memory, for tests that try to write to it."""
    copy = sqlite3.connect(":memory:")
    with closing(_database(out)) as db:
        db.backup(copy)
    return copy


def test_the_database_holds_every_table_with_every_row_as_the_csv_holds_it(exported: Path) -> None:
    db = _database(exported)
    package = _package(exported)
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        names = [field["name"] for field in fields]
        in_sql = db.execute(f'SELECT * FROM "{resource["name"]}"').fetchall()
        in_csv = _csv_rows(exported, resource["name"])
        assert len(in_sql) == len(in_csv), resource["name"]
        for sql_row, csv_row in zip(in_sql, in_csv, strict=True):
            for field, value in zip(fields, sql_row, strict=True):
                cell = csv_row[field["name"]]
                if value is None:
                    assert cell == "", (resource["name"], field["name"])
                elif field["type"] == "boolean":
                    assert cell == ("true" if value else "false")
                elif field["type"] == "string":
                    assert unescape_formula(cell) == value  # SQL holds the text as annotated, no formula escape
                elif field["type"] == "number":
                    assert float(cell) == value
                else:
                    assert cell == str(value), (resource["name"], field["name"])
        assert [column[1] for column in db.execute(f'PRAGMA table_info("{resource["name"]}")')] == names


def test_the_data_packages_keys_are_real_primary_and_foreign_keys(exported: Path) -> None:
    db = _database(exported)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    for resource in _package(exported)["resources"]:
        name, schema = resource["name"], resource["schema"]
        info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
        primary = [column[1] for column in sorted(info, key=lambda column: column[5]) if column[5]]
        assert primary == schema["primaryKey"], name
        declared = {column[1]: column[2] for column in info}
        assert declared == {field["name"]: SQL_TYPES[field["type"]] for field in schema["fields"]}, name
        foreign = {(row[3], row[2], row[4]) for row in db.execute(f'PRAGMA foreign_key_list("{name}")')}
        expected = {
            (key["fields"][0], key["reference"]["resource"] or name, key["reference"]["fields"][0])
            for key in schema.get("foreignKeys", [])
        }
        assert foreign == expected, name


def test_the_database_refuses_a_participant_who_is_no_actor(fixture_export: Path) -> None:
    db = _scratch_copy(fixture_export)
    db.execute("PRAGMA foreign_keys = ON")
    event_id, index = db.execute('SELECT event_id, MAX("index") + 1 FROM event_participants').fetchone()
    values = {"event_id": event_id, "index": index, "actor_id": "act-nobody", "role": "target"}
    columns = ", ".join(f'"{name}"' for name in values)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute(f"INSERT INTO event_participants ({columns}) VALUES (?, ?, ?, ?)", list(values.values()))


def test_codes_and_booleans_are_typed_as_the_table_schema_says(fixture_export: Path) -> None:
    db = _scratch_copy(fixture_export)
    assert db.execute("SELECT typeof(cameo_code) FROM events WHERE cameo_code = '042'").fetchone() == ("text",)
    assert {kind for (kind,) in db.execute('SELECT typeof("index") FROM evidence')} == {"integer"}
    assert {value for (value,) in db.execute("SELECT unnamed FROM actors")} <= {0, 1, None}
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE events SET status = 'rumoured' WHERE rowid = 1")


def test_the_database_is_byte_identical_from_run_to_run(fixture_export: Path, tmp_path: Path) -> None:
    again = export(["sqlite"], tmp_path, FIXTURE_CORPUS, jobs=1).folders["sqlite"]
    assert (again / DATABASE_NAME).read_bytes() == (fixture_export / "sqlite" / DATABASE_NAME).read_bytes()


def test_the_cli_exports_the_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", "--format", "sqlite", "--out", str(tmp_path), "--corpus", str(FIXTURE_CORPUS)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote sqlite" in result.output
    written = sorted(path.name for path in (tmp_path / "sqlite").iterdir() if path.name != MARKER_NAME)
    assert written == [DATABASE_NAME]


def test_a_count_beyond_64_bits_is_refused_by_name_rather_than_rounded(fixture_export: Path) -> None:
    events = next(r for r in _package(fixture_export)["resources"] if r["name"] == "events")
    names = [field["name"] for field in events["schema"]["fields"]]
    row: list[Any] = [None] * len(names)
    row[names.index("id")], row[names.index("fatalities")] = "evt-x", 2**64
    with pytest.raises(ToolkitError, match=r"fatalities = 18446744073709551616 in events \(id evt-x\)"):
        refuse_integers_sqlite_cannot_hold(events, [row])
    row[names.index("fatalities")] = 2**63 - 1
    refuse_integers_sqlite_cannot_hold(events, [row])  # the largest SQLite holds passes
