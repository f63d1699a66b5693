"""Claims in the JSON-LD export: every assertion on someone's word reaches the graph as a claim node.

The questions of issue 15 are asked in SPARQL (rdflib, offline) of three exports:
the export fixture corpus and the same corpus with the records of
``tests/export_jsonld/claims_overlay/`` added (exact answers), and the live corpus
under ``annotations/``, which is being re-annotated and grows: there the answers are
checked against what ``toolkit.claims`` computes from the records in Python, never
against a list.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from corpus_overlay import built_export_corpus, expand_corpus
from toolkit import claims
from toolkit.exporters.jsonld import (
    DOCUMENT_NAME,
    assertion_iri,
    concept_iri,
    load_context,
    offline_document_loader,
    record_iri,
)
from toolkit.exporters.jsonld_terms import (
    ID_BASE,
    NAMESPACES,
    RECORD_FIELDS,
    VOCAB,
    ClaimNode,
    FieldSpec,
    Inline,
    Nested,
)
from toolkit.exporting import export
from toolkit.kinds import KINDS
from toolkit.model import Record
from toolkit.schema_loader import load_schemas
from toolkit.validation import check_corpus

HERE = Path(__file__).parent
REPO_ROOT = HERE.parent
FIXTURE_CORPUS = built_export_corpus()
OVERLAY = HERE / "export_jsonld" / "claims_overlay"
REAL_CORPUS = REPO_ROOT / "annotations"
DOCS = REPO_ROOT / "docs" / "export-jsonld.md"

EAT = rdflib.Namespace(VOCAB)
SCHEMA = rdflib.Namespace(NAMESPACES["schema"])
PROV = rdflib.Namespace(NAMESPACES["prov"])
TRUE = rdflib.Literal(True)
PREFIXES = "\n".join(f"PREFIX {prefix}: <{iri}>" for prefix, iri in NAMESPACES.items()) + f"\nPREFIX id: <{ID_BASE}>\n"


def what_does_it_allege(actor_id: str) -> str:
    """Everything asserted on ``actor_id``'s word: events, roles, affiliations and links."""
    return (
        PREFIXES
        + f"""
SELECT DISTINCT ?thing WHERE {{
  ?claim a schema:Claim ;
         schema:author id:{actor_id} ;
         schema:about ?thing .
}}"""
    )


EVENTS_ON_UNNAMED_SOURCES_ONLY = (
    PREFIXES
    + """
SELECT DISTINCT ?event WHERE {
  ?claim a schema:Claim ;
         schema:about ?event .
  ?event a schema:Event .
  { ?claim eat:unattributed true } UNION { ?claim eat:reporter/eat:unnamed true }
}"""
)


# Three exports, each made once


def _overlaid_corpus(into: Path) -> Path:
    """The export fixture corpus with the claims overlay's records added, evidence written out."""
    shutil.copytree(FIXTURE_CORPUS, into)
    shutil.copytree(OVERLAY, into, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    expand_corpus(into)
    return into


@dataclass(frozen=True)
class Exported:
    """One corpus, its JSON-LD document and graph, and its records as the validator read them."""

    corpus: Path
    folder: Path
    document: dict[str, Any]
    graph: rdflib.Graph
    records: list[Record]


def _exported(corpus: Path, out: Path) -> Exported:
    folder = export(["jsonld"], out, corpus).folders["jsonld"]
    document = json.loads((folder / DOCUMENT_NAME).read_text(encoding="utf-8"))
    inline = {**document, "@context": load_context()["@context"]}
    graph = rdflib.Graph().parse(data=json.dumps(inline), format="json-ld", base=ID_BASE)
    records = [r for r in check_corpus(corpus.absolute()).index.records if r.id is not None]
    return Exported(corpus, folder, document, graph, records)


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return _exported(FIXTURE_CORPUS, tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    corpus = _overlaid_corpus(tmp_path_factory.mktemp("overlay") / "corpus")
    return _exported(corpus, tmp_path_factory.mktemp("overlay-out"))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    # Refused (ExportRefused) while the live corpus has errors: fix the corpus first.
    return _exported(REAL_CORPUS, tmp_path_factory.mktemp("live"))


EXPORTS = ["fixture", "overlay", "live"]


def _short(rows: Any) -> set[str]:
    return {str(row[0]).removeprefix(ID_BASE) for row in rows}


# What toolkit.claims says, computed in Python: the answers the graph must give


@dataclass(frozen=True)
class Claimed:
    """One assertion resting on a claim, with the IRI of the node that states it."""

    record: Record
    assertion: claims.Assertion
    iri: str


def _claimed(records: list[Record]) -> Iterator[Claimed]:
    for record in records:
        for assertion in claims.assertions(record.kind.name, record.data):
            if assertion.claim is not None:
                yield Claimed(record, assertion, assertion_iri(record.kind.name, str(record.id), assertion.path))


def _alleged_by(records: list[Record], actor_id: str) -> set[str]:
    return {
        c.iri.removeprefix(ID_BASE) for c in _claimed(records) if c.assertion.claim and c.assertion.claim.by == actor_id
    }


def _resting_on_unnamed_sources_only(records: list[Record]) -> set[str]:
    unnamed = {str(r.id) for r in records if r.kind.name == "actor" and r.data.get("unnamed") is True}
    return {
        str(c.record.id)
        for c in _claimed(records)
        if c.assertion.what == "occurrence"
        and c.assertion.claim is not None
        and (c.assertion.claim.unattributed or c.assertion.claim.reporter in unnamed)
    }


def _claimants(records: list[Record]) -> set[str]:
    return {c.assertion.claim.by for c in _claimed(records) if c.assertion.claim and c.assertion.claim.by}


# "What does Iran allege?"


def test_sparql_says_what_iran_alleges_in_the_fixture_corpus(fixture: Exported) -> None:
    # Israel's part in the Fakhrizadeh killing rests on Tehran's word; the killing itself is reported.
    answer = _short(fixture.graph.query(what_does_it_allege("act-iran")))
    assert answer == {"evt-assassination-mohsen-fakhrizadeh-2020#participant-1"}


def test_sparql_says_what_iran_alleges_of_events_roles_and_links(overlay: Exported) -> None:
    answer = _short(overlay.graph.query(what_does_it_allege("act-iran")))
    assert answer == {
        "evt-assassination-mohsen-fakhrizadeh-2020#participant-1",
        # The link rests on Iran's word, relayed twice.
        "evt-overlay-plot-foiled#link-0",
        # An event on Iran's word, and the role that rests on it; the other role has a claim of its own.
        "evt-overlay-israel-accuses",
        "evt-overlay-israel-accuses#participant-0",
    }


@pytest.mark.parametrize("name", EXPORTS)
def test_sparql_says_what_each_claimant_alleges_as_toolkit_claims_does(
    name: str, request: pytest.FixtureRequest
) -> None:
    exported: Exported = request.getfixturevalue(name)
    for actor_id in sorted(_claimants(exported.records) | {"act-iran"}):
        answer = _short(exported.graph.query(what_does_it_allege(actor_id)))
        assert answer == _alleged_by(exported.records, actor_id), actor_id


# "Which events rest only on unnamed sources?"


def test_sparql_finds_the_events_resting_only_on_unnamed_sources_in_the_fixture_corpus(fixture: Exported) -> None:
    # Unnamed Turkish officials and investigators; the wire's plot rests on a named police spokesperson.
    answer = _short(fixture.graph.query(EVENTS_ON_UNNAMED_SOURCES_ONLY))
    assert answer == {"evt-fixture-istanbul-kidnap-plot", "evt-fixture-review-abduction-plot"}


def test_an_event_rests_on_unnamed_sources_when_the_article_has_it_from_one_or_from_no_one_named(
    overlay: Exported,
) -> None:
    answer = _short(overlay.graph.query(EVENTS_ON_UNNAMED_SOURCES_ONLY))
    assert answer == {
        "evt-fixture-istanbul-kidnap-plot",
        "evt-fixture-review-abduction-plot",
        # A named claimant, but the article's own source for it is unnamed investigators.
        "evt-overlay-plot-foiled",
        # No one named, though a named wire relays it.
        "evt-overlay-believed",
    }
    # Unnamed officials relayed by a named wire: the article has it from the wire.
    assert "evt-overlay-wire-officials" not in answer


@pytest.mark.parametrize("name", EXPORTS)
def test_sparql_finds_the_events_on_unnamed_sources_as_toolkit_claims_does(
    name: str, request: pytest.FixtureRequest
) -> None:
    exported: Exported = request.getfixturevalue(name)
    answer = _short(exported.graph.query(EVENTS_ON_UNNAMED_SOURCES_ONLY))
    assert answer == _resting_on_unnamed_sources_only(exported.records)


# Zero unhedged: every assertion on someone's word has its claim node


def _hedge_gaps(graph: rdflib.Graph, claimed: Claimed) -> list[str]:
    """What the graph lacks for one claimed assertion: a claim node about it, its author, its credibility."""
    claim = claimed.assertion.claim
    assert claim is not None
    nodes = [
        c
        for c in graph.subjects(SCHEMA.about, rdflib.URIRef(claimed.iri))
        if (c, rdflib.RDF.type, SCHEMA.Claim) in graph
    ]
    if len(nodes) != 1:
        return [f"{claimed.iri}: {len(nodes)} claim nodes about it"]
    node = nodes[0]
    gaps = []
    if claim.by is None:
        if (node, EAT.unattributed, TRUE) not in graph or graph.value(node, SCHEMA.author) is not None:
            gaps.append(f"{node}: not marked unattributed, or has an author")
    else:
        author = rdflib.URIRef(record_iri(claim.by))
        if graph.value(node, SCHEMA.author) != author or graph.value(node, PROV.wasAttributedTo) != author:
            gaps.append(f"{node}: author is not {claim.by}")
    grade = rdflib.URIRef(concept_iri("information-credibility", str(claim.credibility)))
    if graph.value(node, EAT.credibility) != grade or graph.value(node, EAT.credibilityReason) is None:
        gaps.append(f"{node}: no credibility {claim.credibility} with its reason")
    reporter = graph.value(node, EAT.reporter)
    if (reporter and str(reporter).removeprefix(ID_BASE)) != claim.reporter:
        gaps.append(f"{node}: reporter {reporter} is not {claim.reporter}")
    return gaps


@pytest.mark.parametrize("name", EXPORTS)
def test_every_assertion_resting_on_a_claim_has_a_claim_node_with_its_author_and_credibility(
    name: str, request: pytest.FixtureRequest
) -> None:
    exported: Exported = request.getfixturevalue(name)
    claimed = list(_claimed(exported.records))
    unhedged = [gap for item in claimed for gap in _hedge_gaps(exported.graph, item)]
    assert unhedged == []
    if name != "live":
        # Roles inherited from an event's claim count: the fixture has each form.
        assert any(item.assertion.inherited for item in claimed)
        assert {item.assertion.what for item in claimed} >= {"occurrence", "role", "affiliation"}


@pytest.mark.parametrize("name", EXPORTS)
def test_nothing_on_the_articles_own_word_gets_a_claim_node(name: str, request: pytest.FixtureRequest) -> None:
    exported: Exported = request.getfixturevalue(name)
    about = {
        str(thing)
        for claim in exported.graph.subjects(rdflib.RDF.type, SCHEMA.Claim)
        for thing in exported.graph.objects(claim, SCHEMA.about)
    }
    assert about == {item.iri for item in _claimed(exported.records)}


# The claim node


def _node(document: dict[str, Any], iri: str) -> dict[str, Any]:
    """The JSON object of the node ``iri`` anywhere in the document."""

    def walk(value: Any) -> Iterator[dict[str, Any]]:
        if isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, dict):
            yield value
            for item in value.values():
                yield from walk(item)

    found = [obj for obj in walk(document["@graph"]) if obj.get("@id") == ID_BASE + iri and len(obj) > 1]
    assert len(found) == 1, iri
    return found[0]


def test_the_fakhrizadeh_perpetrator_claim_is_a_node_about_israels_part_on_tehrans_word(fixture: Exported) -> None:
    participation = _node(fixture.document, "evt-assassination-mohsen-fakhrizadeh-2020#participant-1")
    claim = participation["claim"]
    event = ID_BASE + "evt-assassination-mohsen-fakhrizadeh-2020"
    assert claim == {
        "@id": event + "#participant-1-claim",
        "@type": ["Claim", "Entity"],
        "about": [event + "#participant-1"],
        "appearance": [ID_BASE + "src-amir-abdollahian-visit-turkey-2022-06"],
        "author": ID_BASE + "act-iran",
        "credibility": VOCAB + "information-credibility/3",
        "credibilityReason": "Tehran's word alone, which the article hedges.",
        "hedge": ["deemed", '"assassination"'],
        "reporter": ID_BASE + "act-iran",
        "wasAttributedTo": ID_BASE + "act-iran",
    }
    # The killing itself is reported on the article's own word: no claim on the event.
    assert "claim" not in _node(fixture.document, "evt-assassination-mohsen-fakhrizadeh-2020")


def test_an_unattributed_claim_has_no_author_and_says_so(fixture: Exported) -> None:
    claim = _node(fixture.document, "evt-buenos-aires-bombing#participant-0-claim")
    assert claim["unattributed"] is True
    assert "author" not in claim and "wasAttributedTo" not in claim and "reporter" not in claim
    assert claim["credibility"] == VOCAB + "information-credibility/6"


def test_a_relay_chain_runs_from_the_articles_own_source_back_to_the_first_relay(overlay: Exported) -> None:
    graph = overlay.graph
    claim = rdflib.URIRef(ID_BASE + "evt-overlay-plot-foiled#link-0-claim")
    assert graph.value(claim, SCHEMA.author) == rdflib.URIRef(ID_BASE + "act-iran")
    assert graph.value(claim, EAT.reporter) == rdflib.URIRef(ID_BASE + "act-fixture-turkish-officials")
    chain, report = [], graph.value(claim, PROV.wasDerivedFrom)
    while report is not None:
        chain.append(str(graph.value(report, PROV.wasAttributedTo)).removeprefix(ID_BASE))
        report = graph.value(report, PROV.wasDerivedFrom)
    # via: [act-fixture-wire, act-fixture-turkish-officials], the article's own source last.
    assert chain == ["act-fixture-turkish-officials", "act-fixture-wire"]


def test_a_claims_report_date_is_kept_apart_from_the_event_date_and_typed_by_precision(fixture: Exported) -> None:
    graph = fixture.graph
    event = rdflib.URIRef(ID_BASE + "evt-fixture-istanbul-kidnap-plot")
    claim = rdflib.URIRef(ID_BASE + "evt-fixture-istanbul-kidnap-plot#claim")
    reported = graph.value(claim, SCHEMA.dateCreated)
    assert isinstance(reported, rdflib.Literal)
    assert (str(reported), reported.datatype) == ("2022-06-16", rdflib.XSD.date)
    assert graph.value(claim, EAT.datePrecision) == rdflib.URIRef(VOCAB + "date-precision/day")
    happened = graph.value(event, SCHEMA.startDate)
    assert isinstance(happened, rdflib.Literal)
    assert (str(happened), happened.datatype) == ("2022-06", rdflib.XSD.gYearMonth)


def test_an_events_claim_is_about_the_event_and_the_roles_that_rest_on_it(overlay: Exported) -> None:
    claim = _node(overlay.document, "evt-overlay-israel-accuses#claim")
    event = ID_BASE + "evt-overlay-israel-accuses"
    assert claim["about"] == [event, event + "#participant-0"]
    own = _node(overlay.document, "evt-overlay-israel-accuses#participant-1-claim")
    assert (own["about"], own["author"]) == ([event + "#participant-1"], ID_BASE + "act-fixture-wire")


def test_a_denied_claim_names_the_denying_event_its_deniers_and_what_they_deny(fixture: Exported) -> None:
    kidnap = ID_BASE + "evt-fixture-istanbul-kidnap-plot"
    (denial,) = _node(fixture.document, "evt-fixture-istanbul-kidnap-plot#claim")["denial"]
    assert denial["@type"] == "Denial"
    assert denial["denyingEvent"] == ID_BASE + "evt-fixture-iran-denial"
    assert denial["denier"] == [ID_BASE + "act-iran"]
    # Denying the event denies every role resting on its claim.
    assert denial["denies"] == [kidnap] + [f"{kidnap}#participant-{n}" for n in range(4)]
    # A denial of one participant's part is on that part's own claim.
    (part,) = _node(fixture.document, "evt-buenos-aires-bombing#participant-0-claim")["denial"]
    assert (part["denyingEvent"], part["denies"]) == (
        ID_BASE + "evt-iran-denies-plot",
        [ID_BASE + "evt-buenos-aires-bombing#participant-0"],
    )
    link = _node(fixture.document, "evt-iran-denies-plot#link-1")
    assert link["linkParticipant"] == ID_BASE + "act-iran"


def test_sparql_lists_who_denies_what_iran_is_said_to_have_done(fixture: Exported) -> None:
    rows = fixture.graph.query(
        PREFIXES
        + """
SELECT ?thing ?denier WHERE {
  ?claim a schema:Claim ; eat:denial ?denial .
  ?denial eat:denies ?thing ; eat:denier ?denier .
  ?thing eat:participant id:act-iran .
}"""
    )
    assert {(str(t).removeprefix(ID_BASE), str(d).removeprefix(ID_BASE)) for t, d in rows} == {
        ("evt-buenos-aires-bombing#participant-0", "act-iran"),
    }


# Actors as sources, vocabularies and names


def test_unnamed_actors_say_so_and_every_graded_actor_has_its_reliability(fixture: Exported) -> None:
    graph = fixture.graph
    unnamed = {str(s).removeprefix(ID_BASE) for s in graph.subjects(EAT.unnamed, TRUE)}
    assert unnamed == {"act-fixture-turkish-investigators", "act-fixture-turkish-officials"}
    graded = {
        record.id: record.data["reliability"]
        for record in fixture.records
        if record.kind.name == "actor" and "reliability" in record.data
    }
    assert graded
    for actor_id, reliability in graded.items():
        actor = rdflib.URIRef(record_iri(str(actor_id)))
        assert graph.value(actor, EAT.reliability) == rdflib.URIRef(
            VOCAB + f"source-reliability/{reliability['grade']}"
        )
        assert str(graph.value(actor, EAT.reliabilityReason)) == reliability["reason"]


def test_sparql_gives_the_claimants_and_the_reporters_reliability_beside_each_claim(fixture: Exported) -> None:
    rows = fixture.graph.query(
        PREFIXES
        + """
SELECT ?thing ?claimant ?reporter WHERE {
  ?claim a schema:Claim ; schema:about ?thing ; schema:author/eat:reliability/skos:notation ?claimant .
  ?claim eat:reporter/eat:reliability/skos:notation ?reporter .
  FILTER (?thing = id:evt-istanbul-plot)
}"""
    )
    # A police spokesperson (C), through a wire service (B).
    assert {(str(c), str(r)) for _, c, r in rows} == {("C", "B")}


def test_the_admiralty_scales_are_skos_concept_schemes(fixture: Exported) -> None:
    graph = fixture.graph
    for scheme, values in (("source-reliability", "ABCDEF"), ("information-credibility", "123456")):
        concepts = set(graph.subjects(rdflib.SKOS.inScheme, rdflib.URIRef(VOCAB + scheme)))
        assert {str(c).removeprefix(VOCAB + scheme + "/") for c in concepts} == set(values)
        assert all(graph.value(c, rdflib.SKOS.definition) is not None for c in concepts)


@pytest.mark.parametrize("name", EXPORTS)
def test_every_event_has_a_name(name: str, request: pytest.FixtureRequest) -> None:
    exported: Exported = request.getfixturevalue(name)
    events = [r for r in exported.records if r.kind.name == "event"]
    assert events
    for record in events:
        names = list(exported.graph.objects(rdflib.URIRef(record_iri(str(record.id))), SCHEMA.name))
        assert names == [rdflib.Literal(record.data["summary"])], record.id


def test_outcome_fatalities_and_location_precision_are_exported(overlay: Exported) -> None:
    graph = overlay.graph
    event = rdflib.URIRef(ID_BASE + "evt-overlay-believed")
    assert graph.value(event, EAT.outcome) == rdflib.URIRef(VOCAB + "event-outcome/carried-out")
    assert graph.value(event, EAT.locationPrecision) == rdflib.URIRef(VOCAB + "location-precision/wider-area")
    # Fatalities only where the text gives a number: no fixture event does.
    assert list(graph.subject_objects(EAT.fatalities)) == []


# Completeness and readers


def test_every_field_at_every_depth_of_every_schema_has_a_row_in_the_mapping_table() -> None:
    schemas = load_schemas().schemas
    defs = schemas["defs.schema.json"]["$defs"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema or "items" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema["items"]
        return schema

    def check(spec: FieldSpec, schema: dict[str, Any], where: str) -> None:
        if isinstance(spec, tuple):
            for part in spec:
                check(part, schema, where)
        elif isinstance(spec, (Nested, Inline, ClaimNode)):
            properties = resolve(schema).get("properties", {})
            assert set(spec.fields) == set(properties), where
            for name, sub in spec.fields.items():
                check(sub, properties[name], f"{where}.{name}")

    for kind in KINDS:
        schema = schemas[kind.schema_file]
        assert set(RECORD_FIELDS[kind.name]) == set(schema["properties"]), kind.name
        for name, spec in RECORD_FIELDS[kind.name].items():
            check(spec, schema["properties"][name], f"{kind.name}.{name}")


def test_pyld_drops_nothing_of_the_claims_and_reads_the_same_graph_as_rdflib(overlay: Exported) -> None:
    dropped: list[str | None] = []
    jsonld.expand(overlay.document, {"documentLoader": offline_document_loader}, on_property_dropped=dropped.append)
    assert dropped == []
    nquads = jsonld.to_rdf(
        overlay.document, {"documentLoader": offline_document_loader, "format": "application/n-quads"}
    )
    assert isomorphic(rdflib.Graph().parse(data=nquads, format="nt"), overlay.graph)


def test_the_claims_export_is_byte_identical_from_run_to_run(overlay: Exported, tmp_path: Path) -> None:
    again = export(["jsonld"], tmp_path, overlay.corpus).folders["jsonld"]
    assert (again / DOCUMENT_NAME).read_bytes() == (overlay.folder / DOCUMENT_NAME).read_bytes()


# The documentation's examples


def _docs_queries() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


def test_the_documentations_claim_queries_answer_as_the_tests_do(overlay: Exported) -> None:
    blocks = _docs_queries()
    iran = [b for b in blocks if "schema:author id:act-iran" in b]
    unnamed = [b for b in blocks if "eat:unnamed true" in b]
    assert len(iran) == 1 and len(unnamed) == 1, "docs/export-jsonld.md lost a claims example"
    assert _short(overlay.graph.query(iran[0])) == _short(overlay.graph.query(what_does_it_allege("act-iran")))
    assert _short(overlay.graph.query(unnamed[0])) == _short(overlay.graph.query(EVENTS_ON_UNNAMED_SOURCES_ONLY))
