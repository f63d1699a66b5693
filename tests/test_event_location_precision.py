"""An event's location comes with its precision, and a precision with a location.

`location_precision` says whether the place is where it happened (`exact`) or a wider
area the text names for want of anything finer (`wider-area`); one without the other
says nothing, so the event schema requires them together (`dependentRequired`).
"""

from __future__ import annotations

from pathlib import Path

import toolkit
from corpus_overlay import BASE, build_fixture
from toolkit.model import Finding, Severity

EVENT = "events/evt-lapid-visit-turkey.yaml"


def base_corpus_with(tmp_path: Path, old: str, new: str) -> Path:
    """The rule examples' base corpus, with ``old`` replaced by ``new`` in its event."""
    root = build_fixture(BASE, tmp_path / "corpus")
    path = root / EVENT
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def errors_of(root: Path) -> list[Finding]:
    return [finding for finding in toolkit.validate([str(root)]).findings if finding.severity is Severity.ERROR]


def test_an_event_with_its_location_and_its_precision_is_valid(tmp_path: Path) -> None:
    root = base_corpus_with(tmp_path, "location_precision: wider-area\n", "location_precision: exact\n")

    assert errors_of(root) == []


def test_a_location_without_its_precision_is_an_error_in_the_event_file(tmp_path: Path) -> None:
    root = base_corpus_with(tmp_path, "location_precision: wider-area\n", "")

    [error] = errors_of(root)

    assert Path(error.file).as_posix().endswith(EVENT)
    # Placed at the key that is there, as a missing field: not "a dependency" at 1:1.
    assert (error.rule, error.path, error.line, error.column) == ("schema-required", "$.location", 9, 1)
    assert error.message == "'location' needs the field 'location_precision' beside it"


def test_a_precision_without_a_location_is_an_error_in_the_event_file(tmp_path: Path) -> None:
    root = base_corpus_with(tmp_path, "location: loc-turkey\n", "")

    [error] = errors_of(root)

    assert Path(error.file).as_posix().endswith(EVENT)
    assert (error.rule, error.path) == ("schema-required", "$.location_precision")
    assert error.message == "'location_precision' needs the field 'location' beside it"
