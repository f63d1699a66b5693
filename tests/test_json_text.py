"""The JSON exports are written by orjson, byte for byte what the standard library writes."""

from __future__ import annotations

import json

from pathlib import Path

import pytest

from toolkit.corpus_index import CorpusIndex
from toolkit.exporters import json_text, jsonld, stix
from toolkit.validation import check_corpus

REAL_CORPUS = Path(__file__).parent.parent / "annotations"


@pytest.fixture(scope="module")
def real_corpus_index() -> CorpusIndex:
    checked = check_corpus(REAL_CORPUS)
    assert not checked.findings
    return checked.index


def _stdlib_text(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_real_corpus_graph_is_the_bytes_the_standard_library_writes(real_corpus_index: CorpusIndex) -> None:
    document = jsonld.build_document(real_corpus_index)
    assert json_text.to_bytes(document) == _stdlib_text(document).encode("utf-8")


def test_the_real_corpus_bundle_is_the_bytes_the_standard_library_writes(real_corpus_index: CorpusIndex) -> None:
    # The objects are written once and nested into the bundle: the same bytes as writing it whole.
    text = stix.bundle_bytes(real_corpus_index)
    assert text == _stdlib_text(json.loads(text)).encode("utf-8")


def test_a_nested_value_is_indented_one_level_down() -> None:
    inner = [{"b": "line\nbreak", "a": [1, {}]}, []]
    nested = json_text.to_bytes_with({"type": "list", "id": "x"}, "items", json_text.to_bytes(inner))
    assert nested.decode("utf-8") == _stdlib_text({"type": "list", "id": "x", "items": inner})


def test_characters_outside_ascii_and_control_characters_are_written_alike() -> None:
    document = {"quote": "Çavuşoğlu said “no”\u2028 \x01 tab\t", "b": [1, 2.5, None, True], "a": {}}
    assert json_text.to_text(document) == _stdlib_text(document)


def test_a_value_orjson_refuses_is_still_written() -> None:
    document = {"count": 2**70}
    assert json_text.to_text(document) == _stdlib_text(document)
