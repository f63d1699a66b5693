"""``validate --changed-since REF``: the annotation files a branch changed, asked of git.

"Changed since REF" means what a pull request against REF would show, plus
what is not committed yet: commits since the merge base of REF and HEAD,
staged and unstaged edits, and new files git does not ignore. Deleted files
are left out (there is nothing to check in them). The files found are
validated like paths given on the command line, so their references still
resolve against the whole corpus.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.input_files import is_within_as_named
from toolkit.kinds import KIND_BY_FOLDER, KIND_BY_NAME, YAML_SUFFIXES
from toolkit.loading import (
    corpus_root_of_file,
    find_corpus_root,
    is_hidden,
    load_file,
    working_directory,
    yaml_files_under,
)
from toolkit.model import Report
from toolkit.validation import DEFAULT_CORPUS, check_path_given, refuse_linked_corpus, validate

_SOURCE_FOLDER = KIND_BY_NAME["source"].folder


def _git(args: list[str], cwd: Path) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise ToolkitError("--changed-since needs git, and git is not installed (or not on PATH)") from None
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, args, result.stdout, result.stderr)
    # File names are bytes to git; decode them as the file system does.
    return os.fsdecode(result.stdout)


def _names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def _repository(cwd: Path) -> Path:
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except subprocess.CalledProcessError:
        raise ToolkitError(f"--changed-since needs a git repository, and {cwd} is not inside one") from None


def _merge_base(ref: str, top: Path) -> str:
    unknown = (
        f"--changed-since: {ref!r} is not a commit, branch or tag of this repository "
        "(in a shallow CI checkout, fetch it first: git fetch origin main)"
    )
    if ref.startswith("-"):  # never let a ref be read as an option of git
        raise ToolkitError(unknown)
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    except subprocess.CalledProcessError:
        raise ToolkitError(unknown) from None
    try:
        return _git(["merge-base", ref, "HEAD"], top).strip()
    except subprocess.CalledProcessError:
        raise ToolkitError(
            f"--changed-since: {ref!r} and HEAD have no common history "
            "(in a shallow CI checkout, fetch more of it: git fetch --unshallow)"
        ) from None


def _is_annotation(path: Path, top: Path) -> bool:
    if path.suffix.lower() not in YAML_SUFFIXES:
        return False
    # The folders between the repository's top and the file (never above the top).
    folders = path.relative_to(top).parts[:-1]
    # Hidden files and folders (.github, .git) hold configuration, never records.
    if any(is_hidden(part) for part in (*folders, path.name)):
        return False
    # In a kind folder, or further down in one (which validate reports as misplaced).
    return find_corpus_root(path) is not None or any(part in KIND_BY_FOLDER for part in folders)


def _records_citing_text(text_file: Path) -> list[Path]:
    """The source records beside a changed article text that name it (their checksum check covers it)."""
    root = corpus_root_of_file(text_file)
    found = []
    # Read as the corpus is read: within its root, through the one guarded open.
    for candidate in map(Path, yaml_files_under(os.fspath(text_file.parent))):
        if candidate.parent == text_file.parent:
            record, _findings = load_file(candidate, KIND_BY_NAME["source"], corpus_root=root)
            if record is not None and record.data.get("text") == text_file.name:
                found.append(candidate)
    return found


def changed_annotation_files(ref: str, scope: Sequence[Path] = (), cwd: Path | None = None) -> list[Path]:
    """The annotation files under ``scope`` (default ``annotations``) changed since ``ref``, sorted.

    Raises ToolkitError outside a git repository, or for a ref git does not know.
    """
    return _changes(ref, scope, cwd).files


@dataclass(frozen=True)
class _Changes:
    files: list[Path]  # annotation files changed or added, sorted
    # Corpus folders in which an annotation file or an article text was deleted, or a
    # folder replaced by a link: nothing is left to check in the file, but what referred
    # to it may be broken now, and the corpus walk refuses the link.
    deleted_in: list[Path]


def _changes(ref: str, scope: Sequence[Path], cwd: Path | None) -> _Changes:
    for given in scope or [DEFAULT_CORPUS]:
        check_path_given(given)
        if os.path.isdir(given):
            # The corpus folder replaced by a link on the branch: what the whole-corpus
            # run refuses is refused here too (the link would put the scope elsewhere).
            refuse_linked_corpus(given)
    here = working_directory()
    if cwd is None and here is None:
        raise ToolkitError("--changed-since: the working directory no longer exists; run it inside the repository")
    cwd = Path(os.path.abspath(cwd or here or "."))
    targets = [path if path.is_absolute() else cwd / path for path in (scope or [DEFAULT_CORPUS])]
    top = _repository(cwd)
    base = _merge_base(ref, top)
    # Against the working tree: commits since the merge base, staged and unstaged edits.
    changed = _names(_git(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", base, "--"], top))
    changed += _names(_git(["ls-files", "--others", "--exclude-standard", "-z"], top))
    deleted = _names(_git(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=D", base, "--"], top))
    found: set[Path] = set()
    deleted_in: set[Path] = set()
    for name in changed + deleted:
        # A folder replaced by a link (annotations/events -> elsewhere) shows as a new
        # file, the link, and files deleted below it that still seem to exist through
        # it: the corpus it is in is checked whole, and its walk refuses the link.
        link = _link_on_the_way(top, top / name)
        if link is not None and any(is_within_as_named(link, target) for target in targets):
            root = find_corpus_root(link)
            if root is not None and root.is_dir():
                deleted_in.add(root)
    for name in changed:
        path = top / name
        # A link is a change like any other (the walk refuses one that leads out):
        # the scope is judged by where the link is, not where it leads.
        if not os.path.lexists(path) or not any(is_within_as_named(path, target) for target in targets):
            continue
        if _is_annotation(path, top):
            found.add(path)
        elif _is_source_text(path):
            found.update(_records_citing_text(path))
    for name in deleted:
        path = top / name
        if (
            os.path.lexists(path)
            or not any(is_within_as_named(path, target) for target in targets)
            or not (_is_annotation(path, top) or _is_source_text(path))
        ):
            continue
        root = find_corpus_root(path)
        if root is not None and root.is_dir():
            deleted_in.add(root)
    return _Changes(sorted(found), sorted(deleted_in))


def _link_on_the_way(top: Path, path: Path) -> Path | None:
    """The first folder from the repository's top to ``path`` (the path included) that is a symlink to a folder."""
    current = top
    for part in path.relative_to(top).parts:
        current = current / part
        if os.path.islink(current):
            return current if os.path.isdir(current) else None
    return None


def _is_source_text(path: Path) -> bool:
    return path.suffix == ".txt" and path.parent.name == _SOURCE_FOLDER


def validate_changed_since(
    ref: str,
    scope: Sequence[Path] = (),
    *,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    cache: bool = False,
) -> Report:
    """Validate the annotation files changed since ``ref`` (an empty report when there are none).

    Where files were deleted, their corpus is checked too, and the findings of rules
    that span files (a reference to a deleted record) are reported. ``cache`` as
    for ``toolkit.validation.validate``: the corpus is read through the cache.
    """
    changes = _changes(ref, scope, None)
    if not changes.files and not changes.deleted_in:
        return Report((), 0, 0)
    return validate(changes.files, progress=progress, jobs=jobs, spanning=changes.deleted_in, cache=cache)
