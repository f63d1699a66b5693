"""Exit codes say what happened: 0 clean, 1 findings, 2 usage or I/O, 3 a bug, 130 interrupted."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Runs the real entry point with the library's validate replaced, to provoke what
# cannot be provoked with input: an interruption or a bug.
_RUN_WITH = """
import importlib, sys
module = importlib.import_module("toolkit.validation")
def provoke(*args, **kwargs):
    raise {error}
module.validate = provoke
sys.argv = ["toolkit", *sys.argv[1:]]
from toolkit.cli import main
main()
"""


def _toolkit(*args: str, error: str | None = None) -> subprocess.CompletedProcess[str]:
    code = _RUN_WITH.format(error=error) if error else "from toolkit.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False)


def test_ctrl_c_exits_130_with_one_line_not_the_code_for_findings() -> None:
    result = _toolkit("validate", error="KeyboardInterrupt")

    assert result.returncode == 130
    assert result.stderr.strip() == "Error: interrupted"


def test_a_bug_exits_3_with_one_line_that_says_how_to_report_it() -> None:
    result = _toolkit("validate", error="RuntimeError('boom')")

    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: internal error: RuntimeError: boom. This is a bug in toolkit; "
        "rerun with --debug and report the traceback with the command you ran."
    ]


def test_debug_shows_the_traceback_of_a_bug() -> None:
    result = _toolkit("--debug", "validate", error="RuntimeError('boom')")

    assert result.returncode == 3
    assert "Traceback" in result.stderr


@pytest.mark.parametrize(
    "args", [[], ["bogus"], ["validate", "--format", "xml"], ["export", "--format", "pdf"], ["export", "--jobs", "0"]]
)
def test_usage_errors_exit_2_with_clicks_message(args: list[str]) -> None:
    result = _toolkit(*args)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Usage:" in result.stdout + result.stderr
