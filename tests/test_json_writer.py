"""The JSON exports are written by orjson, byte for byte what the standard library writes."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from toolkit.corpus_index import CorpusIndex
from toolkit.exporters import json_writer, jsonld, stix
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
    assert json_writer.to_bytes(document) == _stdlib_text(document).encode("utf-8")


def test_the_real_corpus_bundle_is_the_bytes_the_standard_library_writes(real_corpus_index: CorpusIndex) -> None:
    # Written object by object, the id put in afterwards: the same bytes as writing it whole.
    text = stix.bundle_bytes(real_corpus_index)
    assert text == _stdlib_text(json.loads(text)).encode("utf-8")


@pytest.mark.parametrize(
    "items",
    [
        [{"b": "line\nbreak", "a": [1, {}], "c": "ça"}, [], "text", 2**70],
        [{"one": 1}],
        [],
    ],
    ids=["several", "one", "none"],
)
def test_a_document_written_item_by_item_is_the_document_written_whole(items: list) -> None:
    stream = io.BytesIO()
    digest = json_writer.write_streamed(stream, {"type": "list", "id": "x"}, "items", iter(items))
    text = stream.getvalue().decode("utf-8")
    assert text == _stdlib_text({"type": "list", "id": "x", "items": items})
    listed = text[text.index('"items": ') + len('"items": ') : text.rindex("]") + 1]
    assert digest == hashlib.sha256(listed.encode("utf-8")).hexdigest()


def test_the_real_corpus_document_file_is_the_bytes_the_standard_library_writes(
    real_corpus_index: CorpusIndex, tmp_path
) -> None:
    jsonld.write(real_corpus_index, tmp_path)
    document = jsonld.build_document(real_corpus_index)
    assert (tmp_path / jsonld.DOCUMENT_NAME).read_bytes() == _stdlib_text(document).encode("utf-8")


def test_characters_outside_ascii_and_control_characters_are_written_alike() -> None:
    document = {"quote": "Çavuşoğlu said “no”\u2028 \x01 tab\t", "b": [1, 2.5, None, True], "a": {}}
    assert json_writer.to_bytes(document).decode("utf-8") == _stdlib_text(document)


def test_a_value_orjson_refuses_is_still_written() -> None:
    document = {"count": 2**70}
    assert json_writer.to_bytes(document).decode("utf-8") == _stdlib_text(document)
