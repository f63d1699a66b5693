"""Reading corpus files without hanging, over-reading, or leaving the corpus.

Annotation files and source texts come in pull requests. Whatever a path turns out
to be (a named pipe, ``/dev/zero`` behind a symlink, a directory named like a
file, a file that grows while it is read), reading it ends promptly with its bytes
or with an ``OSError`` that says why not.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# O_NONBLOCK: opening a named pipe must not wait for a writer (the run would hang);
# regular files ignore it. O_NOFOLLOW makes a symlink fail the open with ELOOP, so
# that where a link leads is only looked up for links, at no cost for other files.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


class NotAFile(OSError):
    """The path is a directory, pipe, device or socket: nothing a record is read from."""


class FileTooLarge(OSError):
    """The file holds more bytes than the cap it is read with."""

    def __init__(self, size: int, cap: int) -> None:
        super().__init__(errno.EFBIG, f"the file is {size:,} bytes, more than the cap of {cap:,}")
        self.size, self.cap = size, cap


class OutsideCorpus(OSError):
    """The path is a symlink that leads outside the corpus folder."""

    def __init__(self) -> None:
        super().__init__(errno.EACCES, "a symlink that leads outside the corpus folder is not read")


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path``, with symlinks resolved, lies inside ``folder``."""
    real_folder = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), real_folder]) == real_folder


def read_capped(path: Path | str, cap: int, *, within: Path | None = None) -> bytes:
    """The bytes of a regular file, if it holds at most ``cap`` of them.

    Raises ``NotAFile`` for a directory, pipe, device or socket (reading one could
    block or never end), ``FileTooLarge`` beyond the cap (also for a file that
    grows while it is read), ``OutsideCorpus`` for a symlink that leads outside
    the folder ``within`` (when given), and the ``OSError`` of the open otherwise.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS | (_NO_FOLLOW if within is not None else 0))
    except OSError as error:
        if within is None or error.errno != errno.ELOOP or not os.path.islink(path):
            raise
        if not is_within(Path(path), within):
            raise OutsideCorpus() from None
        fd = os.open(path, _OPEN_FLAGS)
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise NotAFile(errno.EISDIR, "expected a file, found a directory")
        if not stat.S_ISREG(status.st_mode):
            raise NotAFile(errno.EINVAL, "not a regular file (a pipe, device or socket)")
        if status.st_size > cap:
            raise FileTooLarge(status.st_size, cap)
        # The first read asks for one byte more than the file holds: the usual case
        # is two reads (the file, then its end) and no buffer the size of the cap.
        chunks, size, want = [], 0, status.st_size + 1
        while chunk := os.read(fd, min(want, cap + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise FileTooLarge(size, cap)
            want = 1 << 16
        return b"".join(chunks)
    finally:
        os.close(fd)
