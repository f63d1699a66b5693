"""`toolkit publish` bounds every exchange with a TAXII server as a whole: in time (--timeout) and in size.

The timeouts of requests bound each read of the socket, not an exchange: a server
that sends its answer a byte at a time, each byte well within the timeout, kept
publish waiting for as long as it sent. Here a hostile server on 127.0.0.1 (raw
sockets in threads of the test process, loopback only) answers like a TAXII 2.1
API root, except at one step of publish, where it says nothing, trickles its
header block or its body, or sends more than the cap. Each step of publish
(the API root, the collection, adding objects, the status, reading objects back)
must end with one clear error naming the server, the step and the limit. The
bounding itself (toolkit/bounded_http.py) is also shown on a plain requests
session: an answer slow but within the limit arrives whole, and each exchange
has its own deadline.

Publish runs in a thread joined with a bound ten times the limit or more, so that
a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

import toolkit.publishing as publishing
from red_team_support import run_process
from toolkit.bounded_http import AnswerTooLarge, AnswerTooSlow, bound
from toolkit.errors import ToolkitError

pytestmark = pytest.mark.slow  # each test waits out a time limit

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "c0ffee00-0000-4000-8000-000000000017"
USER, PASSWORD = "publisher", "Tr1ckle-Horse-17"
LIMIT = 1.0  # seconds: the time limit of one exchange in these tests
DRIP = 0.2  # seconds between two bytes of a trickled answer: well within any per-read timeout


# --- A hostile TAXII 2.1 server on loopback ---------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    body: bytes


def _step(request: Request) -> str:
    """Which step of publish a request is, in the words publish's messages use."""
    if request.method == "POST":
        return "adding objects"
    if "/status/" in request.path:
        return "reading the status of an addition"
    if "/objects/" in request.path:
        return "reading objects back"
    if "/collections/" in request.path:
        return "reading the collection"
    return "reading the API root"


Misbehaviour = Callable[[socket.socket, "Server"], None]


@dataclass
class Server:
    """A TAXII API root that misbehaves (``misbehave``) at one step (``at``) and answers well otherwise."""

    at: str
    misbehave: Misbehaviour
    stop: threading.Event = field(default_factory=threading.Event)
    sent_ids: list[str] = field(default_factory=list)

    def answer(self, request: Request) -> tuple[int, Any]:
        step = _step(request)
        if step == "reading the API root":
            return 200, {"title": "t", "versions": [TAXII], "max_content_length": 10_000_000}
        if step == "reading the collection":
            return 200, {"id": COLLECTION, "title": "c", "can_read": True, "can_write": True, "media_types": []}
        if step == "adding objects":
            self.sent_ids += [obj["id"] for obj in json.loads(request.body)["objects"]]
            # Pending, so that publish polls the status; the first object refused, so that it reads it back.
            return 202, _status(pending=self.sent_ids[:1])
        if step == "reading the status of an addition":
            return 200, _status(failed=self.sent_ids[:1])
        return 200, {"objects": []}

    def serve(self, client: socket.socket) -> None:
        with client:
            reader = client.makefile("rb")
            while not self.stop.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                if _step(request) == self.at:
                    self.misbehave(client, self)
                    return
                code, body = self.answer(request)
                client.sendall(_response(code, json.dumps(body).encode()))


def _status(pending: list[str] | None = None, failed: list[str] | None = None) -> dict[str, Any]:
    pendings = [{"id": object_id} for object_id in pending or []]
    failures = [{"id": object_id, "message": "refused"} for object_id in failed or []]
    return {
        "id": "2d086da7-4bdc-4f91-900e-d77486753717",
        "status": "pending" if pendings else "complete",
        "total_count": len(pendings) + len(failures),
        "success_count": 0,
        "failure_count": len(failures),
        "pending_count": len(pendings),
        "failures": failures,
        "pendings": pendings,
    }


def _read_request(reader: Any) -> Request | None:
    line = reader.readline()
    if not line:
        return None
    method, path, _version = line.decode("latin-1").split(" ", 2)
    length = 0
    while (header := reader.readline()) not in (b"\r\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return Request(method, path, reader.read(length))


def _response(code: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {code} OK", f"Content-Type: {TAXII}", *headers]
    if not any(header.lower().startswith(("content-length", "connection")) for header in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _drip(client: socket.socket, server: Server, data: bytes, *, forever: bytes = b"") -> None:
    """Send ``data`` a byte at a time, then ``forever`` over and over, until the test ends or the client leaves."""
    chunks = [data[i : i + 1] for i in range(len(data))]
    try:
        while not server.stop.is_set():
            if chunks:
                client.sendall(chunks.pop(0))
            elif forever:
                client.sendall(forever)
            else:
                return
            time.sleep(DRIP)
    except OSError:  # the client hung up: what it should do
        return


def trickled_headers(client: socket.socket, server: Server) -> None:
    """A status line, then a header line that never ends, a byte at a time."""
    _drip(client, server, f"HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nX-Pad: ".encode(), forever=b"a")


def trickled_body(client: socket.socket, server: Server) -> None:
    """Whole headers promising a large body, then the body a byte at a time."""
    client.sendall(_response(200, b"", "Content-Length: 100000"))
    _drip(client, server, b"", forever=b" ")


def silence(client: socket.socket, server: Server) -> None:
    """Not a byte: the time to the first byte of the answer."""
    server.stop.wait(60)


@contextmanager
def _accepting(handle: Callable[[socket.socket], None], stop: threading.Event) -> Iterator[int]:
    """Accept connections on 127.0.0.1, each handled by ``handle`` in a thread; yield the port.

    Every thread and connection ends with the block: a thread left running (a handler
    waiting on a kept-alive connection) keeps the toolkit from forking in the tests that
    follow in this process (toolkit/parallel.py)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    clients: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener closed at the end of the test
                return
            client.settimeout(None)
            clients.append(client)
            threads.append(threading.Thread(target=handle, args=(client,), daemon=True))
            threads[-1].start()

    threads.append(threading.Thread(target=accept, daemon=True))
    threads[0].start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        for client in list(clients):
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        for thread in list(threads):
            thread.join(5)


@contextmanager
def hostile_server(at: str, misbehave: Misbehaviour) -> Iterator[str]:
    """A TAXII 2.1 API root on 127.0.0.1 misbehaving at one step; yields its URL."""
    server = Server(at, misbehave)
    with _accepting(server.serve, server.stop) as port:
        yield f"http://127.0.0.1:{port}/api1/"


def _publish_within(corpus: Path, url: str, bound_seconds: float, **options: Any) -> BaseException | object:
    """What publish returned or raised (run in a thread); the test fails if it still runs after ``bound_seconds``."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            server = publishing.TaxiiServer(url, COLLECTION, USER, PASSWORD)
            outcome.append(publishing.publish(corpus, server, poll_seconds=0.1, **options))
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(bound_seconds)
    assert outcome, f"publish still waiting after {bound_seconds} s on a server that misbehaves"
    return outcome[0]


STEPS = [
    "reading the API root",
    "reading the collection",
    "adding objects",
    "reading the status of an addition",
    "reading objects back",
]


# --- publish: every exchange within the time limit --------------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("misbehave", [trickled_headers, trickled_body, silence], ids=lambda f: f.__name__)
def test_a_server_that_trickles_or_withholds_its_answer_at_any_step_is_an_error_naming_the_step_and_the_limit(
    corpus: Path, step: str, misbehave: Misbehaviour
) -> None:
    with hostile_server(step, misbehave) as url:
        outcome = _publish_within(corpus, url, 30, request_timeout=LIMIT)
    assert isinstance(outcome, ToolkitError), outcome
    message = str(outcome)
    assert f"the TAXII server at {url} did not answer in full within 1 s when {step}" in message
    assert "--timeout" in message
    assert PASSWORD not in message


def test_a_server_trickling_well_within_the_limit_is_no_error(corpus: Path) -> None:
    # The API root's answer trickled over about a second, the limit ample: the bound is on a
    # whole exchange, not on a server being slow.
    def slow_root(client: socket.socket, server: Server) -> None:
        code, root = server.answer(Request("GET", "/api1/", b""))
        answer = _response(code, json.dumps(root).encode())
        _drip(client, server, answer[:6])  # its first bytes over about a second
        client.sendall(answer[6:])
        server.serve(client)  # and the next exchanges on the same connection, as usual

    with hostile_server("reading the API root", slow_root) as url:
        outcome = _publish_within(corpus, url, 60, request_timeout=20)
    assert isinstance(outcome, publishing.PublishResult), outcome
    assert outcome.sent > 0
    assert [failure.message for failure in outcome.failures] == ["refused"]  # the one this server refuses


# --- publish: every answer within the size cap ------------------------------------------------------------

CAP = 4096


def _large(how: str) -> Misbehaviour:
    body = json.dumps({"title": "t", "versions": [TAXII], "pad": "x" * (2 * CAP)}).encode()

    def send(client: socket.socket, _server: Server) -> None:
        if how == "declared":  # Content-Length says so: refused before a byte of the body is read
            client.sendall(_response(200, body))
        elif how == "undeclared":  # no Content-Length: read until the server closes, counted
            client.sendall(_response(200, body, "Connection: close"))
        else:  # small on the wire, large once decoded
            packed = gzip.compress(body)
            assert len(packed) < CAP
            client.sendall(_response(200, packed, "Content-Encoding: gzip", f"Content-Length: {len(packed)}"))

    return send


@pytest.mark.parametrize("how", ["declared", "undeclared", "compressed"])
def test_an_answer_larger_than_the_cap_is_an_error_naming_the_cap(
    corpus: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publishing, "MAX_ANSWER_BYTES", CAP)
    with hostile_server("reading the API root", _large(how)) as url:
        outcome = _publish_within(corpus, url, 30, request_timeout=10)
    assert isinstance(outcome, ToolkitError), outcome
    assert str(outcome) == f"the TAXII server at {url} sent an answer larger than {CAP} bytes when reading the API root"


# --- the command: --timeout and its environment variable --------------------------------------------------


@pytest.mark.parametrize("given", ["option", "environment"])
def test_the_command_exits_2_at_the_time_limit_given_by_option_or_environment(
    corpus: Path, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_TAXII_USER", USER)
    monkeypatch.setenv("TOOLKIT_TAXII_PASSWORD", PASSWORD)
    extra = ["--timeout", "1"] if given == "option" else []
    if given == "environment":
        monkeypatch.setenv("TOOLKIT_TAXII_TIMEOUT", "1")
    with hostile_server("reading the API root", trickled_headers) as url:
        result = run_process(
            "publish", "--url", url, "--collection", COLLECTION, "--corpus", str(corpus), *extra,
            cwd=corpus.parent, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "did not answer in full within 1 s when reading the API root" in result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize("limit", ["0", "-1", "nan", "inf"])
def test_a_time_limit_that_is_not_a_positive_number_of_seconds_is_a_usage_error(corpus: Path, limit: str) -> None:
    result = run_process(
        "publish", "--url", "http://127.0.0.1:1/api1/", "--collection", COLLECTION, "--corpus", str(corpus),
        f"--timeout={limit}", cwd=corpus.parent,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "--timeout" in result.stderr


# --- the bounding on a plain requests session -------------------------------------------------------------


@contextmanager
def plain_server(handle: Callable[[socket.socket, Request], None]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering each request of a connection with ``handle``; yields its URL."""

    def serve(client: socket.socket) -> None:
        with client:
            reader = client.makefile("rb")
            while (request := _read_request(reader)) is not None:
                handle(client, request)

    with _accepting(serve, threading.Event()) as port:
        yield f"http://127.0.0.1:{port}/"


def test_each_exchange_has_its_own_deadline_on_a_kept_alive_connection() -> None:
    # Three answers of about 1.5 s each on one connection, 4 s allowed each: a deadline
    # shared by the connection (or the session) would run out during the third.
    connections: set[int] = set()

    def handle(client: socket.socket, _request: Request) -> None:
        connections.add(client.fileno())
        answer = _response(200, b'{"ok": true}')
        for start in range(0, len(answer), len(answer) // 5 + 1):
            client.sendall(answer[start : start + len(answer) // 5 + 1])
            time.sleep(0.3)

    session = requests.Session()
    bound(session, 4.0, 1024)
    with plain_server(handle) as url:
        answers = [session.get(url).json() for _ in range(3)]
    assert answers == [{"ok": True}] * 3
    assert len(connections) == 1


def test_a_server_that_does_not_read_a_large_request_is_an_error_at_the_deadline() -> None:
    # The request's sending is bounded too: a server that never reads fills the socket's
    # buffers, and the client's send waits on it.
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    session = requests.Session()
    bound(session, LIMIT, 1024)
    try:
        with pytest.raises(AnswerTooSlow) as raised:
            session.post(f"http://127.0.0.1:{listener.getsockname()[1]}/", data=b"x" * (32 * 1024 * 1024))
    finally:
        for client in accepted:
            client.close()
        listener.close()
    assert raised.value.seconds == LIMIT


def test_an_answer_within_the_cap_reads_as_usual_and_one_past_it_is_refused() -> None:
    def handle(client: socket.socket, request: Request) -> None:
        size = int(request.path.strip("/"))
        client.sendall(_response(200, b"x" * size))

    session = requests.Session()
    bound(session, 10.0, 1000)
    with plain_server(handle) as url:
        assert session.get(f"{url}1000").content == b"x" * 1000
        with pytest.raises(AnswerTooLarge):
            session.get(f"{url}1001")
