"""How long `toolkit lsp` takes to answer an edit with diagnostics: a scripted JSON-RPC client over stdio.

Starts the server, opens FILE (of the corpus it belongs to: the first open reads
the corpus, through the cache), then sends ROUNDS edits of the whole text (a
comment line added and taken away) and times each from the didChange sent to its
publishDiagnostics received. Prints the best and every time, in seconds, as JSON.
The standard library only: the benchmark's environment needs no LSP client.

Usage: python benchmarks/lsp_didchange.py TOOLKIT FILE [ROUNDS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO


def _send(stream: BinaryIO, message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


def _receive(stream: BinaryIO) -> dict[str, Any]:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            raise SystemExit("the server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    message: dict[str, Any] = json.loads(stream.read(length))
    return message


def _until(stream: BinaryIO, wanted: Any) -> dict[str, Any]:
    while True:
        message = _receive(stream)
        if wanted(message):
            return message


def main() -> None:
    toolkit, file = sys.argv[1], Path(sys.argv[2]).resolve()
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    uri = file.as_uri()
    text = file.read_text(encoding="utf-8")
    server = subprocess.Popen([toolkit, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert server.stdin is not None and server.stdout is not None
    writer, reader = server.stdin, server.stdout
    _send(writer, {"id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": None}})
    _until(reader, lambda m: m.get("id") == 1)
    _send(writer, {"method": "initialized", "params": {}})
    started = time.perf_counter()
    item = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
    _send(writer, {"method": "textDocument/didOpen", "params": {"textDocument": item}})

    def diagnostics(message: dict[str, Any]) -> bool:
        return message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri

    _until(reader, diagnostics)
    opened = time.perf_counter() - started
    times = []
    for version in range(2, rounds + 2):
        edited = text + ("# an edit\n" if version % 2 == 0 else "")
        started = time.perf_counter()
        _send(
            writer,
            {
                "method": "textDocument/didChange",
                "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]},
            },
        )
        _until(reader, diagnostics)
        times.append(time.perf_counter() - started)
    _send(writer, {"id": 2, "method": "shutdown", "params": None})
    _until(reader, lambda m: m.get("id") == 2)
    _send(writer, {"method": "exit", "params": None})
    server.wait(timeout=60)
    print(json.dumps({"open_s": opened, "best_s": min(times), "all_s": times}))


if __name__ == "__main__":
    main()
