"""A corpus parsed in several processes gives what one process gives: the same records, findings, order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.loading import MIN_FILES_PER_PROCESS, load_corpus
from toolkit.validation import check_corpus, validate

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

TESTS = Path(__file__).resolve().parent
REPORT_FIXTURE = "tests/report_fixture"  # every kind of error, in files of every kind; built (conftest)
HOSTILE = TESTS / "hostile" / "corpus"
REAL = TESTS.parent / "annotations"


def _contents(root: Path, jobs: int) -> tuple:
    checked = check_corpus(root, jobs=jobs)
    records = [(r.file, r.kind.name, r.path, r.data) for r in checked.index.records]
    return checked.files, records, checked.findings


@pytest.mark.parametrize("root", [REPORT_FIXTURE, HOSTILE, REAL], ids=["report-fixture", "hostile", "real"])
def test_several_processes_find_the_same_records_and_findings_in_the_same_order(
    root: Path | str, rule_corpora: Path
) -> None:
    root = rule_corpora / root if root == REPORT_FIXTURE else root
    one = _contents(root, jobs=1)
    assert one[0], "the corpus has files"
    assert _contents(root, jobs=2) == one
    assert _contents(root, jobs=3) == one


def test_the_report_is_the_same_whatever_the_processes(rule_corpora: Path) -> None:
    root = rule_corpora / REPORT_FIXTURE
    assert validate([root], jobs=3) == validate([root], jobs=1)


def test_progress_runs_to_the_total_and_never_past_it() -> None:
    calls: list[tuple[int, int]] = []
    loaded = load_corpus(REAL, lambda done, total: calls.append((done, total)), jobs=3)
    total = len(loaded.files)
    assert calls[-1] == (total, total)
    assert all(total_seen == total and 0 < done <= total for done, total_seen in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_small_corpus_is_parsed_in_this_process_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    forked: list[int] = []
    monkeypatch.setattr("toolkit.parallel._fork", lambda task: forked.append(1) or pytest.fail("forked"))
    load_corpus(REAL)  # 95 files, far below MIN_FILES_PER_PROCESS per process
    assert len(list(REAL.rglob("*.yaml"))) < MIN_FILES_PER_PROCESS
    assert forked == []
