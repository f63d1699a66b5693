"""The CSV export: tables, Data Package, formula escaping, determinism, and the real corpus."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import frictionless
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from corpus_overlay import built_export_corpus
from toolkit.cli import app
from toolkit.exporters.csv_columns import TABLES
from toolkit.exporters.csv_tables import FORMULA_TRIGGERS, PACKAGE_FILE, escape_formula, unescape_formula, write
from toolkit.exporting import export
from toolkit.kinds import KIND_BY_FOLDER
from toolkit.loading import load_file
from toolkit.validation import check_corpus

HERE = Path(__file__).parent
# One fixture corpus for every format (tests/export_corpus/README.md), evidence written out.
FIXTURE = built_export_corpus()
SNAPSHOTS = HERE / "export_csv" / "snapshots"
REAL_CORPUS = HERE.parent / "annotations"
DOCS = HERE.parent / "docs" / "export-csv.md"
TABLE_NAMES = [table.name for table in TABLES]


def unescape(cell: str) -> str:
    """The recovery rule of docs/export-csv.md, as a consumer would write it."""
    return cell[1:] if re.match(r"'+[=+\-@\t\r]", cell) else cell


def read_table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def assert_valid_package(path: Path) -> None:
    report = frictionless.validate(path)
    errors = report.flatten(["taskName", "rowNumber", "fieldName", "type", "message"])
    assert report.valid, "\n".join(map(str, errors))


@pytest.fixture(scope="module")
def corpus():
    checked = check_corpus(FIXTURE)
    assert checked.findings == []
    return checked.index


@pytest.fixture(scope="module")
def exported(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("csv")
    write(corpus, out)
    return out


@pytest.fixture(scope="module")
def package(exported) -> dict:
    return json.loads((exported / PACKAGE_FILE).read_text(encoding="utf-8"))


def fields_of(package: dict, table: str) -> dict[str, dict]:
    resource = next(r for r in package["resources"] if r["name"] == table)
    return {field["name"]: field for field in resource["schema"]["fields"]}


# --- the fixture corpus, table by table -------------------------------------------


def test_the_fixture_corpus_is_valid():
    checked = check_corpus(FIXTURE)
    assert [f.message for f in checked.findings] == []
    assert len(checked.index.records) == 52


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_each_table_matches_its_snapshot(exported, file_regression, table):
    file_regression.check(
        (exported / f"{table}.csv").read_bytes().decode("utf-8"),
        encoding="utf-8",
        newline="",
        fullpath=SNAPSHOTS / f"{table}.csv",
    )


def test_the_data_package_matches_its_snapshot(exported, file_regression):
    file_regression.check(
        (exported / PACKAGE_FILE).read_text(encoding="utf-8"), encoding="utf-8", fullpath=SNAPSHOTS / PACKAGE_FILE
    )


def test_the_export_writes_one_csv_per_table_and_the_data_package(exported):
    assert sorted(p.name for p in exported.iterdir()) == sorted([f"{t}.csv" for t in TABLE_NAMES] + [PACKAGE_FILE])


def test_the_data_package_passes_frictionless_validation(exported):
    assert_valid_package(exported / PACKAGE_FILE)


def test_frictionless_catches_an_id_that_refers_to_nothing(exported, tmp_path):
    broken = tmp_path / "csv"
    shutil.copytree(exported, broken)
    participants = broken / "event_participants.csv"
    participants.write_bytes(participants.read_bytes().replace(b",act-turkish-police,", b",act-nobody,"))
    report = frictionless.validate(broken / PACKAGE_FILE)
    assert not report.valid
    assert {error.type for task in report.tasks for error in task.errors} == {"foreign-key"}


def test_files_are_utf8_without_bom_with_crlf_line_ends_and_a_header(exported):
    for table in TABLES:
        raw = (exported / f"{table.name}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert raw.endswith(b"\r\n")
        assert re.search(rb"(?<!\r)\n", raw) is None, f"{table.name}: a bare LF line end"
        header = next(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        assert header == [column.name for column in table.columns]


def test_rows_are_sorted_by_their_unique_primary_key(exported, package):
    for resource in package["resources"]:
        types = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
        key = resource["schema"]["primaryKey"]
        keys = [
            tuple(int(row[k]) if types[k] == "integer" else row[k] for k in key)
            for row in read_table(exported, resource["name"])
        ]
        assert keys == sorted(set(keys)), resource["name"]


def test_every_column_has_a_type_and_a_description(package):
    for resource in package["resources"]:
        for field in resource["schema"]["fields"]:
            assert field["type"] in {"string", "integer", "number", "date", "boolean"}
            assert field["description"].strip(), f"{resource['name']}.{field['name']}"


def test_link_tables_have_foreign_keys_to_the_tables_they_name(package):
    keys = {
        (r["name"], fk["fields"][0]): fk["reference"]["resource"]
        for r in package["resources"]
        for fk in r["schema"].get("foreignKeys", [])
    }
    assert keys[("event_participants", "actor_id")] == "actors"
    assert keys[("evidence", "source_id")] == "sources"
    assert keys[("evidence", "record_id")] == "records"
    assert keys[("links", "target_id")] == "records"
    assert keys[("locations", "within_id")] == ""  # the same table


# --- dates and the flat events view --------------------------------------------------


def test_partial_dates_stay_as_written_with_typed_first_and_last_days(exported, package):
    events = {row["id"]: row for row in read_table(exported, "events")}
    plot = events["evt-istanbul-plot"]
    assert (plot["date_start"], plot["date_end"], plot["date_precision"]) == ("2022-05", "2022-06-23", "range")
    assert (plot["date_first_day"], plot["date_last_day"]) == ("2022-05-01", "2022-06-23")
    bombing = events["evt-buenos-aires-bombing"]
    assert (bombing["date_first_day"], bombing["date_last_day"]) == ("1994-01-01", "1994-12-31")
    fields = fields_of(package, "events")
    assert fields["date_start"]["type"] == "string"
    assert fields["date_start"]["constraints"]["pattern"].startswith("[0-9]{4}")
    assert fields["date_first_day"]["type"] == "date"


def test_the_flat_view_puts_actors_place_cameo_code_and_sources_on_the_event_row(exported):
    flat = {row["id"]: row for row in read_table(exported, "events_flat")}
    arrests = flat["evt-istanbul-plot-arrests"]
    assert arrests["type"] == "COERCE/arrest" and arrests["cameo_code"] == "173"
    assert (arrests["initiator_ids"], arrests["initiator_names"]) == ("act-turkish-police", "Turkish police")
    assert arrests["target_ids"] == "act-plot-cell"
    assert (arrests["location_id"], arrests["location_name"], arrests["location_country_code"]) == (
        "loc-istanbul",
        "Istanbul",
        "TR",
    )
    assert arrests["actor_country_codes"] == "IR; TR"
    assert arrests["source_ids"] == "src-fixture-wire-istanbul-plot"
    assert flat["evt-iran-denies-plot"]["location_id"] == ""


def test_quote_offsets_point_at_the_quote_in_the_source_text(exported):
    # Read as written (newline=""): the offsets count a carriage return as the text holds it.
    texts = {path.stem: path.read_bytes().decode("utf-8") for path in (FIXTURE / "sources").glob("*.txt")}
    for row in read_table(exported, "evidence"):
        text = texts[row["source_id"]]
        assert text[int(row["quote_start"]) : int(row["quote_end"])] == unescape(row["quote"])


# --- CSV injection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key", "column", "cell"),
    [
        ("actors", {"id": "act-plot-cell"}, "name", '\'=HYPERLINK("http://x","y")'),
        ("actor_aliases", {"actor_id": "act-plot-cell", "index": "0"}, "alias", "'+1"),
        ("actor_aliases", {"actor_id": "act-plot-cell", "index": "1"}, "alias", "'-2"),
        ("actor_aliases", {"actor_id": "act-plot-cell", "index": "2"}, "alias", "'@SUM(1)"),
        ("location_aliases", {"location_id": "loc-istanbul"}, "alias", "'\tx"),
        ("actors", {"id": "act-plot-cell"}, "note", "'\rx"),
        ("evidence", {"record_id": "loc-istanbul", "index": "4"}, "quote", "'\rx was written on the back of the map."),
        ("events_flat", {"id": "evt-istanbul-plot"}, "initiator_names", '\'=HYPERLINK("http://x","y")'),
        # An apostrophe before a trigger gets one more, so unescaping stays exact...
        ("actor_aliases", {"actor_id": "act-plot-cell", "index": "3"}, "alias", "''=x"),
        # ...and one before anything else is left alone.
        ("actor_aliases", {"actor_id": "act-plot-cell", "index": "4"}, "alias", "'plain"),
        # Negative numbers in numeric columns are numbers, not formulas.
        ("locations", {"id": "loc-buenos-aires"}, "longitude", "-58.3816"),
    ],
)
def test_text_cells_that_would_run_as_formulas_get_an_apostrophe(exported, table, key, column, cell):
    matching = [row for row in read_table(exported, table) if key.items() <= row.items()]
    assert [row[column] for row in matching] == [cell]


def test_no_text_cell_starts_with_a_formula_trigger(exported, package):
    for resource in package["resources"]:
        text_fields = {f["name"] for f in resource["schema"]["fields"] if f["type"] == "string"}
        for row in read_table(exported, resource["name"]):
            for name in text_fields:
                assert not row[name].startswith(tuple(FORMULA_TRIGGERS)), (resource["name"], name, row[name])


def test_unescaping_gives_back_the_text_as_annotated(exported):
    record, _ = load_file(FIXTURE / "actors" / "act-plot-cell.yaml", KIND_BY_FOLDER["actors"])
    aliases = [
        unescape(row["alias"]) for row in read_table(exported, "actor_aliases") if row["actor_id"] == "act-plot-cell"
    ]
    assert aliases == record.data["aliases"]
    evidence = [
        (unescape(row["quote"]), unescape(row["note"]) or None)
        for row in read_table(exported, "evidence")
        if row["record_id"] == "act-plot-cell"
    ]
    assert evidence == [(item["quote"], item.get("note")) for item in record.data["evidence"]]


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rx ;\"")))
def test_the_escape_never_leaves_a_trigger_first_and_the_documented_rule_undoes_it(text):
    cell = escape_formula(text)
    assert not cell.startswith(tuple(FORMULA_TRIGGERS))
    assert unescape(cell) == unescape_formula(cell) == text


# --- determinism, CLI, docs ----------------------------------------------------------


def test_the_export_is_byte_identical_from_run_to_run(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        out.mkdir()
        write(check_corpus(FIXTURE).index, out)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_cli_exports_the_tables_and_the_data_package(tmp_path):
    result = CliRunner().invoke(app, ["export", "--format", "csv", "--out", str(tmp_path), "--corpus", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "csv" / PACKAGE_FILE).is_file()
    assert (tmp_path / "csv" / "events_flat.csv").is_file()


def test_the_docs_describe_every_table():
    docs = DOCS.read_text(encoding="utf-8")
    missing = [name for name in TABLE_NAMES if f"`{name}`" not in docs]
    assert missing == []


# --- the real corpus -----------------------------------------------------------------


@pytest.fixture(scope="module")
def real_export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real")
    return export(["csv"], out, REAL_CORPUS).folders["csv"]


# The real corpus grows with every article: it is checked for a complete, valid export,
# never byte for byte (snapshots are of the fixture corpus only).
def test_the_real_corpus_exports_every_table(real_export):
    written = {path.name for path in real_export.iterdir() if not path.name.startswith(".")}
    assert written == {f"{table}.csv" for table in TABLE_NAMES} | {PACKAGE_FILE}


def test_the_real_corpus_export_passes_frictionless_validation(real_export):
    assert_valid_package(real_export / PACKAGE_FILE)
