"""Scratch git repositories for tests, isolated from the user's git configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CLEAN_CORPUS = Path(__file__).parent / "corpora" / "clean"

# No global or system config (signing, hooks, templates), a fixed identity and
# fixed dates: the same commits every run.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Annotator",
    "GIT_AUTHOR_EMAIL": "annotator@example.org",
    "GIT_COMMITTER_NAME": "Test Annotator",
    "GIT_COMMITTER_EMAIL": "annotator@example.org",
    "GIT_AUTHOR_DATE": "2022-06-23T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2022-06-23T12:00:00+00:00",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its output; fail the test on a git error."""
    result = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def commit_all(repo: Path, message: str) -> None:
    """Stage everything and commit it."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)


def annotations_repo(path: Path, corpus: Path = CLEAN_CORPUS) -> Path:
    """A git repository at ``path`` whose first commit, on ``main``, holds ``corpus`` as ``annotations/``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    shutil.copytree(corpus, path / "annotations")
    commit_all(path, "Add the corpus")
    return path
