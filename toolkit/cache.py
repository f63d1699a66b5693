"""The incremental cache: what a run learned about each file, so that the next run parses only what changed.

Kept per corpus under ``.toolkit-cache/`` beside the corpus folder (or under
``$TOOLKIT_CACHE_DIR``), as ruff and mypy keep theirs. Three things are kept:

- **Per file** (in ``SHARDS`` shard files, so that one edit rewrites one shard):
  the file's stamp (device, inode, size, mtime and ctime: ``toolkit.input_files.Stamp``),
  its kind, its parsed data and the findings of its own (loading, strict YAML,
  schema). A file whose stamp is the stored one is not read again. The checks
  across files are generic: whatever ``CORPUS_CHECKS`` holds runs again over the
  records, parsed or taken from the cache, so a new rule needs nothing here.
- **An index of every record** in parts (``toolkit/scope_store.py``): its
  footprint (``toolkit/check_scope.py``: its id, the ids it mentions, its names and
  what it supersedes) and who holds, mentions or bears each id and name, so that a
  run after an edit reads only the parts for the ids the edit touches, and knows
  which records the change reaches without loading any other record.
- **Per corpus** (``state.json``): every file's name and stamp (packed: a run
  compares them whole, and finds the few that differ), the findings of the last
  run, each file's own apart from those of the checks across files, the source
  texts read with their stamps, and the digest of every part of the index it goes
  with (two runs at once never mix one's state with the other's parts: a part is
  believed only with the digest its state names). When nothing changed (the
  same files, folders and texts with the same stamps, seen from the same working
  directory and real corpus folder), they are the verdict, and no record is loaded
  at all; when a few files changed, only they are parsed and only the findings they
  can reach are judged again (``toolkit/incremental.py``).

Never trusted blindly. Everything is keyed by a fingerprint of the toolkit's own
code, its version, the Python version, the libraries whose words or judgement are
in the findings (PyYAML, jsonschema, rapidfuzz...: where installed, and when), the
rules table and the schemas' content;
a file or text modified in the two seconds before a run could be modified again
within the same clock tick, so its stamp is not kept (git's "racy" files); a
symbolic link is never cached (its target can change under an unchanged link).
The files are plain JSON, which cannot run code when read, validated on load
(types, rule ids, kinds); anything unexpected, truncated, foreign or half-written
is ignored and rebuilt, never a wrong verdict. A committed cache cannot pass for
the checkout's: the ctime of each file is the checkout's own, which no commit can
set. Writes go through ``toolkit.output_files.OutputFolder`` (no link followed, a
temporary file renamed into place), so two runs at once each leave whole files;
a folder that cannot be written means a run without the cache, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import stat
import sys
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.kinds import KIND_BY_NAME
from toolkit.model import Finding
from toolkit.output_files import OutputFolder
from toolkit.rules import RULES

CACHE_FOLDER = ".toolkit-cache"
CACHE_ENV = "TOOLKIT_CACHE_DIR"
SHARDS = 256  # a run after an edit reads and rewrites one: some hundreds of kilobytes at 100,000 files
_FORMAT = 3  # 3: stamps packed in the state, the index in parts read where an edit reaches
_MARK = b'{"toolkit-cache":'  # every file of ours starts so; anything else there is left alone
# A file changed this close to a run (ns) may change again within one tick of its
# mtime: its stamp is not kept (git's "racy" index entries).
_RACY_NS = 2_000_000_000
_MAX_CACHE_FILE = 1 << 31

# A stamp as stored: device, inode, size, mtime_ns, ctime_ns.
StampList = list[int]
# A finding as stored: line, column, rule, message, path, hint (the file is the entry's own).
_StoredFinding = list[Any]


# The libraries whose words or judgement are in the findings: PyYAML's problems,
# jsonschema's messages and jsonschema-rs's verdicts, the schemas' regex engine,
# rapidfuzz's hints. An upgrade (pip install -U) rewrites their files.
_LIBRARIES = ("yaml", "jsonschema", "jsonschema_rs", "referencing", "regress", "rapidfuzz")


def _fingerprint(schemas: dict[str, Any]) -> str:
    """What every stored result depends on besides the files: the code, its version, the libraries it
    judges with, the rules, the schemas."""
    from toolkit import __version__

    digest = hashlib.sha256()
    digest.update(f"{_FORMAT}|{__version__}|{sys.version}|{sys.platform}".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    for name in _LIBRARIES:
        digest.update(_library_stamp(name).encode("utf-8", "surrogateescape") + b"\0")
    digest.update(repr(sorted((r.id, r.severity.value, r.spans_files) for r in RULES.values())).encode())
    digest.update(json.dumps(schemas, sort_keys=True, ensure_ascii=True).encode())
    return digest.hexdigest()


def _library_stamp(name: str) -> str:
    """Where a library is installed, with the stamp of its first file (found without importing it)."""
    try:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        status = os.stat(origin) if origin else None
    except (ImportError, ValueError, OSError):
        return f"{name}:?"
    if status is None:
        return f"{name}:-"
    return f"{name}:{origin}:{status.st_ino}:{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}"


def stamp_of(path: str) -> StampList | None:
    """The stamp of a regular file, not through a link; None for anything else (never cached)."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def _racy(stamp: StampList, started_ns: int) -> bool:
    return max(stamp[3], stamp[4]) >= started_ns - _RACY_NS


def cache_base(root: Path) -> Path:
    """Where the caches of a corpus live: ``$TOOLKIT_CACHE_DIR``, else ``.toolkit-cache`` beside the corpus
    (inside it when the corpus is the top of its repository: never in the folder above a repository)."""
    configured = os.path.expanduser(os.environ.get(CACHE_ENV, ""))  # '~/x' from a .env file, unexpanded
    absolute = Path(os.path.abspath(root))
    # A hidden folder, which the walk skips, with a .gitignore of its own.
    beside = (absolute if os.path.lexists(absolute / ".git") else absolute.parent) / CACHE_FOLDER
    if configured:
        # Never inside the corpus: the cache's files (and its .gitignore of '*') would
        # sit among the records and hide new ones from git.
        real_root, real_cache = os.path.realpath(root), os.path.realpath(configured)
        if os.path.commonpath([real_root, real_cache]) == real_root:
            return beside
        return Path(configured)
    return beside


@dataclass
class Entry:
    """What a run learned about one file: its stamp, kind, data and its own findings."""

    stamp: StampList
    kind: str | None
    data: dict[str, Any] | None
    findings: list[_StoredFinding]


def stored(finding: Finding) -> _StoredFinding:
    """A finding as an entry keeps it (its file is the entry's own)."""
    return [finding.line, finding.column, finding.rule, finding.message, finding.path, finding.hint]


def restored(file: str, item: _StoredFinding) -> Finding:
    """A stored finding of ``file``, with the severity today's rules table gives its rule."""
    line, column, rule, message, path, hint = item
    return Finding(file, line, column, rule, RULES[rule].severity, message, path, hint)


def _is_int_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _valid_finding(item: object) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 6
        and _is_int_or_none(item[0])
        and _is_int_or_none(item[1])
        and isinstance(item[2], str)
        and item[2] in RULES
        and isinstance(item[3], str)
        and isinstance(item[4], str)
        and (item[5] is None or isinstance(item[5], str))
    )


def _valid_stamp(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 5
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    )


def _entry(value: object) -> Entry | None:
    """An entry read back, or None when it is not one of ours in every part."""
    if not (isinstance(value, list) and len(value) == 4):
        return None
    stamp, kind, data, findings = value
    if not _valid_stamp(stamp):
        return None
    if not (kind is None or (isinstance(kind, str) and kind in KIND_BY_NAME)):
        return None
    if not (data is None or isinstance(data, dict)) or (data is not None and kind is None):
        return None
    if not (isinstance(findings, list) and all(_valid_finding(item) for item in findings)):
        return None
    return Entry(stamp, kind, data, findings)


def _shard_of(name: str) -> int:
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % SHARDS


class UntrustedCache(Exception):
    """A part of the cache is not the one its state names: the run goes the whole way instead."""


@dataclass
class CorpusCache:
    """The cache of one corpus, opened for a run: read at start, written at the end (``save``)."""

    folder: Path
    fingerprint: str
    root: str
    started_ns: int = field(default_factory=time.time_ns)
    _shards: dict[int, dict[str, Any]] = field(default_factory=dict)
    _document: dict[str, Any] | None = None
    _parts: dict[str, dict[str, Any]] = field(default_factory=dict)  # parts of the index read or made
    _parts_dirty: set[str] = field(default_factory=set)
    _part_digests: dict[str, str] | None = None
    _blobs: dict[str, bytes] = field(default_factory=dict)
    _blobs_dirty: set[str] = field(default_factory=set)
    _blob_digests: dict[str, str] = field(default_factory=dict)  # each blob's, as read or written
    _digests: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 of its body, read or written
    _written: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 of its body, written by this run
    _dirty: set[int] = field(default_factory=set)

    @classmethod
    def open(cls, root: Path, schemas: dict[str, Any], base: Path | None = None) -> CorpusCache:
        """The cache of the corpus at ``root`` (nothing is read or written yet)."""
        # Absolute as the walk takes it (``Path.absolute``), '..' kept: 'link/../corpus' is
        # the corpus beside where the link leads, and a lexical abspath would name another
        # folder, whose texts' stamps the run would watch in place of the corpus's own.
        absolute = os.fspath(Path(root).absolute())
        name = "corpus-" + hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return cls((base or cache_base(root)) / name, _fingerprint(schemas), absolute)

    # --- Reading ------------------------------------------------------------------

    def _read(self, name: str) -> dict[str, Any] | None:
        """One of our files, parsed, if it is ours and of this fingerprint and corpus; else None."""
        body = self._read_body(name)
        if body is None:
            return None
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None
        return document if isinstance(document, dict) else None

    def _read_body(self, name: str) -> bytes | None:
        """The body of one of our files, if it is ours and of this fingerprint and corpus; else None."""
        # Neither the cache's folder nor the one it sits in is followed when a link (red team round 8):
        # a '.toolkit-cache' committed in a corpus at the top of its repository as a link out of it had
        # every run read there (writes already refuse it: ``OutputFolder``).
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        folder_flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow
        try:
            base = os.open(self.folder.parent, folder_flags)
        except OSError:
            return None
        try:
            inner = os.open(self.folder.name, folder_flags, dir_fd=base)
        except OSError:
            return None
        finally:
            os.close(base)
        try:
            fd = os.open(name, os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0), dir_fd=inner)
        except OSError:
            return None
        finally:
            os.close(inner)
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode) or status.st_size > _MAX_CACHE_FILE:
                return None
            with os.fdopen(os.dup(fd), "rb") as stream:
                raw = stream.read()
        except OSError:
            return None
        finally:
            os.close(fd)
        # Two lines: the header (ours, of this fingerprint and corpus, the body's SHA-256),
        # then the body. A file cut short, damaged or half-written fails the checksum.
        head, newline, body = raw.partition(b"\n")
        if not raw.startswith(_MARK) or not newline:
            return None
        try:
            header = json.loads(head)
        except (ValueError, RecursionError):
            return None
        digest = hashlib.sha256(body).hexdigest()
        if header != {"toolkit-cache": self._header(), "sha256": digest}:
            return None
        self._digests[name] = digest
        return body

    def _shard(self, number: int) -> dict[str, Any]:
        shard = self._shards.get(number)
        if shard is None:
            document = self._read(f"shard-{number:03d}.json")
            entries = document.get("entries") if document is not None else None
            shard = self._shards[number] = entries if isinstance(entries, dict) else {}
        return shard

    def holds_entries(self) -> bool:
        """Whether any file's entry may be stored (a first run need not look for each)."""
        if self._shards:
            return True
        if os.path.islink(self.folder.parent) or os.path.islink(self.folder):
            return False  # never read through (``_read_body``)
        try:
            with os.scandir(self.folder) as found:
                return any(item.name.startswith("shard-") for item in found)
        except OSError:
            return False

    def entry_for(self, name: str, stamp: StampList | None) -> Entry | None:
        """The stored entry of file ``name`` (relative to the corpus), if its stamp is still the file's."""
        if stamp is None or _racy(stamp, self.started_ns):
            return None
        entry = _entry(self._shard(_shard_of(name)).get(name))
        if entry is None or entry.stamp != stamp:
            return None
        return entry

    def document(self) -> dict[str, Any] | None:
        """The whole-corpus result of the last run (``state.json``), read once, if it is ours (see ``_read``)."""
        if self._document is None:
            self._document = self._read("state.json") or {}
        return self._document or None

    def part(self, name: str) -> dict[str, Any]:
        """One part of the index (``toolkit/scope_store.py``), read once, if it is the one the state names.

        Raises ``UntrustedCache`` when it is not (missing, damaged, or of another run:
        two runs at once each write whole files, but one's state could sit beside the
        other's parts, so the state names each part's digest and is believed with no other).
        """
        table = self._parts.get(name)
        if table is None:
            expected = self.part_digests().get(name)
            document = self._read(f"{name}.json") if expected is not None else None
            if document is None or self._digests.get(f"{name}.json") != expected:
                raise UntrustedCache(name)
            table = document.get("table")
            if not isinstance(table, dict):
                raise UntrustedCache(name)
            self._parts[name] = table
        return table

    def part_digests(self) -> dict[str, str]:
        """The digest of each part, as the state read names them (or as written since)."""
        if self._part_digests is None:
            named = (self.document() or {}).get("parts")
            valid = isinstance(named, dict) and all(isinstance(v, str) for v in named.values())
            self._part_digests = dict(named) if isinstance(named, dict) and valid else {}
        return self._part_digests

    def put_part(self, name: str, table: dict[str, Any]) -> None:
        """Keep ``table`` as part ``name`` (written by ``save``)."""
        self._parts[name] = table
        self._parts_dirty.add(name)

    def blob(self, name: str) -> bytes | None:
        """One of the state's blobs (bytes kept as they are: the walk's names and stamps), if it is the one the
        state names; None when it is not (missing, damaged, or of another run)."""
        found = self._blobs.get(name)
        if found is None:
            named = (self.document() or {}).get("blobs")
            expected = named.get(name) if isinstance(named, dict) else None
            if not isinstance(expected, str):
                return None
            found = self._read_body(f"{name}.bin")
            if found is None or self._digests.get(f"{name}.bin") != expected:
                return None
            self._blobs[name] = found
            self._blob_digests[name] = expected
        return found

    def put_blob(self, name: str, data: bytes) -> None:
        """Keep ``data`` as blob ``name`` (written by ``save`` before the state that names it)."""
        self._blobs[name] = data
        self._blobs_dirty.add(name)

    def replace_parts(self, parts: dict[str, dict[str, Any]]) -> None:
        """Keep ``parts`` as the whole index, every part written anew."""
        self._parts = dict(parts)
        self._parts_dirty = set(parts)
        self._part_digests = {}

    def trusted(self, stamp: StampList | None) -> bool:
        """Whether a file with ``stamp`` can be served from the cache next run (a regular file, not just written)."""
        return stamp is not None and not _racy(stamp, self.started_ns)

    # --- Writing ------------------------------------------------------------------

    def store(self, name: str, entry: Entry) -> None:
        """Keep what was learned about file ``name``, unless its stamp cannot be trusted next time."""
        if _racy(entry.stamp, self.started_ns):
            self.forget(name)
            return
        number = _shard_of(name)
        self._shard(number)[name] = [entry.stamp, entry.kind, entry.data, entry.findings]
        self._dirty.add(number)

    def forget(self, name: str) -> None:
        """Drop file ``name`` (gone, a link, or not to be trusted)."""
        number = _shard_of(name)
        if self._shard(number).pop(name, None) is not None:
            self._dirty.add(number)

    def keep_only(self, names: Iterable[str]) -> None:
        """Drop every file not in ``names`` (deleted or renamed since), in the shards read this run."""
        keep = set(names)
        for number, shard in self._shards.items():
            for name in [name for name in shard if name not in keep]:
                del shard[name]
                self._dirty.add(number)

    def _header(self) -> dict[str, Any]:
        return {"format": _FORMAT, "fingerprint": self.fingerprint, "root": self.root}

    def save_files(self) -> dict[str, str]:
        """Write the shards, parts and blobs that changed (not the state); return the digests of those written.

        Every file written is named, also one written again as it was read: a part read
        by a run that then went the whole way (too many neighbours) is written with the
        digest it had, and a state leaving it out would not be believed next run.
        Never raises: a cache that cannot be written is a run without it.
        """
        self._written = {}
        self.save(None)
        return dict(self._written)

    def adopt(self, written: dict[str, str], parts: Iterable[str]) -> None:
        """Take for written what ``save_files`` wrote, perhaps in a forked child, with ``parts`` the whole
        index: only the state remains."""
        self._digests.update(written)
        # A part that could not be written is left out: a state without it is not believed.
        self._part_digests = {name: written[file] for name in parts if (file := f"{name}.json") in written}
        self._blob_digests = {file[: -len(".bin")]: digest for file, digest in written.items() if file.endswith(".bin")}
        self._dirty.clear()
        self._parts_dirty.clear()
        self._blobs_dirty.clear()

    def save(self, state: dict[str, Any] | None) -> None:
        """Write the shards that changed, and the whole-corpus result (None: none to keep).

        Never raises: a cache that cannot be written is a run without it.
        """
        try:
            # A folder named by $TOOLKIT_CACHE_DIR may be one of the user's (a repository's top,
            # a home): its '.gitignore' and 'CACHEDIR.TAG' would hide it all from git and from
            # backups. Only a folder made here, or ours by name, is marked; our own always is.
            ours = self.folder.parent.name == CACHE_FOLDER or not os.path.lexists(self.folder.parent)
            with OutputFolder.open(self.folder.parent, create=True, role="the cache is not written") as base:
                if ours:
                    self._mark(base)
                with base.subfolder(self.folder.name, create=True, role="the cache is not written") as folder:
                    self._mark(folder)
                    for number in sorted(self._dirty):
                        self._write(folder, f"shard-{number:03d}.json", {"entries": self._shards[number]})
                    self._dirty.clear()
                    digests = self.part_digests()
                    for name in sorted(self._parts_dirty):
                        digests[name] = self._write(folder, f"{name}.json", {"table": self._parts[name]})
                    self._parts_dirty.clear()
                    for name in sorted(self._blobs_dirty):
                        self._blob_digests[name] = self._write_bytes(folder, f"{name}.bin", self._blobs[name])
                    self._blobs_dirty.clear()
                    if state is not None:  # else the stored one stays, with the parts it names
                        state = {**state, "parts": digests, "blobs": dict(self._blob_digests)}
                        self._write(folder, "state.json", state)
        except (ToolkitError, OSError, ValueError, RecursionError):
            return

    @staticmethod
    def _mark(base: OutputFolder) -> None:
        # Ignored by git and by backup tools wherever it is, as ruff's cache is.
        for name, text in (
            (".gitignore", b"# Made by the toolkit's cache: ignore everything here.\n*\n"),
            ("CACHEDIR.TAG", b"Signature: 8a477f597d28d172789f06886806bc55\n# the toolkit's cache\n"),
        ):
            if base.kind(name) is None:
                # Made by another run meanwhile, or not writable: the cache works without it.
                with contextlib.suppress(ToolkitError, OSError):
                    base.create_file(name, text)

    def _write(self, folder: OutputFolder, name: str, body: dict[str, Any]) -> str:
        # No check for cycles (twice as fast: 100 MB at a cold run); a structure too deep or
        # cyclic raises RecursionError, and the cache is then not written (``save``).
        return self._write_bytes(
            folder, name, json.dumps(body, ensure_ascii=True, separators=(",", ":"), check_circular=False).encode()
        )

    def _write_bytes(self, folder: OutputFolder, name: str, text: bytes) -> str:
        digest = hashlib.sha256(text).hexdigest()
        header = {"toolkit-cache": self._header(), "sha256": digest}
        data = json.dumps(header, separators=(",", ":")).encode("ascii") + b"\n" + text
        folder.write_file(name, data, replaces=lambda old: old.startswith(_MARK), limit=len(_MARK), refusal="")
        self._digests[name] = self._written[name] = digest
        return digest


def stored_findings(value: object) -> list[Finding] | None:
    """Findings of several files as a state keeps them (``[file, *stored(finding)]`` each), or None if not that."""
    if not (
        isinstance(value, list)
        and all(
            isinstance(item, list) and len(item) == 7 and isinstance(item[0], str) and _valid_finding(item[1:])
            for item in value
        )
    ):
        return None
    return [restored(item[0], item[1:]) for item in value]
