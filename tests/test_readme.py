"""The README's quick start is what CI runs, and the package runs as a module."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def _quick_start_commands(readme: str) -> list[str]:
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Quick start has a sh code block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_quick_start_has_exactly_two_commands(repo_root: Path) -> None:
    commands = _quick_start_commands((repo_root / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 2
    assert "toolkit validate" in commands[0] and "toolkit export" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim(repo_root: Path) -> None:
    test_command = _quick_start_commands((repo_root / "README.md").read_text(encoding="utf-8"))[1]
    assert test_command in (repo_root / ".ci" / "run").read_text(encoding="utf-8")


def test_python_dash_m_toolkit_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "toolkit", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "validate" in result.stdout and "export" in result.stdout
