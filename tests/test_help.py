"""Every command documents itself: its --help ends with an example, and the README shows it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer

from toolkit.cli import app

COMMANDS: dict[str, click.Command] = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def example_of(command: click.Command) -> str:
    """The last paragraph of a command's help, which must be its example."""
    return (command.help or "").strip().split("\n\n")[-1].strip()


def test_the_cli_has_the_commands_this_suite_knows_of() -> None:
    assert {"validate", "export", "schema", "new"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_commands_help_ends_with_an_example_of_it(name: str, run_toolkit) -> None:
    example = example_of(COMMANDS[name])

    assert example.startswith(f"Example: toolkit {name}")
    help_text = run_toolkit([name, "--help"]).stdout
    description = re.split(r"\n\n(?:Arguments|Options):\n", help_text)[0]
    assert description.split("\n\n")[-1].strip() == example  # last, before the arguments and options


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_example_is_a_valid_command_line(name: str) -> None:
    args = shlex.split(example_of(COMMANDS[name]).removeprefix("Example:"))[2:]

    # Parsing only: an example with an unknown option or a missing argument raises here.
    with COMMANDS[name].make_context(name, args) as context:
        assert context.params


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_appears_in_the_readme(name: str, repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")

    assert f"toolkit {name}" in readme, f"README.md never shows `toolkit {name}`"


def test_the_top_level_help_lists_every_command(run_toolkit) -> None:
    help_text = run_toolkit(["--help"]).stdout

    for name in COMMANDS:
        assert f"  {name} " in help_text
