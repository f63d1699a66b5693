"""Tests of the tests: adding an article to ``annotations/`` must leave the suite green.

The live corpus grows with every article, so no test may pin it byte for byte:
snapshots are taken of fixture corpora only, and the live corpus is checked for
validity, a complete export and the outside validators. These tests keep it so,
and check that the rule examples' overlays build as their README says.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import toolkit
from corpus_overlay import (
    BASE,
    DELETE_LIST,
    REPORT_FIXTURE,
    RULES_DIR,
    build_corpus,
    deleted_paths,
    expand_quotes,
    rule_cases,
)
from toolkit.exporters import FORMATS
from toolkit.exporting import export

TESTS = Path(__file__).resolve().parent
LIVE = TESTS.parent / "annotations"
# What the tests compare outputs against (pytest-regressions' snapshots, wherever they
# are kept): every file of tests/ but code, records, docs and the articles' texts.
NOT_SNAPSHOTS = {".py", ".pyc", ".yaml", ".yml", ".md"}
SNAPSHOT_FILES = sorted(
    path
    for path in TESTS.rglob("*")
    if path.is_file()
    and not path.is_symlink()
    and path.suffix not in NOT_SNAPSHOTS
    and "__pycache__" not in path.parts
    and not (path.suffix == ".txt" and (path.parent.name == "sources" or path.name == DELETE_LIST))
)


def _record_ids(root: Path) -> set[str]:
    return {path.stem for path in root.rglob("*.yaml")}


def test_no_snapshot_holds_a_record_found_only_in_the_live_corpus() -> None:
    # A snapshot of the live corpus would hold its records' ids; a fixture corpus may
    # share some of them (an excerpt of the same article), never all.
    fixture_ids = _record_ids(TESTS)
    live_only = _record_ids(LIVE) - fixture_ids
    assert live_only, "every live record has a fixture namesake: this test would prove nothing"
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(live_only))) + r")\b")

    pinned = {
        path.relative_to(TESTS).as_posix(): match.group()
        for path in SNAPSHOT_FILES
        for match in [pattern.search(path.read_bytes().decode("utf-8", "replace"))]
        if match
    }

    assert pinned == {}, "snapshot these from a fixture corpus, not from annotations/"


def _add_an_article(corpus: Path) -> None:
    """Add a whole new article to ``corpus``: the rule examples' base, every id made new."""
    article = build_corpus(BASE, corpus.parent / "article")
    renames = {stem: f"{stem[:4]}new-article-{stem[4:]}" for stem in _record_ids(article)}
    for path in sorted(article.rglob("*")):
        if path.is_file():
            target = corpus / path.relative_to(article)
            for old, new in renames.items():
                target = target.with_name(target.name.replace(old, new))
            text = path.read_bytes()
            if path.suffix == ".yaml":
                for old, new in renames.items():
                    text = re.sub(rb"\b" + re.escape(old.encode()) + rb"\b", new.encode(), text)
                # Names of its own too: an article that makes a second "Yair Lapid" beside
                # the live one is what the name-duplicate rule warns about.
                text = re.sub(rb"(?m)^name: (.+)$", rb"name: \1 (new article)", text)
            assert not target.exists(), target
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text)


def test_a_new_article_in_the_live_corpus_passes_the_checks_the_live_corpus_gets(tmp_path: Path) -> None:
    grown = tmp_path / "annotations"
    shutil.copytree(LIVE, grown)
    _add_an_article(grown)

    before, after = toolkit.validate([LIVE]), toolkit.validate([grown])

    assert after.records == before.records + len(_record_ids(BASE))
    assert [(f.rule, Path(f.file).name, f.message) for f in after.findings] == [
        (f.rule, Path(f.file).name, f.message) for f in before.findings
    ]
    written = export(["all"], tmp_path / "out", grown, jobs=1).folders
    assert sorted(written) == sorted(FORMATS)


def test_every_overlay_builds_and_deletes_only_files_of_the_base(tmp_path: Path) -> None:
    base_files = {path.relative_to(BASE).as_posix() for path in BASE.rglob("*") if path.is_file()}
    for case in rule_cases():
        assert set(deleted_paths(case)) <= base_files, case / DELETE_LIST
        built = build_corpus(case, tmp_path / case.parent.name / case.name)
        assert not (built / DELETE_LIST).exists()


def test_an_overlay_that_deletes_what_the_base_lacks_fails_to_build(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / DELETE_LIST).write_text("actors/act-nobody.yaml\n", encoding="utf-8")

    with pytest.raises(FileNotFoundError, match="act-nobody"):
        build_corpus(case, tmp_path / "built")


def test_an_overlay_adds_replaces_and_deletes_files_of_the_base(tmp_path: Path) -> None:
    case = tmp_path / "case"
    (case / "actors").mkdir(parents=True)
    (case / "actors" / "act-someone.yaml").write_text("id: act-someone\n", encoding="utf-8")
    (case / "events").mkdir()
    (case / "events" / "evt-lapid-visit-turkey.yaml").write_text("id: replaced\n", encoding="utf-8")
    (case / DELETE_LIST).write_text("# the location goes\nlocations/loc-turkey.yaml\n", encoding="utf-8")

    built = build_corpus(case, tmp_path / "built")

    assert (built / "actors" / "act-someone.yaml").read_text(encoding="utf-8") == "id: act-someone\n"
    assert (built / "events" / "evt-lapid-visit-turkey.yaml").read_text(encoding="utf-8") == "id: replaced\n"
    assert not (built / "locations" / "loc-turkey.yaml").exists()
    base_actor = (BASE / "actors" / "act-yair-lapid.yaml").read_text(encoding="utf-8")
    assert (built / "actors" / "act-yair-lapid.yaml").read_text(encoding="utf-8") == expand_quotes(base_actor)


def test_the_short_form_of_evidence_is_written_out_as_the_records_evidence() -> None:
    short = 'id: act-x\nname: X\n# quote src-a: Foreign Minister\n# quote src-b: "a \\"quoted\\" one"\n'

    assert expand_quotes(short) == (
        "id: act-x\nname: X\nevidence:\n  - source: src-a\n    quote: Foreign Minister\n"
        '  - source: src-b\n    quote: "a \\"quoted\\" one"\n'
    )
    # Only a run of such lines that ends the file is the short form.
    assert expand_quotes("# quote src-a: x\nid: act-x\n") == "# quote src-a: x\nid: act-x\n"


def test_fixtures_whose_evidence_is_beside_the_point_use_the_short_form() -> None:
    # When evidence changes shape, expand_quotes changes, not these files.
    spelled_out = [
        path.relative_to(TESTS).as_posix()
        for folder in (RULES_DIR, REPORT_FIXTURE)
        for path in sorted(folder.rglob("*.y*ml"))
        if not path.is_symlink() and b"\nevidence:" in path.read_bytes()
    ]
    assert len(spelled_out) <= 15, spelled_out


def test_the_rule_examples_hold_the_article_text_once() -> None:
    # Each case holds only what differs from the base; a copy of the base's text is a copy too many.
    text = (BASE / "sources" / "src-lapid-visit.txt").read_bytes()
    copies = [
        path
        for path in RULES_DIR.rglob("*.txt")
        if path.is_file() and not path.is_symlink() and path.read_bytes() == text
    ]
    assert copies == [BASE / "sources" / "src-lapid-visit.txt"]
