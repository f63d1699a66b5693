"""``run_command`` (the command in the test's own process) shows what the command in a child process shows.

The red-team tests run most commands in process, to spare each run a child's
start-up; these keep that stand-in honest against ``run_process``, the real thing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from red_team_support import ADVISORY, run_command, run_process

ACTOR = Path("actors") / "act-turkey.yaml"


def _break_with_odd_text(corpus: Path) -> None:
    """An actor whose type holds line breaks of every kind, and a file name that is not UTF-8."""
    actor = corpus / ACTOR
    actor.write_text(
        actor.read_text(encoding="utf-8").replace("type: state", 'type: "x\\r\\ny\\rz\\u2028w"'), encoding="utf-8"
    )
    (corpus / "actors" / os.fsdecode(b"act-\xff.yaml")).write_text("id: act-x\n", encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "github", str(ADVISORY.parent)],
        ["find", "Turkey", "--format", "json"],
        ["validate", "--no-such-option"],
    ],
    ids=["text", "github-of-a-folder", "find", "usage-error"],
)
def test_the_command_in_process_gives_the_exit_code_and_output_of_a_child_process(
    corpus: Path, args: list[str]
) -> None:
    _break_with_odd_text(corpus)
    cwd = corpus if args[-1] == str(ADVISORY.parent) else corpus.parent

    child = run_process(*args, cwd=cwd)
    here = run_command(*args, cwd=cwd)

    assert child.returncode in (0, 1, 2), child.stderr
    assert here.returncode == child.returncode
    assert here.stdout == child.stdout
    assert _without_program_name(here.stderr) == _without_program_name(child.stderr)


def _without_program_name(usage: str) -> str:
    """A usage error without the program's name, which click reads from ``__main__``: the child's
    is ``python -m toolkit``, this process's whatever started it (pytest, or a pytest-xdist worker)."""
    return re.sub(r"^(Usage: |Try ')(python -m \S+|\S+) ", r"\1PROGRAM ", usage, flags=re.MULTILINE)


def test_the_command_in_process_sees_the_environment_given_and_leaves_the_tests_own_as_it_was(
    corpus: Path, tmp_path: Path
) -> None:
    before, cwd = dict(os.environ), Path.cwd()
    cache = tmp_path / "cache-of-this-run"

    result = run_command("validate", cwd=corpus.parent, env={"TOOLKIT_CACHE_DIR": str(cache)})

    assert result.returncode == 0, result.stdout + result.stderr
    assert cache.is_dir()  # the run kept its cache where the environment given said
    assert dict(os.environ) == before
    assert Path.cwd() == cwd
