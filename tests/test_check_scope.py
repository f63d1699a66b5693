"""The contract of the checks across files (toolkit/check_scope.py): a record's findings depend on its neighbours only.

Each rule's example corpora, the corpus that breaks every rule, and the export
corpus are checked whole, then file by file over each file's neighbourhood alone
(as the language server judges a document), and after each file is deleted or
added back, over the files the change can reach alone (as a validate after an edit
through the cache does). Every way must give the whole run's findings: a new check
that looks further than its neighbours fails here, with the file and rule named.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from corpus_overlay import EXPORT_CORPUS, REPORT_FIXTURE, RULES_DIR, build_corpus, build_fixture, rule_cases
from toolkit.check_scope import Footprint, ScopeIndex, findings_within, footprint_of, recheck
from toolkit.corpus_index import CorpusIndex
from toolkit.loading import load_corpus
from toolkit.model import Finding, Record
from toolkit.reference_fields import reference_fields, values_at
from toolkit.schema_loader import SchemaSet, load_schemas
from toolkit.validation import CORPUS_CHECKS

SCHEMAS = load_schemas()
CASES = [case for case in rule_cases() if case.name == "invalid"]


def _whole(root: Path, records: list[Record], schemas: SchemaSet) -> list[Finding]:
    index = CorpusIndex(root, records, schemas)
    return [finding for check in CORPUS_CHECKS for finding in check(index)]


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)


def _scope(records: list[Record]) -> ScopeIndex:
    return ScopeIndex({record.file: footprint_of(record, SCHEMAS) for record in records})


@pytest.fixture(
    params=[*CASES, REPORT_FIXTURE, EXPORT_CORPUS],
    ids=lambda case: case.parent.name if case.name == "invalid" else case.name,
)
def corpus(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[Record]]:
    case: Path = request.param
    built = (
        build_corpus(case, tmp_path / "corpus") if case.name == "invalid" else build_fixture(case, tmp_path / "corpus")
    )
    monkeypatch.chdir(tmp_path)
    return built, load_corpus(Path("corpus")).records


def test_each_file_judged_over_its_neighbourhood_alone_gets_the_whole_runs_findings(
    corpus: tuple[Path, list[Record]],
) -> None:
    root, records = corpus
    whole = _whole(root, records, SCHEMAS)
    scope = _scope(records)
    by_file = {record.file: record for record in records}
    for file in by_file:
        alone = findings_within(scope, {file}, by_file.get, root, SCHEMAS, CORPUS_CHECKS)
        assert _sorted(alone) == _sorted([f for f in whole if f.file == file]), file


def test_after_a_file_is_deleted_or_added_judging_the_files_it_reaches_gives_the_whole_runs_findings(
    corpus: tuple[Path, list[Record]],
) -> None:
    root, records = corpus
    whole = _whole(root, records, SCHEMAS)
    for gone in records:
        fewer = [record for record in records if record is not gone]
        fewer_whole = _whole(root, fewer, SCHEMAS)
        by_file = {record.file: record for record in fewer}
        # Deleted: the corpus before held the record.
        before: dict[str, Footprint | None] = {gone.file: footprint_of(gone, SCHEMAS)}
        found = recheck(before, whole, _scope(fewer), by_file.get, root, SCHEMAS, CORPUS_CHECKS)
        assert found is not None
        assert _sorted(found) == _sorted(fewer_whole), f"{gone.file} deleted"
        # Added back: the corpus before lacked it.
        by_file = {record.file: record for record in records}
        found = recheck({gone.file: None}, fewer_whole, _scope(records), by_file.get, root, SCHEMAS, CORPUS_CHECKS)
        assert found is not None
        assert _sorted(found) == _sorted(whole), f"{gone.file} added"


def test_a_record_is_the_neighbour_of_what_it_mentions_what_mentions_it_and_what_shares_its_id_or_name(
    tmp_path: Path,
) -> None:
    records = load_corpus(build_fixture(EXPORT_CORPUS, tmp_path / "corpus")).records
    scope = _scope(records)
    event = next(record for record in records if record.kind.name == "event" and record.data.get("participants"))
    near = scope.neighbourhood({event.file})
    actor_ids = {part["actor"] for part in event.data["participants"]}
    assert {record.id for record in records if record.file in near} >= actor_ids | {event.id}
    mentioning = {record.file for record in records if event.id in footprint_of(record, SCHEMAS).mentions}
    assert mentioning <= near
    assert len(near) < len(records)  # not the corpus: that is the point


def _round_trip(root: Path) -> None:
    """Every file deleted then added back, judged both ways (the second test above, on a corpus built here)."""
    records = load_corpus(root).records
    whole = _whole(root, records, SCHEMAS)
    for gone in records:
        fewer = [record for record in records if record is not gone]
        before: dict[str, Footprint | None] = {gone.file: footprint_of(gone, SCHEMAS)}
        found = recheck(before, whole, _scope(fewer), {r.file: r for r in fewer}.get, root, SCHEMAS, CORPUS_CHECKS)
        assert found is not None
        assert _sorted(found) == _sorted(_whole(root, fewer, SCHEMAS)), f"{gone.file} deleted"


def test_a_supersedes_loop_through_four_advisories_is_judged_whole_from_any_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loop is reported once, on its first id, whose neighbours are not the whole
    # loop (the advisory across it is two steps away): the whole chain is in scope.
    root = build_corpus(RULES_DIR / "advisory-supersedes-cycle" / "invalid", tmp_path / "corpus")
    folder = root / "advisories"
    first = (folder / "adv-istanbul-before-level-4.yaml").read_text(encoding="utf-8")
    loop = ["adv-istanbul-before-level-4", "adv-istanbul-a-third", "adv-istanbul-a-fourth", "adv-istanbul-level-4"]
    for made, older in itertools.pairwise(loop):
        text = first.replace("id: adv-istanbul-before-level-4", f"id: {made}")
        (folder / f"{made}.yaml").write_text(text.replace(loop[-1] + "]", older + "]"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    records = load_corpus(Path("corpus")).records
    whole = _whole(root, records, SCHEMAS)
    assert [f.file for f in whole if f.rule == "advisory-supersedes-cycle"] == [
        "corpus/advisories/adv-istanbul-a-fourth.yaml"
    ]
    scope = _scope(records)
    by_file = {record.file: record for record in records}
    for file in by_file:
        alone = findings_within(scope, {file}, by_file.get, root, SCHEMAS, CORPUS_CHECKS)
        assert _sorted(alone) == _sorted([f for f in whole if f.file == file]), file
    _round_trip(Path("corpus"))


def test_a_did_you_mean_hint_follows_the_ids_a_change_adds_or_removes_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "act-yair-lapd" mentions no record, yet its hint names the closest actor: deleting
    # that actor changes the hint of a file the deletion does not otherwise reach.
    root = build_corpus(RULES_DIR / "ref-unresolved" / "invalid", tmp_path / "corpus")
    event = root / "events" / "evt-lapid-visit-turkey.yaml"
    event.write_text(
        event.read_text(encoding="utf-8").replace("actor: act-yair-lapid", "actor: act-yair-lapd"), "utf-8"
    )
    monkeypatch.chdir(tmp_path)
    records = load_corpus(Path("corpus")).records
    hints = [f.hint for f in _whole(root, records, SCHEMAS) if f.rule == "ref-unresolved"]
    assert "did you mean 'act-yair-lapid'?" in hints
    _round_trip(Path("corpus"))


def test_a_footprint_mentions_every_id_at_a_reference_field_of_any_kind(tmp_path: Path) -> None:
    # Any kind's fields: a record holding another kind's field (a schema error) is still read by some checks.
    fields = reference_fields(SCHEMAS)
    for fixture in (EXPORT_CORPUS, REPORT_FIXTURE):
        for record in load_corpus(build_fixture(fixture, tmp_path / fixture.name)).records:
            expected = {v for f in fields for _parts, v in values_at(record.data, f.path) if isinstance(v, str)}
            assert set(footprint_of(record, SCHEMAS).mentions) == expected, record.file
