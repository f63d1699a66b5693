"""toolkit report's actor graph in pages (issue 18): groups of actors whole, large ones split, an index.

The partition (``toolkit/report_site/layout.py``) on small graphs and on any graph
hypothesis makes; the pages written for the export fixture corpus, whose one group
of 19 actors is split when a page holds 8. What the pages show in a browser is in
tests/test_report_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from corpus_overlay import built_export_corpus
from toolkit.report_site import layout, write_report

FIXTURE = built_export_corpus()
NODE = re.compile(r'<a href="[^"]*" class="node [^"]*" data-id="([^"]+)"')
ELSEWHERE = re.compile(r'<a href="([^"]*)" class="elsewhere" data-id="([^"]+)"')


def _clique(names: list[str], weight: int) -> dict[tuple[str, str], int]:
    return {(first, second): weight for first in names for second in names if first < second}


def _connected(group: list[str], weights: dict[tuple[str, str], int]) -> bool:
    reached = {group[0]}
    grew = True
    while grew:
        grew = False
        for first, second in weights:
            if first in group and second in group and (first in reached) != (second in reached):
                reached |= {first, second}
                grew = True
    return reached == set(group)


def test_a_group_too_large_for_a_page_is_cut_at_its_weakest_tie() -> None:
    left, right = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    weights = _clique(left, 3) | _clique(right, 2) | {("a1", "b1"): 1}
    assert layout.split(left + right, weights, 4) == [left, right]
    assert layout.pages(left + right, weights, 4) == [
        [layout.Share(1, 1, 2, 8, tuple(left))],
        [layout.Share(1, 2, 2, 8, tuple(right))],
    ]


def test_groups_that_fit_stay_whole_largest_first_as_many_to_a_page_as_fit() -> None:
    weights = _clique(["c1", "c2", "c3"], 1) | _clique(["d1", "d2"], 1) | _clique(["e1", "e2"], 1)
    pages = layout.pages(["e2", "e1", "d2", "d1", "c3", "c2", "c1", "loner"], weights, 5)
    assert [[share.members for share in page] for page in pages] == [
        [("c1", "c2", "c3"), ("d1", "d2")],
        [("e1", "e2"), ("loner",)],
    ]
    assert [share.component for page in pages for share in page] == [1, 2, 3, 4]


def test_a_hub_with_more_spokes_than_a_page_holds_is_spread_over_pages_each_actor_on_one() -> None:
    spokes = [f"s{number:02}" for number in range(10)]
    weights = {("hub", spoke): 1 for spoke in spokes}
    pages = layout.pages(["hub", *spokes], weights, 4)
    on_pages = [actor for page in pages for share in page for actor in share.members]
    assert sorted(on_pages) == sorted(["hub", *spokes])
    assert all(sum(len(share.members) for share in page) <= 4 for page in pages)
    assert "hub" in pages[0][0].members


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[str], dict[tuple[str, str], int], int]:
    nodes = [f"n{number:02}" for number in range(draw(st.integers(1, 30)))]
    pairs = [(first, second) for first in nodes for second in nodes if first < second]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=60)) if pairs else []
    weights = {pair: draw(st.integers(1, 4)) for pair in sorted(chosen)}
    return nodes, weights, draw(st.integers(1, 12))


@given(_graphs())
def test_every_actor_is_on_exactly_one_page_no_page_is_over_its_size_and_every_part_is_connected(
    graph: tuple[list[str], dict[tuple[str, str], int], int],
) -> None:
    nodes, weights, cap = graph
    pages = layout.pages(nodes, weights, cap)
    placed = [actor for page in pages for share in page for actor in share.members]
    assert sorted(placed) == sorted(nodes)
    assert all(sum(len(share.members) for share in page) <= cap for page in pages)
    for members in [share.members for page in pages for share in page if share.shares == 1]:
        # A whole component: nothing outside it is tied to it.
        assert not [pair for pair in weights if (pair[0] in members) != (pair[1] in members)]
    for group in layout.split(nodes, weights, cap):  # ties never join components: a split of each
        assert len(group) <= cap and _connected(group, weights)
    assert layout.pages(list(reversed(nodes)), dict(reversed(list(weights.items()))), cap) == pages


@pytest.fixture(scope="module")
def split_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "PAGE_ACTORS", 8)
        yield write_report(FIXTURE, tmp_path_factory.mktemp("out"), jobs=1)


def _taking_part() -> set[str]:
    found: set[str] = set()
    for path in sorted((FIXTURE / "events").glob("*.yaml")):
        found |= {participant["actor"] for participant in yaml.safe_load(path.read_text())["participants"]}
    for path in sorted((FIXTURE / "actors").glob("*.yaml")):
        actor = yaml.safe_load(path.read_text())
        for affiliation in actor.get("affiliations", []):
            found |= {actor["id"], affiliation["actor"]}
    return found


def _pages(site: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted((site / "graph").glob("*.html"))}


def test_each_actor_that_takes_part_in_something_is_drawn_on_exactly_one_page_of_at_most_a_pages_size(
    split_site: Path,
) -> None:
    pages = _pages(split_site)
    drawn = [actor for text in pages.values() for actor in NODE.findall(text)]
    assert sorted(drawn) == sorted(_taking_part())
    assert len(pages) == 3 and all(len(NODE.findall(text)) <= 8 for text in pages.values())


def test_an_actor_tied_to_one_on_another_page_is_shown_there_leading_to_the_page_that_draws_it(
    split_site: Path,
) -> None:
    pages = _pages(split_site)
    page_of = {actor: name for name, text in pages.items() for actor in NODE.findall(text)}
    shown = [(name, href, actor) for name, text in pages.items() for href, actor in ELSEWHERE.findall(text)]
    assert shown
    for name, href, actor in shown:
        assert page_of[actor] != name and href == f"../graph/{page_of[actor]}", (name, actor)


def test_the_index_lists_each_group_with_its_size_and_most_connected_actors_linking_to_its_pages(
    split_site: Path,
) -> None:
    index = (split_site / "graph.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", index, re.S)
    assert [(group, size) for group, size, _names, _page in rows] == [
        ("1", "19 (part 1 of 3: 8 actors)"),
        ("1", "19 (part 2 of 3: 8 actors)"),
        ("1", "19 (part 3 of 3: 3 actors)"),
    ]
    assert [re.search(r'href="([^"]+)"', page).group(1) for *_rest, page in rows] == [  # type: ignore[union-attr]
        "graph/1.html",
        "graph/2.html",
        "graph/3.html",
    ]
    assert 'href="records/act-iran.html">Iran</a>' in rows[1][2]


def test_an_actors_page_leads_to_the_page_of_the_graph_that_draws_it_and_only_one_in_the_graph_does(
    split_site: Path,
) -> None:
    page_of = {actor: name for name, text in _pages(split_site).items() for actor in NODE.findall(text)}
    for path in sorted((split_site / "records").glob("act-*.html")):
        link = re.search(r'<a href="../(graph/[^"]+)" class="in-graph">', path.read_text(encoding="utf-8"))
        if path.stem in page_of:
            assert link and link.group(1) == f"graph/{page_of[path.stem]}", path.stem
        else:
            assert link is None, path.stem
