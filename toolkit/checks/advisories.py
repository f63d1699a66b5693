"""Advisories: a supersedes chain stays with one issuer and never loops."""

from __future__ import annotations

from toolkit.corpus_index import CorpusIndex, finding_at
from toolkit.findings import Finding, Severity
from toolkit.loading import Record


def _supersedes(record: Record) -> list:
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
                findings.append(finding_at(
                    record, "advisory-supersedes-issuer", Severity.ERROR, ("supersedes", index),
                    f"{older_id!r} was issued by {older.data.get('issuer')!r}, not by {record.data.get('issuer')!r}",
                    "an advisory can only replace its own issuer's; link others with links: related-to"))
    findings.extend(_cycles(advisories))
    return findings


def _cycles(advisories: dict[str, Record]) -> list[Finding]:
    """Depth-first search over supersedes; each cycle found is reported on its first id."""

    def successors(advisory_id: str) -> list[str]:
        return [s for s in _supersedes(advisories[advisory_id]) if isinstance(s, str) and s in advisories]

    findings: list[Finding] = []
    visiting, done = set(), set()
    for start in sorted(advisories):
        if start in done:
            continue
        trail = [start]
        stack = [iter(successors(start))]
        visiting.add(start)
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                finished = trail.pop()
                visiting.discard(finished)
                done.add(finished)
            elif following in visiting:
                cycle = trail[trail.index(following):]
                first = min(cycle)
                turned = cycle[cycle.index(first):] + cycle[: cycle.index(first)]
                findings.append(finding_at(
                    advisories[first], "advisory-supersedes-cycle", Severity.ERROR, ("supersedes",),
                    "supersedes forms a cycle: " + " -> ".join(turned + [first]),
                    "an advisory can only replace older ones: remove one link of the cycle"))
            elif following not in done:
                visiting.add(following)
                trail.append(following)
                stack.append(iter(successors(following)))
    return findings
