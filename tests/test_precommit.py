"""The pre-commit hooks, run by the real pre-commit in scratch repositories.

A repository of annotations configures this project's hooks as any user would
(`repo:` and `rev:` of a git repository holding .pre-commit-hooks.yaml), and
pre-commit builds the hook's environment by installing the toolkit from that
repository with pip. That build is the slow part (seconds with a warm pip cache,
more without), so there is one hook repository and one PRE_COMMIT_HOME for the
whole session: the environment is built once and reused by every test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scratch_git import GIT_ENV, annotations_repo, commit_all, git

# Each test runs git and pre-commit in child processes: out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
# What pip needs to install the toolkit as a hook, and the hook manifest.
HOOK_REPO_FILES = ["pyproject.toml", "README.md", "toolkit", "schemas", ".pre-commit-hooks.yaml"]
EVENT = "annotations/events/evt-lapid-visits-turkey.yaml"
LOCATED_MESSAGE = f"{EVENT}:3:7: error [schema-vocabulary] 'CONSULT/vist' is not a known event type"


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository of this project's working tree (the files a hook install needs), and its commit."""
    path = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_REPO_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, path / name)
    git(path, "init", "--quiet", "--initial-branch=main")
    commit_all(path, "The toolkit as a pre-commit hook")
    return path, git(path, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache of hook repositories and environments, shared by the session."""
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(repo: Path, home: Path, *args: str, path_first: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real pre-commit in ``repo``."""
    environ = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    if path_first is not None:
        environ["PATH"] = f"{path_first}{os.pathsep}{environ['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=repo, env=environ, capture_output=True, text=True, check=False
    )


@pytest.fixture
def repo(tmp_path: Path, hook_repo: tuple[Path, str]) -> Path:
    """A repository of annotations whose .pre-commit-config.yaml uses the project's hooks."""
    repo = annotations_repo(tmp_path / "repo")
    hook_path, rev = hook_repo
    config = {
        "repos": [
            {
                "repo": str(hook_path),
                "rev": rev,
                "hooks": [{"id": "toolkit-validate"}, {"id": "toolkit-validate-corpus"}],
            }
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    commit_all(repo, "Check annotations before each commit")
    return repo


def misspell_event_type(repo: Path) -> None:
    path = repo / EVENT
    path.write_text(path.read_text(encoding="utf-8").replace("CONSULT/visit", "CONSULT/vist"), encoding="utf-8")


def test_a_clean_corpus_passes_both_hooks(repo: Path, pre_commit_home: Path) -> None:
    result = pre_commit(repo, pre_commit_home, "run", "--all-files")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "validate changed annotations" in result.stdout and "validate the whole annotation corpus" in result.stdout
    assert result.stdout.count("Passed") == 2


def test_a_broken_file_staged_for_commit_fails_with_its_located_message(repo: Path, pre_commit_home: Path) -> None:
    misspell_event_type(repo)
    git(repo, "add", EVENT)

    result = pre_commit(repo, pre_commit_home, "run")

    assert result.returncode == 1
    assert "- hook id: toolkit-validate\n" in result.stdout
    assert LOCATED_MESSAGE in result.stdout
    assert "hint: did you mean 'CONSULT/visit'?" in result.stdout


def test_the_installed_hook_refuses_the_commit(repo: Path, pre_commit_home: Path) -> None:
    assert pre_commit(repo, pre_commit_home, "install").returncode == 0
    misspell_event_type(repo)
    git(repo, "add", EVENT)

    commit = subprocess.run(
        ["git", "commit", "-m", "Misspell an event type"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(pre_commit_home)},
    )

    assert commit.returncode == 1
    assert LOCATED_MESSAGE in commit.stdout + commit.stderr
    assert git(repo, "log", "--format=%s", "-1").strip() == "Check annotations before each commit"


def test_both_hooks_catch_a_reference_broken_in_a_file_the_commit_does_not_touch(
    repo: Path, pre_commit_home: Path
) -> None:
    git(repo, "mv", "annotations/actors/act-turkey.yaml", "annotations/actors/act-turkiye.yaml")
    renamed = repo / "annotations/actors/act-turkiye.yaml"
    renamed.write_text(renamed.read_text(encoding="utf-8").replace("id: act-turkey", "id: act-turkiye"), "utf-8")
    git(repo, "add", "--all")

    result = pre_commit(repo, pre_commit_home, "run")

    assert result.returncode == 1
    changed_hook, corpus_hook = result.stdout.split("validate the whole annotation corpus")
    # The renamed file itself is fine, its users are not: a rule that spans files is
    # reported wherever it lands, also by the hook given the changed files alone.
    for hook in (changed_hook, corpus_hook):
        assert f"{EVENT}:15:12: error [ref-unresolved] no record has the id 'act-turkey'" in hook


def test_a_commit_without_annotation_files_skips_the_hooks(repo: Path, pre_commit_home: Path) -> None:
    (repo / "notes.yaml").write_text("reviewers: [a, b]\n", encoding="utf-8")
    git(repo, "add", "notes.yaml")

    result = pre_commit(repo, pre_commit_home, "run")

    assert result.returncode == 0
    assert result.stdout.count("(no files to check)Skipped") == 2


def test_the_manifest_and_the_projects_config_are_valid_for_pre_commit(pre_commit_home: Path) -> None:
    manifest = pre_commit(REPO_ROOT, pre_commit_home, "validate-manifest", ".pre-commit-hooks.yaml")
    config = pre_commit(REPO_ROOT, pre_commit_home, "validate-config", ".pre-commit-config.yaml")

    assert manifest.returncode == 0, manifest.stdout
    assert config.returncode == 0, config.stdout


def test_the_projects_own_config_runs_the_hooks_of_the_manifest() -> None:
    manifest = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    local = next(r for r in config["repos"] if r["repo"] == "local")["hooks"]
    same = ("id", "name", "entry", "files", "pass_filenames", "require_serial")

    assert [{k: h.get(k) for k in same} for h in local] == [{k: h.get(k) for k in same} for h in manifest]
    assert {h["language"] for h in manifest} == {"python"}  # installed from the repository by pre-commit
    assert {h["language"] for h in local} == {"unsupported"}  # the working tree's toolkit, on PATH
    # The fixtures under tests/ are broken on purpose and must not block a commit.
    assert all(h.get("exclude") == "^tests/" for h in local)


def test_the_projects_own_config_checks_a_corpus_with_the_toolkit_on_path(tmp_path: Path, pre_commit_home) -> None:
    repo = annotations_repo(tmp_path / "project")
    shutil.copy2(REPO_ROOT / ".pre-commit-config.yaml", repo / ".pre-commit-config.yaml")
    misspell_event_type(repo)
    git(repo, "add", "--all")

    result = pre_commit(repo, pre_commit_home, "run", path_first=Path(sys.executable).parent)

    assert result.returncode == 1
    assert LOCATED_MESSAGE in result.stdout
