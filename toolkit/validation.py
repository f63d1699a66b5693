"""The validation pipeline: load, check against schemas, then check across the corpus."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from toolkit.checks.advisories import check_supersedes
from toolkit.checks.claims import check_claims
from toolkit.checks.dates import check_dates
from toolkit.checks.evidence import check_quotes, check_sources
from toolkit.checks.identity import check_ids
from toolkit.checks.links import check_self_links, check_symmetric_links
from toolkit.checks.names import check_names
from toolkit.checks.references import check_references
from toolkit.checks.schema import check_schema
from toolkit.corpus_index import CorpusIndex
from toolkit.errors import ToolkitError
from toolkit.incremental import CorpusVerdict, check_corpus_cached
from toolkit.input_files import first_link_on_the_way
from toolkit.kinds import KIND_BY_FOLDER
from toolkit.loading import (
    MAX_SEARCH_DEPTH,
    LoadedCorpus,
    annotation_files,
    corpora_under,
    display_path,
    find_corpus_root,
    folder_findings,
    is_hidden,
    load_corpus,
    load_file,
    working_directory,
)
from toolkit.model import Finding, Report
from toolkit.parallel import cycle_collection_paused
from toolkit.rules import RULES
from toolkit.schema_loader import SchemaSet, load_schemas

DEFAULT_CORPUS = Path("annotations")

# The corpus-wide rules, in the order they run; each returns findings.
CORPUS_CHECKS: tuple[Callable[[CorpusIndex], list[Finding]], ...] = (
    check_ids,
    check_references,
    check_sources,
    check_quotes,
    check_dates,
    check_supersedes,
    check_names,
    check_symmetric_links,
    check_self_links,
    check_claims,
)


@dataclass
class CheckedCorpus:
    """A corpus after validation: its index (for exporters) and every finding in it."""

    index: CorpusIndex
    findings: list[Finding]
    files: list[str]
    folders: list[str] = field(default_factory=list)  # folders that could not be read (their findings)


def check_corpus(
    root: Path,
    schemas: SchemaSet | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    jobs: int | None = None,
) -> CheckedCorpus:
    """Load a whole corpus folder (on up to ``jobs`` cores, see ``load_corpus``) and run every check on it."""
    schemas = schemas or load_schemas()
    with cycle_collection_paused():
        loaded = load_corpus(root, progress, jobs=jobs)
        findings = list(loaded.findings)
        findings += check_schema(loaded.records, schemas)
        index, findings = _checks_across_files(loaded, findings, schemas)
    return CheckedCorpus(index, findings, loaded.files, loaded.folders)


def _checks_across_files(
    loaded: LoadedCorpus, findings: list[Finding], schemas: SchemaSet
) -> tuple[CorpusIndex, list[Finding]]:
    """The corpus indexed, and ``findings`` with those of every check across files (``CORPUS_CHECKS``)."""
    index = CorpusIndex(loaded.root, loaded.records, schemas)
    for check in CORPUS_CHECKS:
        findings += check(index)
    return index, findings


def _verdict(
    root: Path,
    schemas: SchemaSet,
    progress: Callable[[int, int], None] | None,
    jobs: int | None,
    cache: bool,
) -> CorpusVerdict:
    """Every finding of a whole corpus, through the cache (``toolkit/cache.py``) when ``cache``."""
    if cache:
        from toolkit.cache import CorpusCache

        opened = CorpusCache.open(root, schemas.schemas)
        verdict, _index = check_corpus_cached(
            root,
            schemas,
            opened,
            partial(_checks_across_files, schemas=schemas),
            progress,
            jobs=jobs,
            checks=CORPUS_CHECKS,
        )
        return verdict
    checked = check_corpus(root, schemas, progress, jobs=jobs)
    return CorpusVerdict(checked.findings, checked.files, checked.folders, [r.file for r in checked.index.records])


def _hidden_below(path: Path, folder: Path) -> bool:
    """Whether the file, or a folder between ``folder`` and it, is hidden (``.sub/x.yaml``)."""
    relative = os.path.relpath(os.path.abspath(path), folder)
    return any(is_hidden(part) for part in Path(relative).parts if part != "..")


def _reading_folder(file: Path) -> str:
    """The folder a file named on its own is read within: the working directory when it is inside it."""
    here, folder = working_directory(), os.path.dirname(os.path.abspath(file))
    if here is not None and (folder == here or folder.startswith(here.rstrip(os.sep) + os.sep)):
        return here
    return folder


def check_path_given(path: Path) -> None:
    """Raise ``ToolkitError`` for a path given to a command that cannot be used, saying why."""
    if not path.is_absolute() and working_directory() is None:
        raise ToolkitError(f"{path}: the working directory no longer exists; give an absolute path")
    try:
        os.lstat(path)
    except FileNotFoundError:
        raise ToolkitError(f"{path}: no such file or folder") from None
    except OSError as error:
        raise ToolkitError(f"{path}: cannot reach it: {error.strerror or error}") from None


def refuse_linked_corpus(root: Path) -> None:
    """Raise ``ToolkitError`` when the corpus folder, or a folder on the way to it, is a symbolic link.

    Kind folders and records that are links are findings of the corpus walk; the
    corpus folder itself is where that walk starts. A pull request can replace
    ``annotations/`` by a link to anywhere, so a link there is never followed
    (checked from the working directory down, or the last folder of a path elsewhere).
    """
    link = first_link_on_the_way(root)
    if link is not None:
        raise ToolkitError(
            f"{display_path(link)}: the corpus folder is reached through a symbolic link "
            f"(to {os.path.realpath(link)}); the toolkit does not read through links a commit can "
            "point anywhere: name the real folder"
        )


def corpus_root(corpus: Path | str) -> Path:
    """The corpus folder that a command named ``corpus`` reads (export, report, find, show), found by validate's rules.

    Raises ``ToolkitError`` for a path that is no corpus.
    """
    corpus = Path(corpus)
    check_path_given(corpus)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: no such corpus folder; run from the repository's root or pass --corpus")
    # The corpus as validate finds it, by the same rules: never through a link a
    # commit can point anywhere, and never an empty export of a folder that holds none.
    refuse_linked_corpus(corpus)
    root = find_corpus_root(corpus)
    if root is None:
        raise ToolkitError(
            f"{corpus}: not a corpus folder (one that holds {', '.join(f'{name}/' for name in KIND_BY_FOLDER)}); "
            "name the corpus folder itself with --corpus"
        )
    refuse_linked_corpus(root)
    return root


def validate(
    paths: Sequence[Path | str] = (),
    *,
    schema_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    spanning: Sequence[Path] = (),
    cache: bool = False,
) -> Report:
    """Validate annotation files and return every finding.

    With no paths, the corpus in ``./annotations`` is checked. With paths, the
    findings of those files are reported, while references are still resolved
    against the whole corpus each file belongs to; the findings of rules that
    span files (``Rule.spans_files``: a reference a deletion broke, an id taken
    twice) are reported in whichever file of that corpus they land, so the
    verdict is the one a whole-corpus run reaches. ``spanning`` names more
    corpus folders, none of whose files is selected, checked for those rules
    alone (a corpus in which a file was deleted).

    With ``cache``, what earlier runs learned is kept under ``.toolkit-cache/``
    beside each corpus (or ``$TOOLKIT_CACHE_DIR``), and only files changed since
    are parsed: the findings are the same (``toolkit/cache.py``).

    ``progress(done, total)`` is called as the files of each corpus are read
    (the CLI draws a line with it). Large corpora are parsed on several cores,
    up to ``jobs`` (see ``load_corpus``).
    """
    targets = [Path(p) for p in paths] or ([] if spanning else [DEFAULT_CORPUS])
    for target in targets:
        check_path_given(target)
    schemas = load_schemas(schema_dir)
    resolved: dict[str, str] = {}  # folders resolved once for every display path
    selected: set[str] = set()
    by_root: dict[Path, list[Path]] = {}
    findings: list[Finding] = []
    records = 0
    for target in targets:
        if os.path.isdir(target):
            # A folder given (annotations/ by default) is where every walk starts: a
            # pull request can make it a link to anywhere, whatever lies below it.
            refuse_linked_corpus(target)
        root = find_corpus_root(target)
        if root is not None:
            refuse_linked_corpus(root)
            by_root.setdefault(root, []).append(target)
            continue
        # In no corpus: a folder may hold corpora (the top of a repository holds
        # annotations/), each checked whole; any other YAML file is checked alone.
        roots, loose, problems = corpora_under(target)
        if not (roots or loose or problems):
            # Never a clean pass on nothing: a corpus deeper than the search, or a typo.
            raise ToolkitError(
                f"{target}: no corpus in it (a folder that holds {', '.join(f'{name}/' for name in KIND_BY_FOLDER)}"
                f", looked for {MAX_SEARCH_DEPTH} folders down) and no YAML file; name the corpus folder itself"
            )
        for found in roots:
            by_root.setdefault(found, []).append(found)
        findings += folder_findings(problems, resolved)
        # Files found in a folder are read within it, a file named on its own within the
        # working directory (or its own folder, named from elsewhere): never through a
        # link out of it, nor through a folder on the way that is one (a hook passes any path).
        within = Path(os.path.abspath(target if target.is_dir() else _reading_folder(target)))
        for path in loose:
            if _hidden_below(path, within):
                continue  # configuration, never a record: as the corpus walk skips it
            selected.add(display_path(path, resolved))
            _record, file_findings = load_file(path, None, corpus_root=within)
            findings += file_findings
    for corpus in spanning:
        refuse_linked_corpus(Path(corpus))
        by_root.setdefault(find_corpus_root(Path(corpus)) or Path(os.path.abspath(corpus)), [])
    for root in sorted(by_root):
        checked = _verdict(root, schemas, progress, jobs, cache)
        if not by_root[root]:
            wanted = set()  # a corpus checked only for what a change broke across files
        elif root in {Path(os.path.abspath(target)) for target in by_root[root]}:
            wanted = set(checked.files)  # the whole corpus: no second walk over its files
        else:
            wanted = {display_path(path, resolved) for path in annotation_files(by_root[root])}
        selected |= wanted
        # A rule that spans files can fire in a file nobody touched (a record deleted,
        # an id taken twice, an article text edited), and a folder that could not be
        # read concerns every file of its corpus: reported wherever they land, so that
        # a run over some files reaches the verdict of a run over all of them.
        findings += [
            f for f in checked.findings if f.file in wanted or f.file in checked.folders or RULES[f.rule].spans_files
        ]
        records += sum(1 for file in checked.record_files if file in wanted)
    return Report.of(findings, len(selected), records)
