"""Red team, round 7: the incremental cache's new layout (the index in parts, packed stamps, a scope's neighbours).

The promise attacked: a run through the cache finds exactly what ``validate
--no-cache`` finds, whatever happened between the runs, and a cache that is
corrupt, foreign or planted (whole files with valid checksums and hostile values)
is never believed: no wrong verdict, no traceback, nothing read or written outside
the corpus and the cache folder. Round 6's attacks (tests/test_red_team_round6.py)
are not repeated; these go where format 3 is new: the parts of the index read
lazily (``toolkit/scope_store.py``), the stamps packed in the state, the names
shown computed at once (``display_paths_under``), and the checks that skip costly
work for a scope's neighbours (``CorpusIndex.judged``).

Each attack is a test: those that held stay as regression tests, those that found a
misbehaviour were fixed and say what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import toolkit.cache
import toolkit.incremental
import toolkit.loading
from corpus_overlay import BASE, REPORT_FIXTURE, build_fixture
from test_red_team_round6 import _assert_warm_is_cold, _Clock, _plant, cache_dir  # noqa: F401 (a fixture)
from toolkit.scope_store import PART_NAMES
from toolkit.validation import validate

# --- Helpers ------------------------------------------------------------------------------------------------


def _state(cache_dir: Path) -> dict[str, Any]:
    [folder] = cache_dir.glob("corpus-*")
    document: dict[str, Any] = json.loads((folder / "state.json").read_bytes().split(b"\n", 1)[1])
    return document


# --- The parts of the index ---------------------------------------------------------------------------------


def test_after_an_edit_that_reaches_too_far_to_judge_alone_the_next_run_is_served_from_the_state(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An edit whose neighbourhood is too large to judge alone: the run reads some parts of
    # the index, gives up, and goes the whole way, writing every part anew. Found: a part
    # written with the digest it had when read was not among the "written" ones the state
    # names (save_files named only digests that changed), so the state lacked it and was
    # not believed: the next run, with nothing changed, went the whole way again.
    # Fixed: save_files names every file it wrote.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    monkeypatch.setattr(toolkit.incremental, "_MIN_INCREMENT", 0)
    monkeypatch.setattr(toolkit.incremental, "_MAX_CHANGED_SHARE", 1.0)
    monkeypatch.setattr(toolkit.incremental, "_MAX_NEIGHBOURS_SHARE", 0.0)  # every edit reaches too far
    _Clock().edit(root / "actors" / "act-yair-lapid.yaml", "name: ", "name: The ")
    _assert_warm_is_cold(root)
    assert set(_state(cache_dir)["parts"]) == PART_NAMES
    whole_runs: list[Path] = []
    load = toolkit.incremental.load_corpus_cached

    def counting(root: Path, *args: Any, **options: Any) -> Any:
        whole_runs.append(root)
        return load(root, *args, **options)

    monkeypatch.setattr(toolkit.incremental, "load_corpus_cached", counting)
    assert validate([root], cache=True) == validate([root], cache=False)
    assert whole_runs == []  # nothing changed: the stored verdict


@pytest.mark.parametrize(
    "planted",
    [
        pytest.param(lambda files, ids: [files + "\ncorpus/actors/ghost.yaml", [*ids, "act-yair-lapi"]], id="ghost"),
        pytest.param(lambda files, ids: [files + "\n" + files, [*ids, "act-yair-lapi"]], id="a-file-twice"),
    ],
)
def test_a_planted_ids_part_naming_a_file_the_corpus_lacks_or_one_twice_gives_no_hint_from_it(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, planted: Any
) -> None:
    # The ids part (kind -> files, ids) is read when a reference resolves nowhere: its ids
    # are the pool "did you mean" draws from. Found: an id listed for a file the walk does
    # not hold (or a second id of a file) was in the pool, and the hint named a record
    # that does not exist. Fixed: each file of the part must be one of the walk's (or
    # one the edit removed), once; else the part is not believed (the run goes the whole way).
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)

    def ids(name: str, table: dict[str, Any]) -> None:
        if name == "ids":
            table["actor"] = planted(*table["actor"])

    _plant(cache_dir, index=ids)
    _Clock().edit(root / "events" / "evt-lapid-visit-turkey.yaml", "actor: act-yair-lapid", "actor: act-yair-lapi")
    cold = _assert_warm_is_cold(root)
    assert [f.hint for f in cold.findings if f.rule == "ref-unresolved"] == ["did you mean 'act-yair-lapid'?"]


# --- What a run is seen from --------------------------------------------------------------------------------


def test_a_corpus_named_by_a_path_that_climbs_out_of_a_linked_folder_has_its_edited_texts_read_again(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `validate x/../corpus` where x is a link to elsewhere/sub: the corpus is elsewhere/corpus
    # (the system follows x before climbing). Found: the cache took the corpus's folder by
    # os.path.abspath, which drops 'x/..' on paper: it watched the article texts' stamps in
    # ./corpus, a folder that does not exist, saw them unchanged for ever, and gave the
    # stored verdict after a text was edited (no source-sha256-mismatch). Fixed: the cache
    # takes the corpus's folder as the walk does (Path.absolute, '..' kept).
    root = build_fixture(BASE, tmp_path / "elsewhere" / "corpus")
    (tmp_path / "elsewhere" / "sub").mkdir()
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "x").symlink_to(tmp_path / "elsewhere" / "sub")
    monkeypatch.chdir(tmp_path / "work")
    climbing = Path("x/../corpus")
    assert not _assert_warm_is_cold(climbing).findings
    article = root / "sources" / "src-lapid-visit.txt"
    _Clock().write(article, article.read_text(encoding="utf-8").replace("Lapid", "Lapyd"))
    cold = _assert_warm_is_cold(climbing)
    assert "source-sha256-mismatch" in {f.rule for f in cold.findings}
