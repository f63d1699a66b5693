"""The lint and type gate: installed with the tests, run by CI before them and by pre-commit, and honest.

ruff and mypy check the code themselves (in CI, before the tests); these tests
hold what those tools cannot: that CI really stops on them, that the hooks and
the test extra bring them, and that every suppression says what it silences
and why.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tokenize
import tomllib
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
GATE = ["ruff check .", "ruff format --check .", "mypy --strict toolkit"]
# The README's test command, which .ci/run must run verbatim (tests/test_readme.py).
TEST_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"

# A stand-in for each program .ci/run calls: it logs its arguments, and exits with
# the code the test gives it in FAIL_<NAME> (0 by default).
_STUB = """#!/bin/sh
echo "{name} $*" >> "$CALLS"
eval "exit \\${{FAIL_{upper}:-0}}"
"""


def _ci_run(tmp_path: Path, **failing: int) -> tuple[int, list[str]]:
    """Run a copy of .ci/run with stand-ins for python3, pip, ruff, mypy and pytest; return its code and calls."""
    work = tmp_path / "checkout"
    (work / ".ci").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / ".ci" / "run", work / ".ci" / "run")
    bins = {
        "python3": tmp_path / "bin",
        "pip": work / ".venv" / "bin",
        "ruff": work / ".venv" / "bin",
        "mypy": work / ".venv" / "bin",
        "python": work / ".venv" / "bin",
    }
    for name, folder in bins.items():
        folder.mkdir(parents=True, exist_ok=True)
        stub = folder / name
        stub.write_text(_STUB.format(name=name, upper=name.upper()), encoding="utf-8")
        stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls"
    calls.touch()
    environ = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        **{f"FAIL_{name.upper()}": str(code) for name, code in failing.items()},
    }
    result = subprocess.run(
        ["bash", str(work / ".ci" / "run")], env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, calls.read_text(encoding="utf-8").splitlines()


def test_ci_runs_ruff_and_mypy_before_the_tests_and_the_tests_when_they_pass(tmp_path: Path) -> None:
    status, calls = _ci_run(tmp_path)

    assert status == 0
    gate = [call for call in calls if call.split()[0] in ("ruff", "mypy")]
    assert gate == GATE
    assert calls.index("python -m pytest") > max(calls.index(call) for call in gate)


@pytest.mark.parametrize("tool", ["ruff", "mypy"])
def test_ci_fails_without_running_the_tests_when_the_gate_fails(tmp_path: Path, tool: str) -> None:
    status, calls = _ci_run(tmp_path, **{tool: 1})

    assert status != 0
    assert "python -m pytest" not in calls


def test_ci_still_fails_a_run_that_collected_no_tests(tmp_path: Path) -> None:
    status, calls = _ci_run(tmp_path, python=5)

    assert "python -m pytest" in calls
    assert status == 1


def test_ci_runs_the_readme_test_command_after_the_gate() -> None:
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert script.index(TEST_COMMAND) > max(script.index(f".venv/bin/{step}") for step in GATE)


def test_the_test_extra_installs_the_gate_and_the_stubs_it_needs() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_extra = {
        re.split(r"[<>=~!\[ ]", requirement, maxsplit=1)[0].lower()
        for requirement in project["project"]["optional-dependencies"]["test"]
    }

    assert {"ruff", "mypy", "types-pyyaml", "types-jsonschema"} <= test_extra
    assert project["tool"]["mypy"]["strict"] is True


def test_pre_commit_runs_ruff_and_mypy_of_the_active_environment() -> None:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] if repo["repo"] == "local" for hook in repo["hooks"]]
    gate = [hook for hook in hooks if hook["entry"].split()[0] in ("ruff", "mypy")]

    entries = [hook["entry"] for hook in gate]
    assert any(entry.startswith("ruff check") for entry in entries)
    assert any(entry.startswith("ruff format") for entry in entries)
    assert "mypy --strict toolkit" in entries
    # The tools on PATH, as for the toolkit's own hooks: those the test extra installs.
    assert {hook["language"] for hook in gate} == {"unsupported"}


# A suppression comment, the codes it names, and what follows it on the line.
_SUPPRESSION = re.compile(
    r"#\s*(?P<kind>noqa|type:\s*ignore)(?P<codes>:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*"
    r"|\[[a-z-]+(?:\s*,\s*[a-z-]+)*\])?(?P<rest>.*)$"
)


def unexplained_suppressions(source: str, *, kinds: tuple[str, ...] = ("noqa", "type")) -> list[int]:
    """Lines whose suppression comment names no code, or gives no reason.

    The reason follows the pragma on its line (``- why`` or ``# why``), or is a
    comment above it, possibly above a run of lines suppressed alike.
    """
    lines = source.splitlines()
    comments = {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    suppressed = {
        number: match
        for number, text in comments.items()
        if (match := _SUPPRESSION.search(text)) and match["kind"].startswith(kinds)
    }
    found = []
    for number, match in sorted(suppressed.items()):
        above = number - 1
        while above in suppressed:
            above -= 1
        said_above = above >= 1 and lines[above - 1].lstrip().startswith("#")
        said_after = re.match(r"\s*[-#]\s*\S", match["rest"]) is not None
        if match["codes"] is None or not (said_above or said_after):
            found.append(number)
    return found


def test_every_suppression_names_its_codes_and_says_why() -> None:
    # Every one that ruff reads, and the type ignores of the package, which mypy
    # checks (those of tests/ are outside its gate).
    unexplained = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for folder, kinds in (("toolkit", ("noqa", "type")), ("tests", ("noqa",)), ("benchmarks", ("noqa",)))
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        for number in unexplained_suppressions(path.read_text(encoding="utf-8"), kinds=kinds)
    ]

    assert unexplained == []


def test_the_suppression_check_finds_a_bare_or_unexplained_one() -> None:
    source = (
        "a = 1  # noqa\n"  # no code
        "b = 2  # type: ignore[misc]\n"  # no reason
        "c = 3  # noqa: E501 - a table row\n"
        "# The reason, said once for a run of lines:\n"
        "d = 4  # type: ignore[misc]\n"
        "e = 5  # type: ignore[misc]\n"
        "f = '# noqa'\n"  # in a string: not a comment
    )

    assert unexplained_suppressions(source) == [1, 2]


# Runs the real entry point with typer's app replaced by one that raises typer's
# own base exception, which lacks the show() of click's exceptions.
_RAISE_TYPER_EXCEPTION = """
import sys, typer
import toolkit.cli as cli
def app(**kwargs):
    raise typer.TyperException("the option --colour is not known")
cli.app = app
sys.argv = ["toolkit"]
cli.main()
"""


def test_a_typer_error_that_is_not_clicks_is_said_in_one_line_as_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _RAISE_TYPER_EXCEPTION], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 2
    assert result.stderr == "Error: the option --colour is not known\n"
