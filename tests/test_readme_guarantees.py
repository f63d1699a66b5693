"""The README's guarantees on bad input name the tests that hold them: each named test exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def guarantees_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## What the toolkit guarantees on bad input")
    return readme[start : readme.index("\n## ", start + 1)]


def test_every_promise_names_at_least_one_test() -> None:
    promises = re.findall(r"^- \*\*(.+?)\*\*(.*?)(?=^- |^\S|\Z)", guarantees_section(), re.M | re.S)

    assert len(promises) >= 15
    untested = [title for title, body in promises if not re.search(r"`test_\w+", body)]
    assert untested == []


def test_every_test_the_guarantees_name_exists() -> None:
    named = set(re.findall(r"`(?:test_\w+\.py::)?(test_\w+)`", guarantees_section()))
    defined = {
        match
        for path in (REPO / "tests").glob("test_*.py")
        for match in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M)
    }

    assert named, "the section names no test"
    assert sorted(named - defined) == []
