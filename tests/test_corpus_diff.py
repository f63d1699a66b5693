"""`toolkit diff`: what a branch changed in the records, read from git objects, as text and Markdown."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scratch_git import annotations_repo, commit_all, git
from toolkit.yaml_strict import parse_yaml

# Runs git in child processes: out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "validate-annotations.yml"


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose branch `review` adds, edits, renames and deletes records, and breaks a reference."""
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "review")
    corpus = repo / "annotations"
    # Added: an actor.
    shutil.copy(corpus / "actors/act-turkey.yaml", corpus / "actors/act-turkish-government.yaml")
    replace(corpus / "actors/act-turkish-government.yaml", "id: act-turkey", "id: act-turkish-government")
    replace(corpus / "actors/act-turkish-government.yaml", "name: Turkey", "name: Turkish government")
    # Edited: a field changed, one added, evidence added.
    event = corpus / "events/evt-lapid-visits-turkey.yaml"
    replace(event, "status: planned", "status: reported")
    replace(event, "location: loc-turkey\n", "location: loc-turkey\nnote: Dated by the other article.\n")
    with event.open("a", encoding="utf-8") as stream:
        stream.write("  - source: src-lapid-to-visit-turkey\n    quote: during his trip on Thursday\n")
    # Renamed: the same record under a new id.
    (corpus / "locations/loc-istanbul.yaml").rename(corpus / "locations/loc-istanbul-city.yaml")
    replace(corpus / "locations/loc-istanbul-city.yaml", "id: loc-istanbul", "id: loc-istanbul-city")
    # Deleted: an actor that the advisory still names as its issuer.
    (corpus / "actors/act-israel-nsc-counterterrorism-bureau.yaml").unlink()
    commit_all(repo, "Review the corpus")
    monkeypatch.chdir(repo)
    return repo


def test_the_markdown_of_a_branch_that_adds_edits_renames_and_deletes_matches_its_snapshot(
    repo: Path, run_toolkit, file_regression
) -> None:
    result = run_toolkit(["diff", "main", "review", "--format", "markdown"])

    file_regression.check(result.output, extension=".md")


def test_the_working_tree_is_compared_when_no_second_ref_is_given(repo: Path, run_toolkit) -> None:
    replace(repo / "annotations/actors/act-turkey.yaml", "name: Turkey", "name: Türkiye")

    result = run_toolkit(["diff", "review"])

    assert result.output == (
        "corpus changes from review to the working tree: 0 added, 0 removed, 0 renamed, 1 changed\n"
        "changed  act-turkey (actor)\n"
        "  $.name: Turkey -> Türkiye\n"
    )


def test_a_file_that_does_not_parse_is_listed_not_guessed_at(repo: Path, run_toolkit) -> None:
    (repo / "annotations/actors/act-turkey.yaml").write_text("id: act-turkey\nid: twice\n", encoding="utf-8")

    result = run_toolkit(["diff", "review"])

    assert "removed  act-turkey (actor)" in result.output
    assert "the working tree: actors/act-turkey.yaml: line 2: " in result.output


def test_a_ref_git_does_not_know_is_a_usage_error(repo: Path, run_toolkit) -> None:
    result = run_toolkit(["diff", "no-such-branch"], expect=2)

    assert result.output.startswith("Error: 'no-such-branch' is not a commit, branch or tag")


def test_a_ref_that_looks_like_an_option_is_never_passed_to_git_as_one(repo: Path, run_toolkit) -> None:
    result = run_toolkit(["diff", "--", "--output=/tmp/x"], expect=2)

    assert "is not a commit, branch or tag" in result.output


def test_diff_outside_a_git_repository_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(Path(__file__).parent / "corpora" / "clean", tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "diff", "main"], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 2
    assert "toolkit diff needs a git repository" in result.stderr


def test_nothing_is_checked_out_or_written_while_diffing(repo: Path, run_toolkit) -> None:
    before = git(repo, "status", "--porcelain", "--ignored")

    run_toolkit(["diff", "main", "review"])

    assert git(repo, "status", "--porcelain", "--ignored") == before
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "review"


# --- The pull-request workflow ---------------------------------------------------------


def workflow_step(name: str) -> dict[str, Any]:
    parsed = parse_yaml(WORKFLOW.read_text(encoding="utf-8"), str(WORKFLOW))
    assert parsed.data is not None
    return next(s for s in parsed.data["jobs"]["validate"]["steps"] if s.get("name") == name)


def test_the_workflow_writes_the_markdown_diff_against_the_base_to_the_job_summary(repo: Path) -> None:
    # A pull request's checkout is a merge commit whose first parent is the base branch.
    git(repo, "checkout", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-ff", "--no-edit", "review")
    summary = repo / "summary.md"
    step = workflow_step("Corpus diff")
    environ = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
    }

    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=repo,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert step["if"] == "always()"
    summary_text = summary.read_text(encoding="utf-8")
    assert summary_text.startswith("## Corpus changes: `HEAD^1` → `the working tree`\n")
    assert "- `loc-istanbul` → `loc-istanbul-city` (location)\n" in summary_text
    assert "- `adv-il-nsc-istanbul-level-4` at `$.issuer` → `act-israel-nsc-counterterrorism-bureau`" in summary_text
