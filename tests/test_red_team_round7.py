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
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import toolkit.cache
import toolkit.incremental
import toolkit.loading
import toolkit.scope_store
from corpus_overlay import BASE, REPORT_FIXTURE, build_fixture
from test_red_team_round6 import _assert_warm_is_cold, _Clock, _plant, plant_texts_watching_stamps, rewrite_blob
from toolkit.cache import CACHE_ENV
from toolkit.loading import display_path
from toolkit.lsp import LiveCorpus
from toolkit.model import Finding
from toolkit.schema_loader import load_schemas
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
    whole_runs = _whole_runs(monkeypatch)
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


_ODD_NAMES = [b"act-new\nline.yaml", "act-\u202eevil.yaml".encode(), b"act-caf\xe9.yaml", b'act-"q\\.yaml']


def _odd_record(number: int, alias: str) -> str:
    return f"id: act-odd-{number}\ntype: person\nname: Odd {number}\naliases: [{alias}]\ncountries: [IL]\n"


def test_files_whose_names_need_quoting_added_edited_renamed_and_removed_give_the_cold_verdict_from_anywhere(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: a name with a newline, a bidi control, an undecodable byte or a quote and a
    # backslash is shown quoted (never a newline in a keys part's list of files), the same
    # way by the walk's names computed at once (display_paths_under) and by display_path,
    # from outside the corpus and from inside it; each odd record bears another's name
    # (check_names' findings land across files), each edit, rename and removal one at a time.
    root = build_fixture(BASE, tmp_path / "corpus")
    actors = os.fsencode(root / "actors")
    clock = _Clock()

    def same(*extra: Path) -> None:
        for here in (tmp_path, root / "actors"):
            monkeypatch.chdir(here)
            cold = _assert_warm_is_cold(root, *extra)
            assert validate([root, *extra], cache=True) == cold

    for number, name in enumerate(_ODD_NAMES):
        clock.write(Path(os.fsdecode(os.path.join(actors, name))), _odd_record(number, "Yair Lapid"))
    same()
    for number, name in enumerate(_ODD_NAMES):
        alias = f"Odd {(number + 1) % len(_ODD_NAMES)}"
        clock.write(Path(os.fsdecode(os.path.join(actors, name))), _odd_record(number, alias))
        same()
    for name in _ODD_NAMES:
        os.rename(os.path.join(actors, name), os.path.join(actors, b"z" + name))
        same(Path(os.fsdecode(os.path.join(actors, b"z" + name))))
    for name in _ODD_NAMES:
        os.unlink(os.path.join(actors, b"z" + name))
        same()


# --- Planted parts and states (whole files, valid checksums, hostile values) ---------------------------------

_GHOST = "corpus/actors/act-ghost.yaml"


def _every_key_lists_a_ghost(name: str, table: dict[str, Any]) -> None:
    if name.startswith("keys-"):
        for key in table:
            table[key] += "\n" + _GHOST
    elif name == "feet-" + toolkit.scope_store.feet_part(_GHOST)[5:]:
        table[_GHOST] = ["actor", "act-yair-lapid", [], ["yair lapid"], []]


def _tables(kind: str, value: Any) -> Any:
    def change(name: str, table: dict[str, Any]) -> None:
        if name.startswith(kind):
            for key in table:
                table[key] = value

    return change


def _grow_blob(document: dict[str, Any], name: str, extra: bytes) -> None:
    """Add ``extra`` to one of the state's blobs (names, stamps), its checksum and the state's digest made to match."""
    [folder] = Path(os.environ[CACHE_ENV]).glob("corpus-*")
    document["blobs"][name] = rewrite_blob(folder / f"{name}.bin", lambda body: body + extra)


def _names_beyond_the_walk(document: dict[str, Any]) -> None:
    _grow_blob(document, "names", b"\0../../outside.yaml\0/etc/passwd")
    _grow_blob(document, "stamps", bytes(80))  # two more stamps' worth, packed
    document["bare"] += ["../../outside.yaml"]


@pytest.mark.parametrize(
    ("index", "state"),
    [
        pytest.param(_every_key_lists_a_ghost, lambda _d: None, id="keys-list-a-file-the-walk-lacks"),
        pytest.param(_tables("feet-", {"kind": "actor"}), lambda _d: None, id="footprints-as-objects"),
        pytest.param(_tables("keys-", ["corpus/actors/act-yair-lapid.yaml"]), lambda _d: None, id="files-as-a-list"),
        pytest.param(_tables("ids", ["", ["act-yair-lapid"]]), lambda _d: None, id="ids-misaligned"),
        pytest.param(
            _tables("ids", ["corpus/actors/act-yair-lapid.yaml", "act-x"]), lambda _d: None, id="ids-a-string"
        ),
        pytest.param(lambda _n, _t: None, _names_beyond_the_walk, id="state-names-outside-the-corpus"),
    ],
)
def test_a_planted_index_or_state_of_hostile_values_gives_the_cold_verdict_after_an_edit_and_reads_nothing_outside(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, index: Any, state: Any
) -> None:
    # Held: keys that list a file the walk lacks (with a footprint for it), footprints,
    # lists of files and ids of the wrong type or misaligned, a state naming files
    # outside the corpus: the run after an edit goes the whole way, or judges the edit
    # right, and looks at nothing outside the corpus.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    _plant(cache_dir, index=index, state=state)
    opened: list[str] = []
    real_lstat = os.lstat

    def watched(path: Any, *args: Any, **options: Any) -> Any:
        opened.append(os.fspath(path))
        return real_lstat(path, *args, **options)

    _Clock().edit(root / "events" / "evt-lapid-visit-turkey.yaml", "actor: act-yair-lapid", "actor: act-yair-lapi")
    monkeypatch.setattr(os, "lstat", watched)
    cold = _assert_warm_is_cold(root)
    assert sorted(f.rule for f in cold.findings) == ["ref-unresolved", "unreferenced-actor"]
    assert not [path for path in opened if "outside" in path or path.startswith("/etc")]


def _whole_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The corpora the runs from now on load whole (``load_corpus_cached``: served neither by the state nor
    by an edit's scope)."""
    runs: list[Path] = []
    load = toolkit.incremental.load_corpus_cached

    def counting(root: Path, *args: Any, **options: Any) -> Any:
        runs.append(root)
        return load(root, *args, **options)

    monkeypatch.setattr(toolkit.incremental, "load_corpus_cached", counting)
    return runs


@pytest.mark.parametrize("text", ["..", "'../'"])
def test_a_source_whose_text_is_named_dot_dot_leaves_the_cache_serving_the_stored_verdict(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    # `text: ..` names the corpus's own folder (one part of a path, so watched as a text),
    # which no check reads (source-text-outside). Found: the state kept "." among the texts,
    # which a state read back must not hold (a planted state naming texts elsewhere), so no
    # state was ever believed and every run went the whole way: a pull request could turn
    # the cache off for everyone. Fixed: such a name is no text to watch, as for the checks.
    root = build_fixture(BASE, tmp_path / "corpus")
    source = root / "sources" / "src-lapid-visit.yaml"
    source.write_text(source.read_text("utf-8").replace("text: src-lapid-visit.txt", f"text: {text}"), "utf-8")
    monkeypatch.chdir(tmp_path)
    assert "source-text-outside" in {f.rule for f in _assert_warm_is_cold(root).findings}
    whole = _whole_runs(monkeypatch)
    _assert_warm_is_cold(root)
    _Clock().edit(root / "actors" / "act-yair-lapid.yaml", "name: ", "name: The ")
    _assert_warm_is_cold(root)
    assert whole == []


# --- Names and stamps ---------------------------------------------------------------------------------------


def test_a_corpus_grown_from_empty_one_file_at_a_time_and_emptied_again_gives_the_cold_verdict_each_run(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: no names (an empty string of names, no stamps packed), then one, then a text
    # named before it exists and after it is gone, each run warm as cold and served again.
    whole = build_fixture(BASE, tmp_path / "whole")
    root = tmp_path / "corpus"
    for folder in ("actors", "events", "sources", "locations", "advisories"):
        (root / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    files = sorted(path.relative_to(whole) for path in whole.rglob("*") if path.is_file())
    clock = _Clock()

    def same() -> None:
        cold = _assert_warm_is_cold(root)
        assert validate([root], cache=True) == cold

    same()
    for file in files:
        clock.write(root / file, (whole / file).read_text(encoding="utf-8"))
        same()
    for file in files:
        (root / file).unlink()
        same()


def test_stamps_taken_half_in_a_forked_child_give_the_cold_verdict_after_edits_renames_and_removals(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: from 20,000 files on a forked child stamps half the walk (made 2 here); the
    # halves joined in order are the walk's stamps: an edit, a rename and a removal in
    # either half are each seen, as is a record made a link (no stamp) in the child's half.
    monkeypatch.setattr(toolkit.incremental, "_MIN_FILES_TO_SHARE_STAMPS", 2)
    shared: list[int] = []
    run = toolkit.incremental.run_in_processes

    def spying(tasks: Any) -> Any:
        shared.extend(1 for task in tasks if getattr(task, "func", None) is toolkit.incremental._packed_stamps)
        return run(tasks)

    monkeypatch.setattr(toolkit.incremental, "run_in_processes", spying)
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    records = sorted(root.rglob("*.yaml"))
    first, last = records[1], records[-2]
    clock = _Clock()
    for path in (first, last):
        clock.edit(path, "id: ", "id: x-")
        _assert_warm_is_cold(root)
    last.rename(last.with_name("a-" + last.name))
    _assert_warm_is_cold(root)
    first.unlink()
    _assert_warm_is_cold(root)
    moved = records[-3]
    moved.rename(moved.with_suffix(".kept"))
    moved.symlink_to(moved.with_suffix(".kept").name)
    _assert_warm_is_cold(root)
    assert validate([root], cache=True) == validate([root], cache=False)
    assert shared  # the walks were stamped in two processes


def test_a_run_whose_parts_are_rewritten_by_another_run_while_it_reads_them_gives_the_cold_verdict(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: two runs after one edit, the second starting and ending while the first reads
    # the parts of the index its state names: the parts the second rewrote are not the
    # ones the first's state names (their digests differ), so the first goes the whole way,
    # and the state left last is believed only with the parts it names.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    clock = _Clock()
    clock.edit(root / "actors" / "act-yair-lapid.yaml", "id: act-yair-lapid", "id: act-yair-lapid-2")
    cold = validate([root], cache=False)
    part = toolkit.cache.CorpusCache.part
    interleaved: list[Any] = []

    def another_run_meanwhile(cache: toolkit.cache.CorpusCache, name: str) -> Any:
        if not interleaved:
            interleaved.append(None)
            with monkeypatch.context() as inner:
                inner.setattr(toolkit.cache.CorpusCache, "part", part)
                interleaved.append(validate([root], cache=True))
        return part(cache, name)

    monkeypatch.setattr(toolkit.cache.CorpusCache, "part", another_run_meanwhile)
    assert validate([root], cache=True) == cold
    assert interleaved[1:] == [cold]
    monkeypatch.setattr(toolkit.cache.CorpusCache, "part", part)
    assert validate([root], cache=True) == cold
    clock.edit(root / "actors" / "act-yair-lapid.yaml", "id: act-yair-lapid-2", "id: act-yair-lapid")
    _assert_warm_is_cold(root)


def test_a_planted_state_naming_a_text_through_a_linked_folder_in_the_corpus_looks_at_nothing_outside(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Round 6 made a state's texts '<folder>/<name>' inside the corpus. Found: the folder may
    # be a link a pull request put in the corpus (the walk reports it and enters nothing),
    # and a planted state naming 'notes/<name>' had the run look (lstat) at the file where
    # the link leads, every run. Fixed: a text is in a kind folder (as every source's is),
    # and a state naming one in a folder that is a link is no state of ours.
    root = build_fixture(BASE, tmp_path / "corpus")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("not the corpus's\n", encoding="utf-8")
    for link in ("notes", "locations"):  # a folder of its own, and a kind folder made a link
        if (root / link).exists():
            shutil.rmtree(root / link)
        (root / link).symlink_to(tmp_path / "outside")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)

    secrets = ["notes/secret.txt", "locations/secret.txt"]
    looked_at = plant_texts_watching_stamps(cache_dir, monkeypatch, secrets, os.path.realpath)
    _assert_warm_is_cold(root)
    _Clock().edit(root / "actors" / "act-yair-lapid.yaml", "name: ", "name: The ")
    _assert_warm_is_cold(root)
    assert not [path for path in looked_at if not path.startswith(str(root) + os.sep)]


def test_a_language_server_reading_the_corpus_through_the_cache_between_validates_leaves_them_the_cold_verdict(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: the server reads the corpus through the same cache (the files' entries, not the
    # state nor the index's parts) and writes what it parsed back; a validate after it, with
    # an edit on disk, is still judged over the parts its state names, and gives the cold
    # verdict, which is what the server gives the edited file.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    actor = root / "actors" / "act-yair-lapid.yaml"
    _Clock().edit(actor, "id: act-yair-lapid", "id: act-yair-lapid-2")
    live = LiveCorpus.read(root, load_schemas(), cache=True)
    cold = _assert_warm_is_cold(root)
    file = display_path(actor)
    assert sorted(live.findings_of({file})[file], key=Finding.sort_key) == sorted(
        (f for f in cold.findings if f.file == file), key=Finding.sort_key
    )
    assert validate([root], cache=True) == cold
