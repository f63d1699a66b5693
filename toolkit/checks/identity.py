"""Ids: unique across the corpus, and the same as the file name."""

from __future__ import annotations

from pathlib import Path

from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding
from toolkit.positions import finding_at
from toolkit.quoting import quoted, shown


def check_ids(corpus: CorpusIndex) -> list[Finding]:
    """One finding per record whose id is taken, or differs from its file name."""
    findings: list[Finding] = []
    first: dict[str, str] = {}
    for record in corpus.records:
        record_id = record.id
        if record_id is None:
            continue
        if record_id in first:
            findings.append(
                finding_at(
                    record,
                    "id-duplicate",
                    ("id",),
                    f"the id {quoted(record_id)} is already used by {first[record_id]}",
                    "give each record an id of its own",
                )
            )
        else:
            first[record_id] = record.file
        stem = Path(record.file).stem
        if stem != record_id:
            findings.append(
                finding_at(
                    record,
                    "id-file-name",
                    ("id",),
                    f"the id {quoted(record_id)} differs from the file name {quoted(stem)}",
                    f"rename the file to {shown(record_id + Path(record.file).suffix)} or fix the id",
                )
            )
    return findings
