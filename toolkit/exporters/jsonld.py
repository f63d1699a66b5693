"""JSON-LD export: one graph of the corpus on schema.org, W3C Web Annotation and PROV-O.

The document carries its context inline, so that any JSON-LD processor (plain
rdflib, plain pyld) reads it with nothing to fetch and no document loader to
write. The same context ships with the package and is written next to the
document as ``context.jsonld`` (its IRI is ``CONTEXT_IRI``), for documents of
one's own that name it; ``offline_document_loader`` serves that IRI to pyld. How
each field becomes a term is the table in ``jsonld_terms``; this module only
interprets it.
"""

from __future__ import annotations

import decimal
import heapq
import json
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from toolkit import claims
from toolkit.corpus_index import CorpusIndex
from toolkit.exporters import json_writer
from toolkit.exporters.jsonld_terms import (
    CLAIM_CLASSES,
    CLASSES_BY_ACTOR_TYPE,
    CLASSES_BY_LOCATION_TYPE,
    CONCEPT_EXTRAS,
    CONTEXT_IRI,
    DATASET_CLASSES,
    DATASET_IRI,
    DATATYPE_BY_PARTS,
    DENIAL_CLASS,
    EVIDENCE_MOTIVATION,
    EXTERNAL_ID_IRIS,
    ID_BASE,
    QUOTE_CONTEXT,
    RECORD_FIELDS,
    RELAY_CLASSES,
    SCHEMES,
    TEXT_MEDIA_TYPE,
    VOCAB,
    ClaimNode,
    Classes,
    Concept,
    Covered,
    Date,
    DateBound,
    Decimal,
    Evidence,
    ExternalIds,
    FieldSpec,
    Inline,
    Literal,
    Nested,
    Reference,
    Relays,
    TextFile,
    Wrapped,
)
from toolkit.model import Kind, Record
from toolkit.quotes import find_quote

DOCUMENT_NAME = "corpus.jsonld"
CONTEXT_NAME = "context.jsonld"

Node = dict[str, Any]


@lru_cache(maxsize=1)
def context_text() -> str:
    """The shipped context file, as text."""
    return resources.files("toolkit").joinpath("context", CONTEXT_NAME).read_text(encoding="utf-8")


def load_context() -> dict[str, Any]:
    """The shipped context document (``{"@context": {...}}``), a fresh copy on each call."""
    context: dict[str, Any] = json.loads(context_text())
    return context


def offline_document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves ``CONTEXT_IRI`` from the package and refuses every other URL.

    Use it as ``jsonld.expand(doc, {"documentLoader": offline_document_loader})``.
    """
    # pyld is only needed by whoever loads documents, not to write them.
    if url != CONTEXT_IRI:
        from pyld.jsonld import JsonLdError

        raise JsonLdError(
            f"refusing to load {url}: only {CONTEXT_IRI} is served, from the package",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": load_context()}


def record_iri(record_id: str) -> str:
    """The IRI of a record, from its id."""
    return ID_BASE + record_id


def concept_iri(scheme: str, value: str) -> str:
    """The IRI of a vocabulary value's concept."""
    return f"{VOCAB}{scheme}/{value}"


def typed_date(value: str) -> Node:
    """A calendar date as a literal typed xsd:date, xsd:gYearMonth or xsd:gYear by its form."""
    return {"@value": value, "@type": DATATYPE_BY_PARTS[len(value.split("-"))]}


def _decimal(number: int | float) -> str:
    # str(1e-05) is '1e-05', which is no xsd:decimal; format the exact decimal instead.
    return format(decimal.Decimal(repr(number)), "f")


def _add(node: Node, term: str, value: Any) -> None:
    """Set a term, or add to its values when another field already set it."""
    if term not in node:
        node[term] = value
        return
    existing = node[term] if isinstance(node[term], list) else [node[term]]
    node[term] = existing + (value if isinstance(value, list) else [value])


def assertion_iri(kind: str, record_id: str, path: tuple[str | int, ...]) -> str:
    """The IRI of the node that states an assertion (``claims.Assertion.path``): the record, or its item's node.

    ``()`` is the record itself (an event's occurrence); ``("participants", 1)`` is
    the node of that item, named by its field's fragment in ``RECORD_FIELDS``.
    """
    iri = record_iri(record_id)
    if not path:
        return iri
    spec = RECORD_FIELDS[kind][str(path[0])]
    if not isinstance(spec, Nested) or len(path) != 2:
        raise ValueError(f"no node for the assertion at {path!r} of a {kind}")
    return f"{iri}#{spec.fragment}-{path[1]}"


def claim_iri(node_iri: str) -> str:
    """The IRI of the claim node written in the node ``node_iri``: ``#claim`` on a record, ``-claim`` on an item."""
    return f"{node_iri}-claim" if "#" in node_iri else f"{node_iri}#claim"


Denials = dict[tuple[str, str | None], list[claims.Denial]]


def corpus_denials(corpus: CorpusIndex) -> Denials:
    """The denials of the corpus by what they deny (``claims.denials``), read in the order of record ids."""
    ordered = sorted((r for r in corpus.records if r.id is not None), key=lambda r: str(r.id))
    return claims.denials((record.kind.name, record.data) for record in ordered)


def treats(kind: Kind) -> bool:
    """Whether this exporter knows how to write records of ``kind``: its classes and each of its fields."""
    return bool(kind.jsonld_classes) and kind.name in RECORD_FIELDS


class _RecordWriter:
    """Writes one record's node by interpreting ``RECORD_FIELDS``."""

    def __init__(self, corpus: CorpusIndex, record: Record, denials: Denials, same: SameThings | None = None) -> None:
        self.corpus = corpus
        self.record = record
        self.iri = record_iri(str(record.id))
        self.types: set[str] = set(record.kind.jsonld_classes)
        self.denials = denials
        self.same = same or {}
        # What each claim of the record is about: the assertions resting on it, by the claim's IRI.
        # An event's claim carries its occurrence and every role with no claim of its own.
        self.claimed: dict[str, list[claims.Assertion]] = {}
        kind, record_id = record.kind.name, str(record.id)
        for assertion in claims.assertions(kind, record.data):
            if assertion.claim is not None:
                where = claim_iri(assertion_iri(kind, record_id, assertion.claim.path[:-1]))
                self.claimed.setdefault(where, []).append(assertion)

    def node(self) -> Node:
        node: Node = {"@id": self.iri}
        for name, spec in RECORD_FIELDS[self.record.kind.name].items():
            if name in self.record.data:
                self.write(spec, self.record.data[name], node, self.iri)
        same = self.same.get(str(self.record.id))
        if same:
            listed = node.get("sameAs", [])
            node["sameAs"] = sorted({*(listed if isinstance(listed, list) else [listed]), *map(record_iri, same)})
        node["@type"] = sorted(self.types)
        return node

    def write(self, spec: FieldSpec, value: Any, node: Node, base: str) -> None:
        """Write one field's value onto ``node``; ``base`` is the IRI sub-nodes are named under."""
        match spec:
            case tuple():
                for part in spec:
                    self.write(part, value, node, base)
            case Literal(term):
                _add(node, term, value)
            case Decimal(term):
                _add(node, term, _decimal(value))
            case Reference(term):
                _add(node, term, [record_iri(v) for v in value] if isinstance(value, list) else record_iri(value))
            case Concept(term, scheme):
                _add(node, term, concept_iri(scheme, str(value)))
            case Classes(by_value):
                self.types.update(by_value[value])
            case Date():
                self._date(spec, value, node)
            case DateBound(term, last):
                _add(node, term, typed_date(value["end"] if last and "end" in value else value["start"]))
            case ExternalIds(term):
                _add(node, term, sorted(EXTERNAL_ID_IRIS[site].format(key) for site, key in value.items()))
            case Inline(fields):
                for name, sub_spec in fields.items():
                    if name in value:
                        self.write(sub_spec, value[name], node, base)
            case Nested(term, cls, fragment, fields):
                _add(node, term, self._nested(value, cls, fragment, fields, base))
            case Wrapped(term, cls, fragment, value_term):
                _add(node, term, {"@id": f"{base}#{fragment}", "@type": cls, value_term: value})
            case TextFile(term, checksum_field):
                media: Node = {
                    "@id": f"{base}#text",
                    "@type": "MediaObject",
                    "name": value,
                    "encodingFormat": TEXT_MEDIA_TYPE,
                }
                if checksum_field in self.record.data:
                    media["sha256"] = self.record.data[checksum_field]
                _add(node, term, media)
            case Covered():
                pass
            case Evidence():
                self._evidence(spec, value, node)
            case ClaimNode(term):
                _add(node, term, self._claim(spec, value, base))
            case Relays():
                self._relays(spec, value, node)
            case _:
                raise TypeError(f"no way to write {spec!r}")

    def _date(self, spec: Date, value: dict[str, Any], node: Node) -> None:
        if value["precision"] == "range":
            _add(node, spec.range_start, typed_date(value["start"]))
            _add(node, spec.range_end, typed_date(value["end"]))
        else:
            _add(node, spec.exact, typed_date(value["start"]))
        _add(node, spec.precision, concept_iri("date-precision", value["precision"]))
        if "expression" in value:
            _add(node, spec.expression, value["expression"])
        if "note" in value:
            _add(node, spec.note, value["note"])

    def _nested(self, value: Any, cls: str, fragment: str, fields: dict[str, FieldSpec], base: str) -> Any:
        items = value if isinstance(value, list) else [value]
        nodes = []
        for number, item in enumerate(items):
            iri = f"{base}#{fragment}-{number}" if isinstance(value, list) else f"{base}#{fragment}"
            sub: Node = {"@id": iri, "@type": cls}
            for name, sub_spec in fields.items():
                if name in item:
                    self.write(sub_spec, item[name], sub, iri)
            nodes.append(sub)
        return nodes if isinstance(value, list) else nodes[0]

    def _claim(self, spec: ClaimNode, value: dict[str, Any], base: str) -> Node:
        """The claim node: its fields by the table, then what it is about, its reporter, articles and denials."""
        iri = claim_iri(base)
        claim: Node = {"@id": iri, "@type": list(CLAIM_CLASSES)}
        for name, sub_spec in spec.fields.items():
            if name in value:
                self.write(sub_spec, value[name], claim, iri)
        resting = self.claimed.get(iri, [])
        kind, record_id = self.record.kind.name, str(self.record.id)
        claim[spec.about] = [assertion_iri(kind, record_id, a.path) for a in resting] or [base]
        parsed = claims.claim_at(value, ())
        if parsed is not None and parsed.reporter is not None:
            claim[spec.reporter] = record_iri(parsed.reporter)
        evidence = self.record.data.get("evidence")
        if isinstance(evidence, list):
            claim[spec.appearance] = sorted({record_iri(item["source"]) for item in evidence})
        denials = self._denials(iri, resting)
        if denials:
            claim[spec.denial] = denials
        return claim

    def _denials(self, iri: str, resting: list[claims.Assertion]) -> list[Node]:
        """One node per denying record of what the claim asserts: the record, its deniers, what it denies."""
        by_record: dict[str, tuple[claims.Denial, list[str]]] = {}
        kind, record_id = self.record.kind.name, str(self.record.id)
        for assertion in resting:
            for denial in claims.denials_of(assertion, self.denials):
                _, denied = by_record.setdefault(denial.record_id, (denial, []))
                target = assertion_iri(kind, record_id, assertion.path)
                if target not in denied:
                    denied.append(target)
        nodes: list[Node] = []
        for number, (denial, denied) in enumerate(by_record.values()):
            node: Node = {
                "@id": f"{iri}-denial-{number}",
                "@type": DENIAL_CLASS,
                "denyingEvent": record_iri(denial.record_id),
                "denies": denied,
            }
            if denial.deniers:
                node["denier"] = [record_iri(actor) for actor in denial.deniers]
            nodes.append(node)
        return nodes

    def _relays(self, spec: Relays, via: list[str], claim: Node) -> None:
        """The relay chain: the claim derives from its last relay's report, each report from the one before."""
        derived = claim
        for number in range(len(via) - 1, -1, -1):
            report: Node = {
                "@id": f"{claim['@id']}-{spec.fragment}-{number}",
                "@type": list(RELAY_CLASSES),
                spec.attributed: record_iri(via[number]),
            }
            _add(derived, spec.term, report)
            derived = report

    def _evidence(self, spec: Evidence, items: list[dict[str, Any]], node: Node) -> None:
        annotations = [self._annotation(number, item) for number, item in enumerate(items)]
        _add(node, spec.term, annotations)
        # An article is not derived from the articles that prove what we say of it.
        if self.record.kind.name != "source":
            _add(node, spec.derived_from, sorted({record_iri(item["source"]) for item in items}))

    def _annotation(self, number: int, item: dict[str, Any]) -> Node:
        iri = f"{self.iri}#evidence-{number}"
        annotation: Node = {
            "@id": iri,
            "@type": "Annotation",
            "motivatedBy": EVIDENCE_MOTIVATION,
            "hasTarget": {
                "@id": f"{iri}-target",
                "@type": "SpecificResource",
                "hasSource": record_iri(item["source"]),
                "hasSelector": self._selectors(iri, item),
            },
        }
        if "note" in item:
            annotation["comment"] = item["note"]
        return annotation

    def _selectors(self, iri: str, item: dict[str, Any]) -> list[Node]:
        """A quote selector and, where the quote is found in the article, a position selector."""
        quote: str = item["quote"]
        source = self.corpus.by_id.get(item["source"])
        text = self.corpus.source_text(source).text if source and source.kind.name == "source" else None
        span = find_quote(quote, text) if text is not None else None
        if text is None or span is None:
            # Only an invalid corpus gets here (the export validates first): keep the quote as given.
            return [{"@id": f"{iri}-quote", "@type": "TextQuoteSelector", "exact": quote}]
        start, end = span
        # The passage as it stands in the article, so that both selectors select the same characters.
        by_quote: Node = {"@id": f"{iri}-quote", "@type": "TextQuoteSelector", "exact": text[start:end]}
        if start > 0:
            by_quote["prefix"] = text[max(0, start - QUOTE_CONTEXT) : start]
        if end < len(text):
            by_quote["suffix"] = text[end : end + QUOTE_CONTEXT]
        by_position: Node = {"@id": f"{iri}-position", "@type": "TextPositionSelector", "start": start, "end": end}
        return [by_quote, by_position]


def _concept_schemes(defs: dict[str, Any]) -> list[Node]:
    """Every controlled vocabulary as a SKOS concept scheme, with a concept per value."""
    nodes: list[Node] = []
    for slug, name in SCHEMES.items():
        definition = defs[name]
        scheme: Node = {"@id": VOCAB + slug, "@type": "ConceptScheme"}
        if "title" in definition:
            scheme["prefLabel"] = definition["title"]
        if "description" in definition:
            scheme["definition"] = definition["description"]
        nodes.append(scheme)
        for entry in definition["oneOf"]:
            nodes.append(_concept(slug, entry))
    return nodes


def _concept(slug: str, entry: dict[str, Any]) -> Node:
    if "const" in entry:
        value, description = entry["const"], entry.get("description")
        extras = {term: entry[key] for key, term in CONCEPT_EXTRAS.items() if key in entry}
    else:
        # A scale of advisory levels: its name is the title, its bounds those of the value.
        value = entry["title"]
        description = entry["properties"]["scale"].get("description")
        bounds = entry["properties"]["value"]
        extras = {"minLevel": bounds["minimum"], "maxLevel": bounds["maximum"]}
    node: Node = {
        "@id": concept_iri(slug, value),
        "@type": "Concept",
        "inScheme": VOCAB + slug,
        "notation": value,
        **extras,
    }
    if description:
        node["definition"] = description
    return node


SameThings = dict[str, list[str]]


def same_countries(corpus: CorpusIndex) -> SameThings:
    """The actors and locations that are one country, each with the ids of the others: a state and its land.

    Read from the class tables, not from a list of ids: an actor whose type makes it
    a ``Country`` (``CLASSES_BY_ACTOR_TYPE``, the type ``state``) is the same thing as
    a location whose type makes it one (``CLASSES_BY_LOCATION_TYPE``) when the
    actor's only country is the location's country code (``act-israel``, ``IL``;
    ``loc-israel``, ``IL``). The graph links them both ways by ``schema:sameAs``.
    """
    by_code: dict[str, list[str]] = {}
    for kind, classes, codes in (
        ("actor", CLASSES_BY_ACTOR_TYPE, lambda data: data.get("countries")),
        ("location", CLASSES_BY_LOCATION_TYPE, lambda data: [data.get("country")]),
    ):
        for record in corpus.of_kind(kind):
            found = codes(record.data)
            if record.id is None or "Country" not in classes.get(str(record.data.get("type")), ()):
                continue
            if isinstance(found, list) and len(found) == 1 and isinstance(found[0], str):
                by_code.setdefault(found[0], []).append(record.id)
    same: SameThings = {}
    for ids in by_code.values():
        if len(ids) > 1:
            for record_id in ids:
                same[record_id] = sorted(other for other in ids if other != record_id)
    return same


def build_document(corpus: CorpusIndex) -> dict[str, Any]:
    """The whole JSON-LD document: the context, inline, and the graph."""
    return {**load_context(), "@graph": build_graph(corpus)}


def build_graph(corpus: CorpusIndex) -> list[Node]:
    """The nodes of a corpus, sorted by id: its records, the corpus as a dataset, and the vocabularies."""
    return list(graph_nodes(corpus))


def graph_nodes(corpus: CorpusIndex) -> Iterator[Node]:
    """The nodes of ``build_graph``, in the same order, each made as it is asked for.

    The records' nodes come in the order of their IRIs, merged with the few other
    nodes: a writer holds one node at a time, not the whole graph (half a
    gigabyte at 100,000 records, slow to fault in; performance edit,
    benchmarks/README.md).
    """
    records = sorted((r for r in corpus.records if r.id is not None), key=lambda r: record_iri(str(r.id)))
    others = [
        {
            "@id": DATASET_IRI,
            "@type": list(DATASET_CLASSES),
            "hadMember": [record_iri(str(record.id)) for record in records],
            "wasDerivedFrom": [record_iri(str(r.id)) for r in records if r.kind.name == "source"],
        },
        *_concept_schemes(corpus.schemas.definitions),
    ]
    denials = corpus_denials(corpus)
    same = same_countries(corpus)
    record_nodes = (_RecordWriter(corpus, record, denials, same).node() for record in records)
    return heapq.merge(record_nodes, sorted(others, key=_node_id), key=_node_id)


def _node_id(node: Node) -> str:
    node_id: str = node["@id"]
    return node_id


def write(corpus: CorpusIndex, out: Path) -> None:
    """Write ``corpus.jsonld``, its context inline, and the same context alone, ``context.jsonld``, into ``out``."""
    with (out / DOCUMENT_NAME).open("wb", buffering=1 << 20) as stream:
        json_writer.write_streamed(stream, load_context(), "@graph", graph_nodes(corpus))
    (out / CONTEXT_NAME).write_text(context_text(), encoding="utf-8")
