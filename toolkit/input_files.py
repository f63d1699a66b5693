"""The one guarded way the toolkit reads corpus files: without hanging, over-reading, or leaving the corpus.

``output_files.py`` is the one guarded way it writes. Annotation files and source
texts come in pull requests. Whatever a path turns out to be (a named pipe,
``/dev/zero`` behind a symlink, a directory named like a file, a file that grows
while it is read), reading it ends promptly with its bytes or with an ``OSError``
that says why not.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# O_NONBLOCK: opening a named pipe must not wait for a writer (the run would hang);
# regular files ignore it. O_NOFOLLOW makes a symlink fail the open with ELOOP, so
# that where a link leads is only looked up for links, at no cost for other files.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


class NotAFile(OSError):
    """The path is a directory, pipe, device or socket: nothing a record is read from."""

    strerror: str  # always given: these errors are raised with their message, and shown as it


class FileTooLarge(OSError):
    """The file holds more bytes than the cap it is read with."""

    strerror: str  # always given (see NotAFile)

    def __init__(self, size: int, cap: int) -> None:
        super().__init__(errno.EFBIG, f"the file is {size:,} bytes, more than the cap of {cap:,}")
        self.size, self.cap = size, cap


class OutsideCorpus(OSError):
    """The path is a symlink that leads outside the corpus folder."""

    strerror: str  # always given (see NotAFile)

    def __init__(self, reason: str = "a symlink that leads outside the corpus folder is not read") -> None:
        super().__init__(errno.EACCES, reason)


def first_link_on_the_way(path: Path | str) -> Path | None:
    """The first symbolic link on the way to ``path`` that a commit could have put there, or None.

    Below the working directory (where a repository's committed files are) every
    folder on the way is looked at; elsewhere only the last one, since the folders
    above a path outside the repository (``/tmp``, a home reached through a link)
    are the user's own.
    """
    absolute = Path(os.path.abspath(path))
    for base in _working_directory_names():
        if absolute.parts[: len(base.parts)] == base.parts and len(absolute.parts) > len(base.parts):
            below = absolute.parts[len(base.parts) :]
            return next(
                (
                    base.joinpath(*below[: count + 1])
                    for count in range(len(below))
                    if os.path.islink(base.joinpath(*below[: count + 1]))
                ),
                None,
            )
    return absolute if os.path.islink(absolute) else None


def _working_directory_names() -> list[Path]:
    """The working directory's real name, and the shell's ``$PWD`` when it names the same folder."""
    try:
        names = [Path(os.getcwd())]
    except OSError:  # the working directory was removed
        return []
    shell = os.environ.get("PWD", "")
    try:
        if os.path.isabs(shell) and shell != str(names[0]) and os.path.samestat(os.stat(shell), os.stat(".")):
            names.append(Path(shell))
    except OSError:
        pass
    return names


def is_within_as_named(path: Path | str, folder: Path | str) -> bool:
    """Whether ``path`` lies inside ``folder``, its folders resolved but not a link at its end.

    A link in the corpus is part of the corpus (the walk names and refuses it
    there); whether it leads out is the guarded open's to decide, not the scope's.
    """
    absolute = os.path.abspath(path)
    named = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))
    real_folder = os.path.realpath(folder)
    return os.path.commonpath([named, real_folder]) == real_folder


def is_within(path: Path | str, folder: Path | str) -> bool:
    """Whether ``path``, with symlinks resolved, lies inside ``folder``."""
    real_folder = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), real_folder]) == real_folder


@dataclass(frozen=True, slots=True)
class Stamp:
    """What identifies one version of a file: where it is on disk and when it last changed.

    A cache keyed by it does not serve a file edited since (a new size, mtime or
    ctime; the ctime cannot be set back by the writer), nor another file at the
    same path (a new inode).
    """

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


class OpenedFile:
    """A regular file opened for reading by ``opened``: its stamp, and its bytes on demand."""

    def __init__(self, fd: int, status: os.stat_result, cap: int) -> None:
        self._fd, self._cap = fd, cap
        self.stamp = Stamp(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)

    def read(self) -> bytes:
        """Every byte of the file; ``FileTooLarge`` if it grew past the cap while being read."""
        # The first read asks for one byte more than the file holds: the usual case
        # is two reads (the file, then its end) and no buffer the size of the cap.
        chunks, size, want = [], 0, self.stamp.size + 1
        while chunk := os.read(self._fd, min(want, self._cap + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > self._cap:
                raise FileTooLarge(size, self._cap)
            want = 1 << 16
        return b"".join(chunks)


@contextmanager
def opened(path: Path | str, cap: int, *, within: Path | str | None = None) -> Iterator[OpenedFile]:
    """Open a regular file of at most ``cap`` bytes; the one way corpus files are opened.

    Raises ``NotAFile`` for a directory, pipe, device or socket (reading one could
    block or never end), ``FileTooLarge`` beyond the cap, ``OutsideCorpus`` for a
    symlink that leads outside the folder ``within`` (when given), and the
    ``OSError`` of the open otherwise. A symlink whose target stays inside
    ``within`` is followed; where it leads is checked on the file actually opened,
    so a link changed between the check and the open cannot lead outside.
    """
    if within is not None and _folder_link_between(within, path):
        raise OutsideCorpus("a folder on the way to the file is a symlink, or lies outside the corpus folder: not read")
    try:
        fd = os.open(path, _OPEN_FLAGS | (_NO_FOLLOW if within is not None else 0))
    except OSError as error:
        if within is None or error.errno != errno.ELOOP or not os.path.islink(path):
            raise
        fd = _open_link_within(path, within)
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise NotAFile(errno.EISDIR, "expected a file, found a directory")
        if not stat.S_ISREG(status.st_mode):
            raise NotAFile(errno.EINVAL, "not a regular file (a pipe, device or socket)")
        if status.st_size > cap:
            raise FileTooLarge(status.st_size, cap)
        yield OpenedFile(fd, status, cap)
    finally:
        os.close(fd)


def _folder_link_between(within: Path | str, path: Path | str) -> bool:
    """Whether a folder between ``within`` and the file at ``path`` is a symlink, or the file is not below it.

    ``O_NOFOLLOW`` guards the last component only: a folder on the way that is a
    link (``sources/sub -> /etc``) would be followed. One ``lstat`` per folder on the
    way; the corpus walk's files have one (their kind folder).
    """
    base, target = os.fspath(within), os.fspath(path)
    # The corpus walk's paths are absolute and plain: normalised only when they may not
    # be (a relative path, '.' or '..' in it), since abspath costs more than the check.
    if not (os.path.isabs(base) and os.path.isabs(target)) or "/." in base or "/." in target:
        base, target = os.path.abspath(base), os.path.abspath(target)
    folder = os.path.dirname(target)
    if folder == base:
        return False
    inside = base if base.endswith(os.sep) else base + os.sep
    if not folder.startswith(inside):
        return True
    current = base
    for part in folder[len(inside) :].split(os.sep):
        current = os.path.join(current, part)
        if os.path.islink(current):
            return True
    return False


def _open_link_within(path: Path | str, within: Path | str) -> int:
    # Where the link leads is checked before the open (opening some devices acts on
    # them) and again on the file actually opened: the file at the link's real path
    # must be that very file (same device and inode; a hard link is the same file,
    # wherever its other names are), so a link changed in between cannot lead out.
    real = os.path.realpath(path)
    if not is_within(real, within):
        raise OutsideCorpus()
    fd = os.open(path, _OPEN_FLAGS)
    try:
        status = os.fstat(fd)
        try:
            there = os.stat(real, follow_symlinks=False)
        except OSError:
            there = None
        if there is None or (there.st_dev, there.st_ino) != (status.st_dev, status.st_ino):
            raise OutsideCorpus()
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_capped(path: Path | str, cap: int, *, within: Path | str | None = None) -> bytes:
    """The bytes of a regular file, if it holds at most ``cap`` of them (see ``opened``)."""
    with opened(path, cap, within=within) as file:
        return file.read()
