"""References: every id a record mentions exists, and is of the right kind."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from toolkit.budget import WorkBudget
from toolkit.corpus_index import CorpusIndex
from toolkit.kinds import kind_of_id
from toolkit.model import Finding
from toolkit.positions import finding_at
from toolkit.quoting import quoted
from toolkit.reference_fields import reference_fields, values_at

# Kinds that exist to be referred to: one that nothing references is likely a leftover.
_REFERENCED_KINDS = {"actor": "unreferenced-actor", "location": "unreferenced-location"}

# The work "did you mean" hints of one run may do, in character pairs compared
# (toolkit/budget.py): about a second at most, however many references dangle. One
# hint among 100,000 ids takes some 3 * 10^8: fifty distinct missing ids fit, among
# 1,000 ids some five thousand.
_SUGGESTION_BUDGET = 15_000_000_000
# How like an existing id a missing one must be to be suggested (rapidfuzz's ratio, 0-100).
_SUGGESTION_CUTOFF = 70


@dataclass
class _Suggestions:
    """Closest existing ids for missing ones: each distinct missing id is looked up
    once, in the ids of the kinds its field takes, within a budget for the run."""

    ids_by_kind: Callable[[], dict[str, list[str]]]  # asked on the first hint searched
    budget: WorkBudget = dataclass_field(default_factory=lambda: WorkBudget(_SUGGESTION_BUDGET, "ids"))
    _pools: dict[tuple[str, ...], tuple[list[str], int]] = dataclass_field(default_factory=dict)
    _found: dict[tuple[str, tuple[str, ...]], str | None] = dataclass_field(default_factory=dict)

    def closest(self, value: str, targets: tuple[str, ...]) -> str | None:
        """The existing id most like ``value`` among records of ``targets``, if one is close."""
        key = (value, targets)
        if key not in self._found:
            self._found[key] = self._search(value, targets)
        return self._found[key]

    def _search(self, value: str, targets: tuple[str, ...]) -> str | None:
        if targets not in self._pools:
            ids = self.ids_by_kind()
            pool = [i for kind in targets for i in ids.get(kind, [])]
            self._pools[targets] = (pool, sum(map(len, pool)))
        pool, characters = self._pools[targets]
        if not pool or not self.budget.spend(WorkBudget.cost(len(value), characters, len(pool))):
            return None
        from rapidfuzz import fuzz, process  # imported on first need: most runs resolve every reference

        best = process.extractOne(value, pool, scorer=fuzz.ratio, score_cutoff=_SUGGESTION_CUTOFF)
        return best[0] if best else None


def check_references(corpus: CorpusIndex) -> list[Finding]:
    """Findings for dangling or mistyped references, and warnings for orphans."""
    findings: list[Finding] = []
    referenced: set[str] = set()
    fields = reference_fields(corpus.schemas)
    suggestions = _Suggestions(functools.cache(corpus.ids_by_kind))
    for record in corpus.records:
        for field in fields:
            if field.kind != record.kind.name:
                continue
            for parts, value in values_at(record.data, field.path):
                if not isinstance(value, str):
                    continue
                target = corpus.by_id.get(value)
                if target is None:
                    wanted = kind_of_id(value)
                    close = suggestions.closest(value, field.targets) if corpus.judges(record) else None
                    hint = (
                        f"did you mean {quoted(close)}?"
                        if close
                        else (f"add a record {quoted(value)} under {wanted.folder}/" if wanted else None)
                    )
                    findings.append(
                        finding_at(record, "ref-unresolved", parts, f"no record has the id {quoted(value)}", hint)
                    )
                    continue
                if target.kind.name not in field.targets:
                    expected = " or ".join(field.targets)
                    findings.append(
                        finding_at(
                            record,
                            "ref-wrong-kind",
                            parts,
                            f"{quoted(value)} is a {target.kind.name}, but this field takes {_article(expected)}",
                        )
                    )
                    continue
                if target is not record:
                    referenced.add(value)
    for record in corpus.records:
        rule = _REFERENCED_KINDS.get(record.kind.name)
        if rule and record.id and record.id not in referenced and corpus.by_id.get(record.id) is record:
            findings.append(
                finding_at(
                    record,
                    rule,
                    ("id",),
                    f"no record refers to the {record.kind.name} {quoted(record.id)}",
                    "refer to it from an event, advisory or other record, or remove it",
                )
            )
    return findings


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
