"""`toolkit validate --changed-since REF`: the files a branch changed, checked against the whole corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scratch_git import GIT_ENV, annotations_repo, commit_all, git
from toolkit.changes import changed_annotation_files

EVENT = "annotations/events/evt-lapid-visits-turkey.yaml"
ACTOR = "annotations/actors/act-turkey.yaml"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the clean corpus on main and a branch 'edits' checked out; the cwd."""
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "edits")
    for name, value in GIT_ENV.items():  # the git that the toolkit runs ignores the user's config too
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo)
    return repo


def edit(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def changed(repo: Path, *scope: str) -> list[str]:
    return [path.relative_to(repo).as_posix() for path in changed_annotation_files("main", [Path(s) for s in scope])]


def test_a_file_committed_on_the_branch_is_checked_and_its_findings_reported(repo: Path, run_toolkit) -> None:
    edit(repo, EVENT, "type: CONSULT/visit", "type: CONSULT/vist")
    commit_all(repo, "Misspell the event type")

    result = run_toolkit(["validate", "--changed-since", "main"], expect=1)

    assert f"{EVENT}:3:7: error [schema-vocabulary]" in result.stdout
    assert "1 file, 1 record: 1 error, 0 warnings" in result.stdout


def test_files_broken_before_the_branch_are_not_reported(repo: Path, run_toolkit) -> None:
    git(repo, "checkout", "--quiet", "main")
    edit(repo, ACTOR, "name: Turkey", "name: ''")
    commit_all(repo, "An old mistake on main")
    git(repo, "checkout", "--quiet", "-b", "later-edits")
    edit(repo, EVENT, "Israel's Foreign Minister", "Israeli Foreign Minister")
    commit_all(repo, "Reword the summary")

    result = run_toolkit(["validate", "--changed-since", "main"], expect=0)

    assert ACTOR not in result.stdout
    assert "1 file, 1 record: 0 errors, 0 warnings" in result.stdout


def test_staged_unstaged_and_new_files_count_as_changed(repo: Path) -> None:
    edit(repo, EVENT, "summary: Israel's", "summary: Israeli")
    git(repo, "add", EVENT)
    edit(repo, "annotations/actors/act-israel.yaml", "name: Israel", "name: State of Israel")
    new = repo / "annotations/locations/loc-ankara.yaml"
    new.write_text((repo / "annotations/locations/loc-istanbul.yaml").read_text().replace("istanbul", "ankara"))

    assert changed(repo) == ["annotations/actors/act-israel.yaml", EVENT, "annotations/locations/loc-ankara.yaml"]


def test_deleted_files_are_left_out(repo: Path, run_toolkit) -> None:
    (repo / "annotations/advisories/adv-il-nsc-istanbul-level-4.yaml").unlink()

    assert changed(repo) == []
    result = run_toolkit(["validate", "--changed-since", "main"], expect=0)
    assert "no annotation files changed since main" in result.stderr


def test_references_still_resolve_against_the_whole_corpus(repo: Path, run_toolkit) -> None:
    # The event refers to unchanged actors and a location; they are found, so no ref-unresolved.
    edit(repo, EVENT, "role: target", "role: target\n    note: The host of the visit.")

    result = run_toolkit(["validate", "--changed-since", "main", "--strict"], expect=0)

    assert "1 file, 1 record: 0 errors, 0 warnings" in result.stdout


def test_an_edited_article_text_selects_the_source_record_that_names_it(repo: Path, run_toolkit) -> None:
    edit(repo, "annotations/sources/src-lapid-to-visit-turkey.txt", "Thursday", "Wednesday")

    assert changed(repo) == ["annotations/sources/src-lapid-to-visit-turkey.yaml"]
    result = run_toolkit(["validate", "--changed-since", "main"], expect=1)
    assert "[source-sha256-mismatch]" in result.stdout


def test_only_changes_within_the_given_paths_are_checked(repo: Path) -> None:
    edit(repo, EVENT, "summary: Israel's", "summary: Israeli")
    edit(repo, ACTOR, "name: Turkey", "name: Türkiye")

    assert changed(repo, "annotations/actors") == [ACTOR]


def test_yaml_files_outside_the_corpus_are_not_annotations(repo: Path) -> None:
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/ci.yml").write_text("name: CI\n")
    (repo / "mkdocs.yml").write_text("site_name: Notes\n")

    assert changed(repo, ".") == []


def test_with_nothing_changed_the_run_passes_and_says_so(repo: Path, run_toolkit) -> None:
    result = run_toolkit(["validate", "--changed-since", "main"], expect=0)

    assert "0 files, 0 records: 0 errors, 0 warnings" in result.stdout
    assert result.stderr == "no annotation files changed since main\n"


def test_an_unknown_ref_is_a_one_line_error(repo: Path, run_toolkit) -> None:
    result = run_toolkit(["validate", "--changed-since", "no-such-branch"], expect=2)

    assert result.stderr.startswith("Error: --changed-since: 'no-such-branch' is not a commit, branch or tag")
    assert result.stderr.count("\n") == 1


def test_outside_a_git_repository_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_toolkit
) -> None:
    corpus = tmp_path / "annotations"
    corpus.mkdir()
    monkeypatch.chdir(tmp_path)
    # Stop git's search for a repository at tmp_path, whatever holds the temporary folder.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", os.fspath(tmp_path.parent))

    result = run_toolkit(["validate", "--changed-since", "main"], expect=2)

    assert result.stderr == f"Error: --changed-since needs a git repository, and {tmp_path} is not inside one\n"


# What a branch breaks in files it does not touch: the rules that span files are
# reported wherever they land, so a changed-files run fails where a whole-corpus run fails.

ADVISORY = "annotations/advisories/adv-il-nsc-istanbul-level-4.yaml"


def test_a_deleted_record_that_others_refer_to_is_reported_where_it_is_referred_to(repo: Path, run_toolkit) -> None:
    (repo / "annotations/locations/loc-istanbul.yaml").unlink()
    commit_all(repo, "Delete Istanbul")

    result = run_toolkit(["validate", "--changed-since", "main"], expect=1)

    assert f"{ADVISORY}:4:" in result.stdout and "[ref-unresolved] no record has the id 'loc-istanbul'" in result.stdout


def test_a_new_file_that_takes_an_existing_id_is_reported_on_either_file(repo: Path, run_toolkit) -> None:
    # act-turkey.yaml sorts before act-turkey.yml: the duplicate lands on whichever the
    # corpus reads second, and is reported however the two files were changed.
    old = repo / ACTOR
    old.rename(old.with_suffix(".yml"))
    commit_all(repo, "The actor as .yml")
    git(repo, "checkout", "--quiet", "-b", "later")
    (repo / ACTOR).write_text(old.with_suffix(".yml").read_text(encoding="utf-8"), encoding="utf-8")

    result = run_toolkit(["validate", "--changed-since", "HEAD"], expect=1)

    assert "[id-duplicate] the id 'act-turkey' is already used by" in result.stdout


def test_a_supersedes_link_that_closes_a_cycle_is_reported_on_the_unchanged_advisory(repo: Path, run_toolkit) -> None:
    older = repo / "annotations/advisories/adv-il-nsc-istanbul-level-3.yaml"
    older.write_text(
        (repo / ADVISORY)
        .read_text(encoding="utf-8")
        .replace("istanbul-level-4", "istanbul-level-3")
        .replace("value: 4", "value: 3")
        .replace("audience: Israelis", "audience: Israelis\nsupersedes: [adv-il-nsc-istanbul-level-4]"),
        encoding="utf-8",
    )
    commit_all(repo, "An advisory that supersedes level 4")
    git(repo, "checkout", "--quiet", "-b", "cycle")
    edit(repo, ADVISORY, "audience: Israelis", "audience: Israelis\nsupersedes: [adv-il-nsc-istanbul-level-3]")

    result = run_toolkit(["validate", "--changed-since", "HEAD"], expect=1)

    assert "annotations/advisories/adv-il-nsc-istanbul-level-3.yaml:" in result.stdout
    assert "[advisory-supersedes-cycle]" in result.stdout


def test_a_deleted_article_text_is_reported_on_its_source_record(repo: Path, run_toolkit) -> None:
    (repo / "annotations/sources/src-lapid-to-visit-turkey.txt").unlink()

    result = run_toolkit(["validate", "--changed-since", "main"], expect=1)

    assert "annotations/sources/src-lapid-to-visit-turkey.yaml:" in result.stdout
    assert "[source-text-missing]" in result.stdout


def test_a_file_given_alone_reports_what_its_edit_broke_elsewhere(repo: Path, run_toolkit) -> None:
    edit(repo, "annotations/locations/loc-istanbul.yaml", "id: loc-istanbul", "id: loc-istanbul-city")
    (repo / "annotations/locations/loc-istanbul.yaml").rename(repo / "annotations/locations/loc-istanbul-city.yaml")

    result = run_toolkit(["validate", "annotations/locations/loc-istanbul-city.yaml"], expect=1)

    assert f"{ADVISORY}:4:" in result.stdout and "[ref-unresolved]" in result.stdout
