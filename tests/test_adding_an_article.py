"""Adding an article, as docs/annotating.md walks a curator through it, in a fresh clone.

The commands do what a curator cannot do by hand without mistakes (the text's
SHA-256, finding the records to reuse, quotes copied as the text has them, both
sides of a same-as); the rest is typed into the files, as in an editor. Afterwards
the tests that read the live corpus pass in the clone as they are: nothing is
regenerated, no snapshot pins the live corpus.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scratch_git import git

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parent.parent
ARTICLE = (
    "Envoys meet in Ankara\n"
    "\n"
    "Foreign Minister Yair Lapid met Gulf envoys in Ankara on Tuesday, the ministry said.\n"
    "The envoys praised the talks and pledged to meet again.\n"
)
# The live corpus's tests, which a new article must leave green.
LIVE_CORPUS_TESTS = (
    "tests/test_fixtures.py",
    "tests/test_claims_everywhere.py",
    "tests/test_export_csv_claims.py",
    "tests/test_export_stix_claims.py",
    "tests/test_export_jsonld_claims.py",
)


def _fill(path: Path, field: str, value: str) -> None:
    """Type a value after an empty field of a skeleton (its first such line), as a curator does in an editor."""
    text = path.read_text(encoding="utf-8")
    filled, count = re.subn(rf"(?m)^( *){re.escape(field)}:$", rf"\g<1>{field}: {value}", text, count=1)
    assert count == 1, (path, field)
    path.write_text(filled, encoding="utf-8")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPOSITORY / ".git").exists():
        pytest.skip("needs the project's git repository")
    target = tmp_path_factory.mktemp("fresh") / "repo"
    git(tmp_path_factory.getbasetemp(), "clone", "-q", str(REPOSITORY), str(target))
    return target


def toolkit(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``toolkit ARGS`` run in the clone, on the clone's own code."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(clone), "TOOLKIT_CACHE_DIR": str(clone.parent / "cache")},
    )


def test_an_article_added_with_the_commands_leaves_the_suite_green(clone: Path) -> None:
    corpus = clone / "annotations"
    (clone.parent / "envoys.txt").write_text(ARTICLE, encoding="utf-8")

    # 1. The source: the text copied beside its record, its SHA-256 computed.
    assert (
        toolkit(clone, "new", "source", "src-envoys-ankara", "--text", str(clone.parent / "envoys.txt")).returncode == 0
    )
    source = corpus / "sources" / "src-envoys-ankara.yaml"
    _fill(source, "title", "Envoys meet in Ankara")
    _fill(source, "start", '"2022"')
    _fill(source, "precision", "year")
    _fill(source, "note", "The text prints no date; the year is the one the test writes.")
    _fill(source, "language", "en")
    assert toolkit(clone, "cite", "src-envoys-ankara", "src-envoys-ankara", "Envoys meet in Ankara").returncode == 0

    # 2. Reuse: Lapid is found whatever the spelling, and cites the new article too.
    found = toolkit(clone, "find", "LAPİD", "--kind", "actor", "--format", "json")
    assert found.returncode == 0 and '"act-yair-lapid"' in found.stdout
    assert toolkit(clone, "cite", "act-yair-lapid", "src-envoys-ankara", "Foreign Minister Yair Lapid").returncode == 0

    # 3. A new actor and a new event, typed in, their quotes added by cite.
    actor = corpus / "actors" / "act-gulf-envoys.yaml"
    actor.write_text(
        "id: act-gulf-envoys\ntype: population\nname: Gulf envoys\nunnamed: true\nevidence:\n  - source:\n    quote:\n",
        encoding="utf-8",
    )
    assert toolkit(clone, "cite", "act-gulf-envoys", "src-envoys-ankara", "Gulf envoys").returncode == 0
    event = corpus / "events" / "evt-lapid-meets-gulf-envoys.yaml"
    event.write_text(
        "id: evt-lapid-meets-gulf-envoys\ntype: CONSULT/visit\nstatus: reported\n"
        'summary: "Yair Lapid met Gulf envoys in Ankara, as the ministry said."\n'
        "claim:\n  by: act-israel\n  credibility:\n    grade: 2\n"
        '    reason: "A ministry statement about its own minister."\n'
        'date:\n  start: "2022"\n  precision: year\n'
        "participants:\n  - actor: act-yair-lapid\n    role: initiator\n  - actor: act-gulf-envoys\n    role: target\n"
        "evidence:\n  - source:\n    quote:\n",
        encoding="utf-8",
    )
    # Typographic spacing forgiven: cite writes the words as the text has them.
    cited = toolkit(clone, "cite", "evt-lapid-meets-gulf-envoys", "src-envoys-ankara", "met  Gulf envoys in Ankara")
    assert cited.returncode == 0, cited.stdout + cited.stderr

    # 4. The checks, the coverage of the new article, then the live corpus's tests as they are.
    checked = toolkit(clone, "validate", "--strict")
    assert checked.returncode == 0, checked.stdout
    covered = toolkit(clone, "coverage", "src-envoys-ankara", "--format", "json")
    assert covered.returncode == 0 and "src-envoys-ankara" in covered.stdout
    # In one process (-n 0): the suite around this test already has a worker on every core.
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *LIVE_CORPUS_TESTS],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PYTHONPATH": str(clone), "TOOLKIT_CACHE_DIR": str(clone.parent / "cache")},
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and " failed" not in suite.stdout
