"""The one guarded way the toolkit writes under an output folder.

Every command that writes (``export``: its lock, marker and staging folders;
``schema``; ``new``) goes through ``OutputFolder``, so these hold by construction
rather than case by case:

- **No link is followed at or below the output folder.** The folder is reached
  by opening each component of its path with ``O_NOFOLLOW`` (all of a relative
  path, and of an absolute one the part below the working directory, since the
  repository one runs in can hold committed links; the ancestors of an absolute
  path elsewhere are the user's own). Everything below is then opened, created,
  renamed and removed relative to the folder's descriptor, again without
  following links. A link where a folder or file should be is an error that
  names where it leads.
- **Regular files only.** A named pipe, device, socket or folder where a file
  should be is an error, found with ``lstat`` and never opened (so never waited
  on); what is opened is opened ``O_NONBLOCK`` and checked again with ``fstat``.
- **Nothing the toolkit did not create is truncated or replaced.** A new file is
  created with ``O_EXCL``; a file is replaced only when the caller recognises its
  content as its own, by writing a temporary file beside it and renaming it over.
- **Permissions as a user expects**: folders ``0o777``, files ``0o666``, both
  less the umask, as ``mkdir`` and shells make them; a file replaced keeps its
  own mode.
- **No partial file is left**: a write that fails part-way (full disk) removes
  the file or temporary file it was writing.

Not promised: safety against another process changing the folders while the
toolkit runs (the folder's descriptor pins the output folder itself, but paths
handed to the exporters are resolved again by name).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from toolkit.errors import ToolkitError

FOLDER_MODE = 0o777  # less the umask, as mkdir(1)
FILE_MODE = 0o666  # less the umask, as a shell's redirection
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_OPEN_FOLDER = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _NONBLOCK | _CLOEXEC

_WHAT = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a folder",
    stat.S_IFREG: "a file",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def describe(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    return _WHAT.get(stat.S_IFMT(mode), "not a regular file")


class OutputRefused(ToolkitError):
    """Something at a path where the toolkit would write is not what it may write over or through."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _link_error(path: Path, role: str) -> OutputRefused:
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        real = "?"
    return OutputRefused(
        path,
        f"is a symbolic link (to {real}); the toolkit does not write through links, "
        f"which a commit can point anywhere: {role}",
    )


def _os_error(error: OSError, path: Path) -> OSError:
    """The same error, naming the whole path rather than a name relative to a descriptor."""
    return OSError(error.errno, error.strerror or str(error), str(path))


def _trusted_start(path: Path) -> tuple[str, tuple[str, ...]]:
    """Where to start walking ``path`` from without checking links, and the components to check.

    A relative path is checked whole, from the working directory. An absolute path
    is checked from the working directory when it lies below it, else only its
    last component is: the ancestors of a place outside the repository one runs
    in (``/tmp``, a home folder reached through a link) are the user's own.
    """
    if not path.is_absolute():
        return ".", path.parts
    for base in _working_directory_names():
        if path.parts[: len(base.parts)] == base.parts and len(path.parts) > len(base.parts):
            return ".", path.parts[len(base.parts) :]
    if path.parent == path:
        return str(path), ()
    return str(path.parent), (path.name,)


def _working_directory_names() -> list[Path]:
    """The absolute names of the working directory: its real path, and the shell's $PWD if it is the same folder."""
    names = [Path(os.getcwd())]
    shell = os.environ.get("PWD", "")
    try:
        if os.path.isabs(shell) and os.path.samestat(os.stat(shell), os.stat(".")):
            names.append(Path(shell))
    except OSError:
        pass
    return names


class OutputFolder:
    """A folder opened without following links, under which files are written only in guarded ways.

    Use as a context manager (or call ``close``). ``path`` is how messages name it.
    """

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    # --- Opening ------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, create: bool, role: str = "pass the real folder instead") -> OutputFolder:
        """Open the folder at ``path``, creating what is missing if ``create``.

        Raises ``ToolkitError`` for a component that is a link or not a folder
        (``role`` says what to do instead) and, with ``create`` false, for a
        missing one (``FileNotFoundError``, an ``OSError``). Other ``OSError``s
        (permissions) name the path.
        """
        path = Path(path)
        start, parts = _trusted_start(path)
        try:
            if create and not os.path.isdir(start):
                os.makedirs(start, FOLDER_MODE, exist_ok=True)
            fd = os.open(start, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        except OSError as error:
            raise _os_error(error, Path(start)) from None
        folder = cls(fd, Path(start))
        try:
            for part in parts:
                child = folder.subfolder(part, create=create, role=role)
                folder.close()
                folder = child
        except BaseException:
            folder.close()
            raise
        folder.path = path
        return folder

    def subfolder(self, name: str, *, create: bool = False, role: str = "pass the real folder instead") -> OutputFolder:
        """The folder ``name`` in this one, never through a link; made (mode 0o777 less umask) if ``create``."""
        path = self.path / name
        if create and self.kind(name) is None:
            try:
                os.mkdir(name, FOLDER_MODE, dir_fd=self.fd)
            except FileExistsError:
                pass  # made meanwhile: checked below like any other
            except OSError as error:
                raise _os_error(error, path) from None
        mode = self.kind(name)
        if mode is not None and stat.S_ISLNK(mode):
            raise _link_error(path, role)
        if mode is not None and not stat.S_ISDIR(mode):
            raise OutputRefused(path, f"exists and is not a folder; {role}")
        try:
            return OutputFolder(os.open(name, _OPEN_FOLDER, dir_fd=self.fd), path)
        except OSError as error:
            if error.errno == errno.ELOOP:  # became a link since the check above
                raise _link_error(path, role) from None
            raise _os_error(error, path) from None

    def close(self) -> None:
        """Let go of the folder's descriptor."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- Looking ------------------------------------------------------------------

    def kind(self, name: str) -> int | None:
        """The ``st_mode`` of ``name`` in this folder, a link itself rather than what it points to; None if absent."""
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return None
        except OSError as error:
            raise _os_error(error, self.path / name) from None

    def names(self) -> list[str]:
        """The names in this folder, sorted."""
        return sorted(os.listdir(self.fd))

    def tree(self) -> dict[str, tuple[str, int, int]]:
        """Every entry below this folder by its relative path ('a/b.csv'), never through a link.

        Each is ``("file", size, mtime_ns)`` for a regular file, ``("folder", 0, 0)``
        for a folder, and ``("other", 0, mode)`` for anything else (a link is not
        followed but listed as what it is).
        """
        found: dict[str, tuple[str, int, int]] = {}
        pending = [""]  # folders to list, by their path below this one; opened one at a time
        while pending:
            below = pending.pop()
            try:
                fd = os.open(below.rstrip("/") or ".", _OPEN_FOLDER, dir_fd=self.fd)
            except OSError as error:
                raise _os_error(error, self.path / below) from None
            try:
                with os.scandir(fd) as entries:
                    for entry in entries:
                        info = entry.stat(follow_symlinks=False)
                        path = below + entry.name
                        if stat.S_ISREG(info.st_mode):
                            found[path] = ("file", info.st_size, info.st_mtime_ns)
                        elif stat.S_ISDIR(info.st_mode):
                            found[path] = ("folder", 0, 0)
                            pending.append(path + "/")
                        else:
                            found[path] = ("other", 0, info.st_mode)
            except OSError as error:
                raise _os_error(error, self.path / below) from None
            finally:
                os.close(fd)
        return found

    def read_regular(self, name: str, limit: int) -> bytes | None:
        """The first ``limit`` bytes of the regular file ``name``; None if it is anything else or absent."""
        mode = self.kind(name)
        if mode is None or not stat.S_ISREG(mode):
            return None
        try:
            fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=self.fd)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            chunks: list[bytes] = []
            left = limit
            while left > 0 and (chunk := os.read(fd, left)):
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    # --- Writing ------------------------------------------------------------------

    def create_file(self, name: str, data: bytes) -> None:
        """Write a new file ``name`` (mode 0o666 less umask); anything already there, even a link, is an error.

        A write that fails
        part-way (a full disk, a size limit) removes the file again: it is new and
        ours, and a truncated file left behind would pass for a whole one.
        """
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, FILE_MODE, dir_fd=self.fd)
        except OSError as error:
            raise _os_error(error, self.path / name) from None
        try:
            with os.fdopen(fd, "wb", closefd=True) as stream:
                stream.write(data)
        except BaseException as error:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=self.fd)
            if isinstance(error, OSError):
                raise _os_error(error, self.path / name) from None
            raise

    def stage_file(self, name: str, data: bytes, *, mode: int | None = None) -> str:
        """Write ``data`` into a new hidden temporary file beside ``name``, to be renamed over it; return its name."""
        temporary = self.unique_name(f".{name}.", ".tmp")
        self.create_file(temporary, data)
        if mode is not None:
            try:
                fd = os.open(temporary, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=self.fd)
                try:
                    os.fchmod(fd, mode)
                finally:
                    os.close(fd)
            except BaseException as error:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=self.fd)
                if isinstance(error, OSError):
                    raise _os_error(error, self.path / name) from None
                raise
        return temporary

    def write_file(
        self, name: str, data: bytes, *, replaces: Callable[[bytes], bool], limit: int, refusal: str
    ) -> None:
        """Write ``name`` whole, replacing a file there only if ``replaces`` judges its first ``limit`` bytes its own.

        The text goes into a temporary file beside it first and is then moved into
        place in one step, so a reader sees the old file or the new one. Raises
        ``ToolkitError`` (ending with ``refusal``) for anything else at ``name``.
        """
        path = self.path / name
        mode = self.kind(name)
        if mode is not None:
            if not stat.S_ISREG(mode):
                raise OutputRefused(path, f"exists and is {describe(mode)}; it is left alone: {refusal}")
            content = self.read_regular(name, limit)
            if content is None or not replaces(content):
                raise OutputRefused(path, f"exists and was not written by the toolkit; it is left alone: {refusal}")
        # The file replaced keeps its permissions (read-only, group-readable, executable).
        temporary = self.stage_file(name, data, mode=None if mode is None else stat.S_IMODE(mode))
        try:
            if mode is None:
                self._link_new(temporary, name, refusal)
            else:
                # Checked again just before the rename: what changed while the temporary
                # file was written is not overwritten (a window remains, of one rename).
                content = self.read_regular(name, limit)
                if content is None or not replaces(content):
                    raise OutputRefused(path, f"changed while it was being written; it is left alone: {refusal}")
                os.rename(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError as error:
            raise _os_error(error, path) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=self.fd)

    def _link_new(self, temporary: str, name: str, refusal: str) -> None:
        # A hard link, unlike a rename, never replaces what appeared at the name meanwhile.
        try:
            os.link(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)
        except FileExistsError:
            raise OutputRefused(
                self.path / name, f"appeared while it was being written; it is left alone: {refusal}"
            ) from None
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            # A file system without hard links: fall back on a rename, checked just before.
            if self.kind(name) is not None:
                raise OutputRefused(
                    self.path / name, f"appeared while it was being written; it is left alone: {refusal}"
                ) from None
            os.rename(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def open_lock(self, name: str) -> int:
        """A descriptor of the lock file ``name`` to ``flock``: made if absent, never truncated, never written.

        Raises ``ToolkitError`` if something other than a regular file is there
        (a link, which could lead to any file; a pipe, which would block).
        """
        path = self.path / name
        mode = self.kind(name)
        if mode is not None and not stat.S_ISREG(mode):
            raise OutputRefused(path, f"exists and is {describe(mode)}, not a lock file the toolkit made; remove it")
        try:
            fd = os.open(name, os.O_RDONLY | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC, FILE_MODE, dir_fd=self.fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _link_error(path, "remove it") from None
            raise _os_error(error, path) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OutputRefused(path, "is not a regular file; remove it")
        return fd

    def unique_name(self, prefix: str, suffix: str = "") -> str:
        """A name in this folder that nothing has: ``prefix`` + random letters + ``suffix``."""
        while True:
            name = f"{prefix}{secrets.token_hex(4)}{suffix}"
            if self.kind(name) is None:
                return name

    def make_unique_folder(self, prefix: str, reserve: Callable[[str], None] | None = None) -> str:
        """Make a new folder ``prefix<random>`` (mode 0o777 less umask, unlike mkdtemp's 0o700); return its name.

        ``reserve`` is given the name before the folder is made (to record it in a journal).
        """
        while True:
            name = self.unique_name(prefix)
            if reserve is not None:
                reserve(name)
            try:
                os.mkdir(name, FOLDER_MODE, dir_fd=self.fd)
                return name
            except FileExistsError:
                continue
            except OSError as error:
                raise _os_error(error, self.path / name) from None

    def rename(self, name: str, new_name: str) -> None:
        """Rename an entry of this folder, never over anything but an empty folder (what rename(2) allows for one)."""
        if self.kind(new_name) is not None:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(self.path / new_name))
        try:
            os.rename(name, new_name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError as error:
            raise _os_error(error, self.path / new_name) from None

    def remove_tree(self, name: str) -> None:
        """Remove the folder ``name`` and all it holds, following no link (a link itself is an error)."""
        try:
            shutil.rmtree(name, dir_fd=self.fd)
        except OSError as error:
            raise _os_error(error, self.path / name) from None
