"""Where the actor graph's nodes go: a radial tree per connected component, packed in rows.

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

RING = 110.0  # distance between rings
CELL_GAP = 60.0  # between components
WIDTH = 1200.0  # the row width components are packed into
MARGIN = 90.0  # room for labels at the edges
SINGLE = 150.0  # the cell of a component of one actor


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
    places = {root: (0.0, 0.0)}
    wedges = {root: (0.0, 2 * math.pi)}
    for node in order:
        start, end = wedges[node]
        at = start
        for child in children[node]:
            share = (end - start) * leaves[child] / leaves[node]
            wedges[child] = (at, at + share)
            middle = at + share / 2
            radius = depth[child] * RING
            places[child] = (radius * math.cos(middle), radius * math.sin(middle))
            at += share
    return places, max(depth.values()) * RING


def layout_graph(nodes: list[str], edges: list[tuple[str, str]]) -> tuple[dict[str, tuple[float, float]], int, int]:
    """Each node's place, and the drawing's width and height; the same input gives the same places."""
    adjacent: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in edges:
        if source != target and target not in adjacent[source]:
            adjacent[source].append(target)
            adjacent[target].append(source)
    for neighbours in adjacent.values():
        neighbours.sort()
    places: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    widest = 0.0
    for members in _components(sorted(nodes), adjacent):
        relative, radius = _radial(members, adjacent)
        size = max(2 * radius + 2 * MARGIN, SINGLE)
        if x > 0 and x + size > WIDTH:
            x, y = 0.0, y + row_height + CELL_GAP
            row_height = 0.0
        centre = (x + size / 2, y + size / 2)
        for node, (dx, dy) in relative.items():
            places[node] = (centre[0] + dx, centre[1] + dy)
        x += size + CELL_GAP
        widest = max(widest, x - CELL_GAP)
        row_height = max(row_height, size)
    return places, math.ceil(max(widest, SINGLE)), math.ceil(max(y + row_height, SINGLE))
