"""Progress: a line rewritten in place for a person at a terminal, nothing in CI logs or pipes."""

from __future__ import annotations

import io
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scratch_git import CLEAN_CORPUS
from toolkit.progress import MIN_FILES, ProgressLine, progress_for, show_progress
from toolkit.validation import validate

# (stream is a terminal, environment) -> draw progress?
DECISIONS = [
    (True, {}, True),
    (True, {"TERM": "xterm-256color"}, True),
    (False, {}, False),  # piped or redirected
    (True, {"CI": "true"}, False),  # GitHub Actions, GitLab CI and others set CI
    (True, {"CI": "1"}, False),
    (True, {"CI": "false"}, True),
    (True, {"CI": ""}, True),
    (True, {"TERM": "dumb"}, False),  # Emacs shells and other terminals that cannot rewrite a line
    (False, {"CI": "true"}, False),
]


@pytest.mark.parametrize(("is_terminal", "environ", "expected"), DECISIONS)
def test_progress_is_shown_only_on_a_terminal_outside_ci(is_terminal: bool, environ: dict, expected: bool) -> None:
    assert show_progress(is_terminal, environ) is expected


def test_the_line_is_redrawn_about_a_hundred_times_and_cleared_at_the_end() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)

    for done in range(1, 5001):
        line(done, 5000)
    line.clear()

    drawn = stream.getvalue().split("\r")
    assert drawn[1].strip() == "reading files 50/5000"
    assert sum(1 for text in drawn if text.startswith("reading files")) == 99
    assert drawn[-3].strip() == "checking 5000 files..."
    assert drawn[-2].strip() == "" and drawn[-1] == ""  # blanked out, cursor back at the start


def test_a_small_corpus_gets_no_progress_line() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)

    for done in range(1, MIN_FILES):
        line(done, MIN_FILES - 1)
    line.clear()

    assert stream.getvalue() == ""


def test_progress_for_a_pipe_is_no_callback_at_all() -> None:
    with progress_for(io.StringIO(), {}) as progress:
        assert progress is None


def test_validate_reports_each_file_it_reads_with_the_total() -> None:
    calls: list[tuple[int, int]] = []

    validate([CLEAN_CORPUS], progress=lambda done, total: calls.append((done, total)))

    assert calls == [(done, 10) for done in range(1, 11)]


@pytest.fixture(scope="module")
def large_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean corpus plus enough locations to pass the progress threshold."""
    corpus = tmp_path_factory.mktemp("large") / "annotations"
    shutil.copytree(CLEAN_CORPUS, corpus)
    template = (corpus / "locations/loc-istanbul.yaml").read_text(encoding="utf-8")
    for number in range(MIN_FILES):
        (corpus / f"locations/loc-istanbul-{number}.yaml").write_text(
            # Each its own name too, or each copy would also be a name-duplicate of Istanbul.
            template.replace("id: loc-istanbul", f"id: loc-istanbul-{number}").replace(
                "name: Istanbul", f"name: Istanbul {number}"
            ),
            encoding="utf-8",
        )
    return corpus


def run_on_a_terminal(args: list[str], environ: dict[str, str], tmp_path: Path) -> tuple[int, str, str]:
    """Run the toolkit with stderr on a pseudo-terminal: what a person at a terminal sees there."""
    controller, terminal = pty.openpty()
    # stdout goes to a file: a pipe nobody reads while the terminal is read would fill up and block.
    with (tmp_path / "stdout").open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit", *args],
            stdout=stdout,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
            env=environ,
        )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        seen += chunk
    else:
        process.kill()
    code = process.wait(timeout=10)
    os.close(controller)
    return code, (tmp_path / "stdout").read_text(encoding="utf-8"), seen.decode()


def test_a_person_at_a_terminal_sees_progress_then_a_clean_report(large_corpus: Path, tmp_path: Path) -> None:
    environ = {key: value for key, value in os.environ.items() if key != "CI"}

    code, stdout, terminal = run_on_a_terminal(["validate", str(large_corpus)], environ, tmp_path)

    assert code == 0  # the copies of Istanbul are unreferenced: warnings, which fail only with --strict
    total = MIN_FILES + 10
    assert f"reading files {total // 100}/{total}" in terminal
    assert f"checking {total} files..." in terminal
    assert terminal.endswith("\r")  # the line is blanked before the report
    assert "\r" not in stdout and stdout.endswith("0 errors, 500 warnings\n")


def test_in_ci_the_same_run_shows_no_progress(large_corpus: Path, tmp_path: Path) -> None:
    _code, _stdout, terminal = run_on_a_terminal(
        ["validate", str(large_corpus)], {**os.environ, "CI": "true"}, tmp_path
    )

    assert terminal == ""
