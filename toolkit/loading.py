"""Loading: annotation files on disk to records that remember where they came from."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

from toolkit.input_files import FileTooLarge, NotAFile, OutsideCorpus, read_capped
from toolkit.kinds import KIND_BY_FOLDER, KIND_BY_NAME, YAML_SUFFIXES
from toolkit.model import Finding, Kind, Record
from toolkit.parallel import map_in_processes
from toolkit.rules import finding
from toolkit.unsafe_text import UNSAFE_CHARACTER, explain, first_unsafe, hint_for, shown_name
from toolkit.yaml_strict import parse_yaml

# One record per file is a few kilobytes; a cap keeps a mistaken or hostile file
# (a log, a dump, an alias bomb written out) from being parsed at all.
MAX_FILE_BYTES = 1024 * 1024


@dataclass(slots=True)
class LoadedCorpus:
    """Every record of one corpus folder, and the findings of files that failed to load."""

    root: Path
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # Folders that could not be read (no permission, gone, a symlink): their
    # findings concern the whole corpus, whichever of its files were asked for.
    folders: list[str] = field(default_factory=list)


def display_path(path: Path | str, resolved: dict[str, str] | None = None) -> str:
    """The path as findings show it: relative to the working directory when inside it.

    That is ``path.resolve().relative_to(Path.cwd().resolve())``, in strings. A
    scan passes one ``resolved`` dict for all its files so that each folder is
    resolved once: resolving every component of every path took longer than
    parsing the file (performance edit, benchmarks/README.md). A name that is not
    plain text (undecodable bytes, a newline, a control or bidi character) is shown
    quoted and escaped as git shows it, so every report can hold it on one line.
    """
    return shown_name(_display_path(path, resolved))


def display_paths_under(root: str, names: Sequence[str]) -> list[str]:
    """``display_path`` of every ``root/<name>`` that a walk of ``root`` found, at once.

    A walk enters no link to a folder, so each file's real folder is the corpus's
    real folder and the folders of its name: one prefix serves every name, unless
    the working directory lies inside the corpus (files of other folders are then
    shown absolute), or a name must be quoted. A run after an edit names 100,000
    files this way in milliseconds (performance edit, benchmarks/README.md).
    """
    resolved: dict[str, str] = {}
    working = working_directory()
    probe = _display_path(os.path.join(root, "probe"), resolved)
    real_root = _resolved_folder(os.path.join(working or "", root), resolved)
    if working is not None:
        cwd = _resolved_folder(working, resolved)
        if cwd.startswith(os.path.join(real_root, "")):
            return [display_path(os.path.join(root, name), resolved) for name in names]
    prefix = probe[: -len("probe")]
    shown = [prefix + name for name in names] if os.sep == "/" else [prefix + Path(n).as_posix() for n in names]
    joined = "/".join(shown)
    if shown_name(joined) == joined:  # no name needs quoting
        return shown
    return [shown_name(name) for name in shown]


def _display_path(path: Path | str, resolved: dict[str, str] | None) -> str:
    # One naming for every way a file is reached (the corpus walk, a path given as
    # `../x`, a link, `--changed-since`): the real folder plus the name itself, never
    # where a link leads, relative to the working directory inside it and absolute
    # outside it. Two namings of one file once dropped every finding of a file asked
    # for by a path that climbs out of the working directory.
    resolved = {} if resolved is None else resolved
    working = working_directory()
    absolute = os.path.join(working or "", path)
    folder, name = os.path.split(absolute)
    if name in ("", ".", ".."):
        real = os.path.realpath(absolute)
    else:
        real = os.path.join(_resolved_folder(folder, resolved), name)
    if working is not None:
        cwd = _resolved_folder(working, resolved)
        if real == cwd:
            return "."
        inside = cwd if cwd.endswith(os.sep) else cwd + os.sep
        if real.startswith(inside):
            return real[len(inside) :]
    return Path(real).as_posix()


def working_directory() -> str | None:
    """The working directory, or None when it no longer exists (a run with absolute paths still works)."""
    try:
        return os.getcwd()
    except OSError:
        return None


def _resolved_folder(folder: str, resolved: dict[str, str]) -> str:
    real = resolved.get(folder)
    if real is None:
        real = resolved[folder] = os.path.realpath(folder)
    return real


def read_text(path: Path, file: str, corpus_root: Path | None = None) -> tuple[str | None, list[Finding]]:
    """Read a file as strict UTF-8 text, or say why it cannot be.

    With ``corpus_root``, a symlink that leads outside that folder is not read:
    a pull request must not make the run read (and quote) files of the machine.
    Text whose review would differ from its parse (a line break only YAML sees, a
    control, bidi or invisible character) is refused at its place
    (``yaml-unsafe-character``, see ``toolkit/unsafe_text.py``).
    """

    def fail(
        rule: str, message: str, line: int | None = None, column: int | None = None, hint: str | None = None
    ) -> tuple[None, list[Finding]]:
        return None, [finding(file, line, column, rule, message, "", hint)]

    try:
        # One open and one fstat, no stat, is_dir or second open per file
        # (performance edit, benchmarks/README.md); see toolkit/input_files.py.
        raw = read_capped(path, MAX_FILE_BYTES, within=corpus_root)
    except FileTooLarge as error:
        return fail(
            "file-too-large",
            error.strerror,
            hint="one record per file is a few kilobytes; split the file or remove what does not belong",
        )
    except OutsideCorpus as error:
        return fail(
            "file-unreadable", error.strerror, hint="keep the file itself in the corpus folder, not a link to it"
        )
    except NotAFile as error:
        return fail("file-unreadable", error.strerror)
    except FileNotFoundError:
        return fail("file-unreadable", "the file does not exist")
    except OSError as error:
        return fail("file-unreadable", f"cannot read the file: {error.strerror or error}")
    if raw.startswith(b"\xef\xbb\xbf"):
        return fail(
            "yaml-encoding",
            "the file starts with a byte-order mark (BOM)",
            1,
            1,
            hint="save the file as UTF-8 without BOM",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        return fail(
            "yaml-encoding",
            f"byte 0x{raw[error.start]:02x} is not valid UTF-8",
            line,
            column,
            hint="save the file as UTF-8 text",
        )
    refused = refuse_text(text, file)
    return (None, refused) if refused else (text, [])


def refuse_buffer(text: str, file: str) -> list[Finding]:
    """Why an editor's unsaved text cannot be parsed, as ``validate`` would say of it saved.

    Too large, not UTF-8, or unsafe for review: checked before any parse, as a
    file's size is checked before it is read; an unsaved buffer gets no more than a
    file would.
    """
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        line = text.count("\n", 0, error.start) + 1
        column = error.start - (text.rfind("\n", 0, error.start) + 1) + 1
        return [
            finding(
                file,
                line,
                column,
                "yaml-encoding",
                f"the text holds a lone surrogate U+{ord(text[error.start]):04X}, which UTF-8 cannot encode",
                "",
                "remove the character",
            )
        ]
    if size > MAX_FILE_BYTES:
        return [
            finding(
                file,
                None,
                None,
                "file-too-large",
                f"the text is {size} bytes, over the cap of {MAX_FILE_BYTES} bytes for one annotation file",
                "",
                "one record per file is a few kilobytes; split the file or remove what does not belong",
            )
        ]
    return refuse_text(text, file)


def refuse_text(text: str, file: str) -> list[Finding]:
    """Why decoded text cannot be parsed as a record (NUL bytes, a character unsafe for review), or nothing.

    What ``read_text`` checks once the bytes are decoded; the language server
    checks an editor's unsaved text with it.
    """
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [
            finding(
                file,
                line,
                None,
                "yaml-encoding",
                "the file holds NUL bytes: it looks binary, not text",
                "",
                "annotation files are UTF-8 YAML text",
            )
        ]
    unsafe = first_unsafe(text)
    if unsafe is not None:
        return [unsafe_character_finding(text, unsafe, file)]
    return []


def unsafe_character_finding(text: str, index: int, file: str) -> Finding:
    """The finding for a character that makes the reviewed text differ from the parsed text.

    Placed by line feeds, as git, grep and editors count lines (libyaml would count
    the line separators too); the column counts code points.
    """
    char = text[index]
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    more = sum(1 for _ in UNSAFE_CHARACTER.finditer(text, index + 1))
    message = explain(char) + (f" ({more} more such character{'s' if more > 1 else ''} in the file)" if more else "")
    return finding(file, line, column, "yaml-unsafe-character", message, "", hint_for(char))


def find_corpus_root(path: Path) -> Path | None:
    """The corpus folder a path belongs to, by the place records have: ``<root>/<kind folder>/<file>``.

    A folder that holds a kind folder is a root; a kind folder's root is its
    parent; a file's root is its grandparent when its parent is a kind folder.
    Otherwise (a file misplaced in a corpus, a folder below a kind folder) the
    nearest folder above that holds a kind folder is its root, looked for only up
    to the top of the git repository the path is in, and not at all outside a
    repository: a checkout inside a folder that happens to be named like a kind
    folder (``~/sources/``) never makes the run read the folders around it. A
    folder that is the top of a git repository is never taken for a kind folder
    (its parent is outside the repository).
    """
    path = Path(os.path.abspath(path))
    if _is_folder_path(path):
        if _holds_kind_folder(path):
            return path
        root = _root_of_kind_folder(path)
    else:
        root = _root_of_kind_folder(path.parent)
    return root if root is not None else _root_within_repository(path)


def corpus_root_of_file(path: Path) -> Path | None:
    """The corpus root of a record file: its grandparent when its parent is a kind folder."""
    return _root_of_kind_folder(Path(os.path.abspath(path)).parent)


def _is_folder_path(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _holds_kind_folder(folder: Path) -> bool:
    return any(os.path.isdir(folder / name) for name in KIND_BY_FOLDER)


def _root_of_kind_folder(folder: Path) -> Path | None:
    if folder.name not in KIND_BY_FOLDER or folder.parent == folder or os.path.lexists(folder / ".git"):
        return None
    return folder.parent


def _root_within_repository(path: Path) -> Path | None:
    """The nearest folder above ``path`` that holds a kind folder, within its git repository only."""
    above = [folder for folder in path.parents]
    for index, folder in enumerate(above):
        if os.path.lexists(folder / ".git"):
            # ``folder`` is the top of the repository: search it and what lies below it.
            return next((candidate for candidate in above[: index + 1] if _holds_kind_folder(candidate)), None)
    return None


def annotation_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every YAML file named by ``paths`` (files as given, folders searched), sorted.

    A folder that cannot be listed or is a symlink is not entered (the walk of the
    corpus reports it).
    """
    for path in paths:
        if path.is_dir():
            yield from map(Path, yaml_files_under(os.fspath(path)))
        else:
            yield path


def yaml_files_under(
    folder: str, problems: list[tuple[str, str]] | None = None, *, skip: Container[str] = ()
) -> Iterator[str]:
    """The YAML files under a folder, siblings by name, depth first; without recursion.

    What ``sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in YAML_SUFFIXES)``
    finds, in the same order. One scandir per folder and no Path per entry make it
    several times faster (performance edit, benchmarks/README.md). A folder that
    cannot be listed (no permission, gone) or that is a symlink (its files would be
    read from wherever it leads) is not entered, and is added to ``problems`` with
    the reason: an export must not silently lack its records. A stack instead of
    recursion: a tree deeper than Python's recursion limit is walked like any other.
    A folder in ``skip`` (by path) is not entered: the caller walks it elsewhere.
    """
    stack = [_listing(folder, problems)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if is_hidden(entry.name):
            continue
        # A folder (or a link to one) named like a record is yielded too, so that it
        # is reported as "expected a file" rather than silently left out.
        record_like = is_yaml_name(entry.name)
        if record_like:
            yield entry.path
        try:
            if entry.is_dir(follow_symlinks=False):
                if entry.path not in skip:
                    stack.append(_listing(entry.path, problems))
            elif not record_like and entry.is_symlink() and entry.is_dir() and problems is not None:
                problems.append(
                    (entry.path, "a symlink to a folder is not followed: the records it leads to are not read")
                )
        except OSError as error:
            if problems is not None:
                problems.append((entry.path, f"cannot read the folder: {error.strerror or error}"))


def is_hidden(name: str) -> bool:
    """Whether a file or folder is hidden (``.git``, ``.github``, ``.pre-commit-config.yaml``, an editor's
    swap file): configuration, never records, wherever it is, also in a corpus whose kind folders sit at
    the top of its repository."""
    return name.startswith(".")


def is_yaml_name(name: str) -> bool:
    # ``.YAML`` too: an editor on a case-insensitive system may write it, and a record
    # whose suffix differs only in case must not silently drop out of the corpus.
    # (What os.path.splitext(name)[1].lower() in YAML_SUFFIXES says for a name that is not
    # hidden, without splitting it: this runs once per file of the corpus.)
    return name.lower().endswith(YAML_SUFFIXES) and not name.startswith(".")


def _listing(folder: str, problems: list[tuple[str, str]] | None) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as scan:
            return iter(sorted(scan, key=attrgetter("name")))
    except OSError as error:
        if problems is not None:
            problems.append((folder, f"cannot read the folder: {error.strerror or error}"))
        return iter(())


# How far below a folder in no corpus corpora are looked for: a repository keeps its
# corpus near the top (annotations/); `toolkit validate ~` or `/` must not walk a
# whole disk (a red-team case: 152,278 files, 93 s). Name a deeper corpus itself.
MAX_SEARCH_DEPTH = 4


def corpora_under(path: Path) -> tuple[list[Path], list[Path], list[tuple[str, str]]]:
    """What a path that belongs to no corpus holds: the corpus folders under it, the
    YAML files in none of them, and the folders that could not be read.

    A file is returned as it is. In a folder, every folder that holds a kind folder
    is a corpus (not entered further: its own walk reads it); hidden folders and
    files (``.git``, ``.github``, ``.venv``, ``.pre-commit-config.yaml``) hold
    configuration, never records, and are left out. The search goes at most
    ``MAX_SEARCH_DEPTH`` folders down.
    """
    absolute = path.absolute()
    if not absolute.is_dir():
        return [], [path], []
    roots: list[Path] = []
    loose: list[Path] = []
    problems: list[tuple[str, str]] = []
    stack = [(os.fspath(absolute), 0)]
    while stack:
        folder, depth = stack.pop()
        entries = list(_listing(folder, problems))
        if any(entry.name in KIND_BY_FOLDER and _is_folder(entry) for entry in entries):
            roots.append(Path(folder))
            continue
        below = []
        for entry in entries:
            if is_hidden(entry.name):
                continue
            if is_yaml_name(entry.name):
                loose.append(Path(entry.path))
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_SEARCH_DEPTH:
                        below.append((entry.path, depth + 1))
                elif entry.is_symlink() and entry.is_dir() and not is_yaml_name(entry.name):
                    problems.append(
                        (entry.path, "a symlink to a folder is not followed: the records it leads to are not read")
                    )
            except OSError as error:
                problems.append((entry.path, f"cannot read the folder: {error.strerror or error}"))
        stack.extend(reversed(below))
    return sorted(roots), sorted(loose), problems


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def folder_findings(problems: Iterable[tuple[str, str]], resolved: dict[str, str] | None = None) -> list[Finding]:
    """One ``file-unreadable`` finding for each folder a walk could not enter (named as itself, not its target)."""
    resolved = {} if resolved is None else resolved

    def shown(folder: str) -> str:
        parent, name = os.path.split(os.path.normpath(folder))
        above = _display_path(parent, resolved)
        return shown_name(name if above == "." else f"{above}/{name}")

    return [
        finding(
            shown(folder),
            None,
            None,
            "file-unreadable",
            message,
            "",
            "make the folder readable, or keep the records themselves in the corpus folder",
        )
        for folder, message in problems
    ]


def load_file(
    path: Path, kind: Kind | None, file: str | None = None, corpus_root: Path | None = None
) -> tuple[Record | None, list[Finding]]:
    """Read and parse one annotation file (not through a symlink out of ``corpus_root``)."""
    file = file or display_path(path)
    data, findings = parse_file(path, kind, file, corpus_root)
    return (Record(kind, data, file, path) if data is not None and kind is not None else None), findings


def parse_file(
    path: Path, kind: Kind | None, file: str, corpus_root: Path | None = None
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The data of one annotation file, or the findings that say why there is none."""
    text, findings = read_text(path, file, corpus_root)
    if text is None:
        return None, findings
    return parse_text(text, kind, file)


def parse_text(text: str, kind: Kind | None, file: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The data of one annotation file's decoded text, or the findings that say why there is none."""
    result = parse_yaml(text, file)
    if result.data is None:
        return None, result.findings
    if kind is None:
        folders = ", ".join(f"{name}/" for name in KIND_BY_FOLDER)
        return None, [
            finding(
                file,
                None,
                None,
                "file-kind-unknown",
                "cannot tell which kind of record this is from its folder",
                "",
                f"put the file in one of the folders {folders}",
            )
        ]
    return result.data, []


def kind_for(path: Path, root: Path) -> Kind | None:
    """The kind of record a file holds, from the folder it sits in under the corpus root."""
    # ``path.absolute().relative_to(root).parts`` must be (folder, name); in strings,
    # which is five times faster (performance edit, benchmarks/README.md).
    named = os.fspath(path)
    folder = os.path.dirname(named if os.path.isabs(named) else os.path.abspath(named))
    parent, name = os.path.split(folder)
    return KIND_BY_FOLDER.get(name) if parent == os.fspath(root) else None


# Below this many files per process, forking and sending the data back cost more
# than parsing in parallel saves: even at 300 files, 30 ms less (of 220) at 1,000,
# a third less time at 10,000 on two cores (performance edit, benchmarks/README.md).
MIN_FILES_PER_PROCESS = 500

# What loading one file gives: the name findings show, the kind's name, the data or None.
_Loaded = tuple[str, "str | None", "dict[str, Any] | None"]


def load_corpus(
    root: Path, progress: Callable[[int, int], None] | None = None, *, jobs: int | None = None
) -> LoadedCorpus:
    """Load every annotation file under a corpus folder; ``progress(done, total)`` follows the files.

    Large corpora are loaded in forked processes, a share of the files each, on
    up to ``jobs`` cores (see ``toolkit.parallel.map_in_processes``). The records
    and findings are the same either way, in the same order.
    """
    root = root.absolute()
    corpus = LoadedCorpus(root)
    problems: list[tuple[str, str]] = []
    paths = list(map(Path, yaml_files_under(os.fspath(root), problems)))
    corpus.findings.extend(folder_findings(problems))
    corpus.folders.extend(finding.file for finding in corpus.findings)
    work: Callable[[list[Path], bool], tuple[list[_Loaded], dict[int, list[Finding]]]] = partial(
        _load_share, root=root, progress=progress, total=len(paths)
    )
    processes, loaded = map_in_processes(work, paths, jobs=jobs, min_per_process=MIN_FILES_PER_PROCESS)
    for path, (file, kind_name, data), file_findings in loaded:
        corpus.files.append(file)
        if file_findings:
            corpus.findings.extend(file_findings)
        if data is not None and kind_name is not None:
            corpus.records.append(Record(KIND_BY_NAME[kind_name], data, file, path))
    if progress is not None and processes > 1:  # the other shares may have ended last
        progress(len(paths), len(paths))
    return corpus


def _load_share(
    paths: list[Path], first: bool, *, root: Path, progress: Callable[[int, int], None] | None, total: int
) -> tuple[list[_Loaded], dict[int, list[Finding]]]:
    # Only the share loaded in this process reports progress; the others run as fast,
    # so its fraction done stands for the whole. Kinds go back by name, so that a
    # child sends plain strings, and the records get this process's Kind objects.
    progress = progress if first else None
    resolved: dict[str, str] = {}  # folders resolved once for the whole share
    loaded: list[_Loaded] = []
    findings_by_file: dict[int, list[Finding]] = {}
    for done, path in enumerate(paths, 1):
        if progress is not None:
            progress(done * total // len(paths), total)
        file = display_path(path, resolved)
        kind = kind_for(path, root)
        data, findings = parse_file(path, kind, file, root)
        loaded.append((file, kind.name if kind is not None else None, data))
        if findings:
            findings_by_file[done - 1] = findings
    return loaded, findings_by_file
