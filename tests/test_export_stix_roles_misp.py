"""Issue 17, STIX side: a participant's role is something a program reads, and MISP sees every event and advisory.

A role is the label ``eat:role="<role>"`` on the event's relationship to the actor
(docs/export-stix.md, "Roles"), so "events where act-iran is a perpetrator" is a
``stix2`` query; the claims resting on a role stay on that relationship. Through
misp-stix, every event and every advisory becomes a MISP event (from its grouping),
loaded here with PyMISP, tagged with its status and on whose word it rests. Each
promise is held on the fixture corpus (exactly) and on the live corpus (counted
against its own records, never pinned).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from stix2 import Filter, MemoryStore

from corpus_overlay import built_export_corpus
from toolkit import claims
from toolkit.exporters import stix_mapping as m
from toolkit.exporters.stix import BUNDLE_FILE, stix_id
from toolkit.exporting import export

HERE = Path(__file__).parent
FIXTURE = built_export_corpus()
LIVE_CORPUS = HERE.parent / "annotations"


def _records(corpus: Path, folder: str) -> Iterator[dict[str, Any]]:
    for path in sorted((corpus / folder).glob("*.yaml")):
        yield yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["fixture", "live"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A corpus (the fixture, then the live one) and the path of its exported bundle."""
    corpus = FIXTURE if request.param == "fixture" else LIVE_CORPUS
    out = tmp_path_factory.mktemp(f"stix-roles-{request.param}")
    export(["stix"], out, corpus)
    return corpus, out / "stix" / BUNDLE_FILE


def _store(bundle_path: Path) -> MemoryStore:
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    return MemoryStore(bundle["objects"], allow_custom=True)


def _object_id(store: MemoryStore, record_id: str) -> str:
    """The STIX id of a record's own object, whatever type it became (identity or threat actor)."""
    wanted = str(uuid.uuid5(m.NAMESPACE, record_id))
    [found] = [obj["id"] for obj in store.query([Filter("id", "contains", wanted)])]
    return str(found)


def _events_where(store: MemoryStore, actor_id: str, role: str) -> set[str]:
    """The STIX ids of the events where an actor plays a role: a stix2 query, no description read."""
    edges = store.query(
        [
            Filter("type", "=", "relationship"),
            Filter("labels", "contains", f'{m.LABEL_NAMESPACE}:role="{role}"'),
            Filter("target_ref", "=", _object_id(store, actor_id)),
        ]
    )
    return {edge["source_ref"] for edge in edges}


def _roles_in_records(corpus: Path) -> dict[tuple[str, str], set[str]]:
    """(actor, role) -> the STIX ids of the events asserting it, as toolkit.claims reads the records."""
    found: dict[tuple[str, str], set[str]] = {}
    for data in _records(corpus, "events"):
        for assertion in claims.assertions("event", data):
            if assertion.what == "role" and assertion.actor and assertion.relation:
                found.setdefault((assertion.actor, assertion.relation), set()).add(stix_id("event", data["id"]))
    return found


def test_events_where_iran_is_a_perpetrator_are_a_stix2_query(exported: tuple[Path, Path]) -> None:
    corpus, bundle_path = exported
    store = _store(bundle_path)
    expected = _roles_in_records(corpus).get(("act-iran", "perpetrator"), set())
    assert _events_where(store, "act-iran", "perpetrator") == expected
    if corpus == FIXTURE:
        assert expected == {
            stix_id("event", "evt-buenos-aires-bombing"),
            stix_id("event", "evt-iranian-assassination-plot-israelis-istanbul-2022"),
            stix_id("event", "evt-iranian-plot-kidnap-kill-israelis-istanbul-2022"),
        }


def test_every_role_of_every_participant_is_found_by_its_label(exported: tuple[Path, Path]) -> None:
    corpus, bundle_path = exported
    store = _store(bundle_path)
    by_label: dict[tuple[str, str], set[str]] = {}
    for edge in store.query([Filter("type", "=", "relationship")]):
        for label in edge.get("labels", []):
            if label.startswith(f"{m.LABEL_NAMESPACE}:role="):
                role = label.split("=", 1)[1].strip('"')
                actor = _record_of(store, edge["target_ref"])
                by_label.setdefault((actor, role), set()).add(edge["source_ref"])
    assert by_label == _roles_in_records(corpus)
    assert by_label


def _record_of(store: MemoryStore, stix_object_id: str) -> str:
    """The annotation id a STIX object was made from: its name's UUIDv5 is the record id's."""
    actor_ids = {str(uuid.uuid5(m.NAMESPACE, actor_id)): actor_id for actor_id in _ACTOR_IDS}
    return actor_ids[stix_object_id.split("--", 1)[1]]


_ACTOR_IDS = sorted(
    {data["id"] for corpus in (FIXTURE, LIVE_CORPUS) for data in _records(corpus, "actors")}
)  # every actor either corpus names


def test_a_role_resting_on_a_claim_keeps_its_hedge_beside_its_role() -> None:
    bundle_path = HERE / "export_stix" / "snapshots" / "fixture-bundle.json"
    store = _store(bundle_path)
    [edge] = store.query(
        [
            Filter("type", "=", "relationship"),
            Filter("labels", "contains", 'eat:role="perpetrator"'),
            Filter("target_ref", "=", _object_id(store, "act-israel")),
        ]
    )
    assert edge["relationship_type"] == "related-to"
    assert edge["confidence"] == 50
    assert {'eat:claimed-by="act-iran"', 'admiralty-scale:information-credibility="3"'} <= set(edge["labels"])


# -- MISP, through misp-stix, loaded with PyMISP -------------------------------------


def _misp_events(bundle_path: Path) -> list[Any]:
    """The bundle converted by misp-stix's importer of other producers' STIX: PyMISP ``MISPEvent`` objects.

    They are used as misp-stix makes them, not through their JSON: PyMISP 2.5.34
    cannot load its own JSON of an object carrying a MISP analyst note (misp-stix
    makes one of each advisory's STIX note): ``AnalystData.from_dict`` appends
    ``+00:00`` to a ``created`` that already has it (docs/export-stix.md, MISP).
    """
    from misp_stix_converter import ExternalSTIX2toMISPParser
    from misp_stix_converter.tools.stix2_loading_helpers import load_stix2_file
    from pymisp import MISPEvent

    invalid: dict[str, Any] = {}
    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(load_stix2_file(bundle_path, invalid), invalid_objects=invalid)
    parser.parse_stix_bundle()
    converted = [parser.misp_event] if parser.single_event else parser.misp_events
    assert all(isinstance(event, MISPEvent) for event in converted)
    return list(converted)


def _tags(misp_event: Any) -> set[str]:
    return {tag.name for tag in misp_event.tags}


def _misp_event_of(misp_events: list[Any], record_id: str) -> Any:
    """The MISP event made from a record's grouping (misp-stix keeps the grouping's UUID)."""
    wanted = str(uuid.uuid5(m.NAMESPACE, f"{record_id}/grouping"))
    found = [event for event in misp_events if event.uuid == wanted]
    return found[0] if found else None


def test_misp_gets_every_event_with_its_status_and_claimant(exported: tuple[Path, Path]) -> None:
    corpus, bundle_path = exported
    misp_events = _misp_events(bundle_path)
    events = list(_records(corpus, "events"))
    arrived = 0
    for data in events:
        misp_event = _misp_event_of(misp_events, data["id"])
        assert misp_event is not None, data["id"]
        claim = data.get("claim")
        claimant = m.OWN_WORD if claim is None else claim.get("by", m.UNATTRIBUTED)
        assert {f'eat:status="{data["status"]}"', f'eat:claimed-by="{claimant}"'} <= _tags(misp_event)
        assert data["id"] in " ".join(report.content for report in misp_event.event_reports)
        arrived += 1
    assert arrived == len(events) > 0
    if corpus == FIXTURE:
        assert arrived == 14


def test_misp_gets_every_advisory_with_its_status_issuer_and_text(exported: tuple[Path, Path]) -> None:
    corpus, bundle_path = exported
    misp_events = _misp_events(bundle_path)
    advisories = list(_records(corpus, "advisories"))
    superseded = {old for data in advisories for old in data.get("supersedes") or []}
    for data in advisories:
        misp_event = _misp_event_of(misp_events, data["id"])
        assert misp_event is not None, data["id"]
        status = "superseded" if data["id"] in superseded else "issued"
        assert {
            'eat:kind="advisory"',
            f'eat:status="{status}"',
            'eat:claimed-by="article"',
            f'eat:issued-by="{data["issuer"]}"',
        } <= _tags(misp_event)
        text = " ".join(report.content for report in misp_event.event_reports)
        assert data["id"] in text and data["guidance"].strip() in text
    assert len(advisories) > 0
    if corpus == FIXTURE:
        assert (len(advisories), len(superseded)) == (6, 2)
