"""The command line: parse options, call one library function, render, set the exit code.

Exit codes: 0 clean, 1 findings (or an export refused for them), 2 usage or I/O
error, 3 internal error (a bug: rerun with --debug for the traceback), 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.exporters import FORMATS
from toolkit.kinds import KINDS
from toolkit.publishing import (
    ENV_COLLECTION,
    ENV_PASSWORD,
    ENV_TIMEOUT,
    ENV_TOKEN,
    ENV_URL,
    ENV_USER,
    REQUEST_TIMEOUT_SECONDS,
)
from toolkit.reporters import REPORTER_BY_NAME

if TYPE_CHECKING:
    from toolkit.model import Record

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
def report(
    corpus: Annotated[
        Path, typer.Argument(parser=_path, metavar="[CORPUS]", help="The corpus folder (default: annotations).")
    ] = Path("annotations"),
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", parser=_path, metavar="<path>", help="Folder to write into; the site goes in its report/."
        ),
    ] = Path("exports"),
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            show_default="every usable core",
            help="Processes that parse a large corpus and write the pages; 1 does everything in this one.",
        ),
    ] = None,
) -> None:
    """Write a static HTML site of the corpus: timeline, actor graph, articles, records, advisories.

    The corpus is validated first; with errors, nothing is written. The site is
    written to a temporary folder and moved into place when complete, like an
    export, and opens from file:// or any static host: open <out>/report/index.html.

    Example: toolkit report annotations --out exports
    """
    from toolkit.errors import ToolkitError
    from toolkit.exporting import ExportRefused
    from toolkit.report_site import write_report
    from toolkit.reporters.text import TextReporter

    try:
        folder = write_report(corpus, out, jobs=jobs)
    except ExportRefused as refused:
        _say(TextReporter(color=sys.stderr.isatty()).render(refused.report), err=True)
        _error(str(refused))
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    _say(f"wrote the report: {folder / 'index.html'}\n")


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
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="Fill in the name (actors, locations), after listing the records of the kind already named so "
            "(as the name-duplicate rule compares names) and some of close names.",
        ),
    ] = None,
    text: Annotated[
        Path | None,
        typer.Option(
            "--text",
            parser=_path,
            metavar="FILE",
            help="Sources: copy the article's text FILE beside the record as ID.txt (never over a file there) "
            "and fill in `text` and `sha256`.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="With --name: write nothing, and exit 1, when a record is already named so."),
    ] = False,
) -> None:
    """Write a skeleton record to fill in, in its kind's folder of the corpus.

    Every field is listed under a comment with its description and allowed
    values; required fields are left empty and optional ones commented out. The
    file is well-formed YAML but not valid until filled in: `toolkit validate`
    names each empty field by its line. An existing record is never overwritten.

    With --name, records of the kind whose name or alias differs only in case,
    accents or punctuation are listed first; the skeleton is still written
    unless --strict is given. With --text, a source's article is copied beside
    it (toolkit new source src-x --text ~/article.txt) and its checksum filled in.

    Example: toolkit new actor act-mit --name "MİT"
    """
    from toolkit.errors import ToolkitError
    from toolkit.scaffold import DuplicateName, new_record

    try:
        result = new_record(kind.value, record_id, corpus, name=name, text=text, strict=strict)
    except DuplicateName as duplicate:
        _say(_named_alike(kind.value, duplicate.named, []))
        _say(f"nothing written (--strict): reuse the {kind.value} above, or choose a name that tells them apart\n")
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    if result.named or result.similar:
        _say(_named_alike(kind.value, result.named, result.similar))
    path = result.path.as_posix()
    if result.text_path is not None:
        _say(f"copied the text to {result.text_path.as_posix()}, its SHA-256 recorded\n")
    _say(f"wrote {path}: fill in the empty fields, then run: toolkit validate {path}\n")


def _named_alike(kind: str, named: list[tuple[Record, str]], similar: list[tuple[Record, str]]) -> str:
    """The records ``toolkit new --name`` found named as the new one, and those of close names."""
    from toolkit.quoting import quoted

    lines = []
    if named:
        lines.append("warning: already named so, but for case, accents or punctuation (rule name-duplicate):")
        lines += [f"  {record.id}  {quoted(text, 80)}  {record.file}" for record, text in named]
        lines.append(f"  reuse it if it is the same {kind} (toolkit show ID lists what refers to it)")
    if similar:
        lines.append("close names:")
        lines += [f"  {record.id}  {quoted(text, 80)}  {record.file}" for record, text in similar]
    return "\n".join(lines) + "\n"


class FindFormat(StrEnum):
    """How ``toolkit find`` and ``toolkit show`` print."""

    text = "text"
    json = "json"


@app.command()
def find(
    query: Annotated[str, typer.Argument(metavar="TEXT", help="An id, name, alias or position title, or part of one.")],
    kind: Annotated[KindName | None, typer.Option("--kind", "-k", help="Only records of this kind.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many records.")] = 20,
    output: Annotated[FindFormat, typer.Option("--format", "-f", help="How to print the records.")] = FindFormat.text,
    corpus: Annotated[Path, typer.Option("--corpus", parser=_path, metavar="<path>", help="The corpus folder.")] = Path(
        "annotations"
    ),
) -> None:
    """Find records by id, name, alias or position title, whatever the spelling.

    Case, accents, the Turkish dotted and dotless i, punctuation and spacing do
    not matter ("MİT", "MIT" and "mit" are one), and a typo still finds ("MTI").
    Exact matches come first, then names that start with the text (or have a
    word that does), then close spellings by score. Each record is printed
    once: its file and line, id, kind, name, and what matched. Exit code 1 when
    nothing matches.

    Example: toolkit find "Cavusoglu" --kind actor
    """
    import json

    from toolkit.errors import ToolkitError
    from toolkit.record_search import find as run_find
    from toolkit.record_search import matches_as_json, render_matches

    try:
        matches, loaded = run_find(query, corpus, kind=kind.value if kind else None, limit=limit)
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    if output.value == "json":
        _say(json.dumps(matches_as_json(query, matches, loaded), ensure_ascii=False, indent=2) + "\n")
    else:
        _say(render_matches(matches))
    if loaded.unreadable:
        _say(_unreadable_note(loaded.unreadable), err=True)
    if not matches:
        _say(f"no record matches {query!r}\n", err=True)
    raise typer.Exit(EXIT_OK if matches else EXIT_FINDINGS)


def _unreadable_note(count: int) -> str:
    return (
        f"note: {count} file{'s' if count != 1 else ''} of the corpus could not be read and "
        f"{'were' if count != 1 else 'was'} not searched; `toolkit validate` says why\n"
    )


@app.command()
def show(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record's id, e.g. act-mit.")],
    output: Annotated[FindFormat, typer.Option("--format", "-f", help="How to print the record.")] = FindFormat.text,
    corpus: Annotated[Path, typer.Option("--corpus", parser=_path, metavar="<path>", help="The corpus folder.")] = Path(
        "annotations"
    ),
) -> None:
    """Show a record, what refers to it and how, and the sources its evidence cites.

    Each record that refers to it is named with the field that does and the
    values that say how (`evt-x participants[2].actor (perpetrator)`), at its
    file and line. An unknown id exits 1 with the closest ids, as `toolkit
    find` ranks them.

    Example: toolkit show act-mit
    """
    import json

    from toolkit.errors import ToolkitError
    from toolkit.record_show import RecordNotFound, as_json, render_text
    from toolkit.record_show import show as run_show

    try:
        result = run_show(record_id, corpus)
    except RecordNotFound as missing:
        guesses = ", ".join(str(record.id) for record in missing.suggestions)
        _say(f"no record has the id {record_id!r}{'; did you mean: ' + guesses + '?' if guesses else ''}\n", err=True)
        if missing.unreadable:
            _say(_unreadable_note(missing.unreadable), err=True)
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    if output.value == "json":
        _say(json.dumps(as_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        _say(render_text(result))
    if result.unreadable:
        _say(_unreadable_note(result.unreadable), err=True)


def _corpus_option(help_text: str = "The corpus folder.") -> object:
    return typer.Option("--corpus", parser=_path, metavar="<path>", help=help_text)


class OutputFormat(StrEnum):
    """Text for people, JSON for scripts."""

    text = "text"
    json = "json"


class DiffFormat(StrEnum):
    """Text for a terminal, Markdown for a pull request's summary."""

    text = "text"
    markdown = "markdown"


def _findings_refused(error: Exception) -> None:
    """Show the findings that stop a record being edited (``EditRefused``)."""
    from toolkit.model import Report
    from toolkit.reporters.text import TextReporter

    findings = getattr(error, "findings", [])
    _say(TextReporter(color=sys.stderr.isatty()).render(Report.of(findings, 1, 0)), err=True)
    _error(str(error))


@app.command()
def cite(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record the words are evidence for.")],
    source_id: Annotated[str, typer.Argument(metavar="SOURCE", help="The source whose text holds the words.")],
    words: Annotated[str, typer.Argument(metavar="WORDS", help="The words to cite, as you read them.")],
    corpus: Annotated[Path, _corpus_option()] = Path("annotations"),
) -> None:
    """Find words in a source's text and add them to a record's evidence.

    Typographic quotes and apostrophes, dashes, line breaks and spacing may
    differ from the text; the quote is written as the text has it. When the
    words are not there, the closest passage is shown with the characters that
    differ in [brackets], and nothing is written (exit 1). The record keeps its
    comments, order and layout.

    Example: toolkit cite evt-lapid-visit src-lapid-visit "on Thursday"
    """
    from toolkit.cite import cite as run_cite
    from toolkit.errors import ToolkitError
    from toolkit.quoting import visible
    from toolkit.record_edits import EditRefused

    try:
        result = run_cite(record_id, source_id, words, corpus)
    except EditRefused as refused:
        _findings_refused(refused)
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    # The article, the words and the names are anyone's text: their control characters
    # (an ESC that clears the screen, a bidi override) are shown by their code, never sent raw.
    file, source = visible(result.file), visible(source_id)
    if not result.found:
        _say(f"{file}: the words are not in the text of {source}; nothing was written\n")
        if result.closest is not None:
            _say(
                f"closest passage (line {result.closest_line}):\n"
                f"  text:  {visible(result.marked_closest or '')}\n  words: {visible(result.marked_words or '')}\n"
                "the characters that differ are in [brackets]; copy the passage as the text has it\n"
            )
        raise typer.Exit(EXIT_FINDINGS)
    more = f", the first of {result.occurrences} places" if result.occurrences > 1 else ""
    done = "added to its evidence" if result.written else "already in its evidence"
    _say(f'{file}: {done}: {source} line {result.line}{more}: "{visible(result.quote or "")}"\n')


@app.command()
def link(
    record_id: Annotated[str, typer.Argument(metavar="A", help="The event or advisory the link is written on.")],
    relation: Annotated[str, typer.Argument(metavar="RELATION", help="same-as, response-to, part-of, ...")],
    target_id: Annotated[str, typer.Argument(metavar="B", help="The event or advisory it links to.")],
    certainty: Annotated[str | None, typer.Option("--certainty", help="How sure the link is.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why: the reasons for the link.")] = None,
    back_note: Annotated[
        str | None,
        typer.Option("--back-note", help="For a symmetric link, the note on B's side (default: the same note)."),
    ] = None,
    corpus: Annotated[Path, _corpus_option()] = Path("annotations"),
) -> None:
    """Link one event or advisory to another; a symmetric link (same-as) is written on both.

    A link already there keeps what is not given. `toolkit link A same-as B`
    with nothing else writes the missing side of a one-sided same-as, taking
    its certainty and note from the side that is there.

    Example: toolkit link evt-a same-as evt-b --certainty probable --note "Same"
    """
    from toolkit.errors import ToolkitError
    from toolkit.linking import link as run_link
    from toolkit.record_edits import EditRefused

    try:
        result = run_link(
            record_id, relation, target_id, certainty=certainty, note=note, back_note=back_note, corpus=corpus
        )
    except EditRefused as refused:
        _findings_refused(refused)
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    _say("".join(f"wrote {file}\n" for file in result.written))
    _say("".join(f"unchanged {file}: the link is there already\n" for file in result.unchanged))


@app.command()
def coverage(
    sources: Annotated[
        list[str] | None, typer.Argument(metavar="[SOURCE]...", help="Source ids (default: every source).")
    ] = None,
    by_sentence: Annotated[
        bool, typer.Option("--by-sentence", help="List every sentence with the records citing it.")
    ] = False,
    min_share: Annotated[
        float | None,
        typer.Option(
            "--min-share", metavar="P", help="Exit 1 when a source's share of cited sentences is below P (0 to 1)."
        ),
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="How to print it.")] = OutputFormat.text,
    corpus: Annotated[Path, _corpus_option()] = Path("annotations"),
) -> None:
    """Show how much of each article the evidence cites, and the sentences no record cites.

    For each source: the share of its sentences and of its characters that some
    record's evidence quotes, and each uncited sentence with its line number.

    Example: toolkit coverage src-lapid-to-visit-turkey --min-share 0.9
    """
    from toolkit.coverage import check_share, render_json, render_text
    from toolkit.coverage import coverage as run_coverage
    from toolkit.errors import ToolkitError

    try:
        if min_share is not None:
            check_share(min_share)
        report = run_coverage(sources or None, corpus)
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    if output_format is OutputFormat.json:
        _say(render_json(report, min_share))
    else:
        _say(render_text(report, by_sentence=by_sentence, min_share=min_share))
    below = min_share is not None and any(source.sentence_share < min_share for source in report.sources)
    raise typer.Exit(EXIT_FINDINGS if below or report.unreadable else EXIT_OK)


@app.command()
def diff(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The git ref to compare from (a branch, tag, commit).")],
    ref2: Annotated[
        str | None, typer.Argument(metavar="[REF2]", help="The git ref to compare to (default: the working tree).")
    ] = None,
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f", help="How to print it.")] = DiffFormat.text,
    corpus: Annotated[Path, _corpus_option()] = Path("annotations"),
) -> None:
    """Show what changed in the corpus's records between two git refs.

    Records added, removed and renamed (same content or evidence under a new id),
    fields changed (old -> new, by field path), evidence added or dropped, and
    references the change broke. Read from git's objects: nothing is checked out.

    Example: toolkit diff origin/main --format markdown
    """
    from toolkit.corpus_diff import diff_corpus, render_markdown, render_text
    from toolkit.errors import ToolkitError

    try:
        result = diff_corpus(ref, ref2, corpus)
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    _say(render_markdown(result) if output_format is DiffFormat.markdown else render_text(result))


@app.command()
def publish(
    url: Annotated[
        str,
        typer.Option(
            "--url", envvar=ENV_URL, metavar="<url>", show_default=False, help="The TAXII 2.1 API root's URL."
        ),
    ],
    collection: Annotated[
        str,
        typer.Option(
            "--collection", envvar=ENV_COLLECTION, metavar="<id>", show_default=False, help="The collection's id."
        ),
    ],
    user: Annotated[
        str | None,
        typer.Option("--user", envvar=ENV_USER, metavar="<name>", show_default=False, help="User to sign in as."),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar=ENV_PASSWORD,
            metavar="<password>",
            show_default=False,
            help="The user's password (better in the environment: a command line is visible to others).",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar=ENV_TOKEN, metavar="<token>", show_default=False, help="A bearer token, instead."
        ),
    ] = None,
    without_extension_definitions: Annotated[
        bool,
        typer.Option(
            "--without-extension-definitions",
            help="Leave out the extension-definition objects (medallion 3.0 cannot list a collection holding one).",
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, metavar="<seconds>", help="How long to follow the server's status of the additions."
        ),
    ] = 300.0,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            envvar=ENV_TIMEOUT,
            metavar="<seconds>",
            help="How long one exchange with the server may take in all: connecting, sending, its whole answer.",
        ),
    ] = REQUEST_TIMEOUT_SECONDS,
    corpus: Annotated[Path, _corpus_option()] = Path("annotations"),
) -> None:
    """Publish the corpus's STIX 2.1 bundle to a TAXII 2.1 collection.

    The corpus is validated and its bundle built in memory, as `toolkit export
    --format stix` writes it; with errors nothing is sent. Credentials are never
    shown. Exit 0 when every object arrived, 1 when some failed or are still
    pending, 2 when the server cannot be reached, refuses the credentials, or
    does not answer in full within the time limit of one exchange (--timeout).

    Example: toolkit publish --url https://taxii.example/api1/ --collection eat
    """
    from toolkit.errors import ToolkitError
    from toolkit.exporting import ExportRefused
    from toolkit.progress import show_progress
    from toolkit.publishing import TaxiiServer
    from toolkit.publishing import publish as run_publish
    from toolkit.reporters.text import TextReporter

    server = TaxiiServer(url, collection, user=user, password=password, token=token)
    drawn = [0]

    def progress(text: str) -> None:  # one line on a person's terminal, rewritten in place
        _say("\r" + text.ljust(drawn[0]), err=True)
        drawn[0] = len(text)

    watching = sys.stderr is not None and sys.stderr.isatty() and show_progress(True, os.environ)
    try:
        result = run_publish(
            corpus, server, leave_out_extension_definitions=without_extension_definitions, wait_seconds=wait,
            request_timeout=timeout, progress=progress if watching else None,
        )  # fmt: skip
    except ExportRefused as refused:
        _say(TextReporter(color=sys.stderr.isatty()).render(refused.report), err=True)
        _error(str(refused).replace("exported", "published"))
        raise typer.Exit(EXIT_FINDINGS) from None
    except ToolkitError as error:
        _error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        if drawn[0]:
            _say("\r" + " " * drawn[0] + "\r", err=True)
    _say(
        f"published to collection {result.collection} at {result.server}: {result.sent} objects sent, "
        f"{result.accepted} accepted, {result.already_there} already there, {len(result.failures)} failed, "
        f"{len(result.pending)} pending"
        + (f"; {len(result.left_out)} extension definitions left out" if result.left_out else "")
        + "\n"
    )
    for failure in result.failures:
        _say(f"failed: {failure.object_id}: {failure.message or 'no reason given'}\n")
    for object_id in result.pending:
        _say(f"pending: {object_id}\n")
    raise typer.Exit(EXIT_OK if result.complete else EXIT_FINDINGS)


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


# Modules the command's own process declines to import. python-jsonschema imports
# rfc3987_syntax, wherever it is installed (jsonschema[format-nongpl] brings it, as
# with stix2-validator or Jupyter), for its "iri" format checkers, and builds four
# Earley parsers as it does: 1.5-5 s on every run that explains a schema error, four
# times the rest of such a run. No schema of ours names an "iri" format
# (tests/test_command_startup.py keeps it so): nothing of ours would call them.
DECLINED_IMPORTS = ("rfc3987_syntax",)


@contextlib.contextmanager
def _declined_imports() -> Iterator[None]:
    """While the command runs, importing a module of ``DECLINED_IMPORTS`` fails as if it were not installed."""
    declined = [name for name in DECLINED_IMPORTS if name not in sys.modules]
    for name in declined:
        # None in sys.modules is the documented way to make an import fail; typeshed
        # types the mapping as holding modules only.
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        # main() called within a larger process (a test) leaves them importable after.
        for name in declined:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def main() -> None:
    """Entry point of the ``toolkit`` command."""
    from toolkit.output_streams import OutputStreamError, flush_standard_streams, guard_standard_streams

    guard_standard_streams()
    try:
        with _declined_imports():
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
