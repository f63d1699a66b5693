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
import subprocess
from array import array
from pathlib import Path
from typing import Any

import pytest

import toolkit.cache
import toolkit.incremental
from corpus_overlay import BASE, build_fixture
from test_red_team_round6 import _assert_warm_is_cold, _Clock, _rewrite, rewrite_blob
from toolkit.cache import CACHE_ENV
from toolkit.schema_loader import load_schemas
from toolkit.validation import validate

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


# --- Planted blobs (whole files, valid checksums, the state naming their digests) ---------------------------


def _replace_blob(cache_dir: Path, name: str, change: Any) -> None:
    """Rewrite blob ``name`` as ``change(body)`` gives it, its checksum and the state's digest made to match."""
    [folder] = cache_dir.glob("corpus-*")
    digest = rewrite_blob(folder / f"{name}.bin", change)
    _rewrite(folder / "state.json", lambda document: document["blobs"].__setitem__(name, digest))


def _byteswapped(body: bytes) -> bytes:
    numbers = array("q", body)
    numbers.byteswap()
    return numbers.tobytes()


@pytest.mark.parametrize(
    ("blob", "change"),
    [
        pytest.param("stamps", lambda body: body[:-3], id="stamps-not-a-multiple-of-40"),
        pytest.param("stamps", lambda body: body + bytes(40), id="one-stamp-more-than-names"),
        pytest.param("stamps", lambda body: body[:-40], id="one-stamp-fewer-than-names"),
        pytest.param("stamps", _byteswapped, id="stamps-of-a-big-endian-writer"),
        pytest.param("names", lambda body: body + b"\0actors/act-ghost.yaml", id="one-name-more-than-stamps"),
        pytest.param("names", lambda body: body.replace(b"\0", b"\0\0", 1), id="an-empty-name"),
        pytest.param("names", lambda body: body.replace(b"act-yair", b"act-\xff\xfeair"), id="invalid-utf-8"),
        pytest.param("names", lambda body: b"", id="no-names"),
        pytest.param("names", lambda body: body.replace(b"\0", b"/", 1), id="two-names-joined"),
    ],
)
def test_a_planted_names_or_stamps_blob_gives_the_cold_verdict_before_and_after_an_edit(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, blob: str, change: Any
) -> None:
    # Held: a blob the state names (valid checksum, the state's digest) whose length is no
    # whole number of stamps, with a name or a stamp more or fewer, names of undecodable
    # bytes, an empty name, or the stamps of a big-endian writer: the run goes the whole way
    # or sees every file as changed, never a wrong verdict, never a traceback.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    _replace_blob(cache_dir, blob, change)
    _assert_warm_is_cold(root)
    _replace_blob(cache_dir, blob, change)
    _Clock().edit(root / "events" / "evt-lapid-visit-turkey.yaml", "actor: act-yair-lapid", "actor: act-yair-lapi")
    cold = _assert_warm_is_cold(root)
    assert "ref-unresolved" in {f.rule for f in cold.findings}


@pytest.mark.parametrize("kind", ["folder", "link", "fifo"])
def test_a_blob_replaced_by_a_folder_a_link_or_a_fifo_is_not_read_and_the_run_gives_the_cold_verdict(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Held: the stamps blob the state names made a folder, a link to a copy of itself (its
    # digest still the state's) or a named pipe: not read (no hang), not believed, rebuilt.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    [folder] = cache_dir.glob("corpus-*")
    blob = folder / "stamps.bin"
    shutil.copy(blob, tmp_path / "stamps-copy.bin")
    blob.unlink()
    if kind == "folder":
        blob.mkdir()
    elif kind == "link":
        blob.symlink_to(tmp_path / "stamps-copy.bin")
    else:
        os.mkfifo(blob)
    _assert_warm_is_cold(root)
    _Clock().edit(root / "actors" / "act-yair-lapid.yaml", "name: ", "name: The ")
    _assert_warm_is_cold(root)


def test_the_state_of_another_run_with_its_blobs_digests_beside_this_runs_blobs_is_not_believed(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: two runs at once, one's state left beside the other's blobs (the state of a run
    # before an edit, the blobs of the run after it): the state names other digests, so the
    # blobs are not believed, and the run after gives the cold verdict.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    [folder] = cache_dir.glob("corpus-*")
    old_state = (folder / "state.json").read_bytes()
    _Clock().edit(root / "events" / "evt-lapid-visit-turkey.yaml", "actor: act-yair-lapid", "actor: act-yair-lapi")
    _assert_warm_is_cold(root)
    (folder / "state.json").write_bytes(old_state)
    cold = _assert_warm_is_cold(root)
    assert "ref-unresolved" in {f.rule for f in cold.findings}


# --- The cache inside a corpus at the top of its repository -------------------------------------------------


def test_a_committed_toolkit_cache_that_links_out_of_the_repository_is_neither_read_nor_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull request commits `.toolkit-cache` as a link to a folder outside the repository.
    # Found: nothing was written there (OutputFolder refuses a link), but every run read
    # the state and blobs from where the link leads (a file of ours, if one is there, would
    # be believed). Fixed: the cache reads its folder and the one above without following
    # a link, as it writes them.
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)
    root = build_fixture(BASE, tmp_path / "repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".toolkit-cache").symlink_to(outside)
    planted = outside / toolkit.cache.CorpusCache.open(root, load_schemas().schemas).folder.name
    planted.mkdir()
    for name in ("state.json", "names.bin", "stamps.bin", "shard-000.json"):
        (planted / name).write_bytes(b'{"toolkit-cache":{}}\n{}')
    monkeypatch.chdir(tmp_path)
    opened: list[str] = []
    real_open = os.open

    def watched(path: Any, *args: Any, **options: Any) -> Any:
        fd = real_open(path, *args, **options)
        opened.append(os.path.realpath(f"/proc/self/fd/{fd}"))  # what was opened, not what was asked
        return fd

    monkeypatch.setattr(os, "open", watched)
    _assert_warm_is_cold(root)
    _Clock().edit(root / "actors" / "act-yair-lapid.yaml", "name: ", "name: The ")
    _assert_warm_is_cold(root)
    assert list(outside.iterdir()) == [planted]
    assert sorted(path.name for path in planted.iterdir()) == [
        "names.bin",
        "shard-000.json",
        "stamps.bin",
        "state.json",
    ]
    assert not [path for path in opened if path.startswith(str(outside))]
