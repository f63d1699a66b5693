"""The JSON-LD export: offline, complete, readable by pyld and rdflib, and answering SPARQL questions.

Two corpora are exported once per module: the fixture corpus under
``tests/export_corpus`` (small, with known answers, shared by every format) and the project's real
corpus under ``annotations/``. Nothing here touches the network: the only
context is the one shipped in the package, served by ``offline_document_loader``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from corpus_overlay import built_export_corpus
from toolkit.exporters.jsonld import (
    CONTEXT_NAME,
    DOCUMENT_NAME,
    build_document,
    load_context,
    offline_document_loader,
)
from toolkit.exporters.jsonld_terms import (
    CONTEXT_IRI,
    EXTERNAL_ID_IRIS,
    ID_BASE,
    NAMESPACES,
    RECORD_FIELDS,
    VOCAB,
    Inline,
    Nested,
)
from toolkit.exporting import MARKER_NAME, export
from toolkit.kinds import KINDS
from toolkit.quotes import find_quote
from toolkit.schema_loader import load_schemas
from toolkit.validation import check_corpus

HERE = Path(__file__).parent
REPO_ROOT = HERE.parent
# One fixture corpus for every format (tests/export_corpus/README.md), evidence written out.
FIXTURE_CORPUS = built_export_corpus()
REAL_CORPUS = REPO_ROOT / "annotations"
SNAPSHOTS = HERE / "export_jsonld" / "snapshots"
DOCS = REPO_ROOT / "docs" / "export-jsonld.md"

EAT = rdflib.Namespace(VOCAB)
SCHEMA = rdflib.Namespace(NAMESPACES["schema"])
OA = rdflib.Namespace(NAMESPACES["oa"])
PREFIXES = "\n".join(f"PREFIX {prefix}: <{iri}>" for prefix, iri in NAMESPACES.items()) + f"\nPREFIX id: <{ID_BASE}>\n"

ACTORS_IN_EVENTS_IN_ISTANBUL = (
    PREFIXES
    + """
SELECT DISTINCT ?actor WHERE {
  ?event a schema:Event ;
         schema:location ?place ;
         eat:participation/eat:participant ?actor .
  ?place schema:containedInPlace* id:loc-istanbul .
}"""
)

ADVISORIES_AT_THE_TOP_OF_THEIR_SCALE_FOR_ISTANBUL = (
    PREFIXES
    + """
SELECT ?advisory ?level WHERE {
  ?advisory a eat:Advisory ;
            schema:spatialCoverage ?area ;
            eat:level ?level ;
            eat:levelScale ?scale .
  ?scale eat:maxLevel ?level .
  id:loc-istanbul schema:containedInPlace* ?area .
}"""
)

SAME_AS_LINKS_WITH_CERTAINTY = (
    PREFIXES
    + """
SELECT ?record ?other ?certainty WHERE {
  ?record eat:link ?link .
  ?link eat:linkRelation <https://w3id.org/event-annotation-toolkit/vocab#link-relation/same-as> ;
        eat:linkTarget ?other ;
        eat:certainty/skos:notation ?certainty .
}"""
)


def _export(corpus: Path, out: Path) -> Path:
    return export(["jsonld"], out, corpus).folders["jsonld"]


@pytest.fixture(scope="module")
def fixture_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(FIXTURE_CORPUS, tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def real_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Refused (ExportRefused) while the real corpus has errors: fix the corpus first.
    return _export(REAL_CORPUS, tmp_path_factory.mktemp("real"))


def _document(folder: Path) -> dict[str, Any]:
    return json.loads((folder / DOCUMENT_NAME).read_text(encoding="utf-8"))


def _rdflib_graph(document: dict[str, Any]) -> rdflib.Graph:
    """rdflib's own JSON-LD parser, given the shipped context inline so it fetches nothing."""
    inline = {**document, "@context": load_context()["@context"]}
    return rdflib.Graph().parse(data=json.dumps(inline), format="json-ld", base=ID_BASE)


@pytest.fixture(scope="module")
def fixture_graph(fixture_export: Path) -> rdflib.Graph:
    return _rdflib_graph(_document(fixture_export))


@pytest.fixture(scope="module")
def real_graph(real_export: Path) -> rdflib.Graph:
    return _rdflib_graph(_document(real_export))


def _ids(rows: Any, *columns: int) -> set[tuple[str, ...]]:
    """Query rows as tuples of record ids (IRIs without the base) or literal texts."""
    return {tuple(str(row[c]).removeprefix(ID_BASE) for c in columns) for row in rows}


def _expand(document: dict[str, Any]) -> tuple[list[Any], list[str | None]]:
    dropped: list[str | None] = []
    # A relative IRI or an undefined class resolves against pyld's placeholder base
    # (http://example.org/base/), outside every known namespace: the IRI test catches it.
    expanded = jsonld.expand(document, {"documentLoader": offline_document_loader}, on_property_dropped=dropped.append)
    return expanded, dropped


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside an expanded document."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)


# The package and its context


def test_the_context_is_inline_in_the_document_and_also_ships_beside_it(fixture_export: Path) -> None:
    shipped = REPO_ROOT / "toolkit" / "context" / CONTEXT_NAME
    assert (fixture_export / CONTEXT_NAME).read_bytes() == shipped.read_bytes()
    assert _document(fixture_export)["@context"] == load_context()["@context"]


def test_the_offline_loader_serves_our_context_and_refuses_every_other_url() -> None:
    served = offline_document_loader(CONTEXT_IRI, {})
    assert served["document"] == load_context()
    for url in ("https://schema.org/", "http://www.w3.org/ns/anno.jsonld", CONTEXT_IRI + "?v=2"):
        with pytest.raises(jsonld.JsonLdError):
            jsonld.expand({"@context": url, "@id": ID_BASE + "x"}, {"documentLoader": offline_document_loader})


def test_the_export_is_byte_identical_from_run_to_run(fixture_export: Path, tmp_path: Path) -> None:
    again = _export(FIXTURE_CORPUS, tmp_path)
    for name in (DOCUMENT_NAME, CONTEXT_NAME):
        assert (again / name).read_bytes() == (fixture_export / name).read_bytes()


def test_every_field_of_every_schema_has_a_row_in_the_mapping_table() -> None:
    schemas = load_schemas().schemas
    defs = schemas["defs.schema.json"]["$defs"]

    def properties(schema: dict[str, Any]) -> set[str]:
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        schema = schema.get("items", schema)
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        return set(schema.get("properties", {}))

    for kind in KINDS:
        schema = schemas[kind.schema_file]
        table = RECORD_FIELDS[kind.name]
        assert set(table) == set(schema["properties"]), kind.name
        for name, spec in table.items():
            if isinstance(spec, (Nested, Inline)):
                assert set(spec.fields) == properties(schema["properties"][name]), f"{kind.name}.{name}"


def test_the_documentation_defines_every_term_of_our_own_vocabulary() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    own = sorted(
        value if isinstance(value, str) else value["@id"]
        for value in load_context()["@context"].values()
        if str(value if isinstance(value, str) else value.get("@id", "")).startswith("eat:")
    )
    assert own, "the context defines no term of our own"
    missing = [term for term in own if f"`{term}`" not in docs]
    assert not missing, f"docs/export-jsonld.md does not define {missing}"


# JSON-LD processors read it without loss


@pytest.mark.parametrize("export_name", ["fixture_export", "real_export"])
def test_pyld_expands_the_document_offline_without_dropping_any_property(
    export_name: str, request: pytest.FixtureRequest
) -> None:
    expanded, dropped = _expand(_document(request.getfixturevalue(export_name)))
    assert dropped == []
    assert len(expanded) > 0


@pytest.mark.parametrize("export_name", ["fixture_export", "real_export"])
def test_every_iri_is_absolute_and_in_a_known_vocabulary(export_name: str, request: pytest.FixtureRequest) -> None:
    expanded, _ = _expand(_document(request.getfixturevalue(export_name)))
    vocabularies = tuple(NAMESPACES.values())
    nodes = (ID_BASE, VOCAB)
    linked = nodes + (NAMESPACES["oa"],) + tuple(t.split("{")[0] for t in EXTERNAL_ID_IRIS.values())
    for obj in _walk(expanded):
        for key in obj:
            assert key.startswith("@") or key.startswith(vocabularies), key
        for type_iri in obj.get("@type", []) if isinstance(obj.get("@type"), list) else [obj.get("@type")]:
            assert type_iri is None or type_iri.startswith(vocabularies), type_iri
        if "@id" in obj:
            is_node = len(obj) > 1
            assert obj["@id"].startswith(nodes if is_node else linked), obj["@id"]


@pytest.mark.parametrize("export_name", ["fixture_export", "real_export"])
def test_rdflib_parses_the_same_graph_as_pyld(export_name: str, request: pytest.FixtureRequest) -> None:
    document = _document(request.getfixturevalue(export_name))
    nquads = jsonld.to_rdf(document, {"documentLoader": offline_document_loader, "format": "application/n-quads"})
    from_pyld = rdflib.Graph().parse(data=nquads, format="nt")
    from_rdflib = _rdflib_graph(document)
    assert len(from_rdflib) == len(from_pyld) > 0
    assert isomorphic(from_rdflib, from_pyld)


# The model


def test_dates_are_typed_by_their_precision(fixture_graph: rdflib.Graph) -> None:
    def datatype(record: str, prop: rdflib.URIRef) -> tuple[str, str]:
        value = fixture_graph.value(rdflib.URIRef(ID_BASE + record), prop)
        assert isinstance(value, rdflib.Literal), (record, prop)
        return str(value), str(value.datatype).removeprefix(NAMESPACES["xsd"])

    assert datatype("evt-lapid-talks-ankara-2022-06-23", SCHEMA.startDate) == ("2022-06-23", "date")
    assert datatype("evt-assassination-mohsen-fakhrizadeh-2020", SCHEMA.startDate) == ("2020", "gYear")
    assert datatype("adv-nsc-istanbul-level-4-2022-06", SCHEMA.startDate) == ("2022-06", "gYearMonth")
    assert datatype("adv-nsc-istanbul-level-4-2022-06", SCHEMA.endDate) == ("2022-06-13", "date")
    assert datatype("src-amir-abdollahian-visit-turkey-2022-06", SCHEMA.datePublished) == ("2022-06", "gYearMonth")
    assert datatype("src-israel-hayom-lapid-visit-turkey-2022-06", EAT.publishedNotBefore) == ("2022-06-19", "date")
    assert datatype("src-israel-hayom-lapid-visit-turkey-2022-06", EAT.publishedNotAfter) == ("2022-06-22", "date")


@pytest.mark.parametrize("corpus, export_name", [(FIXTURE_CORPUS, "fixture_export"), (REAL_CORPUS, "real_export")])
def test_every_evidence_annotation_selects_its_quote_in_the_article(
    corpus: Path, export_name: str, request: pytest.FixtureRequest
) -> None:
    document = _document(request.getfixturevalue(export_name))
    # Read as written (no newline translation): a selector's prefix or suffix may hold a "\r".
    texts = {path.stem: path.read_bytes().decode("utf-8") for path in (corpus / "sources").glob("*.txt")}
    annotations = [obj for obj in _walk(document["@graph"]) if obj.get("@type") == "Annotation"]
    assert annotations
    for annotation in annotations:
        target = annotation["hasTarget"]
        text = texts[target["hasSource"].removeprefix(ID_BASE)]
        quote, position = sorted(target["hasSelector"], key=lambda s: s["@type"], reverse=True)
        assert (quote["@type"], position["@type"]) == ("TextQuoteSelector", "TextPositionSelector")
        assert text[position["start"] : position["end"]] == quote["exact"]
        assert text[: position["start"]].endswith(quote.get("prefix", ""))
        assert text[position["end"] :].startswith(quote.get("suffix", ""))
        assert find_quote(quote["exact"], text) is not None


def test_each_annotation_identifies_the_record_it_proves(fixture_graph: rdflib.Graph) -> None:
    advisory = rdflib.URIRef(ID_BASE + "adv-nsc-istanbul-level-4-2022-06")
    annotations = set(fixture_graph.subjects(OA.hasBody, advisory))
    assert {a.removeprefix(ID_BASE) for a in annotations} == {
        "adv-nsc-istanbul-level-4-2022-06#evidence-0",
        "adv-nsc-istanbul-level-4-2022-06#evidence-1",
    }
    for annotation in annotations:
        assert fixture_graph.value(annotation, OA.motivatedBy) == OA.identifying


# SPARQL answers questions of the corpus


def test_sparql_finds_the_actors_of_events_located_in_istanbul(fixture_graph: rdflib.Graph) -> None:
    answer = _ids(fixture_graph.query(ACTORS_IN_EVENTS_IN_ISTANBUL), 0)
    # Claimants and reporters are no participants: who claims an event is in its claim.
    assert answer == {
        ("act-fixture-iranian-cell",),
        ("act-fixture-israeli-businessman",),
        ("act-iran",),
        ("act-iran-intelligence-ministry",),
        ("act-iranian-agents",),
        ("act-israeli-tourists",),
        ("act-israelis",),
        ("act-israelis-in-istanbul",),
        ("act-plot-cell",),
        ("act-police-spokesperson",),
        ("act-turkish-police",),
    }


def test_sparql_finds_advisories_covering_istanbul_at_the_top_of_their_scale(fixture_graph: rdflib.Graph) -> None:
    answer = _ids(fixture_graph.query(ADVISORIES_AT_THE_TOP_OF_THEIR_SCALE_FOR_ISTANBUL), 0, 1)
    # The one for Turkey covers Istanbul too: the query follows containedInPlace.
    assert answer == {
        ("adv-fixture-nsc-istanbul-level-4", "4"),
        ("adv-il-nsc-turkey-level-4", "4"),
        ("adv-nsc-istanbul-level-4-2022-06", "4"),
    }


def test_sparql_lists_same_as_links_with_their_certainty(fixture_graph: rdflib.Graph) -> None:
    answer = _ids(fixture_graph.query(SAME_AS_LINKS_WITH_CERTAINTY), 0, 1, 2)
    one_way = {
        ("evt-fixture-review-abduction-plot", "evt-fixture-istanbul-kidnap-plot", "probable"),
        ("evt-iran-denies-plot", "evt-istanbul-plot", "possible"),
        (
            "evt-iranian-plot-kidnap-kill-israelis-istanbul-2022",
            "evt-iranian-assassination-plot-israelis-istanbul-2022",
            "probable",
        ),
        ("evt-lapid-talks-ankara-2022-06-23", "evt-lapid-visit-turkey-planned-2022-06-23", "certain"),
    }
    # same-as is symmetric (rule link-one-sided): each link is written on both records.
    assert answer == one_way | {(b, a, certainty) for a, b, certainty in one_way}


def test_the_sparql_example_in_the_documentation_answers_as_it_says(fixture_graph: rdflib.Graph) -> None:
    blocks = re.findall(r"```sparql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    # The advisories example; the claims examples are run by tests/test_export_jsonld_claims.py.
    blocks = [block for block in blocks if "eat:Advisory" in block]
    assert blocks, "docs/export-jsonld.md has no ```sparql example of advisories"
    for block in blocks:
        assert _ids(fixture_graph.query(block), 0) == {
            ("adv-fixture-nsc-istanbul-level-4",),
            ("adv-il-nsc-turkey-level-4",),
            ("adv-nsc-istanbul-level-4-2022-06",),
        }


def test_sparql_on_the_real_corpus_finds_who_acted_in_istanbul(real_graph: rdflib.Graph) -> None:
    answer = _ids(real_graph.query(ACTORS_IN_EVENTS_IN_ISTANBUL), 0)
    assert {("act-iranian-agents",), ("act-israelis",), ("act-iran",)} <= answer


def test_sparql_on_the_real_corpus_finds_the_nsc_level_4_warning_for_istanbul(real_graph: rdflib.Graph) -> None:
    answer = _ids(real_graph.query(ADVISORIES_AT_THE_TOP_OF_THEIR_SCALE_FOR_ISTANBUL), 0, 1)
    assert ("adv-nsc-istanbul-level-4-2022-06", "4") in answer


def test_sparql_on_the_real_corpus_lists_the_two_accounts_of_the_istanbul_plot_as_probably_the_same(
    real_graph: rdflib.Graph,
) -> None:
    answer = _ids(real_graph.query(SAME_AS_LINKS_WITH_CERTAINTY), 0, 1, 2)
    assert (
        "evt-iranian-plot-kidnap-kill-israelis-istanbul-2022",
        "evt-iranian-assassination-plot-israelis-istanbul-2022",
        "probable",
    ) in answer


# Snapshots and the command line


def test_the_fixture_corpus_export_matches_its_snapshot(fixture_export: Path, file_regression: Any) -> None:
    file_regression.check(
        (fixture_export / DOCUMENT_NAME).read_text(encoding="utf-8"), fullpath=SNAPSHOTS / "fixture-corpus.jsonld"
    )


def test_the_cli_exports_jsonld(run_toolkit: Any, tmp_path: Path) -> None:
    result = run_toolkit(["export", "--format", "jsonld", "--out", str(tmp_path), "--corpus", str(FIXTURE_CORPUS)])
    assert "wrote jsonld" in result.output
    written = sorted(path.name for path in (tmp_path / "jsonld").iterdir() if path.name != MARKER_NAME)
    assert written == [CONTEXT_NAME, DOCUMENT_NAME]
    assert _document(tmp_path / "jsonld") == build_document(check_corpus(FIXTURE_CORPUS.absolute()).index)
