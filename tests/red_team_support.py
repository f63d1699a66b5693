"""Shared corpora and helpers of the red-team tests (test_red_team_*.py).

Red team of issue 13's hardening: attacks on the promises of the README's
"What the toolkit guarantees on bad input", "Validating", "Exporting" and
"Checking edits".

Tests of attacks that held pass; tests of misbehaviours found fail today and are
meant to be kept as regression tests once fixed. Every hostile corpus is built in
``tmp_path`` from a copy of ``tests/corpora/clean``. Runs whose exit code, working
directory or privileges matter use the real command in a child process.

Copy into ``tests/`` to run (it uses ``tests/scratch_git.py`` and the
``run_toolkit`` fixture of ``tests/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CLEAN = HERE / "corpora" / "clean"
SECRET = "NOT-FOR-THE-REPORT-red-team-91c2"
ADVISORY = Path("advisories") / "adv-il-nsc-istanbul-level-4.yaml"
LOCATION = Path("locations") / "loc-istanbul.yaml"


def run_process(
    *args: str, cwd: Path, timeout: float = 60, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The real command (``main()``, exit codes and all) in a child process."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def unprivileged() -> tuple[str, ...]:
    """A command prefix under which file modes apply (root without its capabilities)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv to drop root's capabilities")
    return (setpriv, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the clean corpus as ``<tmp>/work/annotations``."""
    copy = tmp_path / "work" / "annotations"
    shutil.copytree(CLEAN, copy)
    return copy


@pytest.fixture
def broken(corpus: Path) -> Path:
    """The clean corpus with one error: an advisory level above the scale's 4."""
    path = corpus / ADVISORY
    path.write_text(path.read_text(encoding="utf-8").replace("value: 4", "value: 99"), encoding="utf-8")
    return corpus


@pytest.fixture
def secret_yaml(tmp_path: Path) -> Path:
    """A YAML file outside every corpus, with a duplicate key named after the secret."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"{SECRET}: 1\n{SECRET}: 2\n", encoding="utf-8")
    return secret
