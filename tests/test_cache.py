"""The incremental cache (toolkit/cache.py): a warm run gives the findings of a cold one, whatever changed,
and a cache that is corrupt, truncated, foreign, planted or written by two runs at once is never trusted."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import toolkit.cache
import toolkit.loading
from corpus_overlay import REPORT_FIXTURE, build_fixture
from toolkit.cache import CACHE_ENV, CACHE_FOLDER
from toolkit.model import Report
from toolkit.validation import validate

ROOT = Path(__file__).resolve().parent.parent
_ID = re.compile(r"\b(?:act|loc|evt|src|adv)-[a-z0-9-]+")


@contextmanager
def _cache_in(folder: Path) -> Iterator[Path]:
    """TOOLKIT_CACHE_DIR set to ``folder`` for the block (hypothesis runs many examples in one test call)."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            del os.environ[CACHE_ENV]
        else:
            os.environ[CACHE_ENV] = before


class _Clock:
    """Distinct modification times in the past for every write, so that no two versions share a stamp
    and none is 'racy' (just written): the cache may then serve every unchanged file."""

    def __init__(self) -> None:
        self.now = 1_500_000_000

    def write(self, path: Path, text: str) -> None:
        self.now += 1
        temporary = path.with_name("." + path.name + ".tmp")
        temporary.write_bytes(text.encode("utf-8", "surrogateescape"))
        os.utime(temporary, (self.now, self.now))
        os.replace(temporary, path)


def _files(root: Path, suffix: str) -> list[Path]:
    return sorted(p for p in root.rglob(f"*{suffix}") if p.is_file() and not p.is_symlink() and p.name[0] != ".")


def _read(path: Path) -> str:
    # Some fixture files are not UTF-8 on purpose: kept byte for byte.
    return path.read_bytes().decode("utf-8", "surrogateescape")


def _mutate(root: Path, clock: _Clock, operation: int, a: int, b: int) -> None:
    """One random change of the kinds the cache must see: edits, renames, deletions, copies, article edits."""
    records = _files(root, ".yaml")
    texts = _files(root, ".txt")
    if not records:
        return
    target = records[a % len(records)]
    other = records[b % len(records)]
    text = _read(target)
    ids = _ID.findall(text)
    if operation == 0 and ids:  # point a reference (or the id itself) at another record
        clock.write(target, text.replace(ids[b % len(ids)], other.stem, 1))
    elif operation == 1 and ids:  # a reference that resolves nowhere
        clock.write(target, text.replace(ids[b % len(ids)], ids[b % len(ids)] + "-gone", 1))
    elif operation == 2:
        clock.write(target, text + "\nbroken: [unclosed\n")
    elif operation == 3:
        target.unlink()
    elif operation == 4:  # renamed, maybe into another kind's folder
        folders = sorted(p for p in root.iterdir() if p.is_dir())
        folder = folders[b % len(folders)]
        target.rename(folder / f"{target.stem}-moved.yaml")
    elif operation == 5 and texts:  # an article text edited or deleted
        article = texts[b % len(texts)]
        if b % 3 == 0:
            article.unlink()
        else:
            body = _read(article)
            clock.write(article, body[: len(body) // 2] if b % 3 == 1 else body + "One more line.\n")
    elif operation == 6:  # a copy: its id is taken twice
        clock.write(target.with_name(f"{target.stem}-copy.yaml"), text)
    elif operation == 7:  # a quote that is no longer in its article
        clock.write(target, text.replace(" the ", " teh ", 1))
    elif operation == 8:  # a date moved
        clock.write(target, text.replace("2022-", "2031-", 1))
    elif operation == 9:  # the same text written again: a new stamp, the same content
        clock.write(target, text)
    elif operation == 10 and not target.is_symlink():  # the record becomes a link to its text elsewhere
        kept = target.with_suffix(".kept")
        target.rename(kept)
        target.symlink_to(kept.name)
    elif operation == 11:  # and a link's target edited: the link itself is unchanged
        links = [p for p in root.rglob("*.yaml") if p.is_symlink() and p.resolve().is_file()]
        if links:
            kept = links[b % len(links)].resolve()
            clock.write(kept, _read(kept).replace(" the ", " teh ", 1) + "\nextra: field\n")
    elif operation == 12:  # another record's name, in capitals: one name twice (name-duplicate)
        names = re.findall(r"^name: (.*)$", _read(other), re.MULTILINE)
        if names:
            clock.write(target, re.sub(r"^name: .*$", f"name: {names[0].upper()}", text, count=1, flags=re.MULTILINE))
    elif operation == 13:  # supersedes another record (a chain, a loop, or another kind's field)
        clock.write(target, re.sub(r"^supersedes:.*\n", "", text, flags=re.MULTILINE) + f"supersedes: [{other.stem}]\n")


def _both(root: Path) -> tuple[Report, Report]:
    return validate([root], cache=False), validate([root], cache=True)


_STEPS = st.lists(st.tuples(st.integers(0, 13), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=5)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_STEPS)
@example(steps=[(operation, 7, 3) for operation in range(14)])  # every kind of change at least once
@example(steps=[(10, 0, 0), (11, 0, 0), (3, 0, 0)])  # a record made a link, its target edited, then deleted
def test_a_warm_run_finds_what_a_cold_run_finds_after_any_edits_renames_and_deletions(
    steps: list[tuple[int, int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every write gets a distinct mtime in the past: nothing is 'just written', so the
    # cache serves every file whose stamp it knows; racy stamps are tested on their own.
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)
    with tempfile.TemporaryDirectory() as scratch, _cache_in(Path(scratch) / "cache"):
        root = build_fixture(REPORT_FIXTURE, Path(scratch) / "corpus")
        clock = _Clock()
        for path in _files(root, ".yaml") + _files(root, ".txt"):
            clock.write(path, _read(path))
        cold, warm = _both(root)
        assert warm == cold
        for operation, a, b in steps:
            _mutate(root, clock, operation, a, b)
            cold, warm = _both(root)
            assert warm == cold, f"after operation {operation}"
            assert validate([root], cache=True) == cold  # the stored verdict, served again


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The report fixture (a finding of every rule), its files dated in the past, the cache in tmp_path/cache."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)  # ctimes are now: only the mtimes are set in the past
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    clock = _Clock()
    for path in _files(root, ".yaml") + _files(root, ".txt"):
        clock.write(path, _read(path))
    return root


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the annotation files parsed from now on (in this process)."""
    names: list[str] = []
    parse = toolkit.loading.parse_file

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        names.append(Path(path).name)
        return parse(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(toolkit.loading, "parse_file", counting)
    monkeypatch.setattr(toolkit.incremental, "parse_file", counting)
    return names


def test_an_unchanged_corpus_is_answered_without_parsing_a_file(corpus: Path, parsed: list[str]) -> None:
    # A source whose text is a link is judged again every run (the link's target can
    # change under it): this corpus keeps none.
    (corpus / "sources" / "src-linked-text.txt").unlink()
    cold = validate([corpus], cache=True)
    assert len(parsed) == cold.files
    parsed.clear()
    assert validate([corpus], cache=True) == cold
    assert parsed == []


def test_one_edited_file_is_parsed_again_with_only_the_records_it_reaches(corpus: Path, parsed: list[str]) -> None:
    cold = validate([corpus], cache=True)
    actor = corpus / "actors" / "act-yair-lapid.yaml"
    _Clock().write(actor, actor.read_text(encoding="utf-8").replace("act-yair-lapid", "act-yair-lapid-2", 1))
    parsed.clear()
    warm = validate([corpus], cache=True)
    # The edited file, then the records that mentioned its old id (read again from disk
    # to be judged, with their own neighbours): not the corpus.
    assert parsed[0] == "act-yair-lapid.yaml"
    assert parsed.count("act-yair-lapid.yaml") == 1
    assert "evt-lapid-visit-turkey.yaml" in parsed  # one that names act-yair-lapid as a participant
    assert len(parsed) < cold.files
    assert warm == validate([corpus], cache=False)
    assert any(f.rule == "id-file-name" and f.file.endswith("act-yair-lapid.yaml") for f in warm.findings)


def test_a_file_rewritten_just_before_a_run_is_read_again_even_with_the_same_size(tmp_path: Path) -> None:
    # Size, mtime and ctime can all stay the same when a file is written twice within one
    # clock tick: a file written in the two seconds before a run is never served from the cache.
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    actor = root / "actors" / "act-turkey.yaml"
    with _cache_in(tmp_path / "cache"):
        validate([root], cache=True)
        text = actor.read_text(encoding="utf-8")
        with actor.open("r+", encoding="utf-8") as stream:  # in place: the same inode, the same size
            stream.write(text.replace("id: act-turkey", "id: act-turkez", 1))
        assert validate([root], cache=True) == validate([root], cache=False)


def _cache_files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "cache").rglob("*.json"))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"", id="empty"),
        pytest.param(lambda raw: b'{"toolkit-cache": {"format": 1}} garbage \x00\xff', id="garbage"),
        pytest.param(lambda raw: raw.replace(b'"fingerprint":"', b'"fingerprint":"0', 1), id="foreign-fingerprint"),
        pytest.param(lambda raw: raw.replace(b'"root":"', b'"root":"/elsewhere', 1), id="another-corpus"),
        pytest.param(lambda raw: raw.replace(b"act-", b"act-x", 1), id="one-byte-changed"),
        pytest.param(lambda raw: raw.replace(b'"schema-', b'"no-such-rule-', 1), id="unknown-rule"),
        pytest.param(lambda raw: raw.replace(b'"actor"', b'"spaceship"', 1), id="unknown-kind"),
        pytest.param(lambda raw: raw.replace(b"[", b"{", 3), id="wrong-shape"),
    ],
)
def test_a_damaged_cache_is_rebuilt_never_believed(corpus: Path, tmp_path: Path, damage: object) -> None:
    cold = validate([corpus], cache=False)
    assert validate([corpus], cache=True) == cold
    for path in _cache_files(tmp_path):
        path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert validate([corpus], cache=True) == cold
    assert validate([corpus], cache=True) == cold  # and what the rebuilt cache serves


def test_a_planted_cache_that_says_every_file_is_clean_is_not_believed(corpus: Path, tmp_path: Path) -> None:
    # A cache committed or copied in: entries for every file with no findings and the
    # stored verdict emptied. The stamps are not the checkout's (its own inodes and
    # ctimes, which nobody can set), so nothing of it is served.
    cold = validate([corpus], cache=False)
    assert cold.errors
    validate([corpus], cache=True)
    for path in _cache_files(tmp_path):
        head, body = path.read_bytes().split(b"\n", 1)
        document = json.loads(body)
        for entry in document.get("entries", {}).values():
            entry[0][1] += 1  # another inode: a cache made elsewhere
            entry[3] = []
        if "findings" in document:
            document["findings"] = []
            document["key"] = "0" * 64
        text = json.dumps(document, separators=(",", ":")).encode()
        header = json.loads(head)
        header["sha256"] = hashlib.sha256(text).hexdigest()  # made to look whole: only the stamps give it away
        path.write_bytes(json.dumps(header, separators=(",", ":")).encode() + b"\n" + text)
    assert validate([corpus], cache=True) == cold


def test_a_cache_file_that_is_a_link_is_neither_read_nor_written_through(corpus: Path, tmp_path: Path) -> None:
    cold = validate([corpus], cache=True)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("keep me", encoding="utf-8")
    for path in _cache_files(tmp_path):
        path.unlink()
        path.symlink_to(elsewhere)
    assert validate([corpus], cache=True) == cold
    assert elsewhere.read_text(encoding="utf-8") == "keep me"


def test_a_cache_folder_that_cannot_be_made_means_a_run_without_it(tmp_path: Path) -> None:
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with _cache_in(blocker / "cache"):
        assert validate([root], cache=True) == validate([root], cache=False)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_a_cache_folder_that_is_a_link_is_not_written_through(tmp_path: Path) -> None:
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / CACHE_FOLDER).symlink_to(target)
    here = os.getcwd()
    os.chdir(tmp_path / "work")
    try:
        with _cache_in(Path(CACHE_FOLDER)):
            assert validate([root], cache=True) == validate([root], cache=False)
    finally:
        os.chdir(here)
    assert list(target.iterdir()) == []


def test_the_cache_sits_beside_the_corpus_ignored_by_git_and_no_cache_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    root = build_fixture(REPORT_FIXTURE, tmp_path / "annotations")
    validate([root], cache=False)
    assert not (tmp_path / CACHE_FOLDER).exists()
    validate([root], cache=True)
    cache = tmp_path / CACHE_FOLDER
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert (
        (cache / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert not list(root.rglob(f"*{CACHE_FOLDER}*"))  # nothing inside the corpus


def test_a_corpus_at_the_top_of_its_repository_keeps_its_cache_inside_ignored_by_git_never_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    repo = build_fixture(REPORT_FIXTURE, tmp_path / "repo")  # kind folders at the repository's top
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    cold = validate([repo], cache=False)
    assert validate([repo], cache=True) == cold
    assert validate([repo], cache=True) == cold  # served from the cache, which the walk does not read
    assert (repo / CACHE_FOLDER / ".gitignore").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["repo"]  # nothing written above it
    untracked = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True
    ).stdout
    assert CACHE_FOLDER not in untracked and untracked  # the records are new to git, the cache is not shown


def test_a_cache_folder_named_with_a_tilde_is_in_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(CACHE_ENV, "~/caches/toolkit")  # as a .env file or a CI setting gives it, unexpanded
    root = build_fixture(REPORT_FIXTURE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    assert validate([root], cache=True) == validate([root], cache=False)
    assert list((tmp_path / "home" / "caches" / "toolkit").glob("corpus-*"))
    assert not (tmp_path / "~").exists()


def _run(corpus: Path, *options: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "toolkit", "validate", "--format", "json", *options, str(corpus)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, env=env)


@pytest.mark.slow
def test_runs_at_once_on_one_cache_each_give_the_cold_verdict(corpus: Path, tmp_path: Path) -> None:
    environment = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    actor = corpus / "actors" / "act-yair-lapid.yaml"
    for edit in ("", "act-yair-lapid-renamed"):
        if edit:  # between the rounds, a record renamed that others refer to
            _Clock().write(actor, _read(actor).replace("act-yair-lapid", edit, 1))
        time.sleep(2.1)  # past the 'just written' window of the runs (their own processes): the cache is used
        cold = _run(corpus, "--no-cache")
        expected = cold.communicate()[0]
        # Three runs at once, each reading and writing the one cache.
        runs = [_run(corpus, env=environment) for _ in range(3)]
        outputs = [run.communicate()[0] for run in runs]
        assert all(output == expected for output in outputs)
        assert all(run.returncode == cold.returncode == 1 for run in runs)
        after = _run(corpus, env=environment)
        assert after.communicate()[0] == expected  # and what they left behind serves the same verdict


def test_changed_since_and_the_pre_commit_hooks_command_read_the_corpus_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[str], run_toolkit: Any
) -> None:
    from scratch_git import annotations_repo, git

    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)  # the checkout was just written
    repo = annotations_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    actor = Path("annotations/actors/act-turkey.yaml")
    actor.write_text(actor.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
    run_toolkit(["validate", "--changed-since", "HEAD"])
    assert (repo / CACHE_FOLDER / ".gitignore").is_file()  # beside annotations/, and ignored by git:
    assert git(repo, "status", "--porcelain").split() == ["M", actor.as_posix()]
    parsed.clear()
    run_toolkit(["validate", actor.as_posix()])  # what the pre-commit hook runs
    assert parsed == []  # nothing changed since: the corpus, the edited file included, came from the cache
    run_toolkit(["validate", "--no-cache", actor.as_posix()])
    assert len(parsed) > 1


def test_a_record_that_is_a_link_within_the_corpus_is_read_every_run_and_never_dropped(
    corpus: Path, tmp_path: Path
) -> None:
    actors = corpus / "actors"
    (actors / "act-yair-lapid.yaml").rename(actors / "act-yair-lapid.target")
    (actors / "act-yair-lapid.yaml").symlink_to("act-yair-lapid.target")
    cold = validate([corpus], cache=False)
    assert validate([corpus], cache=True) == cold
    assert validate([corpus], cache=True) == cold
    target = actors / "act-yair-lapid.target"
    _Clock().write(target, _read(target).replace("act-yair-lapid", "act-yair-lapid-elsewhere", 1))
    assert validate([corpus], cache=True) == validate([corpus], cache=False)  # the link is unchanged, not its target
