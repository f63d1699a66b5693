"""The benchmark's own parts: the corpus it scales is valid, and its verdicts follow its numbers.

The benchmark itself is not run here (it takes half an hour); these keep the
corpus it measures and the arithmetic of its report honest.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

import toolkit
from toolkit.validation import check_corpus

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "annotations"


def _benchmark_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", REPO / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while they are made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return _benchmark_module("run")


def test_a_generated_corpus_is_valid_and_made_of_whole_copies_of_the_seed(tmp_path: Path) -> None:
    generate = _benchmark_module("generate").generate
    seed_records = toolkit.validate([SEED]).records
    corpus = tmp_path / "corpus"

    written = generate(SEED, corpus, 3 * seed_records + 10)

    report = toolkit.validate([corpus])  # ids, references, quotes and checksums included
    assert report.findings == ()
    assert report.records == written == 3 * seed_records
    ids = [record.id for record in check_corpus(corpus).index.records]
    assert all(re.fullmatch(r".+-c[012]", record_id) for record_id in ids)
    assert len(set(ids)) == len(ids)


def _size(**marginal_us: float) -> dict:
    return {"tools": {tool: {"marginal_us_per_record": cost} for tool, cost in marginal_us.items()}}


def test_flatness_is_judged_on_the_marginal_cost_and_also_shown_against_the_floor(run: ModuleType) -> None:
    sizes = [_size(floor=100, export=150), _size(floor=110, export=180), _size(floor=120, export=240)]

    flat = run.flatness(sizes)

    assert flat["floor"]["change_from_smallest"] == pytest.approx([0, 0.1, 0.2])
    assert flat["floor"]["met"] is True
    assert "change_against_floor" not in flat["floor"]
    assert flat["export"]["change_from_smallest"] == pytest.approx([0, 0.2, 0.6])
    assert flat["export"]["met"] is False
    assert flat["export"]["change_against_floor"] == pytest.approx([0, (180 / 110) / 1.5 - 1, (240 / 120) / 1.5 - 1])


def test_a_tool_that_only_grows_with_the_floor_is_still_judged_on_its_own_growth(run: ModuleType) -> None:
    flat = run.flatness([_size(floor=100, validate=150), _size(floor=150, validate=210)])

    assert flat["validate"]["change_from_smallest"] == pytest.approx([0, 0.4])
    assert flat["validate"]["change_against_floor"] == pytest.approx([0, (210 / 150) / 1.5 - 1])  # -7%
    assert flat["validate"]["met"] is False


def test_per_record_costs_leave_out_start_up_and_the_targets_compare_wall_times(run: ModuleType) -> None:
    seed = {
        tool: run.Measurement(wall_s=0.1, cpu_s=0.1, peak_rss_kb=30_000) for tool in ("floor", "validate", "export")
    }
    measured = {
        "floor": run.Measurement(wall_s=1.1, cpu_s=1.1, peak_rss_kb=40_000),
        "validate": run.Measurement(wall_s=1.5, cpu_s=2.0, peak_rss_kb=80_000),
        "export": run.Measurement(wall_s=3.0, cpu_s=5.0, peak_rss_kb=130_000),
    }

    size = run.summarise(1_095, 95, measured, seed)

    assert size["tools"]["floor"]["us_per_record"] == pytest.approx(1.1 / 1_095 * 1e6)
    assert size["tools"]["floor"]["marginal_us_per_record"] == pytest.approx(1_000)
    assert size["tools"]["validate"]["marginal_cpu_us_per_record"] == pytest.approx(1_900)
    assert size["tools"]["export"]["marginal_kb_per_record"] == pytest.approx(100)
    assert size["ratios"]["validate <= 1.5x floor"] == {"ratio": pytest.approx(1.5 / 1.1), "bound": 1.5, "met": True}
    assert size["ratios"]["export all <= 2.5x floor"]["met"] is False  # 2.73x
    assert "validate >= 5x faster than check-jsonschema" not in size["ratios"]  # not measured here
