"""``toolkit lsp``: a Language Server Protocol server over stdio (pygls), for ``annotations/**/*.yaml``.

What an editor gets, for the document being typed (its unsaved text laid over the
corpus on disk):

- **diagnostics**: the full validator's findings, the very ones ``toolkit validate``
  would report for the file saved as it stands (strict YAML, schema, references,
  quotes, dates and every other check across files), each with its rule and hint;
- **completion** of ids of the right kind at a reference field (the schemas'
  reference table, ``toolkit/reference_fields.py``), and of vocabulary values with
  their descriptions;
- **hover** on an id: the record's name and kind; **go to definition** on an id;
- **code actions** for the hints with a single fix ("did you mean 'x'?": the closest
  vocabulary value, id or field name).

The corpus is read once per session through the cache (``toolkit/cache.py``), so a
session starts with what earlier runs learned; afterwards records live in memory
and a change re-parses only the document changed. The checks across files judge
the open documents over their neighbours alone (``toolkit/check_scope.py``): a
keystroke costs the records the document mentions or is mentioned by, not the corpus.

Runs beside yaml-language-server: this server only adds what JSON Schema cannot say.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from toolkit import __version__
from toolkit.cache import CorpusCache, StampList
from toolkit.check_scope import ScopeIndex, findings_within, footprint_of
from toolkit.checks.schema import check_schema
from toolkit.incremental import _Walk, load_corpus_cached
from toolkit.kinds import YAML_SUFFIXES
from toolkit.loading import (
    display_path,
    find_corpus_root,
    is_hidden,
    kind_for,
    load_corpus,
    parse_file,
    parse_text,
    refuse_buffer,
)
from toolkit.model import Finding, Record, Severity
from toolkit.positions import overlay
from toolkit.reference_fields import EACH, reference_fields
from toolkit.schema_loader import SchemaSet, load_schemas
from toolkit.validation import CORPUS_CHECKS

_ID = re.compile(r"(?:src|act|loc|evt|adv)-[A-Za-z0-9][A-Za-z0-9_.-]*")
_DID_YOU_MEAN = re.compile(r"did you mean '([^'\n]+)'\?")
# A line of a block mapping up to the cursor: indentation, list dashes, a key and what follows.
_LINE = re.compile(r"^(?P<indent> *)(?P<dashes>(?:- +)*)(?:(?P<key>[A-Za-z_][\w-]*) *:(?: +|$))?(?P<value>.*)$")
# A value or key as findings point at it: quoted, or up to the next blank or YAML indicator.
_TOKEN = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|[^\s:#,\[\]{}]+")
# At most this many ids offered at once; the editor asks again as more is typed.
_MAX_ITEMS = 500


@dataclass
class LiveCorpus:
    """One corpus as the server holds it: every record and each file's own findings, with edits laid over."""

    root: Path
    schemas: SchemaSet
    records: dict[str, Record] = field(default_factory=dict)  # by path on disk
    own: dict[str, list[Finding]] = field(default_factory=dict)  # by display name: reading, YAML, schema
    rest: list[Finding] = field(default_factory=list)  # folders that could not be read

    stamps: dict[str, StampList | None] = field(default_factory=dict)  # by path on disk, as last read
    scope: ScopeIndex = field(default_factory=lambda: ScopeIndex({}))  # the records' footprints, by display name
    by_file: dict[str, Record] = field(default_factory=dict)  # the records by display name
    _order: list[str] | None = None  # the keys of ``records`` in walk order, while none came or went

    @classmethod
    def read(cls, root: Path, schemas: SchemaSet, *, cache: bool = True) -> LiveCorpus:
        """The corpus from disk, through the cache unless ``cache`` is false."""
        walk = _Walk.of(root.absolute())
        if cache:
            opened = CorpusCache.open(root, schemas.schemas)
            loaded, learn = load_corpus_cached(root, schemas, opened, walk=walk)
            learn()
            opened.save(None)
        else:
            loaded = load_corpus(root)
            loaded.findings += check_schema(loaded.records, schemas)
        live = cls(root, schemas)
        live.stamps = dict(zip(walk.paths, walk.stamp_list(), strict=True))
        for record in loaded.records:
            live.records[os.fspath(record.path)] = record
            live.by_file[record.file] = record
        live._order = list(live.records)  # in the walk's order already
        live.scope = ScopeIndex({record.file: footprint_of(record, schemas) for record in loaded.records})
        folders = set(loaded.folders)
        for found in loaded.findings:
            if found.file in folders:
                live.rest.append(found)
            else:
                live.own.setdefault(found.file, []).append(found)
        return live

    def refresh(self, open_paths: set[str]) -> None:
        """Read again the files changed on disk since (a checkout, another editor), but those open here."""
        walk = _Walk.of(self.root.absolute())
        now = dict(zip(walk.paths, walk.stamp_list(), strict=True))
        for path in set(self.stamps) - set(now) - open_paths:
            gone = self.records.pop(path, None)
            self._order = None
            file = display_path(path)
            self.own.pop(file, None)
            if gone is not None:
                self.by_file.pop(gone.file, None)
                self.scope.replace(gone.file, None)
        for path, stamp in now.items():
            if path not in open_paths and (stamp is None or self.stamps.get(path) != stamp):
                self.update(Path(path), None)
        self.stamps = now
        self.rest = list(walk.folders)

    def update(self, path: Path, text: str | None) -> str:
        """Lay ``text`` over the file at ``path`` (None: what is on disk); return its display name."""
        file = display_path(path)
        key = os.fspath(path)
        refused = refuse_buffer(text, file) if text is not None else []
        overlay(path, text, parse=not refused)
        kind = kind_for(path, self.root)
        if text is None:  # what is on disk, read the one way corpus files are
            data, findings = parse_file(path, kind, file, self.root)
        else:
            data, findings = (None, refused) if refused else parse_text(text, kind, file)
        old = self.records.pop(key, None)
        if old is not None:
            self.by_file.pop(old.file, None)
        if data is not None and kind is not None:
            record = Record(kind, data, file, path)
            self.records[key] = record
            self.by_file[file] = record
            findings = findings + check_schema([record], self.schemas)
            self.scope.replace(file, footprint_of(record, self.schemas))
        else:
            self.scope.replace(file, None)
        if (old is not None) != (key in self.records):
            self._order = None  # a record came or went
        self.own[file] = findings
        return file

    def _in_order(self) -> list[str]:
        # Sorted again only when a record came or went: a keystroke does neither.
        if self._order is None:
            self._order = sorted(self.records, key=_walk_order)
            self.scope.reorder(self.records[key].file for key in self._order)
        return self._order

    def findings_of(self, files: set[str]) -> dict[str, list[Finding]]:
        """The findings ``toolkit validate`` reports for each of ``files``: their own, and every check across files'.

        The checks across files run over those files' neighbours only (``toolkit/check_scope.py``).
        """
        self._in_order()
        found: dict[str, list[Finding]] = {file: list(self.own.get(file, [])) for file in files}
        for finding in findings_within(self.scope, files, self.by_file.get, self.root, self.schemas, CORPUS_CHECKS):
            found[finding.file].append(finding)
        for file, items in found.items():
            found[file] = sorted(set(items), key=Finding.sort_key)
        return found


def _walked(path: Path, root: Path) -> bool:
    """Whether the corpus walk (``yaml_files_under``) lists the file: a YAML name below the corpus folder,
    nothing hidden on the way. Any other document open in the editor (a hidden backup or draft beside a
    record) is no record of the corpus: validate never reads it."""
    parts = Path(os.path.relpath(path, root)).parts
    return (
        bool(parts)
        and parts[0] != os.pardir
        and not any(is_hidden(part) for part in parts)
        and os.path.splitext(parts[-1])[1].lower() in YAML_SUFFIXES
    )


def _walk_order(path: str) -> tuple[str, ...]:
    # The walk lists each folder's entries sorted by name, depth first.
    return tuple(Path(path).parts)


@dataclass
class Session:
    """What the server knows: the corpora of the documents opened, and those documents."""

    schemas: SchemaSet = field(default_factory=load_schemas)
    corpora: dict[Path, LiveCorpus] = field(default_factory=dict)
    open_files: dict[str, tuple[Path, Path | None]] = field(default_factory=dict)  # uri -> (path, corpus root)
    cache: bool = True

    def corpus_of(self, path: Path) -> LiveCorpus | None:
        root = find_corpus_root(path)
        if root is None:
            return None
        if root not in self.corpora:
            self.corpora[root] = LiveCorpus.read(root, self.schemas, cache=self.cache)
        return self.corpora[root]


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(os.path.abspath(path)) if path else None


def _diagnostic(finding: Finding, lines: list[str]) -> lsp.Diagnostic:
    line = max((finding.line or 1) - 1, 0)
    column = max((finding.column or 1) - 1, 0)
    text = lines[line] if line < len(lines) else ""
    match = _TOKEN.match(text, column) if column < len(text) else None
    end = match.end() if match else len(text)
    if end <= column:
        end = len(text)
    message = finding.message + (f"\n{finding.hint}" if finding.hint else "")
    return lsp.Diagnostic(
        range=lsp.Range(start=lsp.Position(line, column), end=lsp.Position(line, max(end, column))),
        message=message,
        severity=lsp.DiagnosticSeverity.Error if finding.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
        code=finding.rule,
        source="toolkit",
        data={"hint": finding.hint} if finding.hint else None,
    )


def _key_path(lines: list[str], line: int, column: int) -> tuple[str, ...] | None:
    """The field names (``EACH`` for a list item) leading to the value at the cursor, read from indentation."""
    current = _LINE.match(lines[line][:column]) if line < len(lines) else None
    if current is None:
        return None
    indent, items = len(current["indent"]), current["dashes"].count("-")
    if current["key"] is None and not items:
        return None
    path = [EACH] * items + ([current["key"]] if current["key"] else [])
    # A parent's key starts before this key, or at or before the dash of the item this line opens.
    limit, at_dash = indent, bool(items)
    for above in range(line - 1, -1, -1):
        found = _LINE.match(lines[above])
        if found is None or not lines[above].strip() or lines[above].lstrip().startswith("#"):
            continue
        found_indent, found_items = len(found["indent"]), found["dashes"].count("-")
        start = found_indent + len(found["dashes"])
        if not at_dash and found_items and start == limit:
            # This key is a later key of the list item that line opens.
            path[:0] = [EACH] * found_items
            limit, at_dash = found_indent, True
            continue
        empty = not found["value"].strip() or found["value"].strip().startswith("#")
        if found["key"] is not None and empty and (start <= limit if at_dash else start < limit):
            path[:0] = [EACH] * found_items + [found["key"]]
            limit, at_dash = (found_indent, True) if found_items else (start, False)
            if limit == 0 and not at_dash:
                break
    return tuple(path)


def _schema_at(schemas: SchemaSet, kind: str, path: tuple[str, ...]) -> dict[str, Any] | None:
    node: dict[str, Any] = schemas.kind_schema(kind)
    for step in path:
        node, _ = schemas.resolve(node)
        if step == EACH:
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = items
        else:
            properties = node.get("properties", {})
            if step not in properties:
                return None
            node = properties[step]
    resolved, _ = schemas.resolve(node)
    return resolved


def _record_name(record: Record) -> str:
    for key in ("name", "title", "summary"):
        value = record.data.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            first = next((v for v in value.values() if isinstance(v, str)), None)
            if first:
                return first
    return record.id or ""


def _word_at(line: str, column: int) -> str | None:
    for match in _ID.finditer(line):
        if match.start() <= column <= match.end():
            return match.group()
    return None


def build_server(*, cache: bool = True) -> LanguageServer:
    """The language server, its features registered (started by ``toolkit lsp`` over stdio)."""
    server = LanguageServer("toolkit", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
    session = Session(cache=cache)

    def publish(uris: list[str]) -> None:
        by_corpus: dict[Path, dict[str, str]] = {}
        for uri in uris:
            path, root = session.open_files.get(uri, (None, None))
            if path is None or root is None:
                continue
            by_corpus.setdefault(root, {})[uri] = display_path(path)
        for root, files in by_corpus.items():
            found = session.corpora[root].findings_of(set(files.values()))
            for uri, file in files.items():
                lines = server.workspace.get_text_document(uri).lines
                server.text_document_publish_diagnostics(
                    lsp.PublishDiagnosticsParams(
                        uri=uri,
                        diagnostics=[_diagnostic(f, [line.rstrip("\r\n") for line in lines]) for f in found[file]],
                    )
                )

    def changed(uri: str, text: str | None, *, refresh: bool = False) -> None:
        path = _path(uri)
        if path is None:
            return
        fresh = (find_corpus_root(path) or path) not in session.corpora
        corpus = session.corpus_of(path)
        if corpus is not None and not _walked(path, corpus.root):
            corpus = None  # published nothing, as validate finds nothing in it
        session.open_files[uri] = (path, corpus.root if corpus else None)
        if corpus is None:
            return
        if refresh and not fresh:
            corpus.refresh({os.fspath(p) for p, _root in session.open_files.values()})
        corpus.update(path, text)
        # An edit can break or mend references in the other open documents too.
        publish(list(session.open_files))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        changed(params.text_document.uri, params.text_document.text, refresh=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        changed(params.text_document.uri, server.workspace.get_text_document(params.text_document.uri).source)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        # A save is when other files change too (a rename done in a shell, a checkout): read them again.
        uri = params.text_document.uri
        changed(uri, server.workspace.get_text_document(uri).source, refresh=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path, root = session.open_files.pop(uri, (None, None))
        if path is not None and root is not None:
            session.corpora[root].update(path, None)  # what is on disk counts again
            server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
            publish(list(session.open_files))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" ", "-"]))
    def completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        path = _path(uri)
        corpus = session.corpus_of(path) if path else None
        empty = lsp.CompletionList(is_incomplete=False, items=[])
        if path is None or corpus is None:
            return empty
        kind = kind_for(path, corpus.root)
        lines = [line.rstrip("\r\n") for line in server.workspace.get_text_document(uri).lines]
        position = params.position
        key_path = _key_path(lines, position.line, position.character)
        if kind is None or not key_path:
            return empty
        typed_line = _LINE.match(lines[position.line][: position.character])
        typed = (typed_line["value"] if typed_line else "").strip().strip("'\"")
        for reference in reference_fields(corpus.schemas):
            if reference.kind == kind.name and reference.path == key_path:
                chosen = sorted(
                    (record.id, record)
                    for record in corpus.records.values()
                    if record.id and record.kind.name in reference.targets and record.id.startswith(typed)
                )
                items = [
                    lsp.CompletionItem(
                        label=record_id,
                        kind=lsp.CompletionItemKind.Reference,
                        detail=f"{record.kind.name}: {_record_name(record)}",
                    )
                    for record_id, record in chosen[:_MAX_ITEMS]
                ]
                return lsp.CompletionList(is_incomplete=len(chosen) > _MAX_ITEMS, items=items)
        schema = _schema_at(corpus.schemas, kind.name, key_path)
        options = schema.get("oneOf") if schema else None
        if isinstance(options, list) and all(isinstance(o, dict) and "const" in o for o in options):
            return lsp.CompletionList(
                is_incomplete=False,
                items=[
                    lsp.CompletionItem(
                        label=str(option["const"]),
                        kind=lsp.CompletionItemKind.EnumMember,
                        documentation=option.get("description"),
                    )
                    for option in options
                ],
            )
        return empty

    def _target(uri: str, position: lsp.Position) -> Record | None:
        path = _path(uri)
        corpus = session.corpus_of(path) if path else None
        if corpus is None:
            return None
        lines = server.workspace.get_text_document(uri).lines
        word = _word_at(lines[position.line], position.character) if position.line < len(lines) else None
        if word is None:
            return None
        return next((r for r in corpus.records.values() if r.id == word), None)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(params: lsp.HoverParams) -> lsp.Hover | None:
        record = _target(params.text_document.uri, params.position)
        if record is None:
            return None
        text = f"**{_record_name(record)}**\n\n{record.kind.name} `{record.id}` ({record.file})"
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(params: lsp.DefinitionParams) -> lsp.Location | None:
        record = _target(params.text_document.uri, params.position)
        if record is None:
            return None
        start = lsp.Position(0, 0)
        return lsp.Location(uri=from_fs_path(os.fspath(record.path)) or "", range=lsp.Range(start=start, end=start))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION)
    def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        actions = []
        for diagnostic in params.context.diagnostics:
            hint = diagnostic.data.get("hint") if isinstance(diagnostic.data, dict) else None
            fix = _DID_YOU_MEAN.search(hint or diagnostic.message)
            if fix is None:
                continue
            edit = lsp.TextEdit(range=diagnostic.range, new_text=fix.group(1))
            actions.append(
                lsp.CodeAction(
                    title=f"Replace with '{fix.group(1)}'",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True,
                    edit=lsp.WorkspaceEdit(changes={params.text_document.uri: [edit]}),
                )
            )
        return actions

    return server


def serve(*, cache: bool = True) -> None:
    """Serve over stdio until the editor ends the session; ``cache`` as for ``toolkit validate``."""
    # On copies of the standard streams: the server closes what it serves on when the
    # session ends, and the command line still flushes its own streams afterwards.
    with os.fdopen(os.dup(0), "rb") as stdin, os.fdopen(os.dup(1), "wb") as stdout:
        build_server(cache=cache).start_io(stdin, stdout)
