"""Build the rule example corpora: a shared base corpus plus, per case, only what differs.

``tests/rules/_base/`` is one small valid corpus (the article text once). Each case
``tests/rules/<rule>/<valid|invalid>/`` is an overlay on it:

- every file in the case is added to the base, or replaces the base's file of that path;
- ``_delete.txt`` lists base paths (one a line, ``/``-separated, ``#`` starts a comment)
  that the case removes;
- ``.keep`` only keeps an empty overlay in git: such a case is the base itself.

A change to the shape of a record (evidence, say) is then made once in the base and
only in the overlays that carry that record. Symlinks are copied as symlinks, so an
overlay can hold a link that points out of its corpus (``source-text-outside``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent / "rules"
BASE = RULES_DIR / "_base"
DELETE_LIST = "_delete.txt"
KEEP = ".keep"
# Files of an overlay that say how to build it, never copied into the corpus.
CONTROL_FILES = frozenset({DELETE_LIST, KEEP})


def rule_cases() -> list[Path]:
    """Every case folder, ``tests/rules/<rule>/<valid|invalid>``, sorted; the base is not a case."""
    return sorted(path for path in RULES_DIR.glob("*/*")
                  if path.is_dir() and path.parent != BASE and path.name in {"valid", "invalid"})


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
    return into


def build_all(root: Path) -> Path:
    """Build every case at ``root/tests/rules/<rule>/<kind>``, the base beside them; return ``root``.

    The layout mirrors the repository, so that a run started in ``root`` names files
    exactly as a run in the repository did when the cases were whole corpora
    (``tests/rules/yaml-tab/invalid/actors/...``): reports and their snapshots keep
    their paths, and a relative symlink of an overlay resolves as it does in git.
    """
    rules = root / "tests" / "rules"
    shutil.copytree(BASE, rules / BASE.name, symlinks=True)
    for case in rule_cases():
        build_corpus(case, rules / case.parent.name / case.name)
    return root
