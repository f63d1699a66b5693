"""Red team, round 5: `toolkit publish`, `export --format sqlite`, `report`, the validate cache and `toolkit lsp`.

Attacks on the promises of the README ("What the toolkit guarantees on bad input")
and of the new commands: no traceback (exit 3), no hang, nothing read outside the
corpus nor written outside the output folder, credentials never printed, no wrong
verdict from a cache, no markup or script from data in the report.

Attacks that held, and those that found a misbehaviour, kept once it was fixed:
credentials a server echoes (in failures, percent-encoded in the URL), a server's
terminal escapes, status entries of the wrong shape, a cache folder named inside the
corpus, unsaved buffers over the file cap or holding a lone surrogate, and a server
that trickles its answer (fixed with a deadline on each whole exchange; more cases
in tests/test_publish_deadline.py). Hostile corpora are built in
``tmp_path`` from a copy of ``tests/corpora/clean``. The hostile TAXII server is a
``http.server`` on 127.0.0.1 (loopback only) in a thread of the test process; the
command runs from its entry point, exit codes and all (in a child process for the
runs of the cache, each as a fresh process finds it).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from red_team_support import CLEAN, run_command, run_process

USER, PASSWORD, TOKEN = "publisher", "S3cret-Horse-91c2", "T0ken-91c2-bearer"
TAXII = "application/taxii+json;version=2.1"
COLLECTION = "c0ffee00-0000-4000-8000-000000000001"
ESCAPE = "\x1b"


# --- A hostile TAXII 2.1 server on loopback ---------------------------------------------------------------


def _credentials(header: str) -> str:
    """What the client signed in with, as the server sees it: ``user:password`` or ``Bearer <token>``."""
    if header.startswith("Basic "):
        return base64.b64decode(header[6:]).decode("utf-8", "replace")
    return header


def _status(failures: Any = None, pendings: Any = None, **fields: Any) -> dict[str, Any]:
    failures = failures or []
    pendings = pendings or []
    return {
        "id": "2d086da7-4bdc-4f91-900e-d77486753710",
        "status": "complete" if not pendings else "pending",
        "total_count": 1,
        "success_count": 0,
        "failure_count": len(failures) if isinstance(failures, list) else 0,
        "pending_count": len(pendings) if isinstance(pendings, list) else 0,
        "failures": failures,
        "pendings": pendings,
        **fields,
    }


@contextmanager
def taxii_server(
    status: Callable[[str], dict[str, Any]] | None = None,
    *,
    api_root: Callable[[BaseHTTPRequestHandler], bool] | None = None,
) -> Iterator[str]:
    """A TAXII 2.1 API root on 127.0.0.1 whose status answers ``status(credentials)``; yields its URL.

    ``api_root``, when given, answers GET of the API root itself (returning True when it did).
    """

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _send(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", TAXII)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _status(self) -> dict[str, Any]:
            creds = _credentials(self.headers.get("Authorization", ""))
            return status(creds) if status else _status()

        def do_GET(self) -> None:
            path = self.path
            if path.endswith("/api1/"):
                if api_root is not None and api_root(self):
                    return
                self._send(200, {"title": "t", "versions": [TAXII], "max_content_length": 10_000_000})
            elif "/status/" in path:
                self._send(200, self._status())
            elif "/objects" in path:
                self._send(200, {"objects": []})
            elif "/collections/" in path:
                self._send(
                    200,
                    {"id": COLLECTION, "title": "c", "can_read": True, "can_write": True, "media_types": []},
                )
            else:
                self._send(404, {"title": "not found"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._send(202, self._status())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api1/"
    finally:
        server.shutdown()
        server.server_close()


def _publish(corpus: Path, url: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    """`toolkit publish`, credentials from the environment as the help advises."""
    return run_command(
        "publish", "--url", url, "--collection", COLLECTION, "--corpus", str(corpus), "--wait", "3", *extra,
        cwd=corpus.parent, env=env,
    )  # fmt: skip


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the clean corpus as ``<tmp>/work/annotations``."""
    copy = tmp_path / "work" / "annotations"
    shutil.copytree(CLEAN, copy)
    return copy


BASIC = {"TOOLKIT_TAXII_USER": USER, "TOOLKIT_TAXII_PASSWORD": PASSWORD}
BEARER = {"TOOLKIT_TAXII_TOKEN": TOKEN}


# --- publish: misbehaviours ---------------------------------------------------------------------------------


def test_a_server_failure_message_echoing_the_password_is_not_printed(corpus: Path) -> None:
    # The status resource's failures[].message is printed as is ("failed: <id>: <message>"):
    # a server (or a proxy) that echoes the Authorization it got puts the password on stdout.
    with taxii_server(lambda creds: _status([{"id": "indicator--x", "message": f"refused for {creds}"}])) as url:
        result = _publish(corpus, url, env=BASIC)
    assert result.returncode == 1, result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_a_server_failure_message_echoing_the_token_is_not_printed(corpus: Path) -> None:
    with taxii_server(lambda creds: _status([{"id": "indicator--x", "message": f"refused for {creds}"}])) as url:
        result = _publish(corpus, url, env=BEARER)
    assert result.returncode == 1, result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_a_password_written_percent_encoded_in_the_url_is_redacted_when_the_server_echoes_it(corpus: Path) -> None:
    # secrets() keeps the URL's password as written (p%40ss), the server echoes it decoded (p@ss):
    # the TAXIIServiceException message printed in the Error line carries it.
    def echo(creds: str) -> dict[str, Any]:
        return _status(pendings=[{"id": creds}], pending_count=0)  # counts that disagree: taxii2client refuses

    with taxii_server(echo) as url:
        secret_url = url.replace("http://", "http://u:pa%40ss-91c2@")
        result = _publish(corpus, secret_url)
    assert result.returncode == 2, result.stderr
    assert "pa@ss-91c2" not in result.stdout + result.stderr
    assert "pa%40ss-91c2" not in result.stdout + result.stderr


def test_terminal_escapes_and_line_breaks_in_a_server_message_are_not_written_raw(corpus: Path) -> None:
    # failures[].id and .message go to the terminal raw: a hostile server can retitle the
    # terminal, clear it, or forge a line ("\r\n" then text of its choosing).
    hostile = [{"id": f"{ESCAPE}]0;pwned\a{ESCAPE}[2J", "message": f"{ESCAPE}[31mred\r\npublished: all fine"}]
    with taxii_server(lambda _creds: _status(hostile)) as url:
        result = _publish(corpus, url, env=BASIC)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert ESCAPE not in output and "\a" not in output
    assert not any(line.startswith("published: all fine") for line in output.splitlines())


def test_a_failure_entry_that_is_not_an_object_is_a_usage_error_not_an_internal_error(corpus: Path) -> None:
    # push() calls item.get("id") on each failures[] entry, outside _answers: AttributeError, exit 3.
    with taxii_server(lambda _creds: _status(["not an object"])) as url:
        result = _publish(corpus, url, env=BASIC)
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in (1, 2), result.stderr


def test_a_server_that_trickles_its_answer_is_an_error_within_the_time_limit(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The timeout given to requests is per read of the socket, not per request: a server
    # sending a byte every half second never trips it, and publish waited for as long as it
    # sent. Each exchange now has a deadline of its own (toolkit/bounded_http.py).
    import toolkit.publishing as publishing
    from toolkit.errors import ToolkitError

    monkeypatch.setattr(publishing, "REQUEST_TIMEOUT_SECONDS", 2.0)
    stop = threading.Event()

    def trickle(handler: BaseHTTPRequestHandler) -> bool:
        handler.send_response(200)
        handler.send_header("Content-Type", TAXII)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        while not stop.is_set():
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.5)
        return True

    outcome: list[BaseException | object] = []

    def run(url: str) -> None:
        try:
            outcome.append(publishing.publish(corpus, publishing.TaxiiServer(url, COLLECTION, USER, PASSWORD)))
        except BaseException as error:  # noqa: BLE001 - reported below
            outcome.append(error)

    with taxii_server(api_root=trickle) as url:
        worker = threading.Thread(target=run, args=(url,), daemon=True)
        worker.start()
        worker.join(20)  # ten times the time limit set
        answered = list(outcome)
        stop.set()
        worker.join(5)
    assert answered, "publish still waiting on a server that sends a byte every half second, 20 s after starting"
    assert isinstance(answered[0], ToolkitError), answered[0]


# --- publish: held ------------------------------------------------------------------------------------------


def test_an_http_error_body_echoing_the_credentials_is_not_printed(corpus: Path) -> None:
    class Echo(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = f"denied for {_credentials(self.headers.get('Authorization', ''))}".encode()
            self.send_response(500)
            self.send_header("Content-Type", TAXII)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://u:{PASSWORD}@127.0.0.1:{server.server_address[1]}/api1/"
        result = _publish(corpus, url)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 2, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "HTTP 500" in result.stderr


def test_help_does_not_show_credentials_from_the_environment(corpus: Path) -> None:
    saved = dict(os.environ)
    os.environ.update({**BASIC, **BEARER, "TOOLKIT_TAXII_URL": f"http://u:{PASSWORD}@127.0.0.1:1/api1/"})
    try:
        result = run_command("publish", "--help", cwd=corpus.parent)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.returncode == 0
    assert PASSWORD not in result.stdout and TOKEN not in result.stdout


@pytest.mark.parametrize("size", ["abc", [1], "9" * 5000, None])
def test_a_max_content_length_of_the_wrong_shape_is_a_usage_error(corpus: Path, size: Any) -> None:
    def root(handler: BaseHTTPRequestHandler) -> bool:
        data = json.dumps({"title": "t", "versions": [TAXII], "max_content_length": size}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", TAXII)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return True

    with taxii_server(api_root=root) as url:
        result = _publish(corpus, url, env=BASIC)
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1, 2)


# --- report: held -------------------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&lt;b&gt;]]></svg><a href=javascript:alert(3)>x</a>"


def _plant_hostile_values(corpus: Path) -> None:
    """A hostile string in every actor's name and note (YAML double-quoted)."""
    quoted = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    for path in sorted((corpus / "actors").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r'^name: "?(.*?)"?$', lambda m: f'name: "{m.group(1)} {quoted}"', text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")


def test_hostile_record_values_come_out_of_the_report_as_text(corpus: Path, tmp_path: Path) -> None:
    _plant_hostile_values(corpus)
    assert run_command("validate", str(corpus), cwd=corpus.parent).returncode == 0
    out = tmp_path / "out"
    result = run_command("report", str(corpus), "--out", str(out), cwd=corpus.parent)
    assert result.returncode == 0, result.stderr
    pages = list((out / "report").rglob("*.html"))
    seen: list[str] = []
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        seen.append(html)
        assert not re.search(r"<(?:script|img|a|svg)\b[^>]*(?:alert|javascript:|onerror)", html), page
        assert all(tag.startswith('<script src="') for tag in re.findall(r"<script[^>]*>", html)), page
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in html for html in seen)  # the value is there, as text


def test_hostile_markup_in_an_article_text_comes_out_of_the_article_view_as_text(corpus: Path, tmp_path: Path) -> None:
    import hashlib

    text_path = corpus / "sources" / "src-lapid-to-visit-turkey.txt"
    text = text_path.read_text(encoding="utf-8") + "\n" + HOSTILE + "\n"
    text_path.write_text(text, encoding="utf-8")
    record = corpus / "sources" / "src-lapid-to-visit-turkey.yaml"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    record.write_text(re.sub(r"sha256: \S+", f"sha256: {digest}", record.read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out"
    result = run_command("report", str(corpus), "--out", str(out), cwd=corpus.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (out / "report" / "articles" / "src-lapid-to-visit-turkey.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<(?:script|img|a|svg)\b[^>]*(?:alert|javascript:|onerror)", html)


@pytest.mark.parametrize("where", ["corpus", "kind folder"])
def test_a_report_into_the_corpus_is_refused(corpus: Path, where: str) -> None:
    out = corpus if where == "corpus" else corpus / "events"
    result = run_command("report", str(corpus), "--out", str(out), cwd=corpus.parent)
    assert result.returncode == 2, result.stderr
    assert not (out / "report").exists()


def test_a_report_folder_that_is_a_link_is_not_written_through(corpus: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "report").symlink_to(victim)
    result = run_command("report", str(corpus), "--out", str(out), cwd=corpus.parent)
    assert result.returncode == 2, result.stderr
    assert list(victim.iterdir()) == []


# --- the validate cache -------------------------------------------------------------------------------------


def _validate(corpus: Path, cache: Path | str) -> Any:
    saved = os.environ.get("TOOLKIT_CACHE_DIR")
    os.environ["TOOLKIT_CACHE_DIR"] = str(cache)
    try:
        return run_process("validate", str(corpus), cwd=corpus.parent)
    finally:
        if saved is None:
            os.environ.pop("TOOLKIT_CACHE_DIR", None)
        else:
            os.environ["TOOLKIT_CACHE_DIR"] = saved


def test_a_cache_folder_named_inside_the_corpus_writes_nothing_into_the_corpus(corpus: Path) -> None:
    # TOOLKIT_CACHE_DIR=annotations/events: the cache writes corpus-<hash>/, CACHEDIR.TAG and a
    # .gitignore holding "*" into the kind folder, after which git ignores every new event record.
    before = sorted(p.name for p in (corpus / "events").iterdir())
    assert _validate(corpus, corpus / "events").returncode == 0
    assert sorted(p.name for p in (corpus / "events").iterdir()) == before


@pytest.mark.parametrize("where", ["/dev/null", "/proc/self", "/etc/passwd", "a-file"])
def test_a_cache_dir_at_an_odd_place_is_a_run_without_the_cache(corpus: Path, where: str) -> None:
    if where == "a-file":
        where = str(corpus.parent / "a-file")
        Path(where).write_text("not a folder\n", encoding="utf-8")
    result = _validate(corpus, where)
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr


def test_a_corrupt_cache_and_an_edit_after_it_never_give_a_stale_verdict(corpus: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _validate(corpus, cache).returncode == 0
    time.sleep(2.1)  # past the racy window, so the stamps are kept
    assert _validate(corpus, cache).returncode == 0
    for path in cache.rglob("*.json"):  # damaged in place: rebuilt, never trusted
        path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    assert _validate(corpus, cache).returncode == 0
    record = next((corpus / "advisories").glob("*.yaml"))
    record.write_text(record.read_text(encoding="utf-8") + "unknown_field_red5: 1\n", encoding="utf-8")
    result = _validate(corpus, cache)
    assert result.returncode == 1, result.stdout


def test_a_linked_cache_folder_is_not_written_through(corpus: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (corpus.parent / ".toolkit-cache").symlink_to(elsewhere)
    saved = os.environ.pop("TOOLKIT_CACHE_DIR", None)
    try:
        result = run_process("validate", str(corpus), cwd=corpus.parent)
    finally:
        if saved is not None:
            os.environ["TOOLKIT_CACHE_DIR"] = saved
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []


# --- export --format sqlite: held ---------------------------------------------------------------------------


def test_hostile_values_go_into_sqlite_as_data(corpus: Path, tmp_path: Path) -> None:
    import sqlite3

    _plant_hostile_values(corpus)
    out = tmp_path / "out"
    result = run_command("export", "--corpus", str(corpus), "--format", "sqlite", "--out", str(out), cwd=corpus.parent)
    assert result.returncode == 0, result.stderr
    (database,) = out.rglob("*.sqlite")
    with sqlite3.connect(database) as db:
        names = [row[0] for row in db.execute("SELECT name FROM actors")]
    assert names and all(name.endswith(HOSTILE) for name in names)


# --- lsp ----------------------------------------------------------------------------------------------------


def _live(corpus: Path) -> Any:
    from toolkit.lsp import LiveCorpus
    from toolkit.schema_loader import load_schemas

    return LiveCorpus.read(corpus, load_schemas(), cache=False)


def test_an_unsaved_buffer_larger_than_any_file_is_refused_as_validate_refuses_the_file(corpus: Path) -> None:
    # On disk, a file over 1 MiB is refused unread; in the language server the editor's buffer
    # is parsed whatever its size and checked against the schema: the diagnostics differ.
    live = _live(corpus)
    path = corpus / "events" / "evt-red5-big.yaml"
    text = 'id: evt-red5-big\nnote: "' + "a" * (3 * 1024 * 1024) + '"\n'
    file = live.update(path, text)
    rules = {finding.rule for finding in live.own[file]}
    path.write_text(text, encoding="utf-8")
    on_disk = run_command("validate", str(path), cwd=corpus.parent)
    assert "schema-required" not in rules, (rules, on_disk.stdout[-300:])
    assert rules, on_disk.stdout


def test_an_unsaved_buffer_of_a_million_values_is_answered_promptly(corpus: Path) -> None:
    # overlay() composes the whole buffer into nodes before any cap applies: 6 MB of
    # "- a" lines take many seconds and ~0.6 GB per keystroke (2M lines: 28 s, 1.27 GB).
    live = _live(corpus)
    path = corpus / "events" / "evt-red5-many.yaml"
    text = "id: evt-red5-many\nparticipants:\n" + "  - a\n" * 1_000_000
    started = time.monotonic()
    live.update(path, text)
    assert time.monotonic() - started < 5


def test_hostile_buffers_in_the_language_server_are_findings_not_crashes(corpus: Path) -> None:
    live = _live(corpus)
    path = corpus / "events" / "evt-red5.yaml"
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
    )
    for text in (bomb, "x: " + "[" * 200_000, "id: evt-x\r" * 100_000, "id: \U0001f600\nname: \u202e\n", "\ufeff"):
        file = live.update(path, text)
        assert live.own[file], text[:40]
        live.findings_of({file})


def test_a_hover_or_completion_far_outside_the_document_is_no_error(corpus: Path) -> None:
    # Driven over stdio too (h/lspdrive.py): completion at line 99999, definition on file:///etc/passwd,
    # hover on untitled:x all answer null. Here the helpers those requests reach, past every end.
    from toolkit.lsp import _key_path, _word_at

    assert _word_at("", 10_000) is None
    assert _key_path(["id: x"], 999, 999) is None


def test_a_lone_surrogate_in_an_unsaved_buffer_is_a_finding_not_an_exception(corpus: Path) -> None:
    # JSON-RPC can carry "\ud800"; overlay() hands the buffer to libyaml before refuse_text
    # looks at it: UnicodeEncodeError, the didOpen handler fails and no diagnostics are published.
    live = _live(corpus)
    path = corpus / "events" / "evt-red5-surrogate.yaml"
    file = live.update(path, "id: evt-red5-surrogate\nname: \ud800\n")
    # A code point UTF-8 cannot encode: the saved file could not hold it either.
    assert {finding.rule for finding in live.own[file]} & {"yaml-unsafe-character", "yaml-encoding"}
