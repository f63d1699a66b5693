"""Claims in the CSV export: no assertion that rests on someone's claim reaches a table unhedged.

The fixture corpus (tests/export_corpus/) carries each form of claim: on an
event, on one participant's role, on an affiliation, unattributed, relayed
(``via``), dated, with hedge words, denied. The live corpus is checked for the
same property through ``toolkit.claims.assertions``, never against a list of ids:
it grows and is re-annotated.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import pytest

from corpus_overlay import built_export_corpus
from toolkit import claims
from toolkit.corpus_index import CorpusIndex
from toolkit.exporters.csv_columns import TABLE_BY_NAME
from toolkit.exporters.csv_tables import PACKAGE_FILE, rows, unescape_formula, write
from toolkit.model import Record, Severity
from toolkit.validation import check_corpus

HERE = Path(__file__).parent
FIXTURE = built_export_corpus()
LIVE = HERE.parent / "annotations"
DOCS = HERE.parent / "docs" / "export-csv.md"
JOIN = "; "


def read_table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
        return [{key: unescape_formula(cell) for key, cell in row.items()} for row in csv.DictReader(stream)]


def listed(cell: str) -> list[str]:
    return cell.split(JOIN) if cell else []


def exported_corpus(root: Path, out: Path) -> tuple[CorpusIndex, Path]:
    checked = check_corpus(root)
    errors = [f"{f.file}:{f.line}: {f.message}" for f in checked.findings if f.severity == Severity.ERROR]
    assert errors == []
    write(checked.index, out)
    return checked.index, out


@pytest.fixture(scope="module")
def fixture_export(tmp_path_factory) -> tuple[CorpusIndex, Path]:
    return exported_corpus(FIXTURE, tmp_path_factory.mktemp("fixture-csv"))


@pytest.fixture(scope="module", params=["fixture", "live"])
def any_export(request, fixture_export, tmp_path_factory) -> tuple[CorpusIndex, Path]:
    if request.param == "fixture":
        return fixture_export
    return exported_corpus(LIVE, tmp_path_factory.mktemp("live-csv"))


@pytest.fixture(scope="module")
def flat(fixture_export) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in read_table(fixture_export[1], "events_flat")}


@pytest.fixture(scope="module")
def claim_rows(fixture_export) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in read_table(fixture_export[1], "claims")}


def claimed(corpus: CorpusIndex) -> Iterator[tuple[Record, claims.Assertion]]:
    for record in corpus.records:
        for assertion in claims.assertions(record.kind.name, record.data):
            if assertion.claim is not None:
                yield record, assertion


def unhedged(corpus: CorpusIndex, folder: Path) -> list[str]:
    """Every claimed assertion that some table shows without its claimant, credibility or hedge."""
    claim_table = read_table(folder, "claims")
    flat = {row["id"]: row for row in read_table(folder, "events_flat")}
    listed_rows = {
        "participants": {(r["event_id"], r["index"]): r for r in read_table(folder, "event_participants")},
        "affiliations": {(r["actor_id"], r["index"]): r for r in read_table(folder, "actor_affiliations")},
        "links": {(r["record_id"], r["index"]): r for r in read_table(folder, "links")},
    }
    missing: list[str] = []
    for record, assertion in claimed(corpus):
        claim = assertion.claim
        assert claim is not None
        where = f"{assertion.record_id} {assertion.what} {assertion.relation or ''} {assertion.actor or ''}".strip()
        # claims.csv: a row of its own, with who claims it, through whom, how credibly.
        matching = [
            row
            for row in claim_table
            if (row["record_id"], row["what"], row["relation"], row["actor_id"], row["target_id"])
            == (
                assertion.record_id,
                assertion.what,
                assertion.relation or "",
                assertion.actor or "",
                assertion.target or "",
            )
        ]
        if not any(
            row["claimant_id"] == (claim.by or "")
            and row["unattributed"] == ("true" if claim.unattributed else "false")
            and listed(row["via_ids"]) == list(claim.via)
            and row["reporter_id"] == (claim.reporter or "")
            and row["credibility"] == str(claim.credibility)
            for row in matching
        ):
            missing.append(f"claims.csv: {where}")
        # The link table the item is listed in: a key into claims.csv, the claimant, the grade.
        if assertion.path:
            field, index = assertion.path
            key = (assertion.record_id, str(index))
            item = listed_rows[str(field)].get(key)
            if item is None or not item["claim_id"] or item["claimed_by_id"] != (claim.by or ""):
                missing.append(f"{field} table: {where}")
            elif item["credibility"] != str(claim.credibility):
                missing.append(f"{field} table credibility: {where}")
        if record.kind.name != "event" or assertion.what not in ("occurrence", "role"):
            continue
        # events_flat: the claimant on the row, and the hedge beside what it hedges.
        row = flat[assertion.record_id]
        if claim.by is not None and claim.by not in listed(row["claimant_ids"]):
            missing.append(f"events_flat claimant_ids: {where}")
        if assertion.what == "occurrence":
            if row["credibility"] != str(claim.credibility) or not row["event_hedge"]:
                missing.append(f"events_flat event hedge: {where}")
            continue
        for which in ("actor1", "actor2"):
            if assertion.actor in listed(row[f"{which}_ids"]):
                hedge = row[f"{which}_hedge"]
                if f"{assertion.actor}: claimed by" not in hedge or (
                    claim.by is not None and claim.by not in listed(row[f"{which}_claimed_by_ids"])
                ):
                    missing.append(f"events_flat {which}_hedge: {where}")
    return missing


# --- the property, on both corpora ------------------------------------------------------


def test_every_assertion_resting_on_a_claim_is_hedged_in_every_table(any_export):
    corpus, folder = any_export
    assert unhedged(corpus, folder) == []


def test_claims_csv_has_one_row_per_assertion_resting_on_a_claim_and_no_other(any_export):
    corpus, folder = any_export
    assert len(read_table(folder, "claims")) == sum(1 for _ in claimed(corpus))


def test_every_hostile_event_names_who_acts_in_actor1(any_export):
    corpus, folder = any_export
    flat = {row["id"]: row for row in read_table(folder, "events_flat")}
    hostile = [record.id for record in corpus.of_kind("event") if claims.is_hostile(record.data.get("type"))]
    assert hostile, "no hostile event to check"
    assert [event for event in hostile if not flat[event]["actor1_ids"]] == []


def test_no_country_of_a_participant_whose_part_is_claimed_is_in_the_plain_country_column(any_export):
    corpus, folder = any_export
    flat = {row["id"]: row for row in read_table(folder, "events_flat")}
    leaks = []
    for record in corpus.of_kind("event"):
        on_own_word = {
            code
            for assertion in claims.assertions("event", record.data)
            if assertion.what == "role" and assertion.claim is None and assertion.actor in corpus.by_id
            for code in corpus.by_id[assertion.actor].data.get("countries", [])
        }
        leaks += [
            (record.id, code) for code in listed(flat[record.id]["actor_country_codes"]) if code not in on_own_word
        ]
    assert leaks == []


def test_the_fixture_has_every_kind_of_claim_to_check(fixture_export):
    corpus, _ = fixture_export
    found = {(assertion.what, assertion.inherited, assertion.claim.unattributed) for _, assertion in claimed(corpus)}
    assert {("occurrence", False, False), ("role", True, False), ("role", False, False)} <= found
    assert ("role", False, True) in found and ("affiliation", False, False) in found


# --- events_flat ------------------------------------------------------------------------


def test_a_perpetrator_on_one_states_word_is_hedged_beside_a_killing_the_article_reports(flat):
    row = flat["evt-assassination-mohsen-fakhrizadeh-2020"]
    # The killing is the article's own word: no credibility, no hedge for the event itself...
    assert (row["status"], row["credibility"], row["event_hedge"]) == ("reported", "", "")
    # ...but Israel's part is Tehran's claim, and says so beside it.
    assert (row["actor1_ids"], row["actor1_names"]) == ("act-israel", "Israel")
    assert (row["actor1_claimed_by_ids"], row["actor1_credibility"]) == ("act-iran", "3")
    assert row["actor1_hedge"] == (
        'act-israel: claimed by Iran (act-iran), credibility 3 (possibly true), in the words: deemed / "assassination"'
    )
    assert (row["actor2_ids"], row["actor2_hedge"]) == ("act-mohsen-fakhrizadeh", "")
    assert (row["claimant_ids"], row["claimant_names"], row["reliability"]) == ("act-iran", "Iran", "F")
    assert (row["outcome"], row["fatalities"]) == ("carried-out", "")


def test_an_alleged_event_carries_its_claimant_its_reporter_their_grades_and_the_report_date(flat):
    relayed = flat["evt-istanbul-plot"]
    assert (relayed["claimant_ids"], relayed["claimant_names"], relayed["reliability"]) == (
        "act-police-spokesperson",
        "@police spokesperson",
        "C",
    )
    assert (relayed["reporter_ids"], relayed["reporter_names"], relayed["reporter_reliability"]) == (
        "act-fixture-wire",
        "Fixture Wire",
        "B",
    )
    assert relayed["credibility"] == "2"
    assert relayed["event_hedge"].startswith(
        "claimed by @police spokesperson (act-police-spokesperson) via Fixture Wire (act-fixture-wire), credibility 2"
    )
    dated = flat["evt-fixture-istanbul-kidnap-plot"]
    # When it was claimed, kept apart from when it happened.
    assert (dated["date_start"], dated["report_date_start"], dated["report_date_first_day"]) == (
        "2022-06",
        "2022-06-16",
        "2022-06-16",
    )


def test_roles_resting_on_the_events_claim_are_hedged_with_it(flat):
    row = flat["evt-fixture-istanbul-kidnap-plot"]
    assert listed(row["actor1_ids"]) == ["act-fixture-iranian-cell", "act-iran-intelligence-ministry"]
    assert row["actor1_claimed_by_ids"] == row["actor2_claimed_by_ids"] == "act-fixture-turkish-officials"
    assert [part.split(": ")[0] for part in listed(row["actor1_hedge"])] == listed(row["actor1_ids"])
    assert all("credibility 3 (possibly true)" in part for part in listed(row["actor2_hedge"]))


def test_denials_show_who_denies_and_in_which_record_beside_what_they_deny(flat):
    plot = flat["evt-fixture-istanbul-kidnap-plot"]
    assert (plot["denied_by_ids"], plot["denial_ids"]) == ("act-iran", "evt-fixture-iran-denial")
    assert plot["event_hedge"].endswith("denied by Iran (act-iran) in evt-fixture-iran-denial")
    # A denial of one participant's part is shown beside that part only.
    bombing = flat["evt-buenos-aires-bombing"]
    assert (bombing["denied_by_ids"], bombing["denial_ids"]) == ("act-iran", "evt-iran-denies-plot")
    assert bombing["event_hedge"] == ""
    assert bombing["actor1_hedge"] == (
        "act-iran: claimed by no one the article names, credibility 6 (truth cannot be judged), "
        "in the words: blames, denied by Iran (act-iran) in evt-iran-denies-plot"
    )


def test_an_unattributed_claim_adds_no_claimant_but_is_still_hedged(flat):
    bombing = flat["evt-buenos-aires-bombing"]
    assert (bombing["actor1_ids"], bombing["actor1_claimed_by_ids"], bombing["actor1_credibility"]) == (
        "act-iran",
        "",
        "6",
    )
    assert bombing["claimant_ids"] == ""


def test_events_resting_only_on_unnamed_sources_are_marked(flat):
    marked = {event for event, row in flat.items() if row["rests_on_unnamed_sources"] == "true"}
    # The investigators and the officials are unnamed; Lapid, the police spokesperson and
    # the killing on the article's own word are not.
    assert marked == {"evt-fixture-review-abduction-plot", "evt-fixture-istanbul-kidnap-plot"}
    assert {row["rests_on_unnamed_sources"] for row in flat.values()} == {"true", "false"}


def test_claimed_participants_countries_are_beside_the_plain_ones_never_in_them(flat):
    killing = flat["evt-assassination-mohsen-fakhrizadeh-2020"]
    assert (killing["actor_country_codes"], killing["claimed_actor_country_codes"]) == ("IR", "IL")
    alleged = flat["evt-iranian-assassination-plot-israelis-istanbul-2022"]
    assert (alleged["actor_country_codes"], alleged["claimed_actor_country_codes"]) == ("", "IL; IR")
    arrests = flat["evt-istanbul-plot-arrests"]
    assert (arrests["actor_country_codes"], arrests["claimed_actor_country_codes"]) == ("IR; TR", "")


def test_actor1_is_the_initiator_outside_hostile_events_and_actor2_the_targets(flat):
    visit = flat["evt-lapid-visit-turkey-planned-2022-06-23"]
    assert (visit["actor1_ids"], visit["actor2_ids"]) == ("act-yair-lapid", "act-turkey; act-mevlut-cavusoglu")
    assert (visit["actor1_hedge"], visit["outcome"]) == ("", "")
    # In a hostile event the perpetrators act, even where the same actor is also an initiator.
    assert flat["evt-istanbul-plot"]["actor1_ids"] == "act-plot-cell"
    assert flat["evt-istanbul-plot"]["actor2_ids"] == "act-israeli-tourists"


def edited_rows(fixture_export, event_id: str, edit) -> dict[str, Any]:
    corpus, _ = fixture_export
    records = [Record(r.kind, copy.deepcopy(r.data), r.file, r.path) for r in corpus.records]
    edit(next(r.data for r in records if r.id == event_id))
    table = TABLE_BY_NAME["events_flat"]
    names = [column.name for column in table.columns]
    found = [
        dict(zip(names, values, strict=True))
        for values in rows(table, CorpusIndex(corpus.root, records, corpus.schemas))
    ]
    return next(row for row in found if row["id"] == event_id)


def test_a_hostile_event_that_names_no_perpetrator_has_its_initiators_as_actor1(fixture_export):
    def no_perpetrator(data: dict) -> None:
        data["participants"] = [p for p in data["participants"] if p["role"] != "perpetrator"]

    assert edited_rows(fixture_export, "evt-istanbul-plot", no_perpetrator)["actor1_ids"] == "act-plot-cell"


def test_fatalities_are_the_number_the_text_gives_and_empty_otherwise_never_zero(fixture_export, flat):
    assert {row["fatalities"] for row in flat.values()} == {""}

    def killed(data: dict) -> None:
        data["fatalities"] = 85

    assert edited_rows(fixture_export, "evt-buenos-aires-bombing", killed)["fatalities"] == 85


# --- claims.csv and the link tables ------------------------------------------------------


def test_a_claims_row_gives_the_whole_footing_of_one_assertion(claim_rows):
    row = claim_rows["evt-istanbul-plot"]
    assert {key: row[key] for key in ("record_id", "record_kind", "what", "relation", "actor_id", "inherited")} == {
        "record_id": "evt-istanbul-plot",
        "record_kind": "event",
        "what": "occurrence",
        "relation": "",
        "actor_id": "",
        "inherited": "false",
    }
    assert (row["claimant_id"], row["unattributed"], row["via_ids"], row["reporter_id"]) == (
        "act-police-spokesperson",
        "false",
        "act-fixture-wire",
        "act-fixture-wire",
    )
    assert (row["credibility"], row["claimant_reliability"], row["reporter_reliability"]) == ("2", "C", "B")
    assert row["credibility_reason"].startswith("The police who made the arrests")
    role = claim_rows["evt-istanbul-plot/participants/0"]
    assert (role["what"], role["relation"], role["actor_id"], role["inherited"]) == (
        "role",
        "perpetrator",
        "act-plot-cell",
        "true",
    )


def test_claims_rows_keep_hedge_words_notes_dates_and_denials(claim_rows):
    assert claim_rows["evt-assassination-mohsen-fakhrizadeh-2020/participants/1"]["hedges"] == 'deemed; "assassination"'
    assert (
        claim_rows["evt-iranian-plot-kidnap-kill-israelis-istanbul-2022"]["note"]
        == "He called on Israelis to avoid Istanbul because of the plot."
    )
    plot = claim_rows["evt-fixture-istanbul-kidnap-plot"]
    assert (plot["report_date_start"], plot["report_date_precision"]) == ("2022-06-16", "day")
    for key in ("evt-fixture-istanbul-kidnap-plot", "evt-fixture-istanbul-kidnap-plot/participants/0"):
        assert (claim_rows[key]["denied_by_ids"], claim_rows[key]["denial_ids"]) == (
            "act-iran",
            "evt-fixture-iran-denial",
        )


def test_an_unattributed_claim_is_graded_f_and_rests_on_no_named_source(claim_rows):
    row = claim_rows["evt-buenos-aires-bombing/participants/0"]
    assert (row["claimant_id"], row["unattributed"], row["reporter_id"]) == ("", "true", "")
    assert (row["claimant_reliability"], row["reporter_reliability"], row["rests_on_unnamed_sources"]) == (
        "F",
        "F",
        "true",
    )


def test_affiliations_and_participants_point_into_claims_csv(fixture_export, claim_rows):
    _, folder = fixture_export
    affiliation = next(
        r for r in read_table(folder, "actor_affiliations") if r["actor_id"] == "act-fixture-iranian-cell"
    )
    assert (affiliation["claimed_by_id"], affiliation["credibility"]) == ("act-fixture-turkish-officials", "3")
    assert claim_rows[affiliation["claim_id"]]["what"] == "affiliation"
    participants = {(r["event_id"], r["index"]): r for r in read_table(folder, "event_participants")}
    israel = participants[("evt-assassination-mohsen-fakhrizadeh-2020", "1")]
    assert (israel["claimed_by_id"], israel["credibility"]) == ("act-iran", "3")
    assert participants[("evt-assassination-mohsen-fakhrizadeh-2020", "0")]["claim_id"] == ""
    events = {r["id"]: r for r in read_table(folder, "events")}
    assert events["evt-istanbul-plot"]["claim_id"] == "evt-istanbul-plot"
    assert events["evt-assassination-mohsen-fakhrizadeh-2020"]["claim_id"] == ""


def test_actors_say_whether_they_are_named_and_how_reliable_they_are_as_sources(fixture_export):
    actors = {row["id"]: row for row in read_table(fixture_export[1], "actors")}
    assert (
        actors["act-fixture-turkish-investigators"]["unnamed"],
        actors["act-fixture-turkish-investigators"]["reliability"],
    ) == (
        "true",
        "F",
    )
    assert (actors["act-fixture-wire"]["unnamed"], actors["act-fixture-wire"]["reliability"]) == ("false", "B")


def test_the_data_package_keys_claims_csv_and_the_tables_that_point_into_it(fixture_export):
    package = json.loads((fixture_export[1] / PACKAGE_FILE).read_text(encoding="utf-8"))
    schemas = {r["name"]: r["schema"] for r in package["resources"]}
    assert schemas["claims"]["primaryKey"] == ["id"]
    keys = {
        (name, fk["fields"][0]): fk["reference"]["resource"]
        for name, s in schemas.items()
        for fk in s.get("foreignKeys", [])
    }
    for table in ("events", "event_participants", "actor_affiliations", "links"):
        assert keys[(table, "claim_id")] == "claims"
    assert keys[("claims", "claimant_id")] == keys[("claims", "reporter_id")] == "actors"
    assert keys[("claims", "record_id")] == "records"
    types = {f["name"]: f["type"] for f in schemas["claims"]["fields"]}
    assert (types["credibility"], types["unattributed"], types["report_date_first_day"]) == (
        "integer",
        "boolean",
        "date",
    )


def test_frictionless_catches_a_claim_key_that_points_at_no_claim(fixture_export, tmp_path):
    broken = tmp_path / "csv"
    shutil.copytree(fixture_export[1], broken)
    participants = broken / "event_participants.csv"
    text = participants.read_bytes().replace(b"evt-istanbul-plot/participants/0,", b"evt-istanbul-plot/participants/9,")
    participants.write_bytes(text)
    report = frictionless.validate(broken / PACKAGE_FILE)
    assert {error.type for task in report.tasks for error in task.errors} == {"foreign-key"}


@pytest.mark.parametrize(
    ("table", "key", "column", "cell"),
    [
        ("claims", "evt-istanbul-plot", "claimant_name", "'@police spokesperson"),
        ("events_flat", "evt-istanbul-plot", "claimant_names", "'@police spokesperson"),
        ("events_flat", "evt-istanbul-plot", "actor1_names", '\'=HYPERLINK("http://x","y")'),
    ],
)
def test_claim_cells_that_would_run_as_formulas_get_an_apostrophe(fixture_export, table, key, column, cell):
    with (fixture_export[1] / f"{table}.csv").open(encoding="utf-8", newline="") as stream:
        assert [row[column] for row in csv.DictReader(stream) if row["id"] == key] == [cell]


# --- the docs' example ------------------------------------------------------------------


def docs_example(table: str) -> tuple[str, dict[str, str]]:
    docs = DOCS.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {table} (\S+) -->\n((?:\|.*\n)+)", docs)
    assert found, f"docs/export-csv.md has no example of {table}"
    cells = {}
    for line in found.group(2).splitlines()[2:]:
        column, value = (part.strip() for part in line.strip("|").split(" | ", 1))
        cells[column.strip("`")] = "" if value == "(empty)" else value.strip("`").replace("\\|", "|")
    return found.group(1), cells


@pytest.mark.parametrize("table", ["events_flat", "claims"])
def test_the_docs_example_rows_are_what_the_export_writes(fixture_export, table):
    key, cells = docs_example(table)
    row = next(r for r in read_table(fixture_export[1], table) if r["id"] == key)
    assert cells == {column: row[column] for column in cells}
