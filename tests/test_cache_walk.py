"""The cache's walk of a corpus (toolkit/incremental.py): shared with a forked child, named at once, and the same
files, order, stamps and names a plain walk gives, whatever the corpus holds and wherever it is seen from."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import toolkit.cache
import toolkit.incremental
from corpus_overlay import REPORT_FIXTURE, build_fixture
from toolkit.cache import CACHE_ENV
from toolkit.loading import display_path, display_paths_under, yaml_files_under
from toolkit.validation import validate

# File names a report must quote (a newline, a quote, a bidi control, a byte that is not UTF-8),
# with a top-level file and a folder named like a record, and a link to a folder (reported).
_ODD_NAMES = ["act-new\nline.yaml", 'act-"quoted".yaml', "act-\u202eevil.yaml", "act-caf\udcc3.yaml"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = build_fixture(REPORT_FIXTURE, tmp_path / "repo" / "corpus")
    for name in _ODD_NAMES:
        (root / "actors" / name).write_bytes(b"id: act-odd\n")
    (root / "loose.yaml").write_text("id: act-loose\n", encoding="utf-8")
    (root / "events" / "nested.yaml").mkdir()
    (root / "events" / "nested.yaml" / "evt-inside.yaml").write_text("id: evt-inside\n", encoding="utf-8")
    (root / "linked").symlink_to(root / "sources", target_is_directory=True)
    return root


def _plain_walk(root: Path) -> tuple[list[str], list[list[int] | None], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    paths = list(yaml_files_under(os.fspath(root), problems))
    return paths, [toolkit.cache.stamp_of(path) for path in paths], problems


def test_a_walk_shared_with_a_child_finds_the_files_stamps_and_problems_of_a_plain_walk_in_its_order(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toolkit.incremental, "_MIN_FOLDER_BYTES_TO_SHARE", 0)
    assert toolkit.incremental._folders_to_share(os.fspath(corpus))  # shared indeed
    paths, stamps, problems = toolkit.incremental._walked(os.fspath(corpus))
    plain_paths, plain_stamps, plain_problems = _plain_walk(corpus)
    assert paths == plain_paths
    walk = toolkit.incremental._Walk(os.fspath(corpus), paths, [], stamps, [])
    assert walk.stamp_list() == plain_stamps
    assert problems == plain_problems and problems  # the link to a folder, reported


def test_stamps_taken_on_two_cores_are_those_taken_on_one(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths, plain_stamps, _problems = _plain_walk(corpus)
    monkeypatch.setattr(toolkit.incremental, "_MIN_FILES_TO_SHARE_STAMPS", 1)
    walk = toolkit.incremental._Walk(os.fspath(corpus), paths, [], toolkit.incremental._stamps_of(paths), [])
    assert walk.stamp_list() == plain_stamps


@pytest.mark.parametrize("here", ["repo", "repo/corpus", "repo/corpus/events", ".", "elsewhere"])
def test_names_given_at_once_are_those_display_path_gives_each_file_from_any_working_directory(
    corpus: Path, here: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = corpus.parent.parent / here
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(folder)
    paths, _stamps, _problems = _plain_walk(corpus)
    names = [os.path.relpath(path, corpus) for path in paths]
    assert display_paths_under(os.fspath(corpus), names) == [display_path(path) for path in paths]


def test_a_warm_run_over_a_shared_walk_finds_what_a_cold_run_finds(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(toolkit.incremental, "_MIN_FOLDER_BYTES_TO_SHARE", 0)
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)
    monkeypatch.chdir(corpus / "events")  # names of other folders shown absolute, one by one
    cold = validate([corpus], cache=False)
    assert validate([corpus], cache=True) == cold
    assert validate([corpus], cache=True) == cold  # the stored verdict
    (corpus / "actors" / _ODD_NAMES[0]).unlink()
    (corpus / "actors" / "act-yair-lapid.yaml").rename(corpus / "actors" / "act-yair-lapid-moved.yaml")
    cold = validate([corpus], cache=False)
    assert validate([corpus], cache=True) == cold


def test_a_file_edited_after_a_first_run_read_it_and_before_its_stamp_was_taken_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first run's cache is written while the checks run (in a forked child). An edit
    # landing after the files were read must not be served next time as the text read:
    # its stamp is of the run's own seconds, which the cache never trusts.
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    actor = root / "actors" / "act-yair-lapid.yaml"
    for path in [*root.rglob("*.yaml"), *root.rglob("*.txt")]:
        os.utime(path, (1_500_000_000, 1_500_000_000), follow_symlinks=False)
    load = toolkit.incremental.load_corpus_cached

    def edited_after_reading(*args: Any, **options: Any) -> Any:
        loaded = load(*args, **options)
        actor.write_text(actor.read_text(encoding="utf-8").replace("id: act-yair-lapid", "id: act-yair-lapid-2"))
        return loaded

    monkeypatch.setattr(toolkit.incremental, "load_corpus_cached", edited_after_reading)
    first = validate([root], cache=True)
    monkeypatch.setattr(toolkit.incremental, "load_corpus_cached", load)
    renamed = [f for f in first.findings if f.rule == "id-file-name" and f.file.endswith("act-yair-lapid.yaml")]
    assert not renamed  # the text read before the edit
    warm = validate([root], cache=True)
    assert warm == validate([root], cache=False)
    assert any(f.rule == "id-file-name" and f.file.endswith("act-yair-lapid.yaml") for f in warm.findings)
