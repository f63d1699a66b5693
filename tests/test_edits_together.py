"""`toolkit cite` and `toolkit link` edit records whole or not at all, keeping each file's line ends and mode."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from scratch_git import CLEAN_CORPUS
from toolkit import record_edits

EVENT = Path("annotations/events/evt-lapid-visits-turkey.yaml")
TRIP = Path("annotations/events/evt-lapid-trip.yaml")
SAME_AS = ["link", "evt-lapid-visits-turkey", "same-as", "evt-lapid-trip", "--certainty", "probable", "--note", "Same."]


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the clean corpus as ./annotations, with a second event to link to."""
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    second = (tmp_path / EVENT).read_text(encoding="utf-8").replace("evt-lapid-visits-turkey", "evt-lapid-trip")
    (tmp_path / TRIP).write_text(second, encoding="utf-8")
    return tmp_path / "annotations"


def test_a_same_as_whose_second_file_cannot_be_replaced_gives_the_first_its_old_bytes_back(
    corpus: Path, run_toolkit, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {path: path.read_bytes() for path in (corpus.parent / EVENT, corpus.parent / TRIP)}
    renames: list[str] = []
    real_rename = os.rename

    def rename_once(source: str, target: str, **kwargs: int) -> None:
        renames.append(target)
        if len(renames) == 2:  # the second record's rename: as if its folder went read-only meanwhile
            raise PermissionError(13, "Permission denied", target)
        real_rename(source, target, **kwargs)

    monkeypatch.setattr(record_edits.os, "rename", rename_once)

    result = run_toolkit(SAME_AS, expect=2)

    assert "Permission denied" in result.output
    assert {path: path.read_bytes() for path in before} == before
    assert sorted(p.name for p in (corpus / "events").iterdir()) == sorted(p.name for p in before)


def test_a_read_only_record_is_not_edited(corpus: Path, run_toolkit) -> None:
    record = corpus.parent / EVENT
    before = record.read_bytes()
    record.chmod(0o444)

    result = run_toolkit(
        ["cite", "evt-lapid-visits-turkey", "src-lapid-to-visit-turkey", "The statement said"], expect=2
    )

    assert "read-only" in result.output
    assert record.read_bytes() == before
    assert stat.S_IMODE(record.stat().st_mode) == 0o444


def test_link_writes_each_side_with_its_own_line_ends_and_mode(corpus: Path, run_toolkit) -> None:
    event, trip = corpus.parent / EVENT, corpus.parent / TRIP
    event.write_bytes(event.read_bytes().replace(b"\n", b"\r\n"))
    trip.chmod(0o664)

    run_toolkit(SAME_AS)

    assert b"same-as" in event.read_bytes()
    assert all(line.endswith(b"\r\n") for line in event.read_bytes().splitlines(keepends=True))
    assert b"\r" not in trip.read_bytes()
    assert stat.S_IMODE(trip.stat().st_mode) == 0o664
