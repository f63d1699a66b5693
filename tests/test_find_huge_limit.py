"""`toolkit find --limit` larger than a machine integer means "every match", not an internal error (red team 4, M9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ToolkitRunner
from toolkit.record_search import SearchIndex, read_corpus

CORPUS = Path(__file__).resolve().parent / "curator_corpus"


@pytest.mark.parametrize("query", ["MTI", "Turkish intelligence"])
def test_a_limit_past_any_machine_integer_finds_what_a_large_one_finds(query: str) -> None:
    index = SearchIndex.build(read_corpus(CORPUS).records)

    huge = index.search(query, limit=10**30)

    assert huge == index.search(query, limit=1000)
    assert huge


@pytest.mark.parametrize("limit", ["9223372036854775807", "99999999999999999999"])
def test_find_with_a_huge_limit_prints_every_match(run_toolkit: ToolkitRunner, limit: str) -> None:
    result = run_toolkit(["find", "MTI", "--corpus", str(CORPUS), "--limit", limit])

    assert result.output == run_toolkit(["find", "MTI", "--corpus", str(CORPUS), "--limit", "1000"]).output
