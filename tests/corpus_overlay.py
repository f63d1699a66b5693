"""Build the rule example corpora: a shared base corpus plus, per case, only what differs.

``tests/rules/_base/`` is one small valid corpus (the article text once). Each case
``tests/rules/<rule>/<valid|invalid>/`` is an overlay on it:

- every file in the case is added to the base, or replaces the base's file of that path;
- ``_delete.txt`` lists base paths (one a line, ``/``-separated, ``#`` starts a comment)
  that the case removes;
- ``.keep`` only keeps an empty overlay in git: such a case is the base itself.

A change to the shape of a record is then made once in the base and only in the
overlays that carry that record. Symlinks are copied as symlinks, so an overlay can
hold a link that points out of its corpus (``source-text-outside``).

Evidence, whose shape is about to change (a "claims" model), is written in a short
form wherever it is beside the point of a fixture: a record file may end in lines

    # quote src-lapid-visit: Foreign Minister Yair Lapid

which the build turns into the record's ``evidence`` list (``expand_quotes``), the
quote kept exactly as written (plain, or quoted as YAML quotes it). Only this
function knows how evidence is written; files whose evidence is the point of the
test (a quote not in its source, a tab inside a quote) spell it out instead.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent / "rules"
BASE = RULES_DIR / "_base"
# The one corpus every export format is tested on (tests/export_corpus/README.md).
EXPORT_CORPUS = RULES_DIR.parent / "export_corpus"
# The corpus that breaks every rule at once, whose reports are snapshotted (tests/test_reports.py).
REPORT_FIXTURE = RULES_DIR.parent / "report_fixture"
DELETE_LIST = "_delete.txt"
KEEP = ".keep"
# Files of an overlay that say how to build it, never copied into the corpus.
CONTROL_FILES = frozenset({DELETE_LIST, KEEP})
# The short form of evidence: a run of these lines that ends the file.
QUOTE_LINES = re.compile(r"(?:^# quote ([a-z0-9-]+): ([^\n]*)\n)+\Z", re.MULTILINE)
QUOTE_LINE = re.compile(r"^# quote ([a-z0-9-]+): ([^\n]*)\n", re.MULTILINE)
RECORD_SUFFIXES = (".yaml", ".yml")


def expand_quotes(text: str) -> str:
    """``text`` with its trailing ``# quote <source>: <quote>`` lines written as its evidence list."""
    run = QUOTE_LINES.search(text)
    if run is None:
        return text
    items = "".join(f"  - source: {source}\n    quote: {quote}\n" for source, quote in QUOTE_LINE.findall(run.group()))
    return text[: run.start()] + "evidence:\n" + items


def expand_corpus(root: Path) -> None:
    """Write the evidence of every record file under ``root`` that uses the short form."""
    for path in sorted(root.rglob("*")):
        if path.suffix not in RECORD_SUFFIXES or path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # a fixture of bad encoding, kept byte for byte
        expanded = expand_quotes(text)
        if expanded != text:
            path.write_bytes(expanded.encode("utf-8"))


def rule_cases() -> list[Path]:
    """Every case folder, ``tests/rules/<rule>/<valid|invalid>``, sorted; the base is not a case."""
    return sorted(
        path
        for path in RULES_DIR.glob("*/*")
        if path.is_dir() and path.parent != BASE and path.name in {"valid", "invalid"}
    )


def deleted_paths(case: Path) -> list[str]:
    """The base paths the overlay ``case`` removes, as written in its ``_delete.txt``."""
    listing = case / DELETE_LIST
    if not listing.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in listing.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def build_corpus(case: Path, into: Path) -> Path:
    """Write the full corpus of ``case`` (base, then overlay, then deletions) to ``into``; return ``into``.

    ``into`` must not exist yet. A deletion that names no base file is an error in the
    fixture, raised rather than ignored, so that a renamed base file cannot silently
    leave a case testing something else.
    """
    shutil.copytree(BASE, into, symlinks=True)
    for source in sorted(case.rglob("*")):
        relative = source.relative_to(case)
        if relative.as_posix() in CONTROL_FILES or (source.is_dir() and not source.is_symlink()):
            continue
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        if source.is_symlink():
            target.symlink_to(source.readlink())
        else:
            shutil.copyfile(source, target)
    for relative in deleted_paths(case):
        target = into / relative
        if not (target.is_symlink() or target.is_file()):
            raise FileNotFoundError(f"{case / DELETE_LIST}: {relative} is not a file of the base corpus")
        target.unlink()
    expand_corpus(into)
    return into


def build_fixture(folder: Path, into: Path) -> Path:
    """Copy the whole fixture corpus ``folder`` (no overlay) to ``into``, its evidence written out."""
    shutil.copytree(folder, into, symlinks=True)
    expand_corpus(into)
    return into


def build_all(root: Path) -> Path:
    """Build every case at ``root/tests/rules/<rule>/<kind>``, the base beside them, and
    ``root/tests/report_fixture``; return ``root``.

    The layout mirrors the repository, so that a run started in ``root`` names files
    exactly as a run in the repository did when the cases were whole corpora
    (``tests/rules/yaml-tab/invalid/actors/...``): reports and their snapshots keep
    their paths, and a relative symlink of an overlay resolves as it does in git.
    """
    rules = root / "tests" / "rules"
    build_fixture(BASE, rules / BASE.name)
    for case in rule_cases():
        build_corpus(case, rules / case.parent.name / case.name)
    build_fixture(REPORT_FIXTURE, root / "tests" / REPORT_FIXTURE.name)
    return root


@functools.cache
def built_export_corpus() -> Path:
    """The export fixture corpus with its evidence written out, built once per test process.

    A plain path rather than a fixture, because the export tests name it in their
    parametrisations; the folder is removed when the process ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="export-corpus-"))
    atexit.register(shutil.rmtree, folder, True)
    return build_fixture(EXPORT_CORPUS, folder / EXPORT_CORPUS.name)
