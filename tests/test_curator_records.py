"""Finding and reusing records: `toolkit find`, `toolkit show`, `toolkit new --name` and `new source --text`.

The corpus is a small one of its own (tests/curator_corpus/): an intelligence
service named "MIT" with the alias "Turkish intelligence", a branch of it, a
foreign minister spelled with Turkish letters, a state, a city, an event and
the article they come from.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import ToolkitRunner
from toolkit.name_keys import fold
from toolkit.record_search import SearchIndex, find, read_corpus
from toolkit.record_show import RecordNotFound, show
from toolkit.validation import validate
from toolkit.yaml_strict import parse_yaml

CORPUS = Path(__file__).resolve().parent / "curator_corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the curator corpus that a test may change."""
    copy = tmp_path / "annotations"
    shutil.copytree(CORPUS, copy)
    return copy


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(read_corpus(CORPUS).records)


def first_id(index: SearchIndex, query: str, kind: str | None = None) -> str | None:
    found = index.search(query, kind=kind)
    return found[0].record.id if found else None


def test_the_curator_corpus_is_valid_even_strictly() -> None:
    report = validate([CORPUS])
    assert report.findings == ()
    assert report.records == 7


# One folding of names


@pytest.mark.parametrize("spelling", ["MİT", "MIT", "mit", "Mıt", "M.I.T.", " mit "])
def test_spellings_of_one_name_fold_to_one_key(spelling: str) -> None:
    assert fold(spelling) == "mit"


def test_accents_apostrophes_and_hyphens_fold_away() -> None:
    assert fold("Mevlüt Çavuşoğlu") == fold("Mevlut Cavusoglu") == "mevlut cavusoglu"
    assert fold("Israel’s") == fold("Israel's") == "israels"
    assert fold("Amir-Abdollahian") == fold("amir  abdollahian")


def test_a_name_of_only_punctuation_folds_to_nothing() -> None:
    assert fold(" -- ") == ""


# toolkit find


@pytest.mark.parametrize("query", ["MİT", "mit", "MIT", "Turkish intelligence", "turkish INTELLIGENCE", "MTI"])
def test_the_intelligence_service_is_found_first_by_its_name_its_alias_and_a_typo(
    index: SearchIndex, query: str
) -> None:
    assert first_id(index, query) == "act-mit"


@pytest.mark.parametrize("query", ["Cavusoglu", "Çavuşoğlu", "cavusolgu", "Mevlut Cavusoglu"])
def test_the_minister_is_found_with_or_without_turkish_letters_and_with_a_typo(index: SearchIndex, query: str) -> None:
    assert first_id(index, query) == "act-mevlut-cavusoglu"


def test_an_exact_match_ranks_before_a_prefix_match_and_a_prefix_before_a_fuzzy_one(index: SearchIndex) -> None:
    found = index.search("mit")

    assert [(m.record.id, m.tier) for m in found[:3]] == [
        ("act-mit", "exact"),
        ("act-mit-counterintelligence-branch", "prefix"),
        ("evt-mit-detains-iranian-cell-2022-06-23", "prefix"),
    ]


def test_a_match_says_which_field_matched_and_each_record_comes_once(index: SearchIndex) -> None:
    found = index.search("turkish intelligence")

    assert (found[0].label, found[0].path, found[0].text) == ("alias", ("aliases", 0), "Turkish intelligence")
    assert len({m.record.id for m in found}) == len(found)


def test_position_titles_are_searched_and_the_kind_narrows_the_search(index: SearchIndex) -> None:
    found = index.search("foreign minister", kind="actor")

    assert found[0].record.id == "act-mevlut-cavusoglu"
    assert found[0].label == "position"
    assert all(m.record.kind.name == "actor" for m in found)
    assert first_id(index, "iranian cell", kind="event") == "evt-mit-detains-iranian-cell-2022-06-23"


def test_the_limit_caps_the_records_found(index: SearchIndex) -> None:
    assert len(index.search("mit", limit=1)) == 1


def test_a_query_with_nothing_to_match_is_a_usage_error(index: SearchIndex) -> None:
    from toolkit.errors import ToolkitError

    with pytest.raises(ToolkitError, match="no letter or digit"):
        index.search("--")


def test_find_prints_the_file_and_line_of_what_matched(run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["find", "Turkish intelligence", "--corpus", str(CORPUS), "--limit", "1"])

    line = result.stdout.strip()
    assert line.endswith("act-mit  actor  MIT  [alias 'Turkish intelligence', exact]")
    assert line.split("  ")[0].endswith("actors/act-mit.yaml:5")


def test_find_writes_json_for_scripts(run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["find", "MTI", "--corpus", str(CORPUS), "--format", "json"])

    data = json.loads(result.stdout)
    assert data["query"] == "MTI"
    first = data["matches"][0]
    assert (first["id"], first["kind"], first["name"], first["tier"]) == ("act-mit", "actor", "MIT", "fuzzy")
    assert first["matched"] == {"field": "name", "path": "$.name", "text": "MIT"}
    assert first["line"] == 3
    assert data["unreadable_files"] == 0


def test_find_exits_1_when_nothing_matches(run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["find", "zzzqqx", "--corpus", str(CORPUS)], expect=1)

    assert result.stdout == ""
    assert "no record matches 'zzzqqx'" in result.stderr


def test_find_reads_the_corpus_as_validate_does_and_says_what_it_could_not_read(
    corpus: Path, run_toolkit: ToolkitRunner
) -> None:
    (corpus / "actors" / "act-broken.yaml").write_text("id: act-broken\nname: [unclosed\n", encoding="utf-8")

    result = run_toolkit(["find", "mit", "--corpus", str(corpus)])

    assert "act-mit" in result.stdout
    assert "1 file of the corpus could not be read" in result.stderr


def test_find_in_a_folder_that_is_no_corpus_is_a_usage_error(tmp_path: Path, run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["find", "mit", "--corpus", str(tmp_path)], expect=2)

    assert "not a corpus folder" in result.stderr


# toolkit show


def test_show_lists_what_refers_to_a_record_with_the_field_and_how() -> None:
    shown = show("act-mit", CORPUS)

    referring = {(r.record.id, r.field, tuple(r.details.values())) for r in shown.referenced_by}
    assert referring == {
        ("act-mit-counterintelligence-branch", "affiliations[0].actor", ("part-of",)),
        ("evt-mit-detains-iranian-cell-2022-06-23", "participants[0].actor", ("initiator",)),
    }
    assert [(c.source_id, c.quotes) for c in shown.cites] == [("src-istanbul-cell", 1)]


def test_show_names_a_position_by_its_title_and_a_source_by_the_quotes_citing_it() -> None:
    turkey = show("act-turkey", CORPUS)
    source = show("src-istanbul-cell", CORPUS)

    assert ("act-mevlut-cavusoglu", "positions[0].in") in {(r.record.id, r.field) for r in turkey.referenced_by}
    position = next(r for r in turkey.referenced_by if r.field == "positions[0].in")
    assert position.details == {"title": "Foreign Minister", "status": "current"}
    quoted = next(r for r in source.referenced_by if r.record.id == "act-turkey")
    assert quoted.details == {"quote": "Turkey said the plot targeted tourists."}


def test_show_prints_the_record_its_references_and_its_sources(run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["show", "act-mevlut-cavusoglu", "--corpus", str(CORPUS)])

    out = result.stdout
    assert out.startswith("act-mevlut-cavusoglu (actor): Mevlüt Çavuşoğlu\n")
    assert "  name: Mevlüt Çavuşoğlu\n" in out
    # Who claims the arrest is a claim's `by`, not a participant's role.
    assert "evt-mit-detains-iranian-cell-2022-06-23 claim.by" in out
    assert "events/evt-mit-detains-iranian-cell-2022-06-23.yaml:5" in out
    assert "src-istanbul-cell (1 quote): Turkish intelligence detains Iranian cell in Istanbul" in out


def test_show_writes_json_for_scripts(run_toolkit: ToolkitRunner) -> None:
    data = json.loads(run_toolkit(["show", "loc-istanbul", "--corpus", str(CORPUS), "-f", "json"]).stdout)

    assert data["record"]["name"] == "Istanbul"
    assert data["referenced_by"] == [
        {
            "id": "evt-mit-detains-iranian-cell-2022-06-23",
            "kind": "event",
            "field": "location",
            "details": {},
            "file": data["referenced_by"][0]["file"],
            "line": 15,
        }
    ]
    assert data["cites"][0]["source"] == "src-istanbul-cell"


def test_show_of_an_unknown_id_exits_1_and_suggests_the_closest(run_toolkit: ToolkitRunner) -> None:
    with pytest.raises(RecordNotFound) as missing:
        show("act-mti", CORPUS)
    assert missing.value.suggestions[0].id == "act-mit"

    result = run_toolkit(["show", "act-mti", "--corpus", str(CORPUS)], expect=1)
    assert "no record has the id 'act-mti'; did you mean: act-mit" in result.stderr


# toolkit new --name


def test_new_actor_with_a_name_taken_under_another_spelling_says_so_and_still_writes(
    corpus: Path, run_toolkit: ToolkitRunner
) -> None:
    result = run_toolkit(["new", "actor", "act-mit-2", "--name", "MİT", "--corpus", str(corpus)])

    assert "already named so" in result.stdout
    assert "act-mit  'MIT'" in result.stdout
    written = corpus / "actors" / "act-mit-2.yaml"
    assert parse_yaml(written.read_text(encoding="utf-8"), "x").data["name"] == "MİT"  # type: ignore[index]


def test_new_actor_with_strict_writes_nothing_when_the_name_is_taken(corpus: Path, run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["new", "actor", "act-mit-2", "--name", "mit", "--strict", "--corpus", str(corpus)], expect=1)

    assert "nothing written" in result.stdout
    assert not (corpus / "actors" / "act-mit-2.yaml").exists()


def test_new_actor_with_a_fresh_name_lists_close_names_only(corpus: Path, run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["new", "actor", "act-mit-chief", "--name", "MIT chief", "--strict", "--corpus", str(corpus)])

    assert "already named so" not in result.stdout
    assert "close names:" in result.stdout
    assert (corpus / "actors" / "act-mit-chief.yaml").exists()


def test_a_second_actor_under_another_spelling_is_a_name_duplicate_warning(corpus: Path) -> None:
    (corpus / "actors" / "act-turkish-intelligence.yaml").write_text(
        (corpus / "actors" / "act-mit.yaml")
        .read_text(encoding="utf-8")
        .replace("act-mit", "act-turkish-intelligence")
        .replace('name: "MIT"', 'name: "MİT"')
        .replace('  - "Turkish intelligence"\n', '  - "Milli İstihbarat"\n'),
        encoding="utf-8",
    )

    findings = [f for f in validate([corpus]).findings if f.rule == "name-duplicate"]

    assert [(Path(f.file).name, f.line, f.path) for f in findings] == [("act-turkish-intelligence.yaml", 3, "$.name")]
    assert "act-mit" in findings[0].message and "act-mit.yaml" in findings[0].message


def test_name_is_only_for_kinds_that_have_one(corpus: Path, run_toolkit: ToolkitRunner) -> None:
    result = run_toolkit(["new", "event", "evt-x", "--name", "X", "--corpus", str(corpus)], expect=2)

    assert "--name is for the kinds that have a name (actor, location)" in result.stderr


# toolkit new source --text


def test_new_source_with_a_text_copies_it_beside_the_record_and_records_its_checksum(
    corpus: Path, tmp_path: Path, run_toolkit: ToolkitRunner
) -> None:
    article = tmp_path / "downloaded article.txt"
    article.write_bytes("Ankara, Thursday – İstanbul’s police said…".encode())

    result = run_toolkit(["new", "source", "src-ankara-police", "--text", str(article), "--corpus", str(corpus)])

    copied = corpus / "sources" / "src-ankara-police.txt"
    assert copied.read_bytes() == article.read_bytes()
    record = parse_yaml((corpus / "sources" / "src-ankara-police.yaml").read_text(encoding="utf-8"), "x").data
    assert record is not None
    assert record["text"] == "src-ankara-police.txt"
    assert record["sha256"] == hashlib.sha256(article.read_bytes()).hexdigest()
    assert "copied the text to" in result.stdout
    rules = {f.rule for f in validate([corpus]).findings if "src-ankara-police" in f.file}
    assert not rules & {"source-text-missing", "source-sha256-mismatch", "source-text-outside"}


def test_new_source_never_overwrites_a_text_and_writes_nothing_then(
    corpus: Path, tmp_path: Path, run_toolkit: ToolkitRunner
) -> None:
    article = tmp_path / "article.txt"
    article.write_text("New words.", encoding="utf-8")
    existing = corpus / "sources" / "src-other.txt"
    existing.write_text("Old words.", encoding="utf-8")

    result = run_toolkit(["new", "source", "src-other", "--text", str(article), "--corpus", str(corpus)], expect=2)

    assert "never overwrites a text" in result.stderr
    assert existing.read_text(encoding="utf-8") == "Old words."
    assert not (corpus / "sources" / "src-other.yaml").exists()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"caf\xe9", "not UTF-8"),
        (b"\xef\xbb\xbfA text with a BOM.", "byte-order mark"),
        (b"A text\x00with a NUL.", "NUL byte"),
        (b"  \n", "holds no text"),
    ],
)
def test_new_source_refuses_a_text_that_validate_would_refuse(
    corpus: Path, tmp_path: Path, run_toolkit: ToolkitRunner, content: bytes, why: str
) -> None:
    article = tmp_path / "article.txt"
    article.write_bytes(content)

    result = run_toolkit(["new", "source", "src-bad", "--text", str(article), "--corpus", str(corpus)], expect=2)

    assert why in result.stderr
    assert not list((corpus / "sources").glob("src-bad*"))


def test_text_is_only_for_sources_and_a_missing_file_is_a_usage_error(
    corpus: Path, tmp_path: Path, run_toolkit: ToolkitRunner
) -> None:
    article = tmp_path / "article.txt"
    article.write_text("Words.", encoding="utf-8")

    wrong_kind = run_toolkit(["new", "actor", "act-x", "--text", str(article), "--corpus", str(corpus)], expect=2)
    missing = run_toolkit(["new", "source", "src-x", "--text", str(tmp_path / "nope.txt"), "--corpus", str(corpus)], 2)

    assert "--text is for sources" in wrong_kind.stderr
    assert "cannot read the text file" in missing.stderr


def test_a_source_may_record_its_page_its_retrieval_and_where_its_text_is_cut(corpus: Path) -> None:
    record = corpus / "sources" / "src-istanbul-cell.yaml"
    record.write_text(
        record.read_text(encoding="utf-8")
        + 'url: "https://example.org/2022/06/23/istanbul-cell"\n'
        + 'retrieved: "2022-06-25"\n'
        + "truncated:\n"
        + '  note: "Ends after the third sentence: the rest is behind a paywall."\n',
        encoding="utf-8",
    )
    assert validate([corpus]).findings == ()

    record.write_text(record.read_text(encoding="utf-8").split("truncated:")[0] + "truncated: {}\n", encoding="utf-8")
    assert {f.rule for f in validate([corpus]).findings} == {"schema-required"}


def test_find_returns_what_was_loaded_with_the_matches() -> None:
    matches, loaded = find("istanbul", CORPUS, kind="location")

    assert [m.record.id for m in matches] == ["loc-istanbul"]
    assert loaded.unreadable == 0 and len(loaded.records) == 7
