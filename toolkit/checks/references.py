"""References: every id a record mentions exists, and is of the right kind."""

from __future__ import annotations

import difflib

from toolkit.corpus_index import CorpusIndex, finding_at
from toolkit.findings import Finding, Severity
from toolkit.kinds import kind_of_id
from toolkit.references import reference_fields, values_at

# Kinds that exist to be referred to: one that nothing references is likely a leftover.
_REFERENCED_KINDS = {"actor": "unreferenced-actor", "location": "unreferenced-location"}


def check_references(corpus: CorpusIndex) -> list[Finding]:
    """Findings for dangling or mistyped references, and warnings for orphans."""
    findings: list[Finding] = []
    referenced: set[str] = set()
    fields = reference_fields(corpus.schemas)
    ids_by_kind: dict[str, list[str]] = {}
    for record in corpus.records:
        if record.id:
            ids_by_kind.setdefault(record.kind.name, []).append(record.id)
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
                    pool = [i for k in field.targets for i in ids_by_kind.get(k, [])]
                    close = difflib.get_close_matches(value, pool, n=1, cutoff=0.7)
                    hint = f"did you mean {close[0]!r}?" if close else (
                        f"add a record {value!r} under {wanted.folder}/" if wanted else None)
                    findings.append(finding_at(record, "ref-unresolved", Severity.ERROR, parts,
                                               f"no record has the id {value!r}", hint))
                    continue
                if target.kind.name not in field.targets:
                    expected = " or ".join(field.targets)
                    findings.append(finding_at(record, "ref-wrong-kind", Severity.ERROR, parts,
                                               f"{value!r} is a {target.kind.name}, but this field takes {_article(expected)}"))
                    continue
                if target is not record:
                    referenced.add(value)
    for record in corpus.records:
        rule = _REFERENCED_KINDS.get(record.kind.name)
        if rule and record.id and record.id not in referenced and corpus.by_id.get(record.id) is record:
            findings.append(finding_at(record, rule, Severity.WARNING, ("id",),
                                       f"no record refers to the {record.kind.name} {record.id!r}",
                                       "refer to it from an event, advisory or other record, or remove it"))
    return findings


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
