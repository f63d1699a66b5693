"""STIX 2.1 export: the corpus as one bundle, for threat-intelligence platforms.

Actors become identities, threat actors or intrusion sets; locations, locations;
events, Event SDOs of the OASIS Incident Extension Suite; advisories, an SDO of our
own extension with a note beside each; each source, a report of what it supports.
Ids are UUIDv5 of annotation ids and timestamps come from the sources' dates, so
the same corpus always gives the same bytes. The tables live in stix_mapping.py;
docs/export-stix.md explains them.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from toolkit import claims
from toolkit.claims import Assertion, Claim, Denial
from toolkit.corpus_index import CorpusIndex
from toolkit.exporters import json_writer
from toolkit.exporters import stix_mapping as m
from toolkit.model import Kind, Record
from toolkit.partial_dates import bounds, earliest

BUNDLE_FILE = "bundle.json"


def write(corpus: CorpusIndex, out: Path) -> None:
    """Write the corpus as a STIX 2.1 bundle to ``out/bundle.json``."""
    with (out / BUNDLE_FILE).open("wb", buffering=_BUFFER_BYTES) as stream:
        write_bundle(corpus, stream)


def bundle_bytes(corpus: CorpusIndex) -> bytes:
    """The bundle as JSON text (sorted keys, two-space indent, UTF-8, final newline)."""
    stream = io.BytesIO()
    write_bundle(corpus, stream)
    return stream.getvalue()


_BUFFER_BYTES = 1 << 20
# The bundle is named after the text of its objects, which comes after its id in
# the file: the id is written as this stand-in of the same length and overwritten
# in place once the objects are written and hashed.
_UNNAMED = "bundle--00000000-0000-0000-0000-000000000000"
_ID_OFFSET = json_writer.to_bytes({"type": "bundle", "id": _UNNAMED, "objects": []}).index(_UNNAMED.encode())


def write_bundle(corpus: CorpusIndex, stream: BinaryIO) -> None:
    """Write the bundle to a seekable binary stream, one object at a time.

    Its id is the UUIDv5 of the SHA-256 of its objects' text, so it changes exactly
    when they do.
    """
    start = stream.tell()
    digest = json_writer.write_streamed(stream, {"type": "bundle", "id": _UNNAMED}, "objects", _Builder(corpus).build())
    end = stream.tell()
    named = stix_id("bundle", f"bundle/{digest}")
    stream.seek(start + _ID_OFFSET)
    stream.write(named.encode("ascii"))
    stream.seek(end)


def stix_id(stix_type: str, key: str) -> str:
    """A STIX identifier: the type, then the UUIDv5 of ``key`` in the project's namespace."""
    return f"{stix_type}--{uuid.uuid5(m.NAMESPACE, key)}"


def timestamp(day: dt.date) -> str:
    """Midnight UTC of a day, to the millisecond as STIX wants for created and modified."""
    return f"{day.isoformat()}T00:00:00.000Z"


def published_day(source: Record) -> dt.date:
    """The day a source counts as published: the last day its date may mean."""
    span = bounds(source.data.get("published"))
    if span is None:  # the corpus is validated before export; this is a bug if reached
        raise ValueError(f"{source.id}: no usable publication date")
    return span[1]


def _text(*parts: str | None) -> str | None:
    """Non-empty parts joined by blank lines, or None."""
    kept = [part for part in parts if part]
    return "\n\n".join(kept) if kept else None


def _fidelity(value: str) -> str:
    return m.FIDELITY_BY_PARTS[len(value.split("-"))]


def _date_words(date: dict[str, Any]) -> str:
    words: str = date["start"] + (f" to {date['end']}" if date.get("end") else "")
    return words + (f" ({date['expression']})" if date.get("expression") else "")


def _described(data: dict[str, Any]) -> str | None:
    """The note of a record, then its other names: for objects without an aliases property."""
    aliases = data.get("aliases") or []
    return _text(data.get("note"), "Also named: " + "; ".join(aliases) if aliases else None)


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if value not in (None, "", [], {})}


def _sentence(text: str) -> str:
    """Text as a sentence: a capital first, a full stop last."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


@dataclass(frozen=True, slots=True)
class _Footing:
    """On whose word an object rests: the claims it rests on, and the denials aimed at it."""

    claims: tuple[Claim, ...]
    denials: tuple[Denial, ...]


@dataclass(frozen=True, slots=True)
class _Hedge:
    """How an object carries its footing: STIX confidence, labels, and words."""

    confidence: int | None
    labels: list[str]
    words: str | None


# The method of the builder that plans the objects of each kind of record; sources
# become reports of the objects citing them, planned once every other object is.
PLANNERS: dict[str, str] = {"actor": "_actor", "location": "_location", "event": "_event", "advisory": "_advisory"}


def treats(kind: Kind) -> bool:
    """Whether this exporter knows how to write records of ``kind``."""
    return bool(kind.stix_type) and (kind.name in PLANNERS or kind.name == "source")


class _Builder:
    """Makes the objects of one corpus, in id order; remembers which record each object comes from.

    Every object's id is worked out first, with what makes the object (a method
    and its arguments); the objects themselves are made one at a time as the
    writer asks for them, so that they are never all held at once (performance
    edit, benchmarks/README.md).
    """

    def __init__(self, corpus: CorpusIndex) -> None:
        self.corpus = corpus
        self.records = sorted((r for r in corpus.records if r.id), key=lambda r: r.id or "")
        self.sources = {r.id: r for r in self.records if r.kind.name == "source"}
        self.published = {source_id: published_day(source) for source_id, source in self.sources.items()}
        # Every object made from a record (the record's own, its relationships, its
        # note) carries the record's dates and evidence: worked out once per record
        # (performance edit, benchmarks/README.md).
        self.dated: dict[str, tuple[str, str, list[dict[str, str]]]] = {}
        self.author = stix_id("identity", "corpus")
        self.makers: dict[str, Callable[[], dict[str, Any]]] = {}  # object id -> what makes the object
        self.origin: dict[str, Record] = {}  # object id -> the record it was made from
        self.names: dict[str, str] = {r.id: r.data["name"] for r in self.records if r.kind.name == "actor" and r.id}
        self.denials = claims.denials((r.kind.name, r.data) for r in self.records)
        # Advisories another one supersedes: their groupings say so (the status of an advisory in the corpus).
        self.superseded = {
            superseded
            for r in self.records
            if r.kind.name == "advisory"
            for superseded in r.data.get("supersedes") or []
        }
        # Threat actors and intrusion sets: only actors that the articles themselves, on
        # their own word, make the author of a hostile act. An actor hostile only on
        # someone's claim stays an identity; the claim is carried by its relationships.
        self.hostile = {
            assertion.actor
            for r in self.records
            if r.kind.name == "event" and claims.is_hostile(r.data["type"])
            for assertion in claims.event_assertions(r.data)
            if assertion.what == "role" and assertion.relation in claims.HOSTILE_ROLES and not assertion.claimed
        }
        self.ids = {r.id: self._id_of(r) for r in self.records if r.kind.name != "source"}
        # country code -> the id of that country's location record (Record.id: None only when invalid)
        self.countries: dict[str, str | None] = {}
        for r in self.records:
            if r.kind.name == "location" and r.data["type"] == "country":
                self.countries.setdefault(r.data["country"], r.id)

    def _id_of(self, record: Record) -> str:
        stix_type = record.kind.stix_type
        if record.kind.name == "actor" and record.id in self.hostile:
            stix_type = m.ACTOR_TYPES[record.data["type"]].hostile_type
        return stix_id(stix_type, record.id or "")

    def build(self) -> Iterator[dict[str, Any]]:
        """Every object of the bundle, in id order."""
        planners = {kind: getattr(self, method) for kind, method in PLANNERS.items()}
        for record in self.records:
            if record.kind.name in planners:
                planners[record.kind.name](record)
        # The objects citing each source, in one pass over the objects: asking each
        # source in turn went over every object once per source, quadratic in the
        # corpus (performance edit, benchmarks/README.md).
        citing: dict[str, list[str]] = {}
        for obj_id, origin in self.origin.items():
            for source_id in self._cited(origin):
                citing.setdefault(source_id, []).append(obj_id)
        for source in self.sources.values():
            self._report(source, citing.get(source.id or "", []))
        self._add(None, self.author, self._corpus_identity)
        if any(r.kind.name == "advisory" for r in self.records):
            self._add(None, m.ADVISORY_EXTENSION_ID, self._advisory_extension)
        for obj_id in sorted(self.makers):
            yield _compact(self.makers.pop(obj_id)())

    # -- common parts -------------------------------------------------------

    def _add(self, origin: Record | None, obj_id: str, make: Callable[[], dict[str, Any]]) -> None:
        """Plan the object ``obj_id``, made by ``make()``; the first plan for an id wins."""
        self.makers.setdefault(obj_id, make)
        if origin is not None:
            self.origin.setdefault(obj_id, origin)

    def _cited(self, record: Record) -> list[str]:
        return sorted({item["source"] for item in record.data["evidence"]})

    def _evidence(self, record: Record) -> list[dict[str, str]]:
        """Each evidence quote as an external reference to its source."""
        refs = []
        for item in record.data["evidence"]:
            source = self.sources[item["source"]]
            note = f"Note: {item['note']}" if item.get("note") else None
            refs.append(
                {
                    "source_name": source.data["title"],
                    "external_id": source.id,
                    "description": _text(item["quote"], note) or "",
                }
            )
        return refs

    def _sdo(self, stix_type: str, record: Record, *, derived: bool = False, **props: Any) -> dict[str, Any]:
        """An object made from a record: dated by the sources it cites, carrying its evidence.

        A ``derived`` object (a relationship, a note) is not the record itself and
        so does not carry the record's external ids.
        """
        created, modified, evidence = self._dated(record)
        external = (
            []
            if derived
            else [
                {"source_name": name, "external_id": value}
                for name, value in sorted((record.data.get("external_ids") or {}).items())
            ]
        )
        return {
            "type": stix_type,
            "spec_version": "2.1",
            "id": props.pop("id", None) or self.ids[record.id],
            "created": created,
            "modified": modified,
            "created_by_ref": self.author,
            **props,
            "external_references": external + evidence if external else evidence,
        }

    def _dated(self, record: Record) -> tuple[str, str, list[dict[str, str]]]:
        """When a record's objects were created and modified (by the sources it cites), and its evidence."""
        key = record.id or ""
        if key not in self.dated:
            days = [self.published[s] for s in self._cited(record)]
            self.dated[key] = (timestamp(min(days)), timestamp(max(days)), self._evidence(record))
        return self.dated[key]

    def _relate(
        self,
        origin: Record,
        key: str,
        source_ref: str,
        edge: m.Edge,
        target_ref: str,
        words: str | None = None,
        note: str | None = None,
        certainty: str | None = None,
        footing: _Footing | None = None,
    ) -> str:
        """Plan a relationship; its id."""
        rel_id = stix_id("relationship", f"{origin.id}/{key}")
        self._add(
            origin,
            rel_id,
            partial(self._relationship, origin, rel_id, source_ref, edge, target_ref, words, note, certainty, footing),
        )
        return rel_id

    def _relationship(
        self,
        origin: Record,
        rel_id: str,
        source_ref: str,
        edge: m.Edge,
        target_ref: str,
        words: str | None,
        note: str | None,
        certainty: str | None,
        footing: _Footing | None,
    ) -> dict[str, Any]:
        kind = m.relationship_type(
            source_ref.split("--")[0], edge, target_ref.split("--")[0], certain=certainty == m.IDENTITY_CERTAINTY
        )
        hedge = self._hedge(footing)
        judged = (
            f"The annotators judge this {certainty}: their own judgement, not a source's confidence."
            if certainty
            else None
        )
        return self._sdo(
            "relationship",
            origin,
            derived=True,
            id=rel_id,
            relationship_type=kind,
            source_ref=source_ref,
            target_ref=target_ref,
            description=_text(words or self._edge_words(edge, certainty), hedge.words, judged, note),
            # The sources' confidence only: the annotators' certainty is a label and words.
            confidence=hedge.confidence,
            labels=([edge.label] if edge.label else [])
            + hedge.labels
            + ([m.label("annotator-certainty", certainty)] if certainty else []),
        )

    @staticmethod
    def _edge_words(edge: m.Edge, certainty: str | None) -> str:
        return edge.certain_words if edge.certain_words and certainty == m.IDENTITY_CERTAINTY else edge.words

    # -- on whose word: claims, denials and how each object carries them ------

    def _footing(self, assertions: Iterable[Assertion]) -> _Footing | None:
        """The claims some assertions rest on and the denials aimed at them; None when neither."""
        found_claims: list[Claim] = []
        found_denials: list[Denial] = []
        for assertion in assertions:
            if assertion.claim is not None and assertion.claim not in found_claims:
                found_claims.append(assertion.claim)
            for denial in claims.denials_of(assertion, self.denials):
                if denial not in found_denials:
                    found_denials.append(denial)
        if not found_claims and not found_denials:
            return None
        return _Footing(tuple(found_claims), tuple(found_denials))

    def _hedge(self, footing: _Footing | None) -> _Hedge:
        """Confidence, labels and words for an object resting on ``footing``.

        Confidence is the specification's mapping of the claim's Admiralty credibility
        (absent for 6, "truth cannot be judged"); resting on several claims at once
        (a targets edge: the perpetrator's and the victim's roles), an object is no
        surer than its least credible claim, and has no confidence if one has none.
        """
        if footing is None:
            return _Hedge(None, [], None)
        confidences = [m.CREDIBILITY_CONFIDENCE.get(claim.credibility) for claim in footing.claims]
        labels = [label for claim in footing.claims for label in self._claim_labels(claim)]
        for denial in footing.denials:
            labels += [m.label("denied-by", actor) for actor in denial.deniers]
            labels.append(m.label("denied-in", denial.record_id))
        words = [self._claim_text(claim) for claim in footing.claims] or ["On the article's own word."]
        words += [self._denial_text(denial) for denial in footing.denials]
        confidence = None if not confidences or None in confidences else min(c for c in confidences if c is not None)
        return _Hedge(confidence, list(dict.fromkeys(labels)), " ".join(words))

    def _reliability(self, actor_id: str | None) -> str:
        """An actor's Admiralty reliability grade as a source; F when unnamed or ungraded."""
        if actor_id is None or actor_id not in self.corpus.by_id:
            return claims.UNJUDGED_RELIABILITY
        reliability = self.corpus.by_id[actor_id].data.get("reliability")
        grade = reliability.get("grade") if isinstance(reliability, dict) else None
        return grade if isinstance(grade, str) else claims.UNJUDGED_RELIABILITY

    def _claim_labels(self, claim: Claim) -> list[str]:
        """Who claims, through whom, and the Admiralty grades: the article's source for it
        (the reporter) in MISP's source-reliability tag, the claimant's in our own."""
        return [
            m.label("claimed-by", claim.by or m.UNATTRIBUTED),
            *(m.label("via", actor) for actor in claim.via),
            m.ADMIRALTY_CREDIBILITY_LABEL.format(claim.credibility),
            m.ADMIRALTY_RELIABILITY_LABEL.format(self._reliability(claim.reporter).lower()),
            m.label("claimant-reliability", self._reliability(claim.by).lower()),
        ]

    def _who(self, actor_id: str | None) -> str:
        return "no one named" if actor_id is None else f"{self.names.get(actor_id, actor_id)} ({actor_id})"

    def _claim_text(self, claim: Claim) -> str:
        """A claim in words: who, through whom, how credible and why, how reliable, when, the text's hedges."""
        words = claims.claim_words(claim, self.names)
        reason = claim.credibility_reason.strip().rstrip(".")
        parts = [_sentence(words + (f": {reason}" if reason else ""))]
        grades = [(claim.by, "the claimant")]
        if claim.reporter != claim.by:
            grades.append((claim.reporter, "the article's source for it"))
        parts.append(
            _sentence(
                "Reliability as a source: "
                + "; ".join(
                    f"{role}, {self._who(actor)}, {grade} ({claims.RELIABILITY_WORDS.get(grade, '?')})"
                    for actor, role in grades
                    for grade in [self._reliability(actor)]
                )
            )
        )
        if claim.date:
            parts.append(_sentence(f"Claimed or reported: {_date_words(dict(claim.date))}"))
        if claim.hedges:
            parts.append(_sentence("The article marks it as a claim with: " + "; ".join(claim.hedges)))
        return " ".join(parts)

    def _denial_text(self, denial: Denial) -> str:
        who = ", ".join(self._who(actor) for actor in denial.deniers)
        return _sentence(f"Denied{f' by {who}' if who else ''} in {denial.record_id}")

    def _name(self, record_id: str) -> str:
        name: str = self.corpus.by_id[record_id].data["name"]
        return name

    # -- per kind of record: the plan of its objects, and what makes each ----

    def _actor(self, record: Record) -> None:
        data, mapping = record.data, m.ACTOR_TYPES[record.data["type"]]
        own_id = self.ids[record.id]
        self._add(record, own_id, partial(self._actor_object, record))
        for code in data.get("countries") or []:
            if code in self.countries:
                self._relate(
                    record, f"country/{code}", own_id, m.EDGES[mapping.country_edge], self.ids[self.countries[code]]
                )
        for position in data.get("positions") or []:
            self._relate(
                record,
                f"position/{position['in']}/{position['title']}",
                own_id,
                m.EDGES["position"],
                self.ids[position["in"]],
                f"{position['title']} ({position['status']})",
                position.get("note"),
            )
        ties = claims.actor_assertions(data)
        for tie, assertion in zip(data.get("affiliations") or [], ties, strict=True):
            self._relate(
                record,
                f"affiliation/{tie['relation']}/{tie['actor']}",
                own_id,
                m.AFFILIATION_EDGES[tie["relation"]],
                self.ids[tie["actor"]],
                note=tie.get("note"),
                certainty=tie.get("certainty"),
                footing=self._footing([assertion]),
            )

    def _actor_object(self, record: Record) -> dict[str, Any]:
        data, mapping = record.data, m.ACTOR_TYPES[record.data["type"]]
        stix_type = self.ids[record.id].split("--")[0]
        aliases = data.get("aliases") or []
        props: dict[str, Any]  # STIX properties of mixed types, spread into _sdo's
        if stix_type == "identity":
            props = {
                "identity_class": mapping.identity_class,
                "sectors": list(mapping.sectors),
                "roles": [p["title"] for p in data.get("positions") or []],
                "description": _described(data),
            }
        else:
            props = {"aliases": aliases, "description": data.get("note")}
            if stix_type == "threat-actor":
                props["threat_actor_types"] = list(mapping.threat_actor_types)
        return self._sdo(stix_type, record, name=data["name"], **props)

    def _location(self, record: Record) -> None:
        data = record.data
        self._add(record, self.ids[record.id], partial(self._location_object, record))
        if data.get("within"):
            self._relate(record, "within", self.ids[record.id], m.EDGES["within"], self.ids[data["within"]])

    def _location_object(self, record: Record) -> dict[str, Any]:
        data = record.data
        props: dict[str, Any] = {"name": data["name"], "country": data["country"], "description": _described(data)}
        name_field = m.LOCATION_NAME_FIELD[data["type"]]
        if name_field:
            props[name_field] = data["name"]
        if data.get("coordinates"):
            props["latitude"] = data["coordinates"]["latitude"]
            props["longitude"] = data["coordinates"]["longitude"]
        return self._sdo("location", record, **props)

    def _event(self, record: Record) -> None:
        data = record.data
        own_id = self.ids[record.id]
        occurrence, *others = claims.event_assertions(data)
        roles = [assertion for assertion in others if assertion.what == "role"]
        footing = self._footing([occurrence])
        self._add(record, own_id, partial(self._event_object, record, occurrence, footing))
        grouped = [own_id]  # what the event's grouping holds
        if data.get("location"):
            grouped.append(self.ids[data["location"]])
            grouped.append(self._relate(record, "location", own_id, m.EDGES["located-at"], self.ids[data["location"]]))
        for p, role in zip(data["participants"], roles, strict=True):
            grouped.append(self.ids[p["actor"]])
            grouped.append(
                self._relate(
                    record,
                    f"participant/{p['role']}/{p['actor']}",
                    own_id,
                    m.PARTICIPANT_EDGES[p["role"]],
                    self.ids[p["actor"]],
                    note=p.get("note"),
                    footing=self._footing([role]),
                )
            )
        grouped += self._links(record, own_id)
        if claims.is_hostile(data["type"]):
            hostile = [role for role in roles if role.relation in claims.HOSTILE_ROLES and role.actor]
            aimed_at = [role for role in roles if role.relation in claims.TARGET_ROLES and role.actor]
            for actor in hostile:
                for aim in aimed_at:
                    grouped.append(
                        self._relate(
                            record,
                            f"targets/{actor.actor}/{aim.actor}",
                            self.ids[actor.actor or ""],
                            m.EDGES["targets"],
                            self.ids[aim.actor or ""],
                            note=f"As {aim.relation} of: {data['summary']}",
                            # It rests on both roles: the perpetrator's and the victim's.
                            footing=self._footing([actor, aim]),
                        )
                    )
        for assertion in (occurrence, *roles):
            if assertion.claim is not None:
                grouped += [self.ids[actor] for actor in assertion.claim.chain]
        grouping_id = self._grouping_id(record.id or "")
        # No origin: a report of an article lists the event's objects, not the grouping of
        # them (misp-stix, reading a report's objects, cannot take a grouping in among them).
        self._add(
            None,
            grouping_id,
            partial(self._event_grouping, record, grouping_id, sorted(set(grouped)), occurrence, footing, roles),
        )

    def _grouping_id(self, event_id: str) -> str:
        return stix_id("grouping", f"{event_id}/grouping")

    def _event_labels(self, record: Record, occurrence: Assertion, footing: _Footing | None) -> list[str]:
        """The event's status and who claims it (the article itself, when no one else does), as labels."""
        own_word = [] if occurrence.claimed else [m.label("claimed-by", m.OWN_WORD)]
        return [m.label("status", record.data["status"]), *own_word, *self._hedge(footing).labels]

    def _role_claimants(self, roles: list[Assertion]) -> list[str]:
        """Who claims a participant's part of the event, where the role has a claim of its own."""
        claimants = [
            m.label("role-claimed-by", role.claim.by or m.UNATTRIBUTED)
            for role in roles
            if role.claim and not role.inherited
        ]
        return list(dict.fromkeys(claimants))

    def _status_words(self, record: Record, footing: _Footing | None) -> str:
        data = record.data
        return (
            _text(
                f"Event {record.id} ({data['type']}), {data['status']} as the sources present it.",
                self._hedge(footing).words or "On the article's own word.",
            )
            or ""
        )

    def _event_object(self, record: Record, occurrence: Assertion, footing: _Footing | None) -> dict[str, Any]:
        data = record.data
        return self._sdo(
            "event",
            record,
            name=data["summary"],
            status=m.EVENT_STATUS[data["status"]],
            event_types=[data["type"]],
            labels=self._event_labels(record, occurrence, footing),
            confidence=self._hedge(footing).confidence,
            description=_text(
                self._status_words(record, footing),
                data.get("note"),
                "Date as the source gives it: " + _date_words(data["date"]),
                data["date"].get("note"),
            ),
            extensions={m.EVENT_EXTENSION_ID: {"extension_type": "new-sdo"}},
            **self._span(data["date"], "start_time", "end_time"),
        )

    def _event_grouping(
        self,
        record: Record,
        grouping_id: str,
        refs: list[str],
        occurrence: Assertion,
        footing: _Footing | None,
        roles: list[Assertion],
    ) -> dict[str, Any]:
        """The event as a core STIX grouping: for consumers that drop the Event SDO (OpenCTI, misp-stix)."""
        data = record.data
        return self._sdo(
            "grouping",
            record,
            derived=True,
            id=grouping_id,
            name=data["summary"],
            description=self._event_text(record, footing, roles),
            context=m.GROUPING_CONTEXT_HOSTILE if claims.is_hostile(data["type"]) else m.GROUPING_CONTEXT_OTHER,
            object_refs=refs,
            labels=self._event_labels(record, occurrence, footing) + self._role_claimants(roles),
            confidence=self._hedge(footing).confidence,
        )

    def _event_text(self, record: Record, footing: _Footing | None, roles: list[Assertion]) -> str:
        """The event in words: status, on whose word, when, where, outcome, and each role on whose word."""
        data = record.data
        location = data.get("location")
        where = None
        if location:
            precision = f", {data['location_precision']}" if data.get("location_precision") else ""
            where = f"Place: {self.corpus.by_id[location].data['name']} ({location}){precision}."
        participants = [
            f"- {role.relation}: {self._who(role.actor)}. {self._role_words(role, footing)}" for role in roles
        ]
        return (
            _text(
                self._status_words(record, footing),
                "Date as the source gives it: " + _date_words(data["date"]) + ".",
                where,
                f"Outcome: {data['outcome']}." if data.get("outcome") else None,
                f"Fatalities: {data['fatalities']}." if data.get("fatalities") is not None else None,
                "Participants:\n" + "\n".join(participants) if participants else None,
                f"Note: {data['note']}" if data.get("note") else None,
            )
            or ""
        )

    def _role_words(self, role: Assertion, event_footing: _Footing | None) -> str:
        """On whose word a participant plays its role, said once: a role on its event's claim says only that."""
        footing = self._footing([role])
        if footing is None:
            return "On the article's own word."
        if role.inherited and footing == event_footing:
            return "On the event's claim."
        return self._hedge(footing).words or ""

    def _links(self, record: Record, own_id: str) -> list[str]:
        """Plan the relationships of a record's links; their ids. A link between two events
        also links their groupings, so that readers of core objects alone can follow it."""
        made = []
        assertions = [a for a in claims.assertions(record.kind.name, record.data) if a.what == "link"]
        for link, assertion in zip(record.data.get("links") or [], assertions, strict=True):
            target, participant = link["target"], link.get("participant")
            key = f"link/{link['relation']}/{target}" + (f"/{participant}" if participant else "")
            edge = m.LINK_EDGES[link["relation"]]
            words = f"{edge.words} the part of {self._who(participant)} in" if participant else None
            footing = self._footing([assertion])
            ends = [(key, own_id, self.ids[target])]
            if record.kind.name == "event" and self.corpus.by_id[target].kind.name == "event":
                ends.append((f"grouping/{key}", self._grouping_id(record.id or ""), self._grouping_id(target)))
            for rel_key, source_ref, target_ref in ends:
                made.append(
                    self._relate(
                        record,
                        rel_key,
                        source_ref,
                        edge,
                        target_ref,
                        words,
                        link.get("note"),
                        link.get("certainty"),
                        footing,
                    )
                )
        return made

    def _span(self, date: dict[str, Any], start: str, end: str) -> dict[str, Any]:  # spread into _sdo's **props
        """A date as a timestamp with its fidelity, and an end only if it is later."""
        span = {start: timestamp(earliest(date["start"])), f"{start}_fidelity": _fidelity(date["start"])}
        if date.get("end") and earliest(date["end"]) > earliest(date["start"]):
            span[end] = timestamp(earliest(date["end"]))
            span[f"{end}_fidelity"] = _fidelity(date["end"])
        return span

    def _advisory_name(self, record: Record) -> str:
        data = record.data
        name = f"{self._name(data['issuer'])} advisory for {', '.join(self._name(a) for a in data['areas'])}"
        return name + (f", level {data['level']['value']}" if data.get("level") else "")

    def _advisory(self, record: Record) -> None:
        own_id = self.ids[record.id]
        self._add(record, own_id, partial(self._advisory_object, record))
        links = self._links(record, own_id)
        note_id = stix_id("note", f"{record.id}/note")
        self._add(record, note_id, partial(self._advisory_note, record, note_id))
        data = record.data
        grouped = [own_id, note_id, self.ids[data["issuer"]], *(self.ids[a] for a in data["areas"])]
        grouped += [self.ids[s] for s in data.get("supersedes") or []] + links
        grouping_id = self._grouping_id(record.id or "")
        # No origin, as for an event's grouping: the articles' reports list the advisory itself.
        self._add(None, grouping_id, partial(self._advisory_grouping, record, grouping_id, sorted(set(grouped))))

    def _advisory_grouping(self, record: Record, grouping_id: str, refs: list[str]) -> dict[str, Any]:
        """The advisory as a core STIX grouping: for consumers that drop the advisory SDO and notes (misp-stix).

        Its labels say who issued it, that it rests on the article's own word (an
        advisory has no claim of its own), and its status in the corpus: ``superseded``
        when another advisory supersedes it, else ``issued``.
        """
        data = record.data
        status = m.ADVISORY_SUPERSEDED if record.id in self.superseded else m.ADVISORY_ISSUED
        return self._sdo(
            "grouping",
            record,
            derived=True,
            id=grouping_id,
            name=self._advisory_name(record),
            description=_text(f"Advisory {record.id}, {status}.", self._advisory_text(record)),
            context=m.GROUPING_CONTEXT_OTHER,
            object_refs=refs,
            labels=[
                m.label("kind", "advisory"),
                m.label("status", status),
                m.label("claimed-by", m.OWN_WORD),
                m.label("issued-by", data["issuer"]),
            ],
        )

    def _advisory_object(self, record: Record) -> dict[str, Any]:
        data = record.data
        return self._sdo(
            m.ADVISORY_TYPE,
            record,
            name=self._advisory_name(record),
            description=data.get("note"),
            issuer_ref=self.ids[data["issuer"]],
            area_refs=[self.ids[a] for a in data["areas"]],
            audience=data["audience"],
            guidance=data["guidance"],
            level=data.get("level"),
            supersedes_refs=[self.ids[s] for s in data.get("supersedes") or []],
            extensions={m.ADVISORY_EXTENSION_ID: {"extension_type": "new-sdo"}},
            **self._span(data["date"], "issued", "issued_end"),
        )

    def _advisory_note(self, record: Record, note_id: str) -> dict[str, Any]:
        data, own_id = record.data, self.ids[record.id]
        return self._sdo(
            "note",
            record,
            derived=True,
            id=note_id,
            abstract=self._advisory_name(record),
            content=self._advisory_text(record),
            object_refs=list(dict.fromkeys([own_id, self.ids[data["issuer"]], *(self.ids[a] for a in data["areas"])])),
        )

    def _advisory_text(self, record: Record) -> str:
        """The advisory in words, for consumers that drop the advisory SDO."""
        data = record.data
        level = data.get("level")
        superseded = [self._advisory_name(self.corpus.by_id[s]) for s in data.get("supersedes") or []]
        return (
            _text(
                f"{self._name(data['issuer'])} issued an advisory for {data['audience']} covering "
                f"{', '.join(self._name(a) for a in data['areas'])}.",
                f"Guidance: {data['guidance']}",
                f"Level {level['value']} on the scale {level['scale']}: {self._scale_description(level['scale'])}"
                if level
                else None,
                f"Issued: {_date_words(data['date'])}.",
                "Supersedes: " + "; ".join(superseded) + "." if superseded else None,
                f"Note: {data['note']}" if data.get("note") else None,
            )
            or ""
        )

    def _scale_description(self, scale: str) -> str:
        levels = self.corpus.schemas.vocabulary("advisory_level")
        description: str = next(
            entry["properties"]["scale"].get("description", "")
            for entry in levels
            if entry["properties"]["scale"]["const"] == scale
        )
        return description

    def _report(self, source: Record, citing: list[str]) -> None:
        refs = sorted(citing)
        if source.data.get("publisher"):
            refs = sorted({*refs, self.ids[source.data["publisher"]]})
        if not refs:  # STIX requires object_refs; a source nothing cites has nothing to report
            return
        report_id = stix_id("report", source.id or "")
        self._add(None, report_id, partial(self._report_object, source, report_id, refs))

    def _report_object(self, source: Record, report_id: str, refs: list[str]) -> dict[str, Any]:
        data, day = source.data, timestamp(published_day(source))
        file_ref = {
            "source_name": data["title"],
            "external_id": source.id,
            "hashes": {"SHA-256": data["sha256"]},
            "description": f"Text file {data['text']}",
        }
        return {
            "type": "report",
            "spec_version": "2.1",
            "id": report_id,
            "created": day,
            "modified": day,
            "created_by_ref": self.author,
            "name": data["title"],
            "description": _text(
                data.get("note"), "Publication date: " + _date_words(data["published"]), data["published"].get("note")
            ),
            "report_types": ["threat-report"],
            "published": day,
            "object_refs": refs,
            "lang": data["language"],
            "external_references": [file_ref, *self._evidence(source)],
        }

    def _corpus_identity(self) -> dict[str, Any]:
        days = sorted(self.published.values())
        # A corpus without sources has no date of its own: use the extension's fixed one.
        first, last = (timestamp(days[0]), timestamp(days[-1])) if days else (m.ADVISORY_EXTENSION_CREATED,) * 2
        return {
            "type": "identity",
            "spec_version": "2.1",
            "id": self.author,
            "created": first,
            "modified": last,
            "name": m.CORPUS_IDENTITY_NAME,
            "identity_class": m.CORPUS_IDENTITY_CLASS,
            "description": "The curated annotation corpus this bundle was exported from: "
            "the author of every object in it.",
        }

    def _advisory_extension(self) -> dict[str, Any]:
        return {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": m.ADVISORY_EXTENSION_ID,
            "created": m.ADVISORY_EXTENSION_CREATED,
            "modified": m.ADVISORY_EXTENSION_CREATED,
            "created_by_ref": self.author,
            "name": m.ADVISORY_EXTENSION_NAME,
            "description": f"Adds the {m.ADVISORY_TYPE} SDO: a government warning or recommendation (such as "
            "a travel warning) with its issuer, areas, audience, guidance, level on the "
            "issuer's scale and issue date. Each advisory also comes with a note carrying "
            "the same content in words.",
            "schema": m.ADVISORY_SCHEMA_IRI,
            "version": m.ADVISORY_EXTENSION_VERSION,
            "extension_types": ["new-sdo"],
        }
