"""No allegation reaches a consumer as a fact: every claimed assertion, hedged in every export.

The corpus is listed through ``toolkit.claims.assertions`` (never a list of ids, so
that a new article keeps this test green), exported once in every format, and each
assertion that rests on someone's claim rather than on the article's own word is
looked for in each export with its hedge:

- STIX: ``confidence`` from its credibility (STIX 2.1 Appendix A) and the claimant
  as a label, on every object that carries the assertion;
- CSV: its row in ``claims.csv``, its claimant and grade in the link tables, and
  the claimant and hedge cells of ``events_flat.csv``;
- JSON-LD: one ``schema:Claim`` node about it, with its author (or unattributed),
  credibility and reporter.

What each format's hedge is, in detail, is tested by that format's own claims
tests; the checks are theirs, imported here, so that both say the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib

from test_export_csv_claims import unhedged as csv_gaps
from test_export_jsonld_claims import Claimed, _hedge_gaps
from test_export_stix_claims import _hedged, _objects_of
from toolkit import claims
from toolkit.corpus_index import CorpusIndex
from toolkit.exporters.jsonld import DOCUMENT_NAME, assertion_iri, load_context
from toolkit.exporters.jsonld_terms import ID_BASE
from toolkit.exporters.stix import BUNDLE_FILE
from toolkit.exporting import export
from toolkit.model import Record
from toolkit.validation import check_corpus

LIVE = Path(__file__).resolve().parent.parent / "annotations"


def claimed_assertions(index: CorpusIndex) -> Iterator[tuple[Record, claims.Assertion]]:
    """Every assertion of the corpus that rests on a claim, record by record."""
    for record in index.records:
        for assertion in claims.assertions(record.kind.name, record.data):
            if assertion.claim is not None:
                yield record, assertion


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[CorpusIndex, dict[str, Path]]:
    checked = check_corpus(LIVE)
    assert [finding.message for finding in checked.findings] == []
    result = export(["csv", "jsonld", "stix"], tmp_path_factory.mktemp("everywhere"), LIVE)
    return checked.index, result.folders


def test_every_assertion_resting_on_a_claim_is_hedged_in_every_export(
    exported: tuple[CorpusIndex, dict[str, Path]],
) -> None:
    index, folders = exported
    listed = list(claimed_assertions(index))
    # The corpus is built from claims: an export with none to check proves nothing.
    assert listed, "no assertion of the corpus rests on a claim"

    bundle: dict[str, Any] = json.loads((folders["stix"] / BUNDLE_FILE).read_text(encoding="utf-8"))
    objects = {obj["id"]: obj for obj in bundle["objects"]}
    document = json.loads((folders["jsonld"] / DOCUMENT_NAME).read_text(encoding="utf-8"))
    graph = rdflib.Graph().parse(
        data=json.dumps({**document, "@context": load_context()["@context"]}), format="json-ld", base=ID_BASE
    )

    gaps: dict[str, list[str]] = {"stix": [], "csv": csv_gaps(index, folders["csv"]), "jsonld": []}
    for record, assertion in listed:
        claim = assertion.claim
        assert claim is not None
        where = f"{assertion.record_id} {assertion.what} {assertion.relation or ''} {assertion.actor or ''}".strip()
        carriers = _objects_of(assertion, record.data)
        if not carriers or not all(obj_id in objects and _hedged(objects[obj_id], claim) for obj_id in carriers):
            gaps["stix"].append(where)
        iri = assertion_iri(record.kind.name, str(record.id), assertion.path)
        gaps["jsonld"] += _hedge_gaps(graph, Claimed(record, assertion, iri))

    assert gaps == {"stix": [], "csv": [], "jsonld": []}, f"of {len(listed)} claimed assertions"
