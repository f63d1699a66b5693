"""Where the actor graph's nodes go: which page, then a radial tree per connected component, packed in rows.

**Pages.** At thousands of actors one drawing is megabytes of SVG that a browser
takes tens of seconds to show (issue 18: 13.8 MB, 26 s at 10,000 records), and
no one reads it. The graph is cut into pages of at most ``PAGE_ACTORS`` actors:
connected components whole, largest first, as many to a page as fit (``pages``).
A component larger than a page is split along its strongest ties (``split``):
ties taken by weight (the records behind them), heaviest first, each joining two
groups when together they still fit on a page, as single-linkage clustering
does with a size limit; each group is connected, and the weak ties are the ones
cut. The groups of a split component are packed on its own pages, the actors at
the other end of a cut tie drawn on each page as a link to theirs. This costs
one sort of the ties; a community detection (Louvain, as networkx has it) would
place a cut better in places but has no size limit, still leaves a star (one hub,
hundreds of actors tied to it alone) whole, and would be a dependency for this
alone.

Drawn on the server as SVG rather than by a JavaScript library in the browser:
the page then needs no script to show the graph, nothing is vendored or
licensed, and the layout is the same bytes on every run. A force-directed
layout would cost seconds at thousands of actors in Python; this one is linear.

Each component is laid out around its most connected actor: the actors it
reaches in one step on the first ring, those in two on the second, each
subtree given a share of the angle in proportion to its leaves, so that a hub
and its spokes read as such.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

RING = 110.0  # the least distance between rings
SPACING = 45.0  # the least room along a ring for each actor on it, so that a hub's spokes do not pile up
CELL_GAP = 60.0  # between components
WIDTH = 1200.0  # the row width components are packed into
MARGIN = 90.0  # room for labels at the sides (a label is centred under its actor)
ABOVE, BELOW = 20.0, 40.0  # room above the top actor and for the label under the lowest
SINGLE = 150.0  # the cell of a component of one actor
# At most this many actors on a page of the graph: about 250 KB of page, drawn at once in a browser.
PAGE_ACTORS = 120


@dataclass(frozen=True)
class Share:
    """Actors of one connected component on one page: the whole component, or one share of a split one."""

    component: int  # its number, from 1, largest component first
    share: int  # from 1; a whole component is share 1 of 1
    shares: int
    size: int  # actors of the whole component
    members: tuple[str, ...]  # those on this page, sorted


def _adjacency(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, list[str]]:
    adjacent: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in edges:
        if source != target and target not in adjacent[source]:
            adjacent[source].append(target)
            adjacent[target].append(source)
    for neighbours in adjacent.values():
        neighbours.sort()
    return adjacent


def _components(nodes: list[str], adjacent: dict[str, list[str]]) -> list[list[str]]:
    seen: set[str] = set()
    found = []
    for node in nodes:
        if node in seen:
            continue
        seen.add(node)
        members = [node]
        queue = deque([node])
        while queue:
            for other in adjacent[queue.popleft()]:
                if other not in seen:
                    seen.add(other)
                    members.append(other)
                    queue.append(other)
        found.append(sorted(members))
    # The largest first; equal sizes by their first id.
    return sorted(found, key=lambda members: (-len(members), members[0]))


def _radial(members: list[str], adjacent: dict[str, list[str]]) -> tuple[dict[str, tuple[float, float]], float]:
    """Places relative to the component's centre, and its radius."""
    root = min(members, key=lambda node: (-len(adjacent[node]), node))
    children: dict[str, list[str]] = {node: [] for node in members}
    depth = {root: 0}
    order = [root]
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for other in adjacent[node]:
            if other not in depth:
                depth[other] = depth[node] + 1
                children[node].append(other)
                order.append(other)
                queue.append(other)
    leaves: dict[str, int] = {}
    for node in reversed(order):
        leaves[node] = sum(leaves[child] for child in children[node]) or 1
    on_ring: dict[int, int] = {}
    for node in order:
        on_ring[depth[node]] = on_ring.get(depth[node], 0) + 1
    rings = [0.0]
    for ring in range(1, max(depth.values()) + 1):
        rings.append(max(rings[-1] + RING, on_ring[ring] * SPACING / (2 * math.pi)))
    places = {root: (0.0, 0.0)}
    wedges = {root: (0.0, 2 * math.pi)}
    for node in order:
        start, end = wedges[node]
        at = start
        for child in children[node]:
            share = (end - start) * leaves[child] / leaves[node]
            wedges[child] = (at, at + share)
            middle = at + share / 2
            radius = rings[depth[child]]
            places[child] = (radius * math.cos(middle), radius * math.sin(middle))
            at += share
    return places, rings[-1]


def split(members: list[str], weights: Mapping[tuple[str, str], int], cap: int) -> list[list[str]]:
    """A component cut into connected groups of at most ``cap`` actors along its strongest ties.

    ``weights`` holds each tie once, as (first, second) in sorted order, with the number of
    records behind it. Groups are merged along ties from the heaviest down (equal weights by
    their ids), as long as the two together still fit; the largest group comes first.
    """
    inside = set(members)
    leader = {member: member for member in members}
    size = dict.fromkeys(members, 1)

    def find(node: str) -> str:
        while leader[node] != node:
            leader[node] = leader[leader[node]]
            node = leader[node]
        return node

    ties = sorted(
        (
            (-weight, first, second)
            for (first, second), weight in weights.items()
            if first in inside and second in inside
        ),
    )
    for _weight, first, second in ties:
        one, other = find(first), find(second)
        if one != other and size[one] + size[other] <= cap:
            one, other = min(one, other), max(one, other)
            leader[other] = one
            size[one] += size[other]
    groups: dict[str, list[str]] = {}
    for member in sorted(members):
        groups.setdefault(find(member), []).append(member)
    return sorted(groups.values(), key=lambda group: (-len(group), group[0]))


def pages(nodes: list[str], weights: Mapping[tuple[str, str], int], cap: int) -> list[list[Share]]:
    """The graph's pages, each a list of shares of at most ``cap`` actors together, in the index's order.

    Components come largest first (equal sizes by their first id), as many whole ones to
    a page as fit; one larger than ``cap`` is ``split`` and its groups packed, in order,
    on pages of its own. The same input gives the same pages.
    """
    adjacent = _adjacency(sorted(nodes), list(weights))
    found: list[list[Share]] = []
    page: list[Share] = []
    room = 0
    for number, members in enumerate(_components(sorted(nodes), adjacent), 1):
        if len(members) <= cap:
            if len(members) > room:
                page = []
                found.append(page)
                room = cap
            page.append(Share(number, 1, 1, len(members), tuple(members)))
            room -= len(members)
            continue
        packed: list[list[str]] = []
        for group in split(members, weights, cap):
            if not packed or len(packed[-1]) + len(group) > cap:
                packed.append([])
            packed[-1].extend(group)
        for share, actors in enumerate(packed, 1):
            found.append([Share(number, share, len(packed), len(members), tuple(sorted(actors)))])
        room = 0
    return found


def layout_graph(nodes: list[str], edges: list[tuple[str, str]]) -> tuple[dict[str, tuple[float, float]], int, int]:
    """Each node's place, and the drawing's width and height; the same input gives the same places.

    Each component takes the box its actors are drawn in (not the whole circle of its
    outer ring, often half empty), with room for labels around it; boxes are packed in rows.
    """
    adjacent = _adjacency(nodes, edges)
    places: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    widest = 0.0
    for members in _components(sorted(nodes), adjacent):
        relative, _radius = _radial(members, adjacent)
        left = min(dx for dx, _dy in relative.values())
        top = min(dy for _dx, dy in relative.values())
        width = max(max(dx for dx, _dy in relative.values()) - left + 2 * MARGIN, SINGLE)
        height = max(max(dy for _dx, dy in relative.values()) - top + ABOVE + BELOW, SINGLE / 2)
        if x > 0 and x + width > WIDTH:
            x, y = 0.0, y + row_height + CELL_GAP
            row_height = 0.0
        for node, (dx, dy) in relative.items():
            places[node] = (x + MARGIN + dx - left, y + ABOVE + dy - top)
        x += width + CELL_GAP
        widest = max(widest, x - CELL_GAP)
        row_height = max(row_height, height)
    return places, math.ceil(max(widest, SINGLE)), math.ceil(max(y + row_height, SINGLE / 2))
