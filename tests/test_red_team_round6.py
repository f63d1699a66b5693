"""Red team, round 6: the incremental cache's new path (issue 19) and publish's whole-exchange time limit.

The promises attacked: a run through the cache finds exactly what ``validate
--no-cache`` finds, whatever happened between the runs, and a cache that is
corrupt, foreign, planted or hostile is never believed (no wrong verdict, no
traceback); ``toolkit lsp`` gives an open document the findings ``toolkit validate``
gives the same text saved; ``toolkit publish`` ends every exchange with a server
within ``--timeout`` (a clear one-line error naming the server and the step, exit 2,
no secret), whatever the server, a proxy or their answers do.

Each attack is a test: those that held stay as regression tests, those that found a
misbehaviour were fixed and say what was wrong. Corpora are built in ``tmp_path``
from the fixtures (``tests/corpus_overlay.py``); servers and proxies are raw sockets
on 127.0.0.1 in threads of the test process (``tests/test_publish_deadline.py``).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import shutil
import socket
import threading
import time
from array import array
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

import toolkit.budget
import toolkit.cache
import toolkit.checks.evidence
import toolkit.incremental
import toolkit.loading
import toolkit.publishing as publishing
from corpus_overlay import BASE, REPORT_FIXTURE, build_fixture
from red_team_support import run_process, unprivileged
from test_lsp import Editor
from test_publish_deadline import (
    CAP,
    COLLECTION,
    DRIP,
    LIMIT,
    PASSWORD,
    TAXII,
    USER,
    Misbehaviour,
    Request,
    Server,
    _accepting,
    _publish_within,
    _read_request,
    _response,
    hostile_server,
    plain_server,
)
from toolkit.cache import CACHE_ENV
from toolkit.errors import ToolkitError
from toolkit.lsp import LiveCorpus
from toolkit.model import Report
from toolkit.schema_loader import load_schemas
from toolkit.scope_store import PART_NAMES
from toolkit.validation import validate

# --- Helpers ------------------------------------------------------------------------------------------------


class _Clock:
    """Writes each version of a file with its own modification time in the past: no two versions share a
    stamp, and none is 'just written', so the cache may serve every file it has seen unchanged."""

    def __init__(self) -> None:
        self.now = 1_600_000_000

    def write(self, path: Path, text: str) -> None:
        self.now += 1
        temporary = path.with_name("." + path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.utime(temporary, (self.now, self.now))
        os.replace(temporary, path)

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        self.write(path, text.replace(old, new, 1))


def _cold_and_warm(*paths: Path) -> tuple[Report, Report]:
    return validate(list(paths), cache=False), validate(list(paths), cache=True)


def _assert_warm_is_cold(*paths: Path) -> Report:
    cold, warm = _cold_and_warm(*paths)
    assert warm == cold
    return cold


# --- The cache: what a run is seen from ---------------------------------------------------------------------


def test_a_corpus_reached_through_a_link_pointed_elsewhere_between_runs_is_named_where_it_now_is(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~/data is a link to a disk; the corpus ~/data/annotations is validated from another
    # folder. Between two runs the disk's folder is moved and the link follows it: no
    # file's stamp changes (a rename of a folder leaves its files alone), the cache's key
    # (the path given) is the same, but findings name files by their real folder.
    # Found: the cached run named every file in the folder that no longer exists, and
    # `validate FILE` lost the file's findings (they were filed under the old name).
    # Fixed: a state is kept with the real folder of the corpus, and believed only from it.
    build_fixture(REPORT_FIXTURE, tmp_path / "disk-a" / "annotations")
    (tmp_path / "data").symlink_to("disk-a")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    corpus = tmp_path / "data" / "annotations"
    one = corpus / "events" / "evt-lapid-trip-thursday.yaml"
    _assert_warm_is_cold(corpus)
    _assert_warm_is_cold(one)
    (tmp_path / "disk-a").rename(tmp_path / "disk-b")
    (tmp_path / "data").unlink()
    (tmp_path / "data").symlink_to("disk-b")
    cold = _assert_warm_is_cold(corpus)
    assert all(f.file.startswith(str(tmp_path / "disk-b")) for f in cold.findings)
    assert _assert_warm_is_cold(one).errors


def _edits_that_reach_far(root: Path, clock: _Clock) -> Iterator[str]:
    """Edits whose findings land in records other than the one edited, some two steps away; yields what
    each did, after doing it."""
    events, actors, advisories, sources = (root / kind for kind in ("events", "actors", "advisories", "sources"))
    claimed = events / "evt-squads-hunt-israelis.yaml"
    clock.edit(claimed, "  - actor: act-iran\n    role: perpetrator\n", "  - actor: act-iran\n    role: perpetrator\n"
               "    claim:\n      by: act-iran\n      via: [act-israeli-official]\n      credibility:\n"
               "        grade: 3\n        reason: Relayed.\n")  # fmt: skip
    yield "a second claim relayed by an ungraded actor: the actor's finding counts it"
    clock.edit(events / "evt-lapid-visit-turkey.yaml", "evidence:", "links:\n  - relation: same-as\n"
               "    target: evt-lapid-trip-thursday\n    certainty: certain\nevidence:")  # fmt: skip
    yield "the target of a one-sided same-as writes the link back"
    denial = events / "evt-turkey-safe-country-statement.yaml"
    clock.edit(denial, "participants:", "links:\n  - relation: denies\n    target: evt-iranian-plot-istanbul\n"
               "    participant: act-iran\nparticipants:")  # fmt: skip
    yield "a denial points at a part of another event"
    clock.edit(events / "evt-iranian-plot-istanbul.yaml", "  - actor: act-iran\n", "  - actor: act-iranian-cell\n")
    yield "the event denied loses the participant denied"
    call = advisories / "adv-lapid-call.yaml"
    clock.write(call, call.read_text(encoding="utf-8") + "supersedes: [adv-istanbul-level-4]\n")
    yield "an advisory supersedes one of a loop of another issuer"
    clock.edit(advisories / "adv-istanbul-level-4.yaml", "issuer: act-israel-nsc-ctb", "issuer: act-yair-lapid")
    yield "an advisory of the loop changes issuer"
    clock.edit(actors / "act-channel-12-news.yaml", "countries:", "aliases: [ISRAEL-HAYOM]\ncountries:")
    yield "an alias folds like another actor's name"
    clock.edit(actors / "act-israel-hayom.yaml", "id: act-israel-hayom", "id: act-iranian-cell")
    yield "an id changed to collide with another record's"
    (actors / "act-israelis.yaml").rename(root / "locations" / "act-israelis.yaml")
    yield "a record moved to another kind's folder"
    erdogan = actors / "act-erdogan.yaml"
    kept = erdogan.read_text(encoding="utf-8")
    clock.write(erdogan, kept + "broken: [unclosed\n")
    yield "a record stops parsing"
    clock.write(erdogan, kept)
    yield "and parses again"
    follow_up = sources / "src-lapid-visit-follow-up.yaml"
    clock.edit(follow_up, "text: src-lapid-visit-follow-up.txt", "text: src-lapid-visit.txt")
    yield "a second source names an article's text"
    article = sources / "src-lapid-visit.txt"
    clock.write(article, article.read_text(encoding="utf-8").replace("Istanbul", "Istanbul,", 1))
    yield "the text both sources name is edited"
    other = sources / "src-amir-abdollahian-visit.txt"
    other.unlink()
    other.symlink_to(article.name)
    yield "an article text replaced by a link to another"
    (events / "evt-lapid-visit-turkey.yml").rename(events / "evt-lapid-visit-turkey-copy.yml")
    yield "a file renamed, its content unchanged"
    near = actors / "act-mevlut-cavusoglu-x.yaml"
    clock.write(near, "id: act-mevlut-cavusoglu-x\ntype: person\nname: Mevlut Cavusoglu X\n")
    yield "an id added close to a reference that resolves nowhere (its did-you-mean)"
    near.unlink()
    yield "and removed"
    clock.write(actors / ".act-erdogan.yaml", kept.replace("id: act-erdogan", "id: act-iran"))
    clock.write(actors / "act-erdogan-copy.YAML", kept)
    yield "a hidden copy (never read) and a copy whose suffix is in capitals (read)"


def test_after_each_edit_that_reaches_records_far_from_it_a_warm_run_finds_what_a_cold_run_finds(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: every edit below, one after another, each warm run the cold one and again once stored.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    before = _assert_warm_is_cold(root)
    for edit in _edits_that_reach_far(root, _Clock()):
        after = _assert_warm_is_cold(root)
        assert validate([root], cache=True) == after, edit
        assert after != before, f"{edit}: changed no finding, so proved nothing"
        before = after


def test_runs_from_other_working_directories_and_of_one_file_give_the_cold_verdict(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: names are relative to the working directory, and the state is of one.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "repo" / "corpus")
    one = root / "events" / "evt-lapid-trip-thursday.yaml"
    clock = _Clock()
    for here in (tmp_path / "repo", root, root / "events", tmp_path, tmp_path / "repo", root / "events"):
        monkeypatch.chdir(here)
        _assert_warm_is_cold(root)
        assert _assert_warm_is_cold(one).errors
        assert _assert_warm_is_cold(Path(os.path.relpath(one))).errors
        clock.edit(one, "summary: ", "summary: Again. ")  # and an edit before the next directory


def test_a_cache_whose_index_shard_became_a_folder_gives_the_cold_verdict_every_run(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: a shard that cannot be read or written is no shard; the state naming it is not believed.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    [folder] = cache_dir.glob("corpus-*")
    for name in ("feet-000", "keys-0007", "ids"):
        (folder / f"{name}.json").unlink()
        (folder / f"{name}.json").mkdir()
    clock = _Clock()
    for edit in ("", "Once. ", "Twice. "):
        if edit:
            clock.edit(root / "actors" / "act-yair-lapid.yaml", "name: ", f"name: {edit}")
        _assert_warm_is_cold(root)
        _assert_warm_is_cold(root)


def test_an_article_text_rewritten_in_place_in_the_second_before_a_run_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held: the same size, the same inode, maybe the same times to the clock's tick: a text
    # changed in the two seconds before a run is not trusted by its stamp (git's racy files).
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    article = root / "sources" / "src-amir-abdollahian-visit.txt"
    raw = article.read_bytes()
    for version in (raw.replace(b"Iran", b"Iraq", 1), raw, raw.replace(b"Turkey", b"Turkez", 1), raw):
        with article.open("r+b") as stream:
            stream.write(version)
        _assert_warm_is_cold(root)


def test_a_library_upgraded_between_runs_makes_the_stored_verdict_stale(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Findings hold a library's words and judgement: PyYAML's problem in a yaml-syntax
    # message, jsonschema's in schema-invalid, rapidfuzz's choice of a did-you-mean. Found:
    # the cache was keyed by the toolkit's code and Python's version, not by its libraries:
    # after `pip install -U pyyaml` a run gave the verdict stored with the old one. Fixed:
    # the fingerprint holds where each such library is installed, with its file's stamp
    # (an upgrade rewrites it). Shown with a library of the test's own, among them.
    library = tmp_path / "site" / "red_team_library"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("VERSION = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(toolkit.cache, "_LIBRARIES", (*toolkit.cache._LIBRARIES, "red_team_library"))
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    parsed: list[str] = []
    parse = toolkit.loading.parse_file

    def counting(path: Path, *args: Any) -> Any:
        parsed.append(Path(path).name)
        return parse(path, *args)

    monkeypatch.setattr(toolkit.loading, "parse_file", counting)
    monkeypatch.setattr(toolkit.incremental, "parse_file", counting)
    validate([root], cache=True)
    assert parsed == []  # the stored verdict
    upgraded = library / "__init__.py.new"
    upgraded.write_text("VERSION = 2\n", encoding="utf-8")
    upgraded.replace(library / "__init__.py")  # as pip writes a new version
    validate([root], cache=True)
    assert "evt-lapid-visit-turkey.yaml" in parsed  # not believed: read afresh


# --- The cache: planted and hostile contents (written whole, with a valid checksum) -------------------------


def rewrite_blob(path: Path, change: Callable[[bytes], bytes]) -> str:
    """Rewrite the body of one of the cache's files as ``change(body)``, its header's checksum made to match;
    the new checksum."""
    head, body = path.read_bytes().split(b"\n", 1)
    text = change(body)
    header = json.loads(head)
    header["sha256"] = hashlib.sha256(text).hexdigest()
    path.write_bytes(json.dumps(header, separators=(",", ":")).encode() + b"\n" + text)
    return str(header["sha256"])


def _rewrite(path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    """Change the JSON body of one of the cache's files, its header's checksum made to match; the new checksum."""

    def changed(body: bytes) -> bytes:
        document = json.loads(body)
        change(document)
        return json.dumps(document, separators=(",", ":")).encode()

    return rewrite_blob(path, changed)


def _plant(
    cache_dir: Path,
    index: Callable[[str, dict[str, Any]], None] = lambda _name, _table: None,
    state: Callable[[dict[str, Any]], None] = lambda _document: None,
) -> None:
    """Rewrite every part of the index (``index(name, table)``) and the state of the one corpus cached, the
    state naming the new parts."""
    [folder] = cache_dir.glob("corpus-*")
    digests: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        if path.stem in PART_NAMES:
            digests[path.stem] = _rewrite(path, lambda document, name=path.stem: index(name, document["table"]))

    def with_digests(document: dict[str, Any]) -> None:
        document["parts"] = digests
        state(document)

    _rewrite(folder / "state.json", with_digests)


def plant_texts_watching_stamps(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, texts: list[str], shown: Callable[[str], str]
) -> list[str]:
    """Plant a state naming ``texts`` as article texts (each of a source of the corpus); the paths whose stamps
    the runs take from now on, each as ``shown`` gives it."""

    def named(document: dict[str, Any]) -> None:
        document["texts"] += texts
        document["text_stamps"] += [[] for _text in texts]
        document["text_sources"] += [["corpus/sources/src-lapid-visit.yaml"] for _text in texts]

    _plant(cache_dir, state=named)
    looked_at: list[str] = []
    stamp_of = toolkit.incremental.stamp_of

    def watched(path: str) -> Any:
        looked_at.append(shown(path))
        return stamp_of(path)

    monkeypatch.setattr(toolkit.incremental, "stamp_of", watched)
    return looked_at


def _footprints(change: Callable[[list[Any]], None], kind: str) -> Callable[[str, dict[str, Any]], None]:
    def each(name: str, table: dict[str, Any]) -> None:
        if name.startswith("feet-"):
            for footprint in table.values():
                if footprint[0] == kind:
                    change(footprint)

    return each


def _set(position: int, value: Callable[[Any], Any]) -> Callable[[list[Any]], None]:
    def change(footprint: list[Any]) -> None:
        footprint[position] = value(footprint[position])

    return change


@pytest.mark.parametrize(
    "hostile",
    [
        # Found: a string is iterable, so its letters were taken for the ids the event
        # mentions; the event was not judged again when the actor it names changed id.
        pytest.param(_set(2, " ".join), id="mentions-as-one-string"),
        pytest.param(_set(2, lambda ids: [len(i) for i in ids]), id="mentions-as-numbers"),
        pytest.param(_set(1, lambda _id: 17), id="id-as-a-number"),
        pytest.param(_set(2, lambda ids: [[[ids]]]), id="mentions-nested-deep"),  # held: unhashable, refused
    ],
)
def test_a_planted_index_whose_footprints_have_parts_of_the_wrong_type_is_not_believed(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, hostile: Callable[[list[Any]], None]
) -> None:
    # Fixed: a footprint is read back with Footprint.restored (every part checked);
    # anything else sends the run the whole way, as the docstring said it did.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    _plant(cache_dir, index=_footprints(hostile, "event"))
    _Clock().edit(root / "actors" / "act-yair-lapid.yaml", "id: act-yair-lapid", "id: act-yair-lapid-2")
    cold = _assert_warm_is_cold(root)
    assert [f.rule for f in cold.findings if f.file.endswith("evt-lapid-visit-turkey.yaml")] == ["ref-unresolved"]


def test_a_committed_cache_whose_state_names_findings_of_files_the_corpus_lacks_adds_none_of_them(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache committed (or restored) from elsewhere: its stamps are not the checkout's,
    # so every file counts as changed and is judged again; but the state also holds a
    # finding of a file that is not in the corpus, of a rule that spans files.
    # Found: it was kept (a finding of a file not judged again) and failed the run.
    # Fixed: a state naming a file that neither its index nor the walk knows is not believed.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)

    [folder] = cache_dir.glob("corpus-*")

    def elsewhere(body: bytes) -> bytes:
        stamps = array("q", body)
        for inode in range(1, len(stamps), 5):
            stamps[inode] += 1  # another inode: made on another machine
        return stamps.tobytes()

    digest = rewrite_blob(folder / "stamps.bin", elsewhere)

    def elsewhere_with_a_ghost(document: dict[str, Any]) -> None:
        document["blobs"]["stamps"] = digest
        document["across"].append(["corpus/events/evt-ghost.yaml", 1, 1, "id-duplicate", "planted", "$.id", None])

    _plant(cache_dir, state=elsewhere_with_a_ghost)
    cold = _assert_warm_is_cold(root)
    assert cold.errors == 0


def test_a_planted_state_naming_texts_outside_the_corpus_makes_the_run_look_at_nothing_outside_it(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The state lists the article texts whose stamps a run compares, as the corpus's own
    # paths. Found: a planted one naming /etc/hostname or ../outside was looked at (lstat)
    # every run. Fixed: a text that is not <folder>/<name> inside the corpus makes the
    # state one that no run of ours wrote.
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _assert_warm_is_cold(root)
    outside = [os.path.abspath("/etc/hostname"), os.path.join("..", "outside.txt")]
    looked_at = plant_texts_watching_stamps(cache_dir, monkeypatch, outside, os.path.abspath)
    _assert_warm_is_cold(root)
    assert looked_at
    assert all(path.startswith(str(root) + os.sep) for path in looked_at), looked_at


# --- The cache: where it is written -------------------------------------------------------------------------


def test_a_cache_folder_named_by_the_environment_that_holds_the_users_files_gets_no_gitignore_nor_cachedir_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TOOLKIT_CACHE_DIR=. in a repository (or =$HOME). Found: the cache wrote '.gitignore'
    # ('*': every new file of the repository ignored by git, new records never committed)
    # and 'CACHEDIR.TAG' (backup tools skip the whole folder) into the folder named, a
    # folder of the user's. Fixed: only a folder the cache makes, or its own folder
    # beside the corpus, is marked; its folder for the corpus always is.
    repo = tmp_path / "repo"
    root = build_fixture(BASE, repo / "annotations")
    (repo / "notes.txt").write_text("mine\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    monkeypatch.setenv(CACHE_ENV, ".")
    _assert_warm_is_cold(root)
    assert sorted(p.name for p in repo.iterdir() if not p.name.startswith("corpus-")) == ["annotations", "notes.txt"]
    [own] = repo.glob("corpus-*")
    assert (own / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert (own / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    # A folder named that does not exist yet is the cache's own: marked, as ruff and mypy mark theirs.
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "made"))
    _assert_warm_is_cold(root)
    assert (tmp_path / "made" / ".gitignore").is_file()
    assert (tmp_path / "made" / "CACHEDIR.TAG").is_file()


# --- The cache: what a finding depends on beyond its neighbours ---------------------------------------------

_MISQUOTED_ACTOR = """id: act-amir-abdollahian
type: person
name: Hossein Amir-Abdollahian
evidence:
  - source: src-abdollahian-visit
    quote: Iran's top diplomat Hossein Amir-Abdollahian is expected to fly to Turkey
"""


def _two_quotes_one_budget(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two records with a quote their article lacks, citing two articles, sharing no neighbour: the
    closest-passage budget holds the first search in the corpus's order (actors/ before events/), not both."""
    (root / "actors" / "act-amir-abdollahian.yaml").write_text(_MISQUOTED_ACTOR, encoding="utf-8")
    event = root / "events" / "evt-lapid-visit-turkey.yaml"
    event.write_text(event.read_text("utf-8").replace("will visit Turkey on", "will go to Turkey on"), "utf-8")
    # What one search in each article costs (character pairs compared), measured at the toolkit's own
    # budget: the budget is then made to hold the first search and not the second. At the toolkit's
    # budget the same happens with an article of 2 MiB ("one or two" hints: toolkit/checks/evidence.py).
    spent: list[int] = []
    spend = toolkit.budget.WorkBudget.spend

    def counted(budget: toolkit.budget.WorkBudget, pairs: int) -> bool:
        spent.append(pairs)
        return spend(budget, pairs)

    with monkeypatch.context() as measuring:
        measuring.setattr(toolkit.budget.WorkBudget, "spend", counted)
        validate([root], cache=False)
    first, second = spent
    monkeypatch.setattr(toolkit.checks.evidence, "_PASSAGE_SEARCH_BUDGET", first + second // 2)


def test_a_hint_the_runs_budget_ran_short_of_is_the_same_after_an_edit_of_its_record(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hints that search (the closest passage of an article, "did you mean" among the
    # ids) share one budget per run, spent in the corpus's order: past it, a finding gets
    # the plain hint. Which finding that is depends on every other search of the run, not
    # on the record's neighbours. Found: after an edit, the record was judged again over
    # its neighbours with a budget of its own, and its hint changed from the plain one
    # (as a cold run gives it) to a passage. Fixed: the cache keeps what the budgets were
    # asked for; a run judging only what an edit reaches does so only when the corpus's
    # searches, with its own, fit the budget (then no search of a cold run is refused either).
    root = build_fixture(BASE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    _two_quotes_one_budget(root, monkeypatch)
    cold = _assert_warm_is_cold(root)
    hints = sorted((f.file, f.hint or "") for f in cold.findings if f.rule == "evidence-quote-not-found")
    assert [(Path(file).name, hint.split(":")[0]) for file, hint in hints] == [
        ("act-amir-abdollahian.yaml", "closest passage in src-abdollahian-visit"),
        ("evt-lapid-visit-turkey.yaml", "copy the words verbatim from src-lapid-visit"),
    ]
    _Clock().edit(root / "events" / "evt-lapid-visit-turkey.yaml", "summary: Israel's", "summary: Israel’s")
    _assert_warm_is_cold(root)
    _assert_warm_is_cold(root)  # and the verdict stored
    # Within the budget, an edit is judged over what it reaches alone, as before. (Another budget
    # is other code, whose cache is another: the fingerprint covers the code, a patch in a test does not.)
    monkeypatch.setattr(toolkit.checks.evidence, "_PASSAGE_SEARCH_BUDGET", 10**12)
    shutil.rmtree(cache_dir)
    _assert_warm_is_cold(root)
    _Clock().edit(root / "events" / "evt-lapid-visit-turkey.yaml", "summary: Israel’s", "summary: Israel's")
    parsed: list[str] = []
    parse = toolkit.incremental.parse_file

    def counting(path: Path, *args: Any) -> Any:
        parsed.append(Path(path).name)
        return parse(path, *args)

    monkeypatch.setattr(toolkit.incremental, "parse_file", counting)
    warm = validate([root], cache=True)
    assert "act-amir-abdollahian.yaml" not in parsed  # not the whole corpus: the actor is out of reach
    assert warm == validate([root], cache=False)


# --- The cache through git: another branch checked out, --changed-since ------------------------------------


def test_a_checkout_of_another_branch_and_changed_since_through_the_cache_give_the_cold_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_toolkit: Any
) -> None:
    # Held: a checkout rewrites the files it changes (new stamps), and --changed-since
    # reports what the changed files, and the files deleted, break across the corpus.
    from scratch_git import annotations_repo, commit_all, git

    monkeypatch.delenv(CACHE_ENV, raising=False)  # the cache beside annotations/, in the repository
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)  # the checkout was just written
    repo = annotations_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    git(repo, "checkout", "--quiet", "-b", "other")
    actor = Path("annotations/actors/act-yair-lapid.yaml")
    actor.write_text(actor.read_text(encoding="utf-8").replace("id: act-yair-lapid", "id: act-lapid"), "utf-8")
    Path("annotations/locations/loc-istanbul.yaml").unlink()
    commit_all(repo, "Another branch")
    corpus = Path("annotations")

    def same(*options: str) -> None:
        cold = run_toolkit(["validate", "--format", "json", "--no-cache", *options], expect=None)
        for _ in range(2):
            warm = run_toolkit(["validate", "--format", "json", *options], expect=None)
            assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output), options

    for branch in ("main", "other", "main"):
        git(repo, "checkout", "--quiet", branch)
        same(str(corpus))
    same("--changed-since", "other")  # main against other: a record back, an id back
    git(repo, "checkout", "--quiet", "other")
    same("--changed-since", "main")  # the actor's id changed, a location deleted: what they break
    assert json.loads(run_toolkit(["validate", "--format", "json", "--changed-since", "main"], expect=1).output)[
        "summary"
    ]["errors"]
    assert (repo / ".toolkit-cache").is_dir()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [0o555, 0o333, 0o000], ids=["read-only", "write-only", "closed"])
def test_a_cache_folder_whose_permissions_were_taken_away_gives_the_cold_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    # Held: a cache that cannot be read is a run without it, one that cannot be written a
    # run that keeps nothing; either way the cold verdict, exit 1, no error.
    prefix = unprivileged()
    root = build_fixture(REPORT_FIXTURE, tmp_path / "annotations")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))

    def validate_in_child(*options: str) -> tuple[int, str, str]:
        result = run_process("validate", "--format", "json", *options, "annotations", cwd=tmp_path, prefix=prefix)
        return result.returncode, result.stdout, result.stderr

    validate_in_child()
    [folder] = (tmp_path / "cache").glob("corpus-*")
    event = root / "events" / "evt-lapid-trip-thursday.yaml"
    event.write_text(event.read_text(encoding="utf-8").replace("summary: ", "summary: Again. "), encoding="utf-8")
    folder.chmod(mode)
    try:
        cold = validate_in_child("--no-cache")
        assert cold[0] == 1 and cold[2] == ""
        assert validate_in_child() == cold
        assert validate_in_child() == cold
    finally:
        folder.chmod(0o755)


# --- The language server: an open document's diagnostics are validate's of the text saved ---------------------


def _lsp_session(root: Path, cache: Path, steps: Callable[[Editor], Awaitable[None]]) -> None:
    async def run() -> None:
        editor = Editor(root)
        await editor.start(cache)
        try:
            await steps(editor)
        finally:
            await editor.stop()

    asyncio.run(run())


def _published(editor: Editor) -> dict[str, list[lsp.Diagnostic]]:
    """The last diagnostics published for each document, of those not yet read."""
    last: dict[str, list[lsp.Diagnostic]] = {}
    while not editor.published.empty():
        params = editor.published.get_nowait()
        last[params.uri] = list(params.diagnostics)
    return last


@pytest.mark.slow  # a child process: the server
def test_a_hidden_copy_open_in_the_editor_is_not_laid_over_the_corpus(tmp_path: Path) -> None:
    # An editor's backup or a draft kept as a hidden file beside the record
    # (events/.evt-x.yaml), open beside the record itself. validate never reads hidden
    # files (the corpus walk skips them; `validate .evt-x.yaml` reports nothing). Found:
    # the server laid it over the corpus as a record, so the record's diagnostics showed
    # an id-duplicate validate does not give, and the copy an id-file-name. Fixed: a
    # document the corpus walk does not list is not part of the corpus (no diagnostics).
    root = build_fixture(BASE, tmp_path / "annotations")
    event = "events/evt-lapid-visit-turkey.yaml"
    hidden = "events/.evt-lapid-visit-turkey.yaml"
    text = (root / event).read_text(encoding="utf-8")
    (root / hidden).write_text(text, encoding="utf-8")
    assert validate([root], cache=False).findings == ()

    async def steps(editor: Editor) -> None:
        assert await editor.open(event) == []
        editor.versions[editor.uri(hidden)] = 1
        editor.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(editor.uri(hidden), "yaml", 1, text))
        )
        assert await editor.type_text(event, text) == []
        await asyncio.sleep(0.5)
        assert _published(editor).get(editor.uri(hidden), []) == []

    _lsp_session(root, tmp_path / "cache", steps)


def _validate_saved(live: Path, buffers: dict[str, str], scratch: Path) -> dict[str, set[tuple[Any, ...]]]:
    """What validate finds in each file of a copy of the corpus folder ``live`` with ``buffers`` saved over it."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(live.parent, scratch, symlinks=True)
    for name, text in buffers.items():
        (scratch / live.name / name).write_text(text, encoding="utf-8")
    here = os.getcwd()
    os.chdir(scratch)  # names as the server gives them: relative to the corpus's parent
    try:
        report = validate([Path(live.name)], cache=False)
    finally:
        os.chdir(here)
    found: dict[str, set[tuple[Any, ...]]] = {}
    for f in report.findings:
        found.setdefault(f.file, set()).add((f.rule, (f.line or 1) - 1, (f.column or 1) - 1, f.message))
    return found


@pytest.mark.slow  # a child process: the server
def test_through_open_edit_and_close_each_open_documents_diagnostics_are_validates_of_the_texts_saved(
    tmp_path: Path,
) -> None:
    # Held: edits that reach other open documents (a link written back, an id changed, a
    # duplicate id, a record that stops parsing), and closes that discard them.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "live" / "annotations")
    trip, visit, lapid = (
        "events/evt-lapid-trip-thursday.yaml",
        "events/evt-lapid-visit-turkey.yaml",
        "actors/act-yair-lapid.yaml",
    )
    texts = {name: (root / name).read_text(encoding="utf-8") for name in (trip, visit, lapid)}
    steps: list[tuple[str, str, str | None]] = [  # (what, document, its new text; None: close it)
        ("open", trip, texts[trip]),
        ("open", visit, texts[visit]),
        ("link back", visit, texts[visit].replace("evidence:", "links:\n  - relation: same-as\n"
                                                   "    target: evt-lapid-trip-thursday\n"
                                                   "    certainty: certain\nevidence:")),
        ("open", lapid, texts[lapid]),
        ("id changed", lapid, texts[lapid].replace("id: act-yair-lapid", "id: act-yair-lapid-2")),
        ("close unsaved", lapid, None),
        ("id taken twice", trip, texts[trip].replace("id: evt-lapid-trip-thursday", "id: evt-lapid-visit-turkey")),
        ("stops parsing", visit, texts[visit] + "broken: [unclosed\n"),
        ("close unsaved", visit, None),
    ]  # fmt: skip

    async def run(editor: Editor) -> None:
        buffers: dict[str, str] = {}
        shown: dict[str, list[lsp.Diagnostic]] = {}

        async def until_published(uri: str) -> None:  # keeping every document's, as they come
            while True:
                params = await asyncio.wait_for(editor.published.get(), 60)
                shown[params.uri] = list(params.diagnostics)
                if params.uri == uri:
                    return

        for what, name, text in steps:
            uri = editor.uri(name)
            document = lsp.TextDocumentIdentifier(uri=uri)
            if text is None:
                del buffers[name]
                editor.client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=document))
            elif name not in buffers:
                editor.versions[uri] = 1
                item = lsp.TextDocumentItem(uri, "yaml", 1, text)
                editor.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
            else:
                editor.versions[uri] += 1
                versioned = lsp.VersionedTextDocumentIdentifier(uri=uri, version=editor.versions[uri])
                change = lsp.TextDocumentContentChangeWholeDocument(text=text)
                editor.client.text_document_did_change(
                    lsp.DidChangeTextDocumentParams(text_document=versioned, content_changes=[change])
                )
            if text is not None:
                buffers[name] = text
            await until_published(uri)
            await asyncio.sleep(0.5)  # the other open documents', published after it
            shown.update(_published(editor))
            expected = _validate_saved(root, buffers, tmp_path / "saved")
            for open_name in buffers:
                got = {
                    (d.code, d.range.start.line, d.range.start.character, d.message.split("\n")[0])
                    for d in shown[editor.uri(open_name)]
                }
                assert got == expected.get(f"annotations/{open_name}", set()), (what, name, open_name)

    _lsp_session(root, tmp_path / "cache", run)


@pytest.mark.xfail(
    strict=True,
    reason="not fixed: the server judges a document over its neighbours with hint budgets of its own; giving "
    "the hint a whole run gives needs what every other search of the corpus asks of the budget (the cache's "
    "ledger, toolkit/budget.py), which the server does not keep",
)
def test_the_language_server_gives_an_open_record_the_hint_validate_gives_when_the_runs_budget_runs_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The budget attack above, on the server's judgement of an open document (what it
    # publishes: LiveCorpus.findings_of), in this process so that the budget can be made small.
    root = build_fixture(BASE, tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    _two_quotes_one_budget(root, monkeypatch)
    event = root / "events" / "evt-lapid-visit-turkey.yaml"
    expected = [f for f in validate([root], cache=False).findings if f.file.endswith(event.name)]
    assert [f.hint for f in expected] == ["copy the words verbatim from src-lapid-visit"]
    live = LiveCorpus.read(root, load_schemas(), cache=False)
    file = live.update(event, event.read_text(encoding="utf-8"))
    assert live.findings_of({file})[file] == expected


# --- publish: every exchange within the time limit and the size cap, one clear line otherwise ----------------


def _api_root_answer(client: socket.socket, server: Server) -> None:
    """Answer the API root well, then the next exchanges of the connection as usual."""
    code, root = server.answer(Request("GET", "/api1/", b""))
    client.sendall(_response(code, json.dumps(root).encode()))
    server.serve(client)


@pytest.mark.slow
@pytest.mark.parametrize("limit", [1e10, 1e300])
def test_a_time_limit_too_long_for_the_systems_clock_is_no_traceback(corpus: Path, limit: float) -> None:
    # Found: a socket cannot wait longer than the system's time_t holds (some 292 years);
    # --timeout 1e10 raised OverflowError from the socket layer: a traceback (exit 3) before
    # a byte was sent. Fixed: a wait is never asked of a socket for longer than a day at a
    # time, the exchange's deadline still the one given.
    with hostile_server("reading the API root", _api_root_answer) as url:
        outcome = _publish_within(corpus, url, 60, request_timeout=limit)
    assert isinstance(outcome, publishing.PublishResult), outcome
    assert [failure.message for failure in outcome.failures] == ["refused"]  # the one this server refuses


@pytest.mark.slow
def test_a_redirect_whose_compressed_body_is_huge_is_refused_at_the_cap(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found: requests reads the body of each redirect itself before following it, decoded
    # and whole: a few hundred bytes on the wire (gzip twice) became 16 MiB in memory with
    # a cap of 4 KiB, and a 64 MiB answer of that kind far more than any memory. Fixed:
    # every answer of an exchange, each redirect's too, is read by the bound, against the cap.
    monkeypatch.setattr(publishing, "MAX_ANSWER_BYTES", CAP)
    packed = gzip.compress(gzip.compress(b"\0" * (16 * 1024 * 1024)))
    assert len(packed) < CAP

    def handle(client: socket.socket, request: Request) -> None:
        if request.path == "/api1/":
            headers = ("Location: /api1/root/", "Content-Encoding: gzip, gzip", f"Content-Length: {len(packed)}")
            client.sendall(_response(302, packed, *headers))
        else:
            client.sendall(_response(404, b"{}"))

    with plain_server(handle) as url:
        outcome = _publish_within(corpus, url + "api1/", 60, request_timeout=10)
    assert isinstance(outcome, ToolkitError), outcome
    assert (
        str(outcome)
        == f"the TAXII server at {url}api1/ sent an answer larger than {CAP} bytes when reading the API root"
    )


@contextmanager
def _proxy(trickle: bool) -> Iterator[str]:
    """An HTTP proxy on 127.0.0.1 that answers every request (a CONNECT too) with a header block that
    never ends, a byte at a time (``trickle``), or with nothing at all; yields its URL."""
    stop = threading.Event()

    def serve(client: socket.socket) -> None:
        with client:
            client.makefile("rb").readline()
            if not trickle:
                stop.wait(60)
                return
            try:
                client.sendall(b"HTTP/1.1 200 Connection established\r\nX-Pad: ")
                while not stop.is_set():
                    client.sendall(b"a")
                    time.sleep(DRIP)
            except OSError:  # the client hung up: what it should do
                return

    with _accepting(serve, stop) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize("trickle", [True, False], ids=["trickling", "silent"])
def test_a_proxy_that_trickles_or_withholds_its_answer_is_an_error_at_the_time_limit(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, scheme: str, trickle: bool
) -> None:
    # HTTPS_PROXY / HTTP_PROXY, which requests follows. Found (https, trickling): the
    # proxy's answer to CONNECT is read before the connection's socket was bounded, each
    # read within the per-read timeout: publish waited as long as the proxy sent. Fixed:
    # the tunnel is set up through the bounded socket. Held: a silent proxy, and a plain
    # http proxy (its answer is the server's, read through the bounded socket).
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with _proxy(trickle) as proxy:
        monkeypatch.setenv(f"{scheme.upper()}_PROXY", proxy)
        monkeypatch.setenv(f"{scheme}_proxy", proxy)
        url = f"{scheme}://taxii.invalid/api1/"
        started = time.monotonic()
        outcome = _publish_within(corpus, url, 30, request_timeout=LIMIT)
    assert isinstance(outcome, ToolkitError), outcome
    assert str(outcome).startswith(f"the TAXII server at {url} did not answer in full within 1 s when reading")
    assert time.monotonic() - started < 10 * LIMIT


def _broken_chunks(client: socket.socket, _server: Server) -> None:
    client.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode())


def _broken_gzip(client: socket.socket, _server: Server) -> None:
    client.sendall(_response(200, b"not gzip at all", "Content-Encoding: gzip"))


def _redirect_loop(client: socket.socket, server: Server) -> None:
    reader = client.makefile("rb")
    while not server.stop.is_set():
        client.sendall(_response(302, b"", "Location: /api1/"))
        if _read_request(reader) is None:
            return


def _cut_short(client: socket.socket, _server: Server) -> None:
    client.sendall(_response(200, b'{"title": "t"', "Content-Length: 1000"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("misbehave", "words"),
    [
        pytest.param(_broken_chunks, "sent an answer that cannot be read (cut short or malformed)", id="chunks"),
        pytest.param(_cut_short, "sent an answer that cannot be read (cut short or malformed)", id="cut-short"),
        pytest.param(_broken_gzip, "sent an answer that cannot be read (its compression is broken)", id="gzip"),
        pytest.param(_redirect_loop, "redirected too many times", id="redirect-loop"),
    ],
)
def test_an_answer_that_cannot_be_read_is_an_error_naming_the_server_and_the_step(
    corpus: Path, misbehave: Misbehaviour, words: str
) -> None:
    # Found: these said "<url>: not a usable TAXII URL (ChunkedEncodingError)": the URL was
    # fine, the step was not named. Fixed: one line naming the server, what it did, the step.
    with hostile_server("reading the API root", misbehave) as url:
        outcome = _publish_within(corpus, url, 30, request_timeout=10)
    assert isinstance(outcome, ToolkitError), outcome
    assert str(outcome) == f"the TAXII server at {url} {words} when reading the API root"


@pytest.mark.slow
def test_what_a_server_says_in_a_header_reaches_the_terminal_escaped_on_one_line(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Content-Type that is no TAXII one, holding a terminal escape (OSC 0 sets the
    # window's title; OSC 52 writes the clipboard). Found: taxii2client's message quotes it,
    # and publish printed it as it came, escape and all, over three lines. Fixed: the
    # server's words in a message are made visible (as in a status's failures), one line.
    monkeypatch.setenv("TOOLKIT_TAXII_USER", USER)
    monkeypatch.setenv("TOOLKIT_TAXII_PASSWORD", PASSWORD)

    def escaping(client: socket.socket, _server: Server) -> None:
        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/\x1b]0;pwned\x07html\r\nContent-Length: 2\r\n\r\n{}")

    with hostile_server("reading the API root", escaping) as url:
        result = run_process(
            "publish", "--url", url, "--collection", COLLECTION, "--corpus", str(corpus), "--timeout", "10",
            cwd=corpus.parent, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: the TAXII server at {url} gave an answer that is not TAXII 2.1 when reading")
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr


@pytest.mark.slow
def test_a_redirect_to_another_host_gets_no_credentials_and_ends_within_the_time_limit(corpus: Path) -> None:
    # Held: requests drops the Authorization header on the way to another host, and the
    # exchange's deadline covers the redirect followed (that host says nothing at all).
    received: list[bytes] = []
    other = socket.create_server(("127.0.0.1", 0))
    port = other.getsockname()[1]
    done = threading.Event()

    def silent_other() -> None:
        client, _ = other.accept()
        with client:
            received.append(client.recv(65536))
            done.wait(60)  # never answers: only the deadline ends the wait

    silent = threading.Thread(target=silent_other, daemon=True)
    silent.start()

    def redirect(client: socket.socket, _server: Server) -> None:
        client.sendall(_response(302, b"", f"Location: http://localhost:{port}/api1/"))

    try:
        with hostile_server("reading the API root", redirect) as url:
            started = time.monotonic()
            outcome = _publish_within(corpus, url, 30, request_timeout=2 * LIMIT)
    finally:
        done.set()
        other.close()
        silent.join(5)
    assert isinstance(outcome, ToolkitError), outcome
    assert str(outcome).startswith(f"the TAXII server at {url} did not answer in full within 2 s when reading")
    assert time.monotonic() - started < 10 * LIMIT
    [request] = received
    assert request.startswith(b"GET /api1/ ") and b"authorization" not in request.lower()
