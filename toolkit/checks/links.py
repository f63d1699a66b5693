"""Symmetric links: written on both records, and agreeing on their certainty."""

from __future__ import annotations

from toolkit.corpus_index import CorpusIndex
from toolkit.links import LINKABLE, find_link, link_command, symmetric_relations
from toolkit.model import Finding
from toolkit.positions import finding_at
from toolkit.quoting import quoted, shown


def check_symmetric_links(corpus: CorpusIndex) -> list[Finding]:
    """A symmetric link (same-as) whose other side is missing, or whose two sides differ in certainty.

    A missing side is reported at the link that is there; a disagreement once, at
    the link of the record whose id sorts first. The hint is the ``toolkit link``
    command that writes the other side, or makes it agree with this one.
    """
    symmetric = symmetric_relations(corpus.schemas)
    findings: list[Finding] = []
    for record in corpus.records:
        links = record.data.get("links")
        if record.id is None or not isinstance(links, list):
            continue
        for index, item in enumerate(links):
            if not isinstance(item, dict) or item.get("relation") not in symmetric:
                continue
            relation, reference = item["relation"], item.get("target")
            target = corpus.by_id.get(reference) if isinstance(reference, str) else None
            target_id = target.id if target is not None else None
            if target is None or target_id is None or target is record or target.kind.name not in LINKABLE:
                continue  # a reference that does not resolve, or to another kind, is ref-*'s
            back = find_link(target.data, relation, record.id)
            if back is None:
                findings.append(
                    finding_at(
                        record,
                        "link-one-sided",
                        ("links", index),
                        f"{relation} is symmetric, but {shown(target_id)} has no {relation} link back to "
                        f"{shown(record.id)}",
                        f"write the other side: {link_command(record.id, relation, target_id)}",
                    )
                )
                continue
            here, there = item.get("certainty"), back.get("certainty")
            if here != there and record.id < target_id:
                certainty = here if isinstance(here, str) else None
                findings.append(
                    finding_at(
                        record,
                        "link-one-sided",
                        ("links", index, "certainty"),
                        f"the two sides of this {relation} link disagree: certainty {quoted(here)} here, "
                        f"{quoted(there)} on {shown(target_id)}",
                        f"make both sides say the same: {link_command(record.id, relation, target_id, certainty)}",
                    )
                )
    return findings


def check_self_links(corpus: CorpusIndex) -> list[Finding]:
    """A link from a record to itself: a denial of itself, a response to itself, a part of itself.

    Each says nothing (`toolkit link` refuses to write one); written by hand, it is
    reported at its target, whatever the relation.
    """
    findings: list[Finding] = []
    for record in corpus.records:
        links = record.data.get("links")
        if record.id is None or not isinstance(links, list):
            continue
        for index, item in enumerate(links):
            if isinstance(item, dict) and item.get("target") == record.id:
                findings.append(
                    finding_at(
                        record,
                        "link-to-itself",
                        ("links", index, "target"),
                        f"{quoted(item.get('relation'))} links {shown(record.id)} to itself",
                        "link the record to another record, or remove the link",
                    )
                )
    return findings
