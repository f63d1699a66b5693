"""Standard output and standard error that fail in one known way, whatever is wrong with them.

The command line replaces ``sys.stdout`` and ``sys.stderr`` with text streams
over a writer of its own (``guard_standard_streams``), so that:

- a stream that cannot be written (a full disk or ``/dev/full``, a closed
  descriptor as ``>&-`` leaves it, a pipe whose reader has gone as ``| head -1``
  leaves it) raises ``OutputStreamError``, which the command line turns into one
  ``Error: cannot write the output: ...`` line and exit code 2, instead of an
  ``OSError`` taken for a bug. After the first failure the stream swallows what
  is written to it, so the interpreter's last flush at exit has nothing to
  complain about (no "Exception ignored" noise);
- text the stream's encoding cannot take (``PYTHONIOENCODING=ascii``, a Latin-1
  terminal, a file name that is not UTF-8 and so holds lone surrogates) is
  written as ``\\uXXXX`` escapes, which read as the same text in JSON (the
  ``json`` and ``sarif`` reports stay valid JSON) and stay readable in text;
- the descriptors 0, 1 and 2 are always open (on ``/dev/null`` if they were
  closed), so no file the toolkit opens later gets one of their numbers and
  receives what is printed.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

ESCAPE_ERRORS = "toolkit-escape"
# Error handlers a user may have asked for (PYTHONIOENCODING=ascii:replace) that never raise.
_FORGIVING_ERRORS = {"replace", "ignore", "backslashreplace", "xmlcharrefreplace", "namereplace", ESCAPE_ERRORS}


class OutputStreamError(Exception):
    """Standard output or standard error cannot be written; nothing more can be said on it."""

    def __init__(self, stream_name: str, reason: str) -> None:
        super().__init__(f"cannot write the output: {stream_name}: {reason}")
        self.stream_name = stream_name


def _escape_unencodable(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each character the encoding lacks as JSON's ``\\uXXXX`` (a surrogate pair above U+FFFF)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    units: list[int] = []
    for character in error.object[error.start : error.end]:
        code = ord(character)
        if code > 0xFFFF:
            code -= 0x10000
            units += [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]
        else:
            units.append(code)
    return "".join(f"\\u{unit:04x}" for unit in units), error.end


codecs.register_error(ESCAPE_ERRORS, _escape_unencodable)


class _GuardedWriter(io.RawIOBase):
    """Writes to a descriptor; the first failure raises ``OutputStreamError``, later writes are swallowed."""

    def __init__(self, fd: int, name: str, *, was_closed: bool) -> None:
        super().__init__()
        self._fd = fd
        self._name = name
        self._was_closed = was_closed
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return not self._was_closed and os.isatty(self._fd)

    def write(self, data: ReadableBuffer, /) -> int:
        # Any buffer, as for RawIOBase: its size in bytes, whatever its item format.
        with memoryview(data) as view:
            size = view.nbytes
        if self.failed:
            return size
        if self._was_closed:
            reason = "it is closed"
        else:
            try:
                return os.write(self._fd, data)
            except OSError as error:
                reason = error.strerror or os.strerror(error.errno or errno.EIO)
        self.failed = True
        raise OutputStreamError(self._name, reason)

    def close(self) -> None:
        # The descriptor is the process's own standard stream: never closed here.
        super().close()


def _closed_descriptors() -> set[int]:
    """Open /dev/null on each of 0, 1, 2 that is closed; return those that were."""
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
            spare = os.open(os.devnull, os.O_RDWR)
            if spare != fd:
                os.dup2(spare, fd)
                os.close(spare)
    return closed


def _guarded(fd: int, name: str, original: TextIO | None, *, was_closed: bool) -> TextIO:
    encoding = getattr(original, "encoding", None) or "utf-8"
    errors = getattr(original, "errors", None)
    raw = _GuardedWriter(fd, name, was_closed=was_closed)
    interactive = raw.isatty()
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=encoding,
        errors=errors if errors in _FORGIVING_ERRORS else ESCAPE_ERRORS,
        newline="\n",
        line_buffering=interactive or fd == 2,
        write_through=fd == 2,
    )


def guard_standard_streams() -> None:
    """Replace ``sys.stdout`` and ``sys.stderr`` by guarded streams on the same descriptors (see the module)."""
    closed = _closed_descriptors()
    for stream in (sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    # Only the process's own streams: one put in their place (a test's capture, a
    # program that embeds the toolkit) is its owner's to handle.
    if sys.stdout is sys.__stdout__:
        sys.stdout = _guarded(1, "standard output", sys.stdout, was_closed=1 in closed)
    if sys.stderr is sys.__stderr__:
        sys.stderr = _guarded(2, "standard error", sys.stderr, was_closed=2 in closed)


def flush_standard_streams() -> None:
    """Flush both streams now, so a failure is an ``OutputStreamError`` here rather than noise at exit."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
