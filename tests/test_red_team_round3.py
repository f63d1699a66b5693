"""Red team, round 3: variants of round 2's fixes (N1-N9).

Only misbehaviours are kept here (R1-R5 in /work/redteam3/findings.md); every test
fails today and is meant to be kept as a regression test once fixed. Copy into
``tests/`` to run (it uses ``red_team_support`` and ``scratch_git``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from red_team_support import CLEAN, SECRET, run_command
from scratch_git import annotations_repo, commit_all, git

EVENT = Path("events") / "evt-lapid-visits-turkey.yaml"


@pytest.mark.timeout(60)
def test_export_refuses_a_corpus_folder_committed_as_a_link_out_of_the_repository(tmp_path: Path) -> None:
    # R1. `validate` refuses `annotations -> ../outside/ann` (exit 2); `export` reads the
    # tree outside the repository and exports it (exit 0), with or without --corpus.
    outside = tmp_path / "outside" / "ann"
    shutil.copytree(CLEAN, outside)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    (repo / "annotations").symlink_to(Path("..") / "outside" / "ann", target_is_directory=True)

    assert run_command("validate", cwd=repo).returncode == 2
    for args in (("export", "--out", "exports"), ("export", "--corpus", "annotations", "--out", "exports")):
        result = run_command(*args, cwd=repo)
        assert result.returncode == 2, result.stdout + result.stderr
        assert not (repo / "exports").exists()


@pytest.mark.timeout(60)
def test_changed_since_fails_a_corpus_folder_replaced_by_a_link_out_of_the_repository(tmp_path: Path) -> None:
    # R2. N7 with the corpus folder itself: the branch deletes annotations/ and commits
    # `annotations -> ../outside/ann`. --changed-since says "no annotation files
    # changed" (exit 0); the whole run refuses the link (exit 2).
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "feat")
    outside = tmp_path / "outside" / "ann"
    shutil.copytree(repo / "annotations", outside)
    (outside / EVENT).write_text(f"id: evt-x\n{SECRET}: 1\n{SECRET}: 2\n", encoding="utf-8")
    git(repo, "rm", "-r", "--quiet", "annotations")
    (repo / "annotations").symlink_to(Path("..") / "outside" / "ann", target_is_directory=True)
    commit_all(repo, "Replace the corpus by a link")

    whole = run_command("validate", cwd=repo)
    changed = run_command("validate", "--changed-since", "main", cwd=repo)

    assert whole.returncode != 0
    assert changed.returncode != 0, changed.stdout + changed.stderr
    assert SECRET not in changed.stdout + changed.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("layout", ["empty", "hidden-corpus"])
def test_export_of_a_folder_that_holds_no_corpus_is_refused_not_an_empty_export(tmp_path: Path, layout: str) -> None:
    # R3. `validate empty` is exit 2 ("no corpus in it"); `export --corpus empty` writes
    # empty tables and exits 0. With a broken corpus in `.annotations/` below it, the
    # same: a green export of nothing.
    folder = tmp_path / "folder"
    folder.mkdir()
    if layout == "hidden-corpus":
        shutil.copytree(CLEAN, folder / ".annotations")
    assert run_command("validate", "folder", cwd=tmp_path).returncode == 2

    result = run_command("export", "--corpus", "folder", "--out", "exports", cwd=tmp_path)

    assert result.returncode != 0, result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_a_record_in_a_hidden_folder_below_a_kind_folder_gets_one_verdict_on_every_path(corpus: Path) -> None:
    # R4 (low). Outside git, hidden folders are skipped by the walk (N3's fix), but a
    # file in one, named alone, is an error (file-kind-unknown); in a git repository
    # the same file named alone passes. Same file, two verdicts.
    hidden = corpus / "events" / ".sub"
    hidden.mkdir()
    (hidden / "evt-q.yaml").write_text("id: evt-q\ntype: BOGUS\n", encoding="utf-8")

    whole = run_command("validate", cwd=corpus.parent)
    named = run_command("validate", "annotations/events/.sub/evt-q.yaml", cwd=corpus.parent)

    assert whole.returncode == named.returncode, named.stdout + named.stderr


@pytest.mark.timeout(60)
def test_new_with_a_folder_below_a_kind_folder_as_corpus_writes_no_misplaced_record(corpus: Path) -> None:
    # R5. N6's variant: `--corpus annotations/events/sub` (a folder below a kind folder)
    # writes `annotations/events/sub/actors/act-q.yaml`, which the corpus then fails
    # (file-kind-unknown).
    (corpus / "events" / "sub").mkdir()

    result = run_command("new", "actor", "act-q", "--corpus", "annotations/events/sub", cwd=corpus.parent)

    misplaced = corpus / "events" / "sub" / "actors" / "act-q.yaml"
    assert result.returncode == 2 or not misplaced.exists(), result.stdout + result.stderr
