"""Publish the corpus to a TAXII 2.1 collection: ``toolkit publish``.

The objects published are those of the STIX bundle ``toolkit export --format stix``
writes, built in memory from the corpus after the same validation (a corpus with
errors publishes nothing): what reaches the server is always the corpus as it
stands, never a stale export folder. They are posted in envelopes no larger than
the API root's ``max_content_length``; the status resource of each is followed to
completion, within a time limit, and the result counts what the server accepted,
failed and left pending. An object the server refuses only because it already
holds that version (medallion does) is counted as already there: it has arrived.

Credentials are never written anywhere: not in messages, not in progress, not in
the result. A server's address is shown without any user or password in it.
docs/export-stix.md ("TAXII") says what a user runs and what arrives.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from toolkit.errors import ToolkitError
from toolkit.quoting import visible

# The environment variables each option falls back to (the CLI reads them; the
# library takes values). A password or token is best given this way: a command
# line is visible to every user of the machine.
ENV_URL = "TOOLKIT_TAXII_URL"
ENV_COLLECTION = "TOOLKIT_TAXII_COLLECTION"
ENV_USER = "TOOLKIT_TAXII_USER"
ENV_PASSWORD = "TOOLKIT_TAXII_PASSWORD"
ENV_TOKEN = "TOOLKIT_TAXII_TOKEN"

EXTENSION_DEFINITION = "extension-definition"
# What an envelope adds around its objects: {"objects": [...]} with room to spare.
_ENVELOPE_OVERHEAD = 64
# A server that names no max_content_length gets envelopes of this size at most.
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024
# How long one exchange with the server (connecting, sending, the whole answer) may
# take, by default: past it the server counts as unreachable (--timeout).
REQUEST_TIMEOUT_SECONDS = 60.0
ENV_TIMEOUT = "TOOLKIT_TAXII_TIMEOUT"
# The largest answer read from a server (decoded): a status lists every object of an
# envelope and a read-back 50 objects, far below it; what is larger is no TAXII
# answer to what publish asks, and is refused rather than held in memory.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TaxiiServer:
    """Where to publish: an API root's URL, a collection id, and how to sign in (user and password, or a token).

    The secrets are left out of ``repr``, so that no log or traceback shows them.
    """

    api_root: str
    collection: str
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """The API root's URL as messages show it: without a user, password, query or fragment."""
        return shown_url(self.api_root)

    @property
    def collection_url(self) -> str:
        """The collection's URL under the API root (the id quoted, so it stays one path segment)."""
        root = self.api_root if self.api_root.endswith("/") else self.api_root + "/"
        return f"{root}collections/{urllib.parse.quote(self.collection, safe='')}/"

    def secrets(self) -> list[str]:
        """Every secret this server was given, to be kept out of any text shown."""
        parts = urllib.parse.urlsplit(self.api_root)
        found = [self.password, self.token, parts.password]
        # A password written percent-encoded in the URL reaches the server decoded,
        # and a server that echoes it back echoes the decoded form.
        found += [urllib.parse.unquote(secret) for secret in found if secret]
        return sorted({secret for secret in found if secret}, key=len, reverse=True)


def shown_url(url: str) -> str:
    """A URL without its user, password, query or fragment: safe to print."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number: show nothing of it
        return "<the URL given>"
    if ":" in host:  # an IPv6 address is written in brackets
        host = f"[{host}]"
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


@dataclass(frozen=True)
class Failure:
    """An object the server did not take: its id and the server's message."""

    object_id: str
    message: str


@dataclass(frozen=True)
class PublishResult:
    """What the server made of the objects sent."""

    collection: str
    server: str  # the API root, as shown_url shows it
    sent: int
    accepted: int  # success_count of the status resources
    already_there: int  # refused as a version the collection already holds
    failures: tuple[Failure, ...]
    pending: tuple[str, ...]  # still pending when the time to wait ran out
    left_out: tuple[str, ...]  # objects not sent (extension definitions, on request)

    @property
    def complete(self) -> bool:
        """Whether every object sent is in the collection: none failed, none pending."""
        return not self.failures and not self.pending


Progress = Callable[[str], None]


class _Status(Protocol):
    """What this module reads of a taxii2client Status."""

    status: str
    success_count: int
    failures: list[dict[str, Any]]
    pendings: list[dict[str, Any]]

    def refresh(self) -> None: ...


class _Collection(Protocol):
    """What this module uses of a taxii2client Collection (a test may stand in for it)."""

    def add_objects(self, envelope: bytes, wait_for_completion: bool = ...) -> _Status: ...

    def get_object(self, obj_id: str, **filters: Any) -> dict[str, Any]: ...

    def get_objects(self, **filters: Any) -> dict[str, Any]: ...


def publish(
    corpus: Path | str,
    server: TaxiiServer,
    *,
    leave_out_extension_definitions: bool = False,
    wait_seconds: float = 300.0,
    poll_seconds: float = 1.0,
    request_timeout: float | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> PublishResult:
    """Validate the corpus, build its STIX bundle in memory, and add its objects to a TAXII 2.1 collection.

    ``leave_out_extension_definitions`` sends every object but the
    ``extension-definition`` ones: medallion 3.0 cannot list a collection holding
    one (docs/export-stix.md, "TAXII"). Each envelope's status is followed until
    it is complete, for at most ``wait_seconds`` in all. Each exchange with the
    server (reading the API root and the collection, each envelope, each status
    poll, each read-back) ends within ``request_timeout`` seconds, from connecting
    to the last byte of the answer (``REQUEST_TIMEOUT_SECONDS`` when None), and an
    answer larger than ``MAX_ANSWER_BYTES`` is refused. ``progress`` is told what
    is being done, in counts only.

    Raises ``ExportRefused`` when the corpus has errors (nothing is sent) and
    ``ToolkitError`` for usage, connection and sign-in problems.
    """
    _check_server(server)
    seconds = REQUEST_TIMEOUT_SECONDS if request_timeout is None else request_timeout
    if not (math.isfinite(seconds) and seconds > 0):
        raise ToolkitError(
            f"the time limit of one exchange (--timeout, {ENV_TIMEOUT}) must be a positive number of seconds"
        )
    objects = _bundle_objects(Path(corpus), jobs)
    left_out = (
        [obj["id"] for obj in objects if obj["type"] == EXTENSION_DEFINITION] if leave_out_extension_definitions else []
    )
    sent = [obj for obj in objects if obj["type"] != EXTENSION_DEFINITION] if left_out else objects
    collection, max_length = _open_collection(server, seconds)
    result = push(
        collection, sent, server, max_length, wait_seconds=wait_seconds, poll_seconds=poll_seconds, progress=progress
    )
    return PublishResult(
        collection=server.collection,
        server=server.shown,
        sent=result.sent,
        accepted=result.accepted,
        already_there=result.already_there,
        failures=result.failures,
        pending=result.pending,
        left_out=tuple(left_out),
    )


def _check_server(server: TaxiiServer) -> None:
    try:
        parts = urllib.parse.urlsplit(server.api_root)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a malformed host or port
        usable = False
    if not usable:
        raise ToolkitError(f"{server.shown or 'the URL given'}: not an http(s) URL of a TAXII API root")
    if not server.collection:
        raise ToolkitError("no collection given: name one with --collection or " + ENV_COLLECTION)
    if server.token and (server.user or server.password):
        raise ToolkitError("give a user and password, or a token, not both")
    if bool(server.user) != bool(server.password):
        raise ToolkitError("a user needs a password, and a password a user")


def _bundle_objects(corpus: Path, jobs: int | None) -> list[dict[str, Any]]:
    """The objects of the corpus's STIX bundle, as ``toolkit export`` writes them, after the same checks."""
    from toolkit.exporters import stix, untreated_kinds
    from toolkit.exporting import ExportRefused
    from toolkit.model import Report
    from toolkit.validation import check_corpus, corpus_root

    gaps = untreated_kinds(["stix"])
    if gaps:
        raise ToolkitError("; ".join(gaps) + ": add it (docs/architecture.md, 'Adding a kind')")
    root = corpus_root(corpus)
    checked = check_corpus(root, jobs=jobs)
    report = Report.of(checked.findings, len(checked.files), len(checked.index.records))
    if report.errors:
        raise ExportRefused(report)
    objects: list[dict[str, Any]] = json.loads(stix.bundle_bytes(checked.index))["objects"]
    return objects


class _BearerAuth:
    """Signs each request with ``Authorization: Bearer <token>`` (a requests auth callable)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<token>)"


def _open_collection(server: TaxiiServer, seconds: float) -> tuple[_Collection, int]:
    """The collection to write to, and the largest envelope its API root takes; checked writable.

    Every request made through it (the collection's, its status resources') is one
    exchange bounded as a whole: ``seconds`` from connecting to the answer's last
    byte, ``MAX_ANSWER_BYTES`` of answer. A server that stops answering, or that
    trickles its answer a byte at a time, is an error, not a hang.
    """
    from taxii2client.common import _HTTPConnection
    from taxii2client.v21 import ApiRoot, Collection

    from toolkit.bounded_http import bound

    conn = _HTTPConnection(
        server.user, server.password, version="2.1", auth=_BearerAuth(server.token) if server.token else None
    )
    bound(conn.session, seconds, MAX_ANSWER_BYTES)
    with _answers(server, "reading the API root"):
        api_root = ApiRoot(server.api_root, conn=conn)
        api_root.refresh_information()
        max_length = int(getattr(api_root, "max_content_length", 0) or DEFAULT_MAX_CONTENT_LENGTH)
    with _answers(server, "reading the collection"):
        collection = Collection(server.collection_url, conn=conn)
        collection.refresh()
        writable = bool(collection.can_write)
    if not writable:
        raise ToolkitError(
            f"the collection {server.collection} at {server.shown} does not let these credentials write to it"
        )
    return collection, max_length


@dataclass(frozen=True)
class _Pushed:
    sent: int  # every object offered, whether posted or too large to post
    accepted: int
    already_there: int
    failures: tuple[Failure, ...]
    pending: tuple[str, ...]


def push(
    collection: _Collection,
    objects: list[dict[str, Any]],
    server: TaxiiServer,
    max_length: int,
    *,
    wait_seconds: float = 300.0,
    poll_seconds: float = 1.0,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> _Pushed:
    """Add ``objects`` to ``collection`` in envelopes of at most ``max_length`` bytes; follow each status to the end."""
    statuses: list[_Status] = []
    failures: list[Failure] = []
    sent = 0  # objects posted so far, for the progress line
    envelopes = list(_envelopes(objects, max_length))
    for number, (envelope, ids, too_large) in enumerate(envelopes, start=1):
        failures += [
            Failure(object_id, f"larger than the server takes ({max_length} bytes)") for object_id in too_large
        ]
        if progress:
            progress(f"sending envelope {number}/{len(envelopes)} ({sent}/{len(objects)} objects sent)")
        if ids:
            with _answers(server, "adding objects"):
                statuses.append(collection.add_objects(envelope, wait_for_completion=False))
            sent += len(ids)
    deadline = clock() + wait_seconds
    for status in statuses:
        while status.status != "complete" and clock() < deadline:
            if progress:
                waiting = sum(len(s.pendings or []) for s in statuses if s.status != "complete")
                progress(f"waiting for the server: {waiting} objects pending")
            sleep(poll_seconds)
            with _answers(server, "reading the status of an addition"):
                status.refresh()
    accepted = sum(int(status.success_count or 0) for status in statuses)
    # What a server says is shown to the user: its secrets taken out, its control
    # characters escaped, and entries of the wrong shape read as far as they go.
    pending = tuple(
        _server_text(_entry(item, "id"), server) for status in statuses for item in _listed(status.pendings)
    )
    refused = [
        Failure(_server_text(_entry(item, "id"), server), _server_text(_entry(item, "message"), server))
        for s in statuses
        for item in _listed(s.failures)
    ]
    refused_ids = {failure.object_id for failure in refused}
    held = _held(collection, server, [obj for obj in objects if obj["id"] in refused_ids])
    failures += [failure for failure in refused if failure.object_id not in held]
    already_there = sum(1 for failure in refused if failure.object_id in held)
    return _Pushed(len(objects), accepted, already_there, tuple(failures), pending)


# Objects read back per request when checking what a server refused (under any page size a server sets).
_READ_BACK_BATCH = 50


def _held(collection: _Collection, server: TaxiiServer, objects: list[dict[str, Any]]) -> set[str]:
    """The ids of the objects the collection holds in this very version: a refusal of a repeat is no loss.

    Read back in batches by id; a batch the server cannot answer is read object by
    object, and an object that cannot be read back at all (medallion 3.0 answers
    HTTP 500 for an extension-definition) stays a failure, as the server reported it.
    """
    held: set[str] = set()
    for start in range(0, len(objects), _READ_BACK_BATCH):
        batch = objects[start : start + _READ_BACK_BATCH]
        found = _read_back(collection, server, id=",".join(obj["id"] for obj in batch))
        if found is None:
            found = [item for obj in batch for item in _read_back(collection, server, obj_id=obj["id"]) or []]
        held |= {obj["id"] for obj in batch if obj in found}
    return held


def _read_back(collection: Any, server: TaxiiServer, obj_id: str | None = None, **filters: str) -> list[Any] | None:
    """Objects read back by id (``obj_id``) or by filters; None when the server cannot answer."""
    with _answers(server, "reading objects back"):
        try:
            answer = collection.get_object(obj_id) if obj_id else collection.get_objects(**filters)
        except _http_error():
            return None
    objects = answer.get("objects", []) if isinstance(answer, dict) else []
    return list(objects) if isinstance(objects, list) else []


def _envelopes(objects: list[dict[str, Any]], max_length: int) -> Iterator[tuple[bytes, list[str], list[str]]]:
    """Envelopes of at most ``max_length`` bytes: (the envelope, the ids in it, ids too large for any envelope)."""
    batch: list[bytes] = []
    ids: list[str] = []
    size = _ENVELOPE_OVERHEAD
    for obj in objects:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(text) + _ENVELOPE_OVERHEAD > max_length:
            yield b"", [], [obj["id"]]
            continue
        if batch and size + len(text) + 1 > max_length:
            yield _envelope(batch), ids, []
            batch, ids, size = [], [], _ENVELOPE_OVERHEAD
        batch.append(text)
        ids.append(obj["id"])
        size += len(text) + 1
    if batch:
        yield _envelope(batch), ids, []


def _envelope(objects: list[bytes]) -> bytes:
    return b'{"objects":[' + b",".join(objects) + b"]}"


def _http_error() -> type[Exception]:
    from requests.exceptions import HTTPError

    return HTTPError


class _answers:
    """Turns what the HTTP client raises into one line for the user, with no secret and no URL credentials."""

    def __init__(self, server: TaxiiServer, doing: str) -> None:
        self.server = server
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        if error is None or isinstance(error, ToolkitError):
            return
        message = _message(self.server, self.doing, error)
        if message is not None:
            raise ToolkitError(_redacted(message, self.server)) from None


def _message(server: TaxiiServer, doing: str, error: BaseException) -> str | None:
    """One line for an error of the HTTP client or of taxii2-client; None for anything else (a bug)."""
    import requests.exceptions as http
    from taxii2client.exceptions import AccessError, TAXIIServiceException

    from toolkit.bounded_http import AnswerTooLarge, AnswerTooSlow

    where = server.shown
    if isinstance(error, AnswerTooSlow):
        return (
            f"the TAXII server at {where} did not answer in full within {error.seconds:g} s when {doing} "
            f"(the time limit of one exchange: --timeout, {ENV_TIMEOUT})"
        )
    if isinstance(error, AnswerTooLarge):
        return f"the TAXII server at {where} sent an answer larger than {_size(error.max_bytes)} when {doing}"
    if isinstance(error, http.HTTPError):
        code = getattr(error.response, "status_code", None)
        if code == 401:
            return f"the TAXII server at {where} refused the credentials (HTTP 401) when {doing}"
        if code == 403:
            return f"the TAXII server at {where} does not let these credentials do that (HTTP 403) when {doing}"
        if code == 404:
            return f"no such API root or collection {server.collection} at {where} (HTTP 404) when {doing}"
        if code == 413:
            return f"the TAXII server at {where} found an envelope too large (HTTP 413) when {doing}"
        return f"the TAXII server at {where} answered HTTP {code} when {doing}"
    if isinstance(error, http.Timeout):  # bound() makes a timeout AnswerTooSlow: only a stand-in's gets here
        return f"the TAXII server at {where} did not answer in time when {doing}"
    if isinstance(error, http.ConnectionError):
        return f"cannot reach the TAXII server at {where} when {doing}"
    if isinstance(error, http.TooManyRedirects):
        return f"the TAXII server at {where} redirected too many times when {doing}"
    if isinstance(error, http.InvalidURL | http.MissingSchema | http.InvalidSchema | http.URLRequired):
        return f"{where}: not a usable TAXII URL ({type(error).__name__}) when {doing}"
    if isinstance(error, http.RequestException):  # the answer itself: cut short, its encoding broken...
        return f"the TAXII server at {where} sent an answer that cannot be read ({_unreadable(error)}) when {doing}"
    if isinstance(error, AccessError):
        return f"the collection {server.collection} at {where} does not allow it when {doing}"
    if isinstance(error, TAXIIServiceException):
        # taxii2client's words quote the server's (a Content-Type) and run over lines: its
        # first line, the server's control characters made visible.
        said = _server_text(str(error).splitlines()[0] if str(error) else "", server)
        return f"the TAXII server at {where} gave an answer that is not TAXII 2.1 when {doing}: {said}"
    if isinstance(error, ValueError | KeyError | TypeError):
        # A JSON answer of the wrong shape (a web page, another API): never a traceback.
        return f"the TAXII server at {where} gave an answer that is not TAXII 2.1 when {doing}"
    return None


def _unreadable(error: BaseException) -> str:
    """Why an answer could not be read, in a few words (the name of the error of requests otherwise)."""
    import requests.exceptions as http

    if isinstance(error, http.ChunkedEncodingError):
        return "cut short or malformed"
    if isinstance(error, http.ContentDecodingError):
        return "its compression is broken"
    return type(error).__name__


def _size(count: int) -> str:
    """A byte count as a person reads it: in MiB when it is a whole number of them."""
    mib = 1024 * 1024
    return f"{count // mib} MiB" if count >= mib and count % mib == 0 else f"{count} bytes"


def _listed(entries: object) -> list[object]:
    """A status's list of failures or pendings, or nothing when the server sent something else."""
    return list(entries) if isinstance(entries, list) else []


def _entry(item: object, key: str) -> str:
    """One field of a status entry as text ("" when the entry is not a mapping or lacks it)."""
    value = item.get(key) if isinstance(item, dict) else None
    return "" if value is None else str(value)


def _server_text(text: str, server: TaxiiServer) -> str:
    """Text a server sent, as it may be printed: no secret, no terminal control character."""
    return visible(_redacted(text, server))


def _redacted(text: str, server: TaxiiServer) -> str:
    """``text`` with every secret of ``server`` and every URL's user and password taken out."""
    for secret in server.secrets():
        text = text.replace(secret, "***")
    return re.sub(r"(?<=://)[^/\s@]+@", "", text)
