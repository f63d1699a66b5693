"""`toolkit lsp`, driven over stdio by pygls' own LSP client as an editor drives it: open, edit, see the
validator's findings appear and clear, complete ids and vocabulary values, hover, jump, quick-fix."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from corpus_overlay import BASE, build_fixture
from toolkit.cache import CACHE_ENV

pytestmark = pytest.mark.slow  # a child process: the server

EVENT = "events/evt-lapid-visit-turkey.yaml"
_WAIT = 60  # seconds: a loaded machine starts Python slowly; a healthy answer takes milliseconds


class Editor:
    """An LSP client session with the server, keeping the diagnostics it publishes per document."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("test-editor", "1")
        self.published: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.put_nowait(params)

    async def start(self, cache: Path) -> None:
        environment = {**os.environ, CACHE_ENV: str(cache)}
        await self.client.start_io(sys.executable, "-m", "toolkit", "lsp", env=environment, cwd=str(self.root.parent))
        await asyncio.wait_for(
            self.client.initialize_async(
                lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(self.root)))
            ),
            _WAIT,
        )
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), _WAIT)
        self.client.exit(None)
        await self.client.stop()

    def uri(self, name: str) -> str:
        return from_fs_path(str(self.root / name)) or ""

    async def diagnostics_of(self, uri: str) -> list[lsp.Diagnostic]:
        while True:
            params = await asyncio.wait_for(self.published.get(), _WAIT)
            if params.uri == uri:
                return list(params.diagnostics)

    async def open(self, name: str) -> list[lsp.Diagnostic]:
        uri = self.uri(name)
        self.versions[uri] = 1
        text = (self.root / name).read_text(encoding="utf-8")
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri, "yaml", 1, text))
        )
        return await self.diagnostics_of(uri)

    async def type_text(self, name: str, text: str) -> list[lsp.Diagnostic]:
        """Replace the whole unsaved text of the document (never saved to disk)."""
        uri = self.uri(name)
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return await self.diagnostics_of(uri)

    async def complete(self, name: str, line: int, character: int) -> list[lsp.CompletionItem]:
        result = await asyncio.wait_for(
            self.client.text_document_completion_async(
                lsp.CompletionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=self.uri(name)),
                    position=lsp.Position(line, character),
                )
            ),
            _WAIT,
        )
        assert isinstance(result, lsp.CompletionList)
        return list(result.items)


def _session(tmp_path: Path, steps: object) -> None:
    root = build_fixture(BASE, tmp_path / "annotations")

    async def run() -> None:
        editor = Editor(root)
        await editor.start(tmp_path / "cache")
        try:
            await steps(editor)  # type: ignore[operator]
        finally:
            await editor.stop()

    asyncio.run(run())


def test_diagnostics_appear_as_a_reference_is_broken_and_clear_as_it_is_mended(tmp_path: Path) -> None:
    async def steps(editor: Editor) -> None:
        assert await editor.open(EVENT) == []  # the base corpus is valid
        text = (editor.root / EVENT).read_text(encoding="utf-8")
        broken = await editor.type_text(EVENT, text.replace("actor: act-yair-lapid", "actor: act-yair-lapd"))
        line = text.splitlines().index("  - actor: act-yair-lapid")
        assert [(d.code, d.range.start.line, d.range.start.character) for d in broken] == [("ref-unresolved", line, 11)]
        assert broken[0].range.end.character == 11 + len("act-yair-lapd")
        assert "did you mean 'act-yair-lapid'?" in broken[0].message
        actions = await asyncio.wait_for(
            editor.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=editor.uri(EVENT)),
                    range=broken[0].range,
                    context=lsp.CodeActionContext(diagnostics=broken),
                )
            ),
            _WAIT,
        )
        assert actions is not None
        [action] = actions
        assert isinstance(action, lsp.CodeAction) and action.edit is not None and action.edit.changes is not None
        [edit] = action.edit.changes[editor.uri(EVENT)]
        assert (edit.new_text, edit.range) == ("act-yair-lapid", broken[0].range)
        # A quote that is not in the article: a check across files, on unsaved text.
        misquoted = await editor.type_text(EVENT, text.replace("will visit Turkey", "will visit Greece"))
        assert [d.code for d in misquoted] == ["evidence-quote-not-found"]
        assert await editor.type_text(EVENT, text) == []
        assert (editor.root / EVENT).read_text(encoding="utf-8") == text  # nothing was written

    _session(tmp_path, steps)


def test_completion_offers_actor_ids_at_a_participants_actor_and_roles_with_their_descriptions(
    tmp_path: Path,
) -> None:
    async def steps(editor: Editor) -> None:
        await editor.open(EVENT)
        text = (editor.root / EVENT).read_text(encoding="utf-8")
        lines = text.splitlines()
        actor_line = lines.index("  - actor: act-yair-lapid")
        typed = "\n".join([*lines[:actor_line], "  - actor: ", *lines[actor_line + 1 :]]) + "\n"
        await editor.type_text(EVENT, typed)
        items = await editor.complete(EVENT, actor_line, len("  - actor: "))
        assert [item.label for item in items] == ["act-yair-lapid"]  # the only actor: no loc-, src- or evt- id
        assert items[0].detail is not None and items[0].detail.startswith("actor:")
        roles = await editor.complete(EVENT, actor_line + 1, len("    role: "))
        by_label = {item.label: item for item in roles}
        assert "initiator" in by_label and "target" in by_label
        assert "carries out" in str(by_label["initiator"].documentation)
        location = await editor.complete(EVENT, lines.index("location: loc-turkey"), len("location: "))
        assert [item.label for item in location] == ["loc-turkey"]

    _session(tmp_path, steps)


def test_a_record_deleted_on_disk_is_seen_when_the_document_is_saved(tmp_path: Path) -> None:
    async def steps(editor: Editor) -> None:
        assert await editor.open(EVENT) == []
        (editor.root / "actors" / "act-yair-lapid.yaml").unlink()  # in a shell, or by a checkout
        editor.client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=editor.uri(EVENT)))
        )
        assert [d.code for d in await editor.diagnostics_of(editor.uri(EVENT))] == ["ref-unresolved"]

    _session(tmp_path, steps)


def test_hover_names_the_record_and_definition_jumps_to_its_file(tmp_path: Path) -> None:
    async def steps(editor: Editor) -> None:
        await editor.open(EVENT)
        lines = (editor.root / EVENT).read_text(encoding="utf-8").splitlines()
        where = lsp.Position(lines.index("  - actor: act-yair-lapid"), len("  - actor: act-y"))
        document = lsp.TextDocumentIdentifier(uri=editor.uri(EVENT))
        hover = await asyncio.wait_for(
            editor.client.text_document_hover_async(lsp.HoverParams(text_document=document, position=where)), _WAIT
        )
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert "Yair Lapid" in hover.contents.value and "actor" in hover.contents.value
        target = await asyncio.wait_for(
            editor.client.text_document_definition_async(lsp.DefinitionParams(text_document=document, position=where)),
            _WAIT,
        )
        assert isinstance(target, lsp.Location)
        assert target.uri == editor.uri("actors/act-yair-lapid.yaml")

    _session(tmp_path, steps)


def test_lsp_without_pygls_installed_says_how_to_install_it() -> None:
    blocked = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pygls', 'lsprotocol'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['toolkit', 'lsp']\n"
        "from toolkit.cli import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "pip install 'event-annotation-toolkit[lsp]'" in result.stderr
    assert "Traceback" not in result.stderr
