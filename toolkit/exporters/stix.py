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
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

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
        self.hostile = {
            p["actor"]
            for r in self.records
            if r.kind.name == "event" and m.is_hostile(r.data["type"])
            for p in r.data["participants"]
            if p["role"] in m.HOSTILE_ROLES
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
    ) -> None:
        rel_id = stix_id("relationship", f"{origin.id}/{key}")
        self._add(
            origin,
            rel_id,
            partial(self._relationship, origin, rel_id, source_ref, edge, target_ref, words, note, certainty),
        )

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
    ) -> dict[str, Any]:
        kind = m.relationship_type(source_ref.split("--")[0], edge, target_ref.split("--")[0])
        return self._sdo(
            "relationship",
            origin,
            derived=True,
            id=rel_id,
            relationship_type=kind,
            source_ref=source_ref,
            target_ref=target_ref,
            description=_text(words or edge.words, note),
            confidence=m.CERTAINTY_CONFIDENCE.get(certainty or ""),
        )

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
        for tie in data.get("affiliations") or []:
            self._relate(
                record,
                f"affiliation/{tie['relation']}/{tie['actor']}",
                own_id,
                m.AFFILIATION_EDGES[tie["relation"]],
                self.ids[tie["actor"]],
                note=tie.get("note"),
                certainty=tie.get("certainty"),
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
        self._add(record, own_id, partial(self._event_object, record))
        if data.get("location"):
            self._relate(record, "location", own_id, m.EDGES["located-at"], self.ids[data["location"]])
        for p in data["participants"]:
            self._relate(
                record,
                f"participant/{p['role']}/{p['actor']}",
                own_id,
                m.PARTICIPANT_EDGES[p["role"]],
                self.ids[p["actor"]],
                note=p.get("note"),
            )
        self._links(record, own_id)
        if m.is_hostile(data["type"]):
            hostile = [p for p in data["participants"] if p["role"] in m.HOSTILE_ROLES]
            aimed_at = [p for p in data["participants"] if p["role"] in m.TARGET_ROLES]
            for actor in hostile:
                for aim in aimed_at:
                    self._relate(
                        record,
                        f"targets/{actor['actor']}/{aim['actor']}",
                        self.ids[actor["actor"]],
                        m.EDGES["targets"],
                        self.ids[aim["actor"]],
                        note=f"As {aim['role']} of: {data['summary']}",
                    )

    def _event_object(self, record: Record) -> dict[str, Any]:
        data = record.data
        return self._sdo(
            "event",
            record,
            name=data["summary"],
            status=m.EVENT_STATUS[data["status"]],
            event_types=[data["type"]],
            labels=[data["status"]],
            description=_text(
                data.get("note"), "Date as the source gives it: " + _date_words(data["date"]), data["date"].get("note")
            ),
            extensions={m.EVENT_EXTENSION_ID: {"extension_type": "new-sdo"}},
            **self._span(data["date"], "start_time", "end_time"),
        )

    def _links(self, record: Record, own_id: str) -> None:
        for link in record.data.get("links") or []:
            self._relate(
                record,
                f"link/{link['relation']}/{link['target']}",
                own_id,
                m.LINK_EDGES[link["relation"]],
                self.ids[link["target"]],
                note=link.get("note"),
                certainty=link.get("certainty"),
            )

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
        self._links(record, own_id)
        note_id = stix_id("note", f"{record.id}/note")
        self._add(record, note_id, partial(self._advisory_note, record, note_id))

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
