"""How records become JSON-LD: one table from kinds, fields and vocabularies to terms.

The terms (``name``, ``startDate``, ``hasTarget``...) are defined in the context
shipped with the package (``toolkit/context/context.jsonld``), which maps each to
an IRI of schema.org, W3C Web Annotation, PROV-O, SKOS, Dublin Core or this
project's own vocabulary. ``RECORD_FIELDS`` says, for every field of every kind
of record, which term it becomes and how its value is written; the exporter only
interprets this table. A test checks that the table covers every field the
schemas define.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

CONTEXT_IRI = "https://w3id.org/event-annotation-toolkit/context.jsonld"
VOCAB = "https://w3id.org/event-annotation-toolkit/vocab#"
ID_BASE = "https://w3id.org/event-annotation-toolkit/id/"
DATASET_IRI = ID_BASE + "corpus"

# Every IRI the export uses starts with one of these (the tests hold it to that).
NAMESPACES: dict[str, str] = {
    "schema": "https://schema.org/",
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "eat": VOCAB,
}

# The Web Annotation motivation of an evidence annotation: it ties a passage of an
# article to the IRI of what the passage mentions ("identifying" in the W3C model).
EVIDENCE_MOTIVATION = NAMESPACES["oa"] + "identifying"
# Code points of context kept before and after a quote (as Hypothesis does).
QUOTE_CONTEXT = 32
TEXT_MEDIA_TYPE = "text/plain"

# XSD datatype of a calendar date by its number of parts: YYYY, YYYY-MM, YYYY-MM-DD.
DATATYPE_BY_PARTS: dict[int, str] = {1: "xsd:gYear", 2: "xsd:gYearMonth", 3: "xsd:date"}

# Sites of the external ids (the ``external_ids`` keys) as IRI templates for schema:sameAs.
EXTERNAL_ID_IRIS: dict[str, str] = {
    "wikidata": "http://www.wikidata.org/entity/{}",
    "geonames": "https://sws.geonames.org/{}/",
}

# Controlled vocabularies exported as SKOS concept schemes (IRI ``VOCAB + slug``; each
# value's concept is ``VOCAB + slug + "/" + value``), by the ``$defs`` entry listing them.
SCHEMES: dict[str, str] = {
    "actor-type": "actor_type",
    "advisory-scale": "advisory_level",
    "affiliation-relation": "affiliation_relation",
    "certainty": "certainty",
    "date-precision": "date_precision",
    "event-status": "event_status",
    "event-outcome": "event_outcome",
    "event-type": "event_type",
    "information-credibility": "information_credibility",
    "link-relation": "link_relation",
    "location-precision": "location_precision",
    "participant-role": "participant_role",
    "position-status": "position_status",
    "source-reliability": "source_reliability",
}
# Extra keywords of a vocabulary value, and the term each becomes on its concept.
CONCEPT_EXTRAS: dict[str, str] = {"x-cameo": "cameoCode"}

# The classes of every record of a kind are its ``Kind.jsonld_classes`` (toolkit/kinds.py);
# actors and locations add a class by their type.
CLASSES_BY_ACTOR_TYPE: dict[str, tuple[str, ...]] = {
    "person": ("Person",),
    # A state is a place and an actor at once: a schema:Country (the same thing as the
    # country among the locations, linked by schema:sameAs) and, as it acts (issues
    # advisories, holds the positions of its officials), its government, the
    # Organization that schema:publisher and schema:memberOf expect. One node with two
    # types, as schema.org's own LocalBusiness is both a Place and an Organization, so
    # that every link to the state stays a link to one IRI.
    "state": ("Country", "GovernmentOrganization"),
    "government-body": ("GovernmentOrganization",),
    "intelligence-service": ("GovernmentOrganization",),
    "armed-group": ("Organization",),
    "covert-group": ("Organization",),
    "organization": ("Organization",),
    "media-outlet": ("NewsMediaOrganization",),
    "population": ("Population",),
}
CLASSES_BY_LOCATION_TYPE: dict[str, tuple[str, ...]] = {
    "country": ("Country",),
    "region": ("AdministrativeArea",),
    "city": ("City",),
}
DATASET_CLASSES: tuple[str, ...] = ("Collection", "Dataset")
# A claim is schema.org's Claim (who says it, what about, where it appears) and a PROV-O
# entity (attributed to its claimant, derived through its relays); a relay is an entity.
CLAIM_CLASSES: tuple[str, ...] = ("Claim", "Entity")
RELAY_CLASSES: tuple[str, ...] = ("Entity",)
DENIAL_CLASS = "Denial"


# How one field is written. Terms are names defined in the shipped context.
@dataclass(frozen=True)
class Literal:
    """The value (or each value of a list) as a plain literal."""

    term: str


@dataclass(frozen=True)
class Decimal:
    """A number as an xsd:decimal (the context types the term), never a float's exponent form."""

    term: str


@dataclass(frozen=True)
class Reference:
    """A record id (or list of ids) as the IRI of that record."""

    term: str


@dataclass(frozen=True)
class Concept:
    """A vocabulary value as the IRI of its concept in the scheme ``scheme``."""

    term: str
    scheme: str


@dataclass(frozen=True)
class Classes:
    """The value picks extra classes of the record."""

    by_value: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Date:
    """A date object: typed by precision, with its precision, expression and note.

    A day, month or year goes to ``exact``; a range to ``range_start`` and ``range_end``.
    """

    exact: str
    range_start: str
    range_end: str
    precision: str = "datePrecision"
    expression: str = "dateExpression"
    note: str = "dateNote"


@dataclass(frozen=True)
class DateBound:
    """One bound of a date object (its last day if ``last``), typed by its form."""

    term: str
    last: bool = False


@dataclass(frozen=True)
class ExternalIds:
    """The ``external_ids`` mapping as IRIs of the same thing elsewhere."""

    term: str = "sameAs"


@dataclass(frozen=True)
class Inline:
    """A mapping whose fields are written on the record's own node."""

    fields: dict[str, FieldSpec]


@dataclass(frozen=True)
class Nested:
    """A mapping, or each mapping of a list, as a node of its own with an IRI under the record's.

    The node of item ``n`` of a list (from 0, as in the validator's paths) is
    ``<record IRI>#<fragment>-<n>``; a single mapping's is ``<record IRI>#<fragment>``.
    """

    term: str
    cls: str
    fragment: str
    fields: dict[str, FieldSpec]


@dataclass(frozen=True)
class Wrapped:
    """A text value as a node of class ``cls`` holding it under ``value_term``."""

    term: str
    cls: str
    fragment: str
    value_term: str


@dataclass(frozen=True)
class TextFile:
    """A source's text file and its SHA-256 as the article's encoding (a MediaObject)."""

    term: str = "encoding"
    checksum_field: str = "sha256"


@dataclass(frozen=True)
class Covered:
    """Written by the spec of another field, named here for the reader."""

    by: str


@dataclass(frozen=True)
class Evidence:
    """Quotes as Web Annotations of the record, and the record derived from their sources."""

    term: str = "evidence"
    derived_from: str = "wasDerivedFrom"


@dataclass(frozen=True)
class Relays:
    """A claim's ``via``: the chain of relays as PROV-O entities, the article's own source outermost.

    The claim is ``term`` (prov:wasDerivedFrom) the report of its last relay, which
    is derived from the report of the relay before it, and so on back to the first
    relay: node ``<claim IRI>-via-<n>`` is ``via[n]``'s report, ``attributed``
    (prov:wasAttributedTo) to that relay.
    """

    term: str = "wasDerivedFrom"
    attributed: str = "wasAttributedTo"
    fragment: str = "via"


@dataclass(frozen=True)
class ClaimNode:
    """A ``claim`` mapping as a node of its own (``<node IRI>#claim``, or ``<node IRI>-claim`` inside a record).

    ``term`` nests it in the node it is about (a reverse of schema:about); the
    exporter adds what the claim's fields do not hold: everything it is
    ``about``, its ``reporter``, the articles it appears in, and the denials of
    what it asserts.
    """

    term: str
    fields: dict[str, FieldSpec]
    about: str = "about"
    reporter: str = "reporter"
    appearance: str = "appearance"
    denial: str = "denial"


# A tuple writes the value by each of its specs in turn.
FieldSpec: TypeAlias = (
    Literal
    | Decimal
    | Reference
    | Concept
    | Classes
    | Date
    | DateBound
    | ExternalIds
    | Inline
    | Nested
    | Wrapped
    | TextFile
    | Covered
    | Evidence
    | Relays
    | ClaimNode
    | tuple["FieldSpec", ...]
)

NOTE = Literal("comment")
EVIDENCE = Evidence()
# On whose word an assertion rests: a schema:Claim about the asserted node.
CLAIM = ClaimNode(
    "claim",
    {
        # The claimant, in schema.org's words and PROV-O's.
        "by": (Reference("author"), Reference("wasAttributedTo")),
        "unattributed": Literal("unattributed"),
        "via": Relays(),
        "credibility": Inline(
            {
                "grade": Concept("credibility", "information-credibility"),
                "reason": Literal("credibilityReason"),
            }
        ),
        # When it was claimed or reported; a range: at some point between two dates.
        "date": Date(exact="dateCreated", range_start="claimedNotBefore", range_end="claimedNotAfter"),
        "hedges": Literal("hedge"),
        "note": NOTE,
    },
)
LINKS = Nested(
    "link",
    "Link",
    "link",
    {
        "relation": Concept("linkRelation", "link-relation"),
        "target": Reference("linkTarget"),
        "certainty": Concept("certainty", "certainty"),
        "note": NOTE,
        "participant": Reference("linkParticipant"),
        "claim": CLAIM,
    },
)
RECORD_DATE = Date(exact="startDate", range_start="startDate", range_end="endDate")

# Every field of every kind of record, and how it is written.
RECORD_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "source": {
        "id": Literal("identifier"),
        "title": Literal("headline"),
        "publisher": Reference("publisher"),
        # A range means "published between": schema:datePublished cannot say that.
        "published": Date(exact="datePublished", range_start="publishedNotBefore", range_end="publishedNotAfter"),
        "language": Literal("inLanguage"),
        "text": TextFile(),
        "sha256": Covered("text"),
        "url": Literal("url"),
        "retrieved": Literal("dateRetrieved"),
        "truncated": Inline({"note": Literal("truncationNote")}),
        "note": NOTE,
        "evidence": EVIDENCE,
    },
    "actor": {
        "id": Literal("identifier"),
        "type": (Classes(CLASSES_BY_ACTOR_TYPE), Concept("actorType", "actor-type")),
        "name": Literal("name"),
        "aliases": Literal("alternateName"),
        "unnamed": Literal("unnamed"),
        "countries": Literal("countryCode"),
        "reliability": Inline(
            {
                "grade": Concept("reliability", "source-reliability"),
                "reason": Literal("reliabilityReason"),
            }
        ),
        # schema.org's Role pattern: person memberOf role, role memberOf organization.
        "positions": Nested(
            "memberOf",
            "OrganizationRole",
            "position",
            {
                "title": Literal("roleName"),
                "in": Reference("memberOf"),
                "status": Concept("positionStatus", "position-status"),
                "start": DateBound("startDate"),
                "end": DateBound("endDate", last=True),
                "note": NOTE,
            },
        ),
        "affiliations": Nested(
            "affiliation",
            "Affiliation",
            "affiliation",
            {
                "relation": Concept("affiliationRelation", "affiliation-relation"),
                "actor": Reference("affiliatedWith"),
                "certainty": Concept("certainty", "certainty"),
                "note": NOTE,
                "claim": CLAIM,
            },
        ),
        "external_ids": ExternalIds(),
        "note": NOTE,
        "evidence": EVIDENCE,
    },
    "location": {
        "id": Literal("identifier"),
        "type": Classes(CLASSES_BY_LOCATION_TYPE),
        "name": Literal("name"),
        "aliases": Literal("alternateName"),
        "country": Literal("countryCode"),
        "within": Reference("containedInPlace"),
        "coordinates": Nested(
            "geo",
            "GeoCoordinates",
            "geo",
            {
                "latitude": Decimal("latitude"),
                "longitude": Decimal("longitude"),
            },
        ),
        "external_ids": ExternalIds(),
        "note": NOTE,
        "evidence": EVIDENCE,
    },
    "event": {
        "id": Literal("identifier"),
        "type": Concept("eventType", "event-type"),
        "status": Concept("eventStatus", "event-status"),
        "claim": CLAIM,
        # The summary is the event's name too: the one sentence every event has, unique in
        # practice, in which the annotator keeps the text's hedge ("as Tehran deems it"); a
        # name made of type, place and date would collide, or drop the hedge.
        "summary": (Literal("name"), Literal("description")),
        "date": RECORD_DATE,
        "location": Reference("location"),
        "location_precision": Concept("locationPrecision", "location-precision"),
        "participants": Nested(
            "participation",
            "Participation",
            "participant",
            {
                "actor": Reference("participant"),
                "role": Concept("role", "participant-role"),
                "note": NOTE,
                "claim": CLAIM,
            },
        ),
        "outcome": Concept("outcome", "event-outcome"),
        "fatalities": Literal("fatalities"),
        "links": LINKS,
        "note": NOTE,
        "evidence": EVIDENCE,
    },
    "advisory": {
        "id": Literal("identifier"),
        "issuer": Reference("publisher"),
        "areas": Reference("spatialCoverage"),
        "audience": Wrapped("audience", "Audience", "audience", "audienceType"),
        "level": Inline(
            {
                "scale": Concept("levelScale", "advisory-scale"),
                "value": Literal("level"),
            }
        ),
        "guidance": Literal("guidance"),
        "date": RECORD_DATE,
        "supersedes": Reference("replaces"),
        "links": LINKS,
        "note": NOTE,
        "evidence": EVIDENCE,
    },
}
