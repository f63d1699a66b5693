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

import os
from pathlib import Path

import pytest

import toolkit.cache
from corpus_overlay import REPORT_FIXTURE, build_fixture
from toolkit.cache import CACHE_ENV
from toolkit.model import Report
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


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache in ``tmp_path/cache``; files count as settled at once (no 'just written' window)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)
    return tmp_path / "cache"


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
