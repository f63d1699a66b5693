"""The command line: parse options, call one library function, render, set the exit code.

Exit codes: 0 clean, 1 findings (or an export refused for them), 2 usage or I/O
error, 3 internal error (a bug: rerun with --debug for the traceback).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit.exporters import EXPORTER_BY_NAME
from toolkit.reporters import REPORTER_BY_NAME

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    help="Validate and export curated annotations of actors, events and advisories in news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ReportFormat = Enum("ReportFormat", {name: name for name in REPORTER_BY_NAME}, type=str)
ExportFormat = Enum("ExportFormat", {name: name for name in [*EXPORTER_BY_NAME, "all"]}, type=str)


class _State:
    debug = False


def _error(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")] = False,
) -> None:
    _State.debug = debug or bool(os.environ.get("TOOLKIT_DEBUG"))


@app.command()
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders to check (default: annotations).")] = None,
    report_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="How to print findings.")] = ReportFormat("text"),
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check annotation files: strict YAML, schemas, references, evidence, dates.

    Findings of the given files are reported; references still resolve against
    the whole corpus each file belongs to.

    Example: toolkit validate annotations/events --format github
    """
    from toolkit.errors import ToolkitError
    from toolkit.validate import validate as run_validation

    try:
        report = run_validation(paths or [])
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    reporter = REPORTER_BY_NAME[report_format.value](color=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    typer.echo(reporter.render(report), nl=False)
    raise typer.Exit(EXIT_FINDINGS if report.failed(strict) else EXIT_OK)


@app.command()
def export(
    export_format: Annotated[list[ExportFormat], typer.Option("--format", "-f", help="Format to write; repeat for several.")] = [ExportFormat("all")],  # noqa: B006
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into; each format gets a subfolder.")] = Path("exports"),
    corpus: Annotated[Path, typer.Option("--corpus", help="The corpus folder.")] = Path("annotations"),
) -> None:
    """Export the corpus to CSV (with a Data Package), JSON-LD and STIX 2.1.

    The corpus is validated first; with errors, nothing is written. Each format
    is written to a temporary folder and moved into place when complete.

    Example: toolkit export --format stix --out exports
    """
    from toolkit.errors import ToolkitError
    from toolkit.export import ExportRefused
    from toolkit.export import export as run_export
    from toolkit.reporters.text import TextReporter

    try:
        result = run_export([f.value for f in export_format], out, corpus)
    except ExportRefused as refused:
        typer.echo(TextReporter(color=sys.stderr.isatty()).render(refused.report), nl=False, err=True)
        _error(str(refused))
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    for name, folder in result.folders.items():
        typer.echo(f"wrote {name}: {folder}")


def main() -> None:
    """Entry point of the ``toolkit`` command."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        if _State.debug:
            raise
        _error(f"internal error: {type(error).__name__}: {error}. This is a bug in toolkit; "
               "rerun with --debug and report the traceback with the command you ran.")
        sys.exit(EXIT_INTERNAL)
