"""HTTP exchanges bounded as a whole: a deadline and a size cap for every request of a requests session.

The timeouts of requests (and urllib3 under it) bound each read of the socket, not
a request: a server that sends its answer one byte at a time, each byte within the
timeout, keeps a client waiting for as long as it likes, and that holds for the
status line and the header block as much as for the body (http.client reads them a
line at a time, each line as many reads as the server makes it). Nothing in
requests, urllib3 or taxii2-client bounds a whole exchange, and a watchdog thread
cannot stop a read blocked in another thread cleanly. So the bound is kept where
every byte passes: each connection's socket is wrapped once connected
(``_BoundedSocket``), and before each read or write it is given, as its timeout,
the time left until the exchange's deadline; past the deadline it refuses to read
at all. The same socket counts the bytes it receives against the exchange's budget.

``bound(session, seconds, max_answer_bytes)`` mounts adapters doing this on a
session and wraps its ``request``: each call is one exchange (redirects included),
ending when its answer has been read in full (every answer's body, each redirect's
too, is read here, in chunks, against the size cap after decoding, so that a
compressed answer cannot grow past it either). A call that runs out of time raises
``AnswerTooSlow``, one whose answer is too large ``AnswerTooLarge``: both
``requests`` exceptions, naming the limit. A proxy's answer to CONNECT is read
through a bounded socket as well. What is not bounded here: resolving the host
name (the system's resolver), and the TLS handshakes (with the server, and with an
https proxy), which happen inside urllib3's ``connect`` before the socket can be
wrapped (each is bounded in all by the connect timeout, which is never more than
the time left: CPython's ssl module keeps one deadline for a handshake).
"""

from __future__ import annotations

import functools
import io
import socket
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import requests.exceptions
import urllib3.exceptions

# The answer's body is read in chunks of this size (after decoding).
_CHUNK = 64 * 1024
# Bytes an answer may take on the wire beyond its body's cap: its status line and
# header block, chunk framing, and the bodies of redirects followed on the way.
_WIRE_HEADROOM = 1024 * 1024
# The longest a socket is asked to wait at a time: a socket cannot wait longer than the
# system's time_t holds (OverflowError past some 292 years), and a time limit may be any
# positive number; the exchange's deadline stays the one given.
_LONGEST_WAIT = 24 * 3600.0


class AnswerTooSlow(requests.exceptions.Timeout):
    """An exchange (connecting, sending, the whole answer) took longer than its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class AnswerTooLarge(requests.exceptions.RequestException):
    """An answer was larger than the cap, on the wire or once decoded."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"an answer larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


@dataclass
class _Exchange:
    """One request under way: when it must be over, and how many bytes it may still receive."""

    deadline: float
    wire_budget: int
    clock: Callable[[], float]
    received: int = 0

    def left(self) -> float:
        return self.deadline - self.clock()


class _DeadlinePassed(Exception):
    """Raised by a socket past its exchange's deadline: no OSError, so that no layer retries or renames it."""


class _OverBudget(Exception):
    """Raised by a socket that has received more than its exchange may take."""


# The exchange under way in this thread (taxii2-client is synchronous: one at a time).
# A socket read outside any exchange keeps the plain per-read timeout.
_CURRENT: ContextVar[_Exchange | None] = ContextVar("bounded_http_exchange", default=None)


class _BoundedSocket:
    """A connected socket whose every read and write ends by the current exchange's deadline.

    Everything else is the wrapped socket's. ``makefile`` and ``close`` keep the
    socket module's own protocol (a file made from the socket keeps it open until
    the file is closed: http.client closes a connection while its response is still
    being read), counted here since the files read through this wrapper.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._timeout: float | None = sock.gettimeout()
        self._io_refs = 0
        self._closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def fileno(self) -> int:
        """The wrapped socket's file descriptor (what select and poll wait on)."""
        number: int = self._sock.fileno()
        return number

    def settimeout(self, value: float | None) -> None:
        """The per-read timeout urllib3 asks for; a read waits no longer than the exchange's time left either."""
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        """The per-read timeout last set."""
        return self._timeout

    def _arm(self) -> _Exchange | None:
        exchange = _CURRENT.get()
        if exchange is None:
            self._sock.settimeout(self._timeout)
            return None
        left = exchange.left()
        if left <= 0:
            raise _DeadlinePassed
        self._sock.settimeout(min(left, _LONGEST_WAIT, _LONGEST_WAIT if self._timeout is None else self._timeout))
        return exchange

    def _received(self, exchange: _Exchange | None, count: int) -> None:
        if exchange is not None:
            exchange.received += count
            if exchange.received > exchange.wire_budget:
                raise _OverBudget

    def recv_into(self, buffer: Any, *args: Any) -> int:
        """Read into ``buffer`` by the deadline (http.client reads through this, via ``makefile``)."""
        exchange = self._arm()
        try:
            count: int = self._sock.recv_into(buffer, *args)
        except TimeoutError:
            if exchange is not None and exchange.left() <= 0:
                raise _DeadlinePassed from None
            raise
        self._received(exchange, count)
        return count

    def recv(self, size: int, *args: Any) -> bytes:
        """Read up to ``size`` bytes by the deadline."""
        exchange = self._arm()
        try:
            data: bytes = self._sock.recv(size, *args)
        except TimeoutError:
            if exchange is not None and exchange.left() <= 0:
                raise _DeadlinePassed from None
            raise
        self._received(exchange, len(data))
        return data

    def send(self, data: Any, *args: Any) -> int:
        """Send what the socket takes of ``data`` by the deadline."""
        exchange = self._arm()
        try:
            count: int = self._sock.send(data, *args)
        except TimeoutError:
            if exchange is not None and exchange.left() <= 0:
                raise _DeadlinePassed from None
            raise
        return count

    def sendall(self, data: Any, *args: Any) -> None:
        """Send all of ``data`` by the deadline: a server that reads slowly is bounded too.

        A send at a time, each given the time left (an SSL socket's own ``sendall``
        gives each of its sends the whole timeout again).
        """
        view = memoryview(data).cast("B")
        while view:
            view = view[self.send(view, *args) :]

    def makefile(self, mode: str = "r", buffering: int | None = None, **_text: Any) -> Any:
        """A binary reader whose reads go through this wrapper (the only kind http.client makes)."""
        if mode not in ("r", "rb"):
            raise ValueError(f"a bounded socket makes binary readers only, not {mode!r}")
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]  # it reads through recv_into
        self._io_refs += 1
        if buffering == 0:
            return raw
        return io.BufferedReader(raw, io.DEFAULT_BUFFER_SIZE if buffering is None or buffering < 0 else buffering)

    def _decref_socketios(self) -> None:
        # Called by a file made by makefile when it is closed (the socket module's protocol).
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def close(self) -> None:
        """Close the socket once no file made from it is open."""
        self._closed = True
        if self._io_refs <= 0:
            self._sock.close()


class _BoundedConnection:
    """Mixed into a urllib3 connection class: its socket is wrapped once connected."""

    timeout: Any
    sock: Any

    def connect(self) -> None:
        exchange = _CURRENT.get()
        if exchange is not None:
            left = exchange.left()
            if left <= 0:
                raise _DeadlinePassed
            if isinstance(self.timeout, int | float):  # the connect timeout: never more than the time left
                self.timeout = min(self.timeout, left)
        super().connect()  # type: ignore[misc]  # the urllib3 class this is mixed into
        self.sock = _BoundedSocket(self.sock)

    def _tunnel(self) -> None:
        # A proxy's answer to CONNECT is read inside connect(), before the socket above is
        # wrapped: read through a bounded socket too, or a proxy trickling it keeps us waiting.
        plain = self.sock
        self.sock = _BoundedSocket(plain)
        try:
            super()._tunnel()  # type: ignore[misc]  # http.client's, under urllib3's connection
        finally:
            if self.sock is not None:  # else closed: the proxy refused the tunnel
                self.sock = plain


@functools.cache
def _bounded_pool(pool_class: type[Any]) -> type[Any]:
    """``pool_class`` making connections of its own class with ``_BoundedConnection`` mixed in."""
    connection = type(f"Bounded{pool_class.ConnectionCls.__name__}", (_BoundedConnection, pool_class.ConnectionCls), {})
    return type(f"Bounded{pool_class.__name__}", (pool_class,), {"ConnectionCls": connection})


def _bound_pools(manager: Any) -> None:
    # Every scheme the manager serves (http, https, and a SOCKS proxy manager's own),
    # each with its own connection class kept: the wrapping is mixed in, not swapped.
    manager.pool_classes_by_scheme = {
        scheme: _bounded_pool(pool_class) for scheme, pool_class in manager.pool_classes_by_scheme.items()
    }


class _BoundedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, its connections (direct or through a proxy) made with bounded sockets."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _bound_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        fresh = proxy not in self.proxy_manager
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if fresh:
            _bound_pools(manager)
        return manager


def bound(
    session: requests.Session,
    seconds: float,
    max_answer_bytes: int,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Bound every request of ``session``: at most ``seconds`` in all, at most ``max_answer_bytes`` of answer.

    Each request, from connecting to the last byte of its answer (redirects
    followed included), ends within ``seconds`` or raises ``AnswerTooSlow``; an
    answer whose body is larger than ``max_answer_bytes`` (declared, received or
    decoded) raises ``AnswerTooLarge``. The answer comes back read in full, as
    ``requests`` gives it without ``stream=True``.
    """
    adapter = _BoundedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    original = session.request

    def read_in_full(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        # Every answer of an exchange, read against the cap as it arrives: a redirect's too,
        # whose body requests otherwise reads itself, decoded and whole, before following it.
        _read_body(response, max_answer_bytes)

    session.hooks["response"].append(read_in_full)

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = min(seconds, _LONGEST_WAIT)  # each wait of the socket; the deadline is below
        kwargs["stream"] = True  # the body is read by the hook above, against the cap
        exchange = _Exchange(clock() + seconds, max_answer_bytes + _WIRE_HEADROOM, clock)
        token = _CURRENT.set(exchange)
        try:
            response: requests.Response = original(method, url, *args, **kwargs)
            return response
        except _DeadlinePassed:
            raise AnswerTooSlow(seconds) from None
        except _OverBudget:
            raise AnswerTooLarge(max_answer_bytes) from None
        except requests.exceptions.RequestException as error:
            if isinstance(error, AnswerTooSlow | AnswerTooLarge):
                raise
            if exchange.left() <= 0:  # a timeout of the socket, or of connecting, at the deadline
                raise AnswerTooSlow(seconds) from None
            raise
        finally:
            _CURRENT.reset(token)

    session.request = request  # type: ignore[method-assign,assignment]  # the same call, bounded


def _read_body(response: requests.Response, max_bytes: int) -> None:
    """Read the answer's body in full, decoded, refusing it past ``max_bytes``; ``response`` then reads as usual."""
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        response.close()
        raise AnswerTooLarge(max_bytes)
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in response.raw.stream(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                response.close()
                raise AnswerTooLarge(max_bytes)
            parts.append(chunk)
    # The errors of urllib3 as requests itself renames them when it reads a body (Response.iter_content).
    except urllib3.exceptions.ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from None
    except urllib3.exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error) from None
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.exceptions.ConnectionError(error) from None
    except urllib3.exceptions.SSLError as error:
        raise requests.exceptions.SSLError(error) from None
    # What was read stands in for the socket: Response.content and .json() read it.
    response.raw = io.BytesIO(b"".join(parts))
