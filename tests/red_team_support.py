"""Shared corpora and helpers of the red-team tests (test_red_team_*.py).

Red team of issue 13's hardening: attacks on the promises of the README's
"What the toolkit guarantees on bad input", "Validating", "Exporting" and
"Checking edits".

Tests of attacks that held pass; tests of misbehaviours found fail today and are
meant to be kept as regression tests once fixed. Every hostile corpus is built in
``tmp_path`` from a copy of ``tests/corpora/clean``. A run of the command is the
real entry point, ``main()``, exit codes and all: in this process from the working
directory it names (``run_command``), or in a child process (``run_process``) where
the process is the point: privileges dropped, limits or signals, a hang to be cut
short by a kill, standard streams closed or full.

Copy into ``tests/`` to run (it uses ``tests/scratch_git.py`` and the
``run_toolkit`` fixture of ``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

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


def run_command(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command (``main()``, exit codes and all) in this process, from ``cwd``, with ``env`` added.

    What ``run_process`` shows, without a child's start-up (half a second of imports
    each): the same entry point, parsing and exit code, and the same text out, as
    the command's guarded streams encode it and ``subprocess`` decodes it (only the
    program name in a usage line differs: click reads it from ``__main__``).
    """
    from toolkit.cli import main
    from toolkit.output_streams import ESCAPE_ERRORS

    buffers = io.BytesIO(), io.BytesIO()
    stdout, stderr = (
        io.TextIOWrapper(buffer, encoding="utf-8", errors=ESCAPE_ERRORS, newline="\n", write_through=True)
        for buffer in buffers
    )
    with (
        contextlib.chdir(cwd),
        mock.patch.dict(os.environ, env or {}),
        mock.patch.object(sys, "argv", ["toolkit", *args]),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        pytest.raises(SystemExit) as exit_,
    ):
        main()
    code = exit_.value.code
    assert isinstance(code, int), f"main() exited with {code!r}, not an exit code"
    stdout.flush()
    stderr.flush()
    # As subprocess.run(text=True) reads a child's output: universal newlines.
    out, err = (buffer.getvalue().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n") for buffer in buffers)
    return subprocess.CompletedProcess(["toolkit", *args], code, out, err)


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
