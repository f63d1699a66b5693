"""The command line: parse options, call one library function, render, set the exit code.

Exit codes: 0 clean, 1 findings (or an export refused for them), 2 usage or I/O
error, 3 internal error (a bug: rerun with --debug for the traceback), 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from toolkit.exporters import FORMATS
from toolkit.kinds import KINDS
from toolkit.reporters import REPORTER_BY_NAME

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    help="Validate and export curated annotations of actors, events and advisories in news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# The choices come from the registries at run time, so mypy cannot list their
# members (it needs literals); the code reads only ``.value``, a str either way.
ReportFormat = Enum("ReportFormat", {name: name for name in REPORTER_BY_NAME}, type=str)  # type: ignore[misc]
ExportFormat = Enum("ExportFormat", {name: name for name in [*FORMATS, "all"]}, type=str)  # type: ignore[misc]
KindName = Enum("KindName", {kind.name: kind.name for kind in KINDS}, type=str)  # type: ignore[misc]


class _State:
    debug = False


def _say(text: str, *, err: bool = False) -> None:
    """Write ``text`` to standard output (or error) now; a stream that fails raises ``OutputStreamError``."""
    # Written to the stream itself rather than through click.echo, which re-wraps a
    # stream it finds "misconfigured" (ASCII) and so would bypass the escaping of
    # what the encoding cannot take (toolkit/output_streams.py).
    stream = sys.stderr if err else sys.stdout
    if stream is not None:
        stream.write(text)
        stream.flush()


def _error(message: str) -> None:
    _say(f"Error: {message}\n", err=True)


def _path(text: str) -> Path:
    """A path given on the command line; an empty one is a usage error."""
    # Path("") is Path("."): an empty option (an unset shell variable, `--corpus ''`)
    # would silently mean the working directory, and write into it.
    if not text:
        raise typer.BadParameter("an empty path names no file or folder (write '.' for the current folder)")
    return Path(text)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")] = False,
) -> None:
    _State.debug = debug or bool(os.environ.get("TOOLKIT_DEBUG"))


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(parser=_path, help="Files or folders to check (default: annotations).")
    ] = None,
    report_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="How to print findings.")
    ] = ReportFormat["text"],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Check only the annotation files changed since the git ref REF (committed since the merge base, "
            "staged, unstaged or new), within PATHS.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            show_default="every usable core",
            help="Processes that parse the corpus (by default one per core "
            "when the corpus is large); 1 parses it in this one.",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read and check every file afresh, without the cache of earlier runs "
            "(.toolkit-cache/ beside the corpus, or $TOOLKIT_CACHE_DIR).",
        ),
    ] = False,
) -> None:
    """Check annotation files: strict YAML, schemas, references, evidence, dates.

    Findings of the given files are reported; references still resolve against
    the whole corpus each file belongs to. A progress line is drawn on a
    terminal for large corpora (never in CI, never when stderr is piped).

    Example: toolkit validate annotations/events --format github
    """
    from toolkit.changes import validate_changed_since
    from toolkit.errors import ToolkitError
    from toolkit.progress import progress_for
    from toolkit.validation import validate as run_validation

    try:
        with progress_for(sys.stderr) as progress:
            if changed_since is None:
                report = run_validation(paths or [], progress=progress, jobs=jobs, cache=not no_cache)
            else:
                report = validate_changed_since(
                    changed_since, paths or [], progress=progress, jobs=jobs, cache=not no_cache
                )
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    reporter = REPORTER_BY_NAME[report_format.value](color=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    _say(reporter.render(report))
    if changed_since is not None and report.files == 0:
        _say(f"no annotation files changed since {changed_since}\n", err=True)
    raise typer.Exit(EXIT_FINDINGS if report.failed(strict) else EXIT_OK)


@app.command()
def export(
    export_format: Annotated[
        list[ExportFormat], typer.Option("--format", "-f", help="Format to write; repeat for several.")
    ] = [  # noqa: B006 - typer reads the default from the signature and hands each call a list of its own
        ExportFormat["all"]
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", parser=_path, metavar="<path>", help="Folder to write into; each format gets a subfolder."
        ),
    ] = Path("exports"),
    corpus: Annotated[Path, typer.Option("--corpus", parser=_path, metavar="<path>", help="The corpus folder.")] = Path(
        "annotations"
    ),
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            show_default="every usable core",
            help="Processes that parse a large corpus and write the formats; 1 does everything in this one.",
        ),
    ] = None,
) -> None:
    """Export the corpus to CSV (with a Data Package), JSON-LD and STIX 2.1.

    The corpus is validated first; with errors, nothing is written. Each format
    is written to a temporary folder and moved into place when complete; the
    formats are written side by side on the cores available.

    Example: toolkit export --format stix --out exports
    """
    from toolkit.errors import ToolkitError
    from toolkit.exporting import ExportRefused
    from toolkit.exporting import export as run_export
    from toolkit.reporters.text import TextReporter

    try:
        result = run_export([f.value for f in export_format], out, corpus, jobs=jobs)
    except ExportRefused as refused:
        _say(TextReporter(color=sys.stderr.isatty()).render(refused.report), err=True)
        _error(str(refused))
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    # Printed only once every format is in place: an output that cannot be written
    # fails the command (exit 2) but never leaves half an export.
    _say("".join(f"wrote {name}: {folder}\n" for name, folder in result.folders.items()))


@app.command()
def schema(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", parser=_path, metavar="<path>", help="Folder to write the editor schemas into."),
    ] = Path("schemas"),
) -> None:
    """Write the schemas in the form editors use for completion and live validation.

    One self-contained JSON Schema (draft-07) per kind, for yaml-language-server
    (VS Code's YAML extension and other editors). Each annotation file names its
    schema in its first line, as `toolkit new` writes it:

    \b
      # yaml-language-server: $schema=../../schemas/actor.schema.json

    Files this command did not write (source schemas) are never overwritten.

    Example: toolkit schema --out schemas
    """
    from toolkit.editor_schemas import write_editor_schemas
    from toolkit.errors import ToolkitError

    try:
        written = write_editor_schemas(out)
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    _say("".join(f"wrote {path.as_posix()}\n" for path in written))


@app.command()
def new(
    kind: Annotated[KindName, typer.Argument(help="The kind of record.")],
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record's id, e.g. act-yair-lapid.")],
    corpus: Annotated[Path, typer.Option("--corpus", parser=_path, metavar="<path>", help="The corpus folder.")] = Path(
        "annotations"
    ),
) -> None:
    """Write a skeleton record to fill in, in its kind's folder of the corpus.

    Every field is listed under a comment with its description and allowed
    values; required fields are left empty and optional ones commented out. The
    file is well-formed YAML but not valid until filled in: `toolkit validate`
    names each empty field by its line. An existing record is never overwritten.

    Example: toolkit new event evt-lapid-meets-cavusoglu-2022-06
    """
    from toolkit.errors import ToolkitError
    from toolkit.scaffold import new_record

    try:
        path = new_record(kind.value, record_id, corpus)
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    _say(f"wrote {path.as_posix()}: fill in the empty fields, then run: toolkit validate {path.as_posix()}\n")


@app.command()
def lsp(
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read the corpus afresh when the server starts, without the cache of earlier runs.",
        ),
    ] = False,
) -> None:
    """Serve the Language Server Protocol over stdio, for editors (needs the `lsp` extra).

    Diagnostics are the full validator's findings for the open file (references,
    quotes, dates, not only the schema); completion of ids and vocabulary values,
    hover and go-to-definition on ids, quick fixes for "did you mean" hints. It
    runs beside yaml-language-server. Set it up in an editor: README, "Editor help".

    Example: toolkit lsp
    """
    try:
        from toolkit.lsp import serve
    except ImportError as error:
        if error.name not in ("pygls", "lsprotocol") and not str(error.name or "").startswith(
            ("pygls.", "lsprotocol.")
        ):
            raise
        _error(
            "the language server needs pygls, which is not installed: "
            "pip install 'event-annotation-toolkit[lsp]' (or pip install pygls)"
        )
        raise typer.Exit(EXIT_USAGE) from None
    serve(cache=not no_cache)


def main() -> None:
    """Entry point of the ``toolkit`` command."""
    from toolkit.output_streams import OutputStreamError, flush_standard_streams, guard_standard_streams

    guard_standard_streams()
    try:
        status = _run()
        flush_standard_streams()
    except OutputStreamError as error:
        # A full disk, a closed stream or a reader gone: an I/O error, not a bug. Said
        # once on standard error where that still works; the streams swallow the rest.
        status = EXIT_USAGE
        with contextlib.suppress(OutputStreamError):
            _error(str(error))
    sys.exit(status)


def _run() -> int:
    """Run the command; return its exit code. ``OutputStreamError`` goes through to ``main``."""
    from toolkit.output_streams import OutputStreamError

    try:
        # Not standalone: click would turn Ctrl-C into "Aborted!" and exit 1, the
        # code that means findings.
        status = app(standalone_mode=False)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (EXIT_OK if exit_.code is None else EXIT_USAGE)
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as error:  # usage errors: click's own message, exit 2
        # click's exceptions (typer's copy) show themselves; typer's own base class
        # has no show(), and its exit_code of 1 would read as findings.
        show = getattr(error, "show", None)
        if not callable(show):
            _error(str(error))
            return EXIT_USAGE
        show()
        return getattr(error, "exit_code", EXIT_USAGE)
    except OutputStreamError:
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        if _State.debug:
            import traceback

            traceback.print_exc()
        # One line whatever the error holds (a message can quote a whole file), and
        # an exit code of its own, so scripts can tell a bug from findings.
        what = " ".join(f"{type(error).__name__}: {error}".split())
        what = what if len(what) <= 300 else what[:297] + "..."
        _error(
            f"internal error: {what}. This is a bug in toolkit; "
            + (
                "report the traceback above with the command you ran."
                if _State.debug
                else "rerun with --debug and report the traceback with the command you ran."
            )
        )
        return EXIT_INTERNAL
    if status == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this code, silently
        _error("interrupted")
    return status if isinstance(status, int) else EXIT_OK
