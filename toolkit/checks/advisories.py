"""Advisories: a supersedes chain stays with one issuer and never loops."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding, Record
from toolkit.positions import finding_at
from toolkit.quoting import quoted, shown


def _supersedes(record: Record) -> list[Any]:
    """The ids an advisory supersedes; a value that is not a list is the schema check's to report."""
    listed = record.data.get("supersedes")
    return listed if isinstance(listed, list) else []


def check_supersedes(corpus: CorpusIndex) -> list[Finding]:
    """Findings for advisories that supersede another issuer's, or that loop."""
    findings: list[Finding] = []
    advisories = {record.id: record for record in corpus.of_kind("advisory") if record.id}
    for record in advisories.values():
        for index, older_id in enumerate(_supersedes(record)):
            older = advisories.get(older_id) if isinstance(older_id, str) else None
            if older is not None and older.data.get("issuer") != record.data.get("issuer"):
                findings.append(
                    finding_at(
                        record,
                        "advisory-supersedes-issuer",
                        ("supersedes", index),
                        f"{quoted(older_id)} was issued by {quoted(older.data.get('issuer'))}, "
                        f"not by {quoted(record.data.get('issuer'))}",
                        "an advisory can only replace its own issuer's; link others with links: related-to",
                    )
                )
    findings.extend(_cycles(advisories))
    return findings


def _cycles(advisories: dict[str, Record]) -> list[Finding]:
    """One finding per group of advisories that supersede each other in a loop.

    Each strongly connected component with a cycle is reported once, on its first
    id, with the shortest cycle through that id: time and output in proportion to
    the advisories and their supersedes links. (Reporting the cycle closed by every
    link back, as a plain depth-first search finds them, made a long chain with
    many links back quadratic in time and in the size of the report.)
    """

    def successors(advisory_id: str) -> list[str]:
        return [s for s in _supersedes(advisories[advisory_id]) if isinstance(s, str) and s in advisories]

    findings: list[Finding] = []
    for component in _strongly_connected(sorted(advisories), successors):
        first = min(component)
        cycle = _shortest_cycle(first, set(component), successors)
        if cycle is None:
            continue  # a single advisory that does not supersede itself
        findings.append(
            finding_at(
                advisories[first],
                "advisory-supersedes-cycle",
                ("supersedes",),
                "supersedes forms a cycle: " + _cycle_words(cycle + [first]),
                "an advisory can only replace older ones: remove one link of the cycle",
            )
        )
    return findings


# A cycle is named by its ids; a longer one by its first and last ids and its length,
# so that a loop through thousands of advisories is still one line.
_CYCLE_IDS_SHOWN = 8


def _cycle_words(ids: list[str]) -> str:
    if len(ids) > _CYCLE_IDS_SHOWN:
        half = _CYCLE_IDS_SHOWN // 2
        return " -> ".join([*map(shown, ids[:half]), f"... ({len(ids) - 1} advisories)", *map(shown, ids[-half:])])
    return " -> ".join(map(shown, ids))


def _strongly_connected(nodes: list[str], successors: Callable[[str], list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion (chains can be long)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> Iterator[str]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return iter(successors(node))

    for root in nodes:
        if root in index:
            continue
        work = [(root, visit(root))]
        while work:
            node, following = work[-1]
            successor = next(following, None)
            if successor is not None:
                if successor not in index:
                    work.append((successor, visit(successor)))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _shortest_cycle(first: str, members: set[str], successors: Callable[[str], list[str]]) -> list[str] | None:
    """The ids of a shortest cycle from ``first`` back to it within ``members``, or None."""
    came_from: dict[str, str | None] = {first: None}
    queue = deque([first])
    while queue:
        node = queue.popleft()
        for successor in successors(node):
            if successor == first:
                path = [node]
                while (previous := came_from[path[-1]]) is not None:
                    path.append(previous)
                return path[::-1]
            if successor in members and successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    return None
