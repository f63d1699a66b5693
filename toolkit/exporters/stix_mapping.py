"""How the corpus maps onto STIX 2.1: every table the STIX exporter reads, in one place.

Each table is keyed by the values of one controlled vocabulary of the schemas
(``defs.schema.json``); a test checks that every value has a row, so a new value
cannot be exported by accident. docs/export-stix.md explains each choice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from toolkit.kinds import KIND_BY_NAME
from toolkit.schema_loader import vocabulary

# The project's own UUIDv5 namespace, generated once (uuid4) and fixed for good:
# every STIX id is uuid5(NAMESPACE, <annotation id or derived key>). It is not the
# namespace STIX reserves for SCO ids (00abedb4-aa42-466c-9c01-fed23315a9b7).
NAMESPACE = uuid.UUID("a97d4b8f-9e03-483d-9e46-2b519f40ff9e")

# The author (created_by_ref) of every object: the corpus itself, named as nothing more.
CORPUS_IDENTITY_NAME = "event-annotation-toolkit corpus"
CORPUS_IDENTITY_CLASS = "group"

# OASIS Incident Extension Suite: the Event SDO (new-sdo).
EVENT_EXTENSION_ID = "extension-definition--4ca6de00-5b0d-45ef-a1dc-ea7279ea910e"

# Our own new SDO for advisories. Its type carries the project's prefix so that it
# cannot clash with another producer's or a future STIX type (STIX 2.1 section 7.3);
# it has no "x-": that prefix marks the deprecated custom objects of section 11.2.
ADVISORY_TYPE = KIND_BY_NAME["advisory"].stix_type
ADVISORY_SCHEMA_IRI = "https://w3id.org/event-annotation-toolkit/stix/advisory.schema.json"
ADVISORY_SCHEMA_FILE = "stix_advisory.schema.json"  # shipped beside this module
ADVISORY_EXTENSION_NAME = "event-annotation-toolkit advisory"
ADVISORY_EXTENSION_VERSION = "1.0.0"
# The day version 1.0.0 of the extension was defined: fixed, like its id, so that
# every export carries the same extension-definition object.
ADVISORY_EXTENSION_CREATED = "2026-11-22T00:00:00.000Z"
ADVISORY_EXTENSION_ID = "extension-definition--" + str(uuid.uuid5(NAMESPACE, f"extension-definition/{ADVISORY_TYPE}/1"))


@dataclass(frozen=True)
class ActorMapping:
    """The STIX object an actor type becomes.

    ``identity_class`` is used when the actor becomes an identity; an actor the
    sources make a perpetrator of a hostile event becomes ``hostile_type``
    instead. ``country_edge`` (a key of EDGES) links the actor to the location
    record of each of its countries.
    """

    identity_class: str
    hostile_type: str
    threat_actor_types: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    country_edge: str = "located-at"


# identity_class and sectors from STIX identity-class-ov and industry-sector-ov;
# threat_actor_types from threat-actor-type-ov, only where the actor type implies one.
ACTOR_TYPES: dict[str, ActorMapping] = {
    # A person's or population's countries are nationality, not where they are.
    "person": ActorMapping("individual", "threat-actor", country_edge="nationality"),
    "state": ActorMapping("organization", "threat-actor", ("nation-state",)),
    "government-body": ActorMapping("organization", "threat-actor", ("nation-state",), ("government",)),
    "intelligence-service": ActorMapping("organization", "threat-actor", ("nation-state",), ("government",)),
    "armed-group": ActorMapping("organization", "threat-actor"),
    "covert-group": ActorMapping("group", "intrusion-set"),
    "organization": ActorMapping("organization", "threat-actor"),
    "media-outlet": ActorMapping("organization", "threat-actor"),
    "population": ActorMapping("class", "threat-actor", country_edge="nationality"),
}

# Hostile activity is defined once, in toolkit/claims.py (is_hostile, HOSTILE_ROLES,
# TARGET_ROLES): a perpetrator of a hostile event, on the article's own word, is a
# threat actor or intrusion set, and the actors it acts against are what it targets.

# Our event statuses (how the source presents the event) to the Incident Extension
# Suite's event-status-enum: ongoing, occurred, not-occurred, pending, undetermined.
EVENT_STATUS: dict[str, str] = {
    "reported": "occurred",
    "confirmed": "occurred",
    "alleged": "undetermined",  # the source does not vouch for it
    "denied": "undetermined",  # a denial is a claim too; not-occurred would take sides
    "planned": "pending",
}

# Date precision (number of parts of a calendar date) to timestamp-fidelity-enum.
FIDELITY_BY_PARTS: dict[int, str] = {1: "year", 2: "month", 3: "day"}

# A claim's Admiralty credibility to STIX confidence: the specification's own mapping
# (STIX 2.1, Appendix A, "Admiralty Credibility"). 6, "truth cannot be judged", maps
# to no confidence at all: the property is left out, not set to a number.
CREDIBILITY_CONFIDENCE: dict[int, int | None] = {1: 90, 2: 70, 3: 50, 4: 30, 5: 10, 6: None}

# Labels: machine tags (namespace:predicate="value"), which MISP keeps as tags and
# OpenCTI as labels. The Admiralty grades use MISP's own taxonomy (admiralty-scale,
# lower-case letters); who claims, through whom, who denies and the status use the
# project's namespace, with annotation ids as values (names may hold any character).
ADMIRALTY_CREDIBILITY_LABEL = 'admiralty-scale:information-credibility="{}"'
ADMIRALTY_RELIABILITY_LABEL = 'admiralty-scale:source-reliability="{}"'
LABEL_NAMESPACE = "eat"
# The claimant label's value for an assertion on the article's own word, and for a
# claim that names no one ("it is believed that").
OWN_WORD = "article"
UNATTRIBUTED = "unattributed"

# The one certainty at which an identity relationship (IDENTITY_RELATIONSHIPS) is
# written: a same-as the annotators are less sure of is related-to, the doubt in words,
# so that a de-duplicating platform does not merge two accounts on a guess.
IDENTITY_CERTAINTY = "certain"
IDENTITY_RELATIONSHIPS: frozenset[str] = frozenset({"duplicate-of"})

# Each event also becomes a grouping (a core STIX object) of its objects, whose text and
# labels carry its status and who claims it, for consumers that drop the Event SDO.
# Its context, from STIX grouping-context-ov: hostile events are suspicious activity.
GROUPING_CONTEXT_HOSTILE = "suspicious-activity"
GROUPING_CONTEXT_OTHER = "unspecified"
# An advisory's grouping says its status in the corpus, as a label: superseded when another
# advisory supersedes it, issued otherwise (the corpus cannot say whether it is still in force).
ADVISORY_ISSUED = "issued"
ADVISORY_SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Edge:
    """A relationship: the STIX types wanted, best first, and what it means in words.

    The first wanted type the STIX 2.1 specification defines for the pair of
    object types (SPEC_RELATIONSHIPS) or for every pair (COMMON_RELATIONSHIPS) is
    used; otherwise the edge is ``related-to`` and its meaning stays in words.
    """

    wanted: tuple[str, ...]
    words: str
    # The words when the annotators are certain of the edge, if they differ.
    certain_words: str | None = None
    # A label that says what the edge means to a program, where its type cannot
    # (ROLE_LABEL for a participant's role): written on every relationship of the edge.
    label: str | None = None


EDGES: dict[str, Edge] = {
    "located-at": Edge(("located-at", "originates-from"), "located at"),
    "nationality": Edge((), "nationality"),
    "within": Edge((), "within"),
    "targets": Edge(("targets",), "targets"),
    "position": Edge((), "holds a position in"),
}

# Affiliation relations (actor to actor).
AFFILIATION_EDGES: dict[str, Edge] = {
    "member-of": Edge((), "member of"),
    "part-of": Edge(("attributed-to",), "part of"),
    "controlled-by": Edge(("attributed-to",), "controlled by"),
    "citizen-of": Edge((), "citizen of"),
}

# Link relations (event or advisory to event or advisory).
LINK_EDGES: dict[str, Edge] = {
    "response-to": Edge((), "in response to"),
    "part-of": Edge((), "part of"),
    "same-as": Edge(("duplicate-of",), "may describe the same happening as", "describes the same happening as"),
    "related-to": Edge((), "related to"),
    # STIX defines no relationship for a denial; related-to, described "denies", with
    # the denier and the denied event's grouping also labelled (docs/export-stix.md).
    "denies": Edge((), "denies"),
}

# Participant roles (event to actor). No relationship from an Event to an actor is
# defined, by STIX or by the Incident Extension Suite, and the OASIS validator warns
# (check 202) on any type but the common ones from an object type the specification
# does not list: a relationship type of our own (`eat-perpetrator`) or a spec type
# (`targets`) from an event would both warn. So the edge is `related-to`, and the role
# is the label ROLE_LABEL (`eat:role="perpetrator"`), which a program filters on
# (stix2: Filter("labels", "contains", 'eat:role="perpetrator"')) and which MISP and
# OpenCTI keep as a tag or label; docs/export-stix.md, "Roles".
ROLE_LABEL_PREDICATE = "role"
PARTICIPANT_EDGES: dict[str, Edge] = {
    str(role): Edge((), str(role), label=f'{LABEL_NAMESPACE}:{ROLE_LABEL_PREDICATE}="{role}"')
    for role in vocabulary("participant_role")
}

COMMON_RELATIONSHIPS: frozenset[str] = frozenset({"derived-from", "duplicate-of", "related-to"})

# (source type, relationship type, target type) defined by STIX 2.1 (section 4) for
# the object types this exporter writes. The Incident Extension Suite defines more
# for its Event SDO (located-at, led-to), but the OASIS validator knows only the
# specification's table and warns (check 202) on anything else, so they are not used.
SPEC_RELATIONSHIPS: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("identity", "located-at", "location"),
        ("threat-actor", "attributed-to", "identity"),
        ("threat-actor", "located-at", "location"),
        ("threat-actor", "targets", "identity"),
        ("threat-actor", "targets", "location"),
        ("intrusion-set", "attributed-to", "threat-actor"),
        ("intrusion-set", "originates-from", "location"),
        ("intrusion-set", "targets", "identity"),
        ("intrusion-set", "targets", "location"),
    }
)

# The location property that holds a place's own name, by location type.
LOCATION_NAME_FIELD: dict[str, str | None] = {"country": None, "region": "administrative_area", "city": "city"}


def relationship_type(source_type: str, edge: Edge, target_type: str, *, certain: bool = True) -> str:
    """The STIX relationship type for an edge between two object types.

    An edge the annotators are not ``certain`` of never becomes an identity
    relationship (IDENTITY_RELATIONSHIPS).
    """
    for wanted in edge.wanted:
        if not certain and wanted in IDENTITY_RELATIONSHIPS:
            continue
        if wanted in COMMON_RELATIONSHIPS or (source_type, wanted, target_type) in SPEC_RELATIONSHIPS:
            return wanted
    return "related-to"


def label(predicate: str, value: str) -> str:
    """One of the project's labels: ``eat:<predicate>="<value>"``."""
    return f'{LABEL_NAMESPACE}:{predicate}="{value}"'
