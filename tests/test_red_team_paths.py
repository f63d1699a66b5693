"""Red team of issue 13: one verdict on every path, nothing read outside the corpus, no bug on odd folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import toolkit
from red_team_support import ADVISORY, SECRET, run_command, run_process, unprivileged
from scratch_git import annotations_repo, commit_all, git

# --- Verdicts: the same on every path -------------------------------------------------


def test_the_broken_corpus_fails_from_its_own_folder(broken: Path) -> None:
    result = run_command("validate", str(ADVISORY), cwd=broken)

    assert result.returncode == 1, result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_a_file_of_a_corpus_outside_the_working_directory_named_by_a_relative_path_gets_its_findings(
    broken: Path,
) -> None:
    # From a sibling folder, or from one kind folder about a file in another: the
    # corpus's findings are named by absolute paths, the file asked for by a relative
    # one, so none of its findings is kept and the run passes.
    sibling = broken.parent / "elsewhere"
    sibling.mkdir()

    from_sibling = run_command("validate", f"../annotations/{ADVISORY.as_posix()}", cwd=sibling)
    from_kind_folder = run_command("validate", f"../{ADVISORY.as_posix()}", cwd=broken / "events")

    assert from_sibling.returncode == 1, from_sibling.stdout
    assert from_kind_folder.returncode == 1, from_kind_folder.stdout


@pytest.mark.timeout(60)
def test_a_kind_folder_named_by_a_relative_path_out_of_the_working_directory_gets_its_findings(broken: Path) -> None:
    result = run_command("validate", "../advisories", cwd=broken / "events")

    assert result.returncode == 1, result.stdout


@pytest.mark.timeout(60)
def test_a_record_that_is_a_symlink_out_of_the_corpus_fails_also_when_named_alone(
    corpus: Path, secret_yaml: Path
) -> None:
    link = corpus / "events" / "evt-x.yaml"
    link.symlink_to(secret_yaml)

    whole = run_command("validate", cwd=corpus.parent)
    alone = run_command("validate", "annotations/events/evt-x.yaml", cwd=corpus.parent)
    its_folder = run_command("validate", "annotations/events", cwd=corpus.parent)

    assert whole.returncode == 1
    assert (alone.returncode, its_folder.returncode) == (1, 1), alone.stdout + its_folder.stdout


@pytest.mark.timeout(60)
def test_changed_since_fails_a_record_added_as_a_symlink_out_of_the_corpus(tmp_path: Path, secret_yaml: Path) -> None:
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "feature")
    (repo / "annotations" / "events" / "evt-x.yaml").symlink_to(secret_yaml)
    commit_all(repo, "Add a record")

    whole = run_command("validate", cwd=repo)
    changed = run_command("validate", "--changed-since", "main", cwd=repo)

    assert whole.returncode == 1
    assert changed.returncode == 1, changed.stdout + changed.stderr


@pytest.mark.timeout(60)
def test_changed_since_fails_a_stray_yaml_file_at_the_top_of_the_corpus(tmp_path: Path) -> None:
    # The whole corpus fails on it (file-kind-unknown); --changed-since, and both
    # pre-commit hooks (their `files` patterns need a kind folder), never look at it.
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "feature")
    shutil.copy(repo / "annotations" / "actors" / "act-turkey.yaml", repo / "annotations" / "act-stray.yaml")
    commit_all(repo, "Add a stray record")

    whole = run_command("validate", cwd=repo)
    changed = run_command("validate", "--changed-since", "main", cwd=repo)

    assert whole.returncode == 1
    assert changed.returncode == 1, changed.stdout + changed.stderr


def test_a_stray_yaml_file_at_the_top_of_the_corpus_fails_the_whole_corpus(corpus: Path) -> None:
    shutil.copy(corpus / "actors" / "act-turkey.yaml", corpus / "act-stray.yaml")

    report = toolkit.validate([corpus])

    assert "file-kind-unknown" in {f.rule for f in report.findings}


# --- Nothing outside the corpus is read -----------------------------------------------


@pytest.mark.timeout(60)
def test_a_file_named_alone_below_a_kind_folder_is_not_read_through_a_link_out_of_the_corpus(
    corpus: Path, secret_yaml: Path
) -> None:
    # What the toolkit-validate hook passes for annotations/events/sub/evt-x.yaml
    # (its pattern matches any depth): the link is followed, and a duplicate-key
    # finding quotes a key of the file outside.
    (corpus / "events" / "sub").mkdir()
    (corpus / "events" / "sub" / "evt-x.yaml").symlink_to(secret_yaml)

    result = run_command("validate", "--format", "json", "annotations/events/sub/evt-x.yaml", cwd=corpus.parent)

    assert SECRET not in result.stdout
    assert result.returncode == 1


@pytest.mark.timeout(60)
def test_a_corpus_folder_committed_as_a_symlink_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    # Kind folders that are links are refused; the corpus folder itself, replaced by
    # a link in a pull request, is followed, and CI quotes what it finds there.
    outside = tmp_path / "outside"
    (outside / "events").mkdir(parents=True)
    (outside / "events" / "evt-x.yaml").write_text(f"id: evt-x\ntype: {SECRET}\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "annotations").symlink_to(Path("..") / "outside", target_is_directory=True)

    result = run_command("validate", "--format", "github", cwd=repo)

    assert SECRET not in result.stdout
    assert result.returncode in (1, 2)


def test_a_record_that_is_a_symlink_out_of_the_corpus_is_refused_in_the_whole_corpus(
    corpus: Path, secret_yaml: Path
) -> None:
    (corpus / "events" / "evt-x.yaml").symlink_to(secret_yaml)

    report = toolkit.validate([corpus])

    assert "file-unreadable" in {f.rule for f in report.findings}
    assert all(SECRET not in f.message for f in report.findings)


# --- Findings name the file that holds the problem ------------------------------------


def test_the_findings_of_a_symlinked_record_name_the_link_not_the_file_it_leads_to(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A link annotations/locations/loc-x.yaml -> ../actors/act-turkey.yaml is read as a
    # location; its five errors are all reported in act-turkey.yaml, a valid actor
    # the link never changed, and the link is named nowhere.
    # (Run from the repository's top, as CI and pre-commit do: with the corpus outside
    # the working directory the link is named.)
    (corpus / "locations" / "loc-x.yaml").symlink_to(Path("..") / "actors" / "act-turkey.yaml")
    monkeypatch.chdir(corpus.parent)

    report = toolkit.validate(["annotations"])

    files = {Path(f.file).name for f in report.findings}
    assert "loc-x.yaml" in files
    assert "act-turkey.yaml" not in files


# --- Exit codes: I/O problems are exit 1 or 2, never 3 ---------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("folder", ["annotations", "annotations/actors"])
def test_a_file_in_a_folder_that_cannot_be_searched_is_a_finding_or_an_error_not_a_bug(
    corpus: Path, folder: str
) -> None:
    prefix = unprivileged()
    locked = corpus.parent / folder
    locked.chmod(0)
    try:
        result = run_process("validate", "annotations/actors/act-turkey.yaml", cwd=corpus.parent, prefix=prefix)
    finally:
        locked.chmod(0o755)

    assert result.returncode in (1, 2), result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.timeout(60)
def test_changed_since_with_an_edit_in_a_folder_that_cannot_be_searched_is_not_a_bug(tmp_path: Path) -> None:
    prefix = unprivileged()
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "feature")
    record = repo / "annotations" / "actors" / "act-turkey.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    os.chmod(record.parent, 0)
    try:
        result = run_process("validate", "--changed-since", "main", cwd=repo, prefix=prefix)
    finally:
        os.chmod(record.parent, 0o755)

    assert result.returncode in (1, 2), result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{corpus}"],
        ["export", "--corpus", "{corpus}", "--out", "{out}"],
        ["new", "actor", "act-new", "--corpus", "{corpus}"],
    ],
    ids=["validate", "export", "new"],
)
def test_a_deleted_working_directory_with_absolute_paths_is_not_a_bug(
    corpus: Path, tmp_path: Path, command: list[str]
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    args = [part.format(corpus=corpus, out=tmp_path / "out") for part in command]
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    result = subprocess.run(
        ["sh", "-c", script, "sh", str(gone), sys.executable, "-m", "toolkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )

    assert "internal error" not in result.stderr
    assert result.returncode in (0, 2), result.stderr


@pytest.mark.timeout(60)
def test_an_unreadable_working_directory_does_not_stop_a_run_on_absolute_paths(corpus: Path, tmp_path: Path) -> None:
    prefix = unprivileged()
    cwd = tmp_path / "closed"
    cwd.mkdir()
    cwd.chmod(0o111)
    try:
        result = run_process("validate", str(corpus), cwd=cwd, prefix=prefix)
    finally:
        cwd.chmod(0o755)

    assert result.returncode == 0, result.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("redirect", [">&-", ">/dev/full", ">&- 2>&-", ">/dev/full 2>/dev/full"])
def test_a_closed_or_full_output_stream_is_an_io_error(corpus: Path, redirect: str) -> None:
    result = subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", sys.executable, "-m", "toolkit", "validate", "--format", "json"],
        cwd=corpus.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(60)
def test_a_usage_error_with_standard_error_closed_is_exit_2_without_a_traceback(corpus: Path) -> None:
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", "toolkit", "validate", "--no-such-option"],
        cwd=corpus.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )

    assert result.returncode == 2


@pytest.mark.timeout(60)
def test_jobs_far_beyond_the_cores_ends_promptly_with_the_same_verdict(corpus: Path) -> None:
    for number in range(200):
        text = (corpus / "actors" / "act-turkey.yaml").read_text(encoding="utf-8")
        (corpus / "actors" / f"act-t{number}.yaml").write_text(
            text.replace("act-turkey", f"act-t{number}"), encoding="utf-8"
        )

    result = run_process("validate", "--jobs", "100000", cwd=corpus.parent)

    assert result.returncode == 0, result.stdout + result.stderr


# --- Schema rules mean what a reader thinks ------------------------------------------


# --- A careless `toolkit validate ~` ends promptly -----------------------------------


def test_the_search_for_corpora_below_a_folder_in_none_stops_a_few_folders_down(corpus: Path, tmp_path: Path) -> None:
    # `toolkit validate /` walked the whole file system (152,278 files, 93 s): corpora
    # are looked for near the top of what is named, as a repository keeps them.
    deep = tmp_path / "home" / "a" / "b" / "c" / "d" / "e"
    deep.mkdir(parents=True)
    shutil.copytree(corpus, deep / "annotations")
    shutil.copytree(corpus, tmp_path / "home" / "project" / "annotations")

    report = toolkit.validate([tmp_path / "home"])

    assert report.files == len(list((corpus).rglob("*.yaml")))  # the near corpus only
