"""`toolkit cite` and `toolkit show` print an article's or a record's control characters by their code, never raw.

An article or a name is anyone's text: an ESC in it would clear the curator's
terminal, a bidi override would reorder the line (red team round 4, M8).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from scratch_git import CLEAN_CORPUS

EVENT = "evt-lapid-visits-turkey"
SOURCE = "src-lapid-to-visit-turkey"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "annotations"


def set_article(corpus: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the clean corpus's article, and record the text's new SHA-256."""
    text_file = corpus / "sources" / f"{SOURCE}.txt"
    text = text_file.read_text("utf-8").replace(old, new)
    text_file.write_text(text, "utf-8")
    record = corpus / "sources" / f"{SOURCE}.yaml"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    record.write_text(re.sub(r"sha256: [0-9a-f]+", f"sha256: {digest}", record.read_text("utf-8")), "utf-8")


def test_the_closest_passage_shows_an_escape_sequence_of_the_article_by_its_code(corpus: Path, run_toolkit) -> None:
    set_article(corpus, "The statement said that Lapid", "The statement\x1b[2Jsaid that Lapid")

    result = run_toolkit(["cite", EVENT, SOURCE, "The statement said that Lapid"], expect=1)

    assert "\x1b" not in result.output
    assert "  text:  The statement[\\u001b[2][J]said that Lapid" in result.output


@pytest.mark.parametrize("control", ["\x1c", "\x85"])
def test_a_quote_written_with_a_control_character_is_reported_with_it_escaped(
    corpus: Path, run_toolkit, control: str
) -> None:
    # Python counts U+001C-U+001F and NEL as whitespace: the words match across them.
    set_article(corpus, "The statement said that Lapid", f"The statement{control}said that Lapid")

    result = run_toolkit(["cite", EVENT, SOURCE, "The statement said that Lapid"])

    assert control not in result.output
    assert f'"The statement\\u{ord(control):04x}said that Lapid"' in result.output


def test_show_prints_a_bidi_override_in_a_value_by_its_code(corpus: Path, run_toolkit) -> None:
    actor = corpus / "actors" / "act-turkey.yaml"
    actor.write_text(actor.read_text("utf-8").replace("name: Turkey", 'name: "Tur\\u202ekey"'), "utf-8")

    result = run_toolkit(["show", "act-turkey"])

    assert "\u202e" not in result.output
    assert "  name: Tur\\u202ekey" in result.output
