"""Red team, round 8: the cache changes made after round 7.

What changed: the walk's names and stamps are two blobs beside the state
(``names.bin``, ``stamps.bin``), a first run takes its stamps late (in the forked
child that writes the cache, after the files were read), and a corpus at the top
of its repository keeps its cache inside itself (``<corpus>/.toolkit-cache``).
The promise attacked: a cached run's findings are exactly a cold run's, and a
corrupt, truncated, planted or concurrent cache is never believed (no wrong
verdict, no traceback, nothing read or written outside the corpus and the cache).
Round 6's and 7's attacks are not repeated.

Each attack is a test: those that held stay as regression tests, those that found a
misbehaviour were fixed and say what was wrong.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import toolkit.cache
import toolkit.incremental
from corpus_overlay import BASE, build_fixture
from test_red_team_round6 import _assert_warm_is_cold, _Clock
from toolkit.cache import CACHE_ENV
from toolkit.validation import validate


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache in ``tmp_path/cache``; files count as settled at once (no 'just written' window)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)
    return tmp_path / "cache"


# --- A first run's late stamps ------------------------------------------------------------------------------


def test_a_folder_swapped_for_an_older_copy_while_a_first_run_reads_it_is_read_again_next_run(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first run read every file, then stamped them in the child that writes the cache.
    # Between the two, a script swaps a folder of the corpus for a copy made earlier
    # (`mv actors.new actors`): renaming a folder changes no stamp of the files in it,
    # so the late stamps are the copy's, old enough to be trusted, with the findings
    # of the files read before the swap. Found: the next runs served the stored verdict
    # (no finding) for the copy, whose actor's id is not its file's, for ever. Fixed: a
    # first run takes its stamps before reading, as every run does (0.5 s at 100,000 files).
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "actors.new"
    shutil.copytree(root / "actors", copy)
    _Clock().edit(copy / "act-yair-lapid.yaml", "id: act-yair-lapid", "id: act-yair-lapid-2")
    load = toolkit.incremental.load_corpus_cached

    def swapped_after_reading(*args: Any, **options: Any) -> Any:
        loaded = load(*args, **options)
        os.rename(root / "actors", tmp_path / "actors.old")
        os.rename(copy, root / "actors")
        return loaded

    monkeypatch.setattr(toolkit.incremental, "load_corpus_cached", swapped_after_reading)
    assert not validate([root], cache=True).findings  # what it read: the corpus before the swap
    monkeypatch.setattr(toolkit.incremental, "load_corpus_cached", load)
    assert (root / "actors" / "act-yair-lapid.yaml").read_text("utf-8").startswith("id: act-yair-lapid-2")
    cold = _assert_warm_is_cold(root)
    assert "ref-unresolved" in {f.rule for f in cold.findings}
