"""Claims in the STIX 2.1 export (issue 15): no allegation reaches a STIX consumer as a fact.

Every assertion that rests on someone's claim carries the STIX confidence of its
Admiralty credibility (Appendix A) and labels naming who claims it; the annotators'
certainty is never a confidence; an actor becomes a threat actor only on the
article's own word; and readers that drop the Event SDO (misp-stix, a reader of core
objects only) still find each event's status and claimant.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from corpus_overlay import built_export_corpus
from toolkit import claims
from toolkit.exporters import stix_mapping as m
from toolkit.exporters.stix import BUNDLE_FILE, stix_id
from toolkit.exporting import export

HERE = Path(__file__).parent
FIXTURE = built_export_corpus()
LIVE_CORPUS = HERE.parent / "annotations"
DOCS = HERE.parent / "docs" / "export-stix.md"

# The STIX 2.1 specification's own object types (sections 4-6, 9, 12): what a reader
# that keeps only core objects keeps. The Event SDO (an extension's), eat-advisory and
# extension-definition objects are not among them.
CORE_TYPES = frozenset(
    {
        "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
        "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
        "opinion", "report", "threat-actor", "tool", "vulnerability", "relationship", "sighting",
        "marking-definition", "language-content", "artifact", "autonomous-system", "directory", "domain-name",
        "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
        "process", "software", "url", "user-account", "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip


def _export(corpus: Path, out: Path) -> dict[str, Any]:
    export(["stix"], out, corpus)
    bundle: dict[str, Any] = json.loads((out / "stix" / BUNDLE_FILE).read_text(encoding="utf-8"))
    return bundle


def _records(corpus: Path, folder: str) -> Iterator[dict[str, Any]]:
    for path in sorted((corpus / folder).glob("*.yaml")):
        yield yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fixture_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _export(FIXTURE, tmp_path_factory.mktemp("stix-claims-fixture"))


@pytest.fixture(scope="module")
def live_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _export(LIVE_CORPUS, tmp_path_factory.mktemp("stix-claims-live"))


@pytest.fixture(scope="module", params=["fixture", "live"])
def corpus_and_bundle(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    """The fixture corpus with its bundle, then the live corpus with its bundle."""
    corpus = FIXTURE if request.param == "fixture" else LIVE_CORPUS
    return corpus, request.getfixturevalue(f"{request.param}_bundle")


@pytest.fixture(scope="module")
def own_word_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture, with the Istanbul kidnap plot told on the article's own word (no claim, reported)."""
    corpus = tmp_path_factory.mktemp("stix-claims-own-word") / "corpus"
    shutil.copytree(FIXTURE, corpus)
    plot = corpus / "events" / "evt-fixture-istanbul-kidnap-plot.yaml"
    text = plot.read_text(encoding="utf-8")
    text = re.sub(r"^claim:\n(?:  .*\n)+", "", text, flags=re.MULTILINE).replace("status: alleged", "status: reported")
    plot.write_text(text, encoding="utf-8")
    return _export(corpus, tmp_path_factory.mktemp("stix-claims-own-word-out"))


def _by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in bundle["objects"]}


def _of(bundle: dict[str, Any], key: str, stix_type: str) -> dict[str, Any]:
    return _by_id(bundle)[stix_id(stix_type, key)]


def _actor(bundle: dict[str, Any], actor_id: str) -> dict[str, Any]:
    objects = _by_id(bundle)
    [found] = [objects[stix_id(t, actor_id)] for t in ("identity", "threat-actor", "intrusion-set")
               if stix_id(t, actor_id) in objects]  # fmt: skip
    return found


def _relationship(bundle: dict[str, Any], key: str) -> dict[str, Any]:
    return _of(bundle, key, "relationship")


def _label(predicate: str, value: object) -> str:
    return m.label(predicate, str(value))


# -- confidence: the claim's credibility, never the annotators' certainty ------


def test_confidence_is_the_specifications_mapping_of_the_admiralty_credibility() -> None:
    assert m.CREDIBILITY_CONFIDENCE == {1: 90, 2: 70, 3: 50, 4: 30, 5: 10, 6: None}


def test_an_event_on_a_claim_carries_the_confidence_of_its_credibility(fixture_bundle: dict[str, Any]) -> None:
    plot = _of(fixture_bundle, "evt-istanbul-plot", "event")  # credibility 2, probably true
    assert plot["confidence"] == 70
    assert 'admiralty-scale:information-credibility="2"' in plot["labels"]


def test_credibility_six_leaves_confidence_out_but_still_says_who_claims_it(fixture_bundle: dict[str, Any]) -> None:
    # Iran's part in the Buenos Aires bombing: blamed by no one the fixture names, truth cannot be judged.
    role = _relationship(fixture_bundle, "evt-buenos-aires-bombing/participant/perpetrator/act-iran")
    assert "confidence" not in role
    assert _label("claimed-by", m.UNATTRIBUTED) in role["labels"]
    assert 'admiralty-scale:information-credibility="6"' in role["labels"]
    assert "Claimed by no one the article names" in role["description"]


def test_the_annotators_certainty_is_words_and_a_label_never_a_confidence(fixture_bundle: dict[str, Any]) -> None:
    tie = _relationship(fixture_bundle, "act-iranian-agents/affiliation/controlled-by/act-iran")
    assert "confidence" not in tie
    assert tie["labels"] == [_label("annotator-certainty", "probable")]
    assert "The annotators judge this probable" in tie["description"]


# -- who claims, through whom, who denies ---------------------------------------


def test_the_fakhrizadeh_killing_is_reported_but_israels_part_is_tehrans_claim(fixture_bundle: dict[str, Any]) -> None:
    event_id = "evt-assassination-mohsen-fakhrizadeh-2020"
    killing = _of(fixture_bundle, event_id, "event")
    assert "confidence" not in killing
    assert killing["labels"] == [_label("status", "reported"), _label("claimed-by", m.OWN_WORD)]
    # Israel is hostile only on Tehran's word: an identity, not a threat actor.
    israel = _actor(fixture_bundle, "act-israel")
    assert israel["type"] == "identity"
    hedged = [
        _relationship(fixture_bundle, f"{event_id}/participant/perpetrator/act-israel"),
        _relationship(fixture_bundle, f"{event_id}/targets/act-israel/act-mohsen-fakhrizadeh"),
    ]
    for relationship in hedged:
        assert relationship["confidence"] == 50
        assert {
            _label("claimed-by", "act-iran"),
            'admiralty-scale:information-credibility="3"',
            'admiralty-scale:source-reliability="f"',
        } <= set(relationship["labels"])
        assert 'deemed; "assassination"' in relationship["description"]
    assert hedged[1]["source_ref"] == israel["id"]
    assert hedged[1]["relationship_type"] == "related-to"
    # The victim's part is the article's own word.
    victim = _relationship(fixture_bundle, f"{event_id}/participant/victim/act-mohsen-fakhrizadeh")
    # ...so it carries no confidence and no claimant: only its role, for programs to read.
    assert "confidence" not in victim and victim["labels"] == [_label("role", "victim")]
    grouping = _of(fixture_bundle, f"{event_id}/grouping", "grouping")
    assert _label("role-claimed-by", "act-iran") in grouping["labels"]
    assert "- perpetrator: Israel (act-israel). Claimed by Iran (act-iran)" in grouping["description"]


def test_a_claim_through_relays_names_the_claimant_the_relays_and_both_grades(fixture_bundle: dict[str, Any]) -> None:
    plot = _of(fixture_bundle, "evt-istanbul-plot", "event")
    assert [label for label in plot["labels"] if label.startswith(("eat:", "admiralty"))] == [
        _label("status", "alleged"),
        _label("claimed-by", "act-police-spokesperson"),
        _label("via", "act-fixture-wire"),
        'admiralty-scale:information-credibility="2"',
        # The article's own source for it (the wire) is B; the claimant (the spokesperson) C.
        'admiralty-scale:source-reliability="b"',
        _label("claimant-reliability", "c"),
    ]
    assert "via Fixture Wire (act-fixture-wire)" in plot["description"]


def test_a_claim_date_is_said_apart_from_the_event_date(fixture_bundle: dict[str, Any]) -> None:
    plot = _of(fixture_bundle, "evt-fixture-istanbul-kidnap-plot", "event")
    assert "Claimed or reported: 2022-06-16." in plot["description"]
    assert plot["start_time"] == "2022-06-01T00:00:00.000Z"


def test_a_denied_event_names_who_denies_it_and_the_denial_points_at_it(fixture_bundle: dict[str, Any]) -> None:
    plot_id, denial_id = "evt-fixture-istanbul-kidnap-plot", "evt-fixture-iran-denial"
    for obj in (_of(fixture_bundle, plot_id, "event"), _of(fixture_bundle, f"{plot_id}/grouping", "grouping")):
        assert {_label("denied-by", "act-iran"), _label("denied-in", denial_id)} <= set(obj["labels"])
        assert f"Denied by Iran (act-iran) in {denial_id}." in obj["description"]
    between_events = _relationship(fixture_bundle, f"{denial_id}/link/denies/{plot_id}")
    between_groupings = _relationship(fixture_bundle, f"{denial_id}/grouping/link/denies/{plot_id}")
    assert (between_events["source_ref"], between_events["target_ref"]) == (
        _of(fixture_bundle, denial_id, "event")["id"],
        _of(fixture_bundle, plot_id, "event")["id"],
    )
    assert (between_groupings["source_ref"], between_groupings["target_ref"]) == (
        _of(fixture_bundle, f"{denial_id}/grouping", "grouping")["id"],
        _of(fixture_bundle, f"{plot_id}/grouping", "grouping")["id"],
    )
    assert between_events["description"].startswith("denies")


def test_a_denial_of_one_participants_part_labels_that_part_only(fixture_bundle: dict[str, Any]) -> None:
    role = _relationship(fixture_bundle, "evt-buenos-aires-bombing/participant/perpetrator/act-iran")
    assert _label("denied-by", "act-iran") in role["labels"]
    bombing = _of(fixture_bundle, "evt-buenos-aires-bombing", "event")
    assert not [label for label in bombing["labels"] if "denied" in label]
    denial = _relationship(fixture_bundle, "evt-iran-denies-plot/link/denies/evt-buenos-aires-bombing/act-iran")
    assert denial["description"].startswith("denies the part of Iran (act-iran) in")


# -- threat actors only on the article's own word ------------------------------


def test_perpetrators_on_the_articles_own_word_become_threat_actors_or_intrusion_sets(
    own_word_bundle: dict[str, Any],
) -> None:
    cell = _actor(own_word_bundle, "act-fixture-iranian-cell")
    ministry = _actor(own_word_bundle, "act-iran-intelligence-ministry")
    assert (cell["type"], cell["aliases"]) == ("intrusion-set", ["Iranian operatives"])
    assert (ministry["type"], ministry["threat_actor_types"]) == ("threat-actor", ["nation-state"])
    # Still only on someone's word elsewhere: Iran, Israel.
    assert _actor(own_word_bundle, "act-iran")["type"] == "identity"
    aimed = _relationship(own_word_bundle, "evt-fixture-istanbul-kidnap-plot/targets/act-fixture-iranian-cell/"
                          "act-fixture-israeli-businessman")  # fmt: skip
    assert aimed["relationship_type"] == "targets"
    assert "confidence" not in aimed
    assert not [label for label in aimed.get("labels", []) if "claimed-by" in label]


def test_a_controlled_intrusion_set_is_attributed_to_its_controller_with_the_claims_confidence(
    own_word_bundle: dict[str, Any],
) -> None:
    tie = _relationship(
        own_word_bundle, "act-fixture-iranian-cell/affiliation/controlled-by/act-iran-intelligence-ministry"
    )
    assert (tie["relationship_type"], tie["confidence"]) == ("attributed-to", 50)
    assert _label("claimed-by", "act-fixture-turkish-officials") in tie["labels"]
    assert "Iran denies it" in tie["description"]


# -- every assertion of a corpus, hedged -----------------------------------------


def _objects_of(assertion: claims.Assertion, data: dict[str, Any]) -> list[str]:
    """The STIX ids of the objects that carry one assertion (docs/export-stix.md, "Claims")."""
    record = assertion.record_id
    if assertion.what == "occurrence":
        return [stix_id("event", record), stix_id("grouping", f"{record}/grouping")]
    if assertion.what == "affiliation":
        return [stix_id("relationship", f"{record}/affiliation/{assertion.relation}/{assertion.actor}")]
    if assertion.what == "link":
        key = f"link/{assertion.relation}/{assertion.target}" + (f"/{assertion.actor}" if assertion.actor else "")
        return [stix_id("relationship", f"{record}/{key}")]
    ids = [stix_id("relationship", f"{record}/participant/{assertion.relation}/{assertion.actor}")]
    if claims.is_hostile(data["type"]):
        roles = [(p["role"], p["actor"]) for p in data["participants"]]
        if assertion.relation in claims.HOSTILE_ROLES:
            ids += [stix_id("relationship", f"{record}/targets/{assertion.actor}/{aim}")
                    for role, aim in roles if role in claims.TARGET_ROLES]  # fmt: skip
        if assertion.relation in claims.TARGET_ROLES:
            ids += [stix_id("relationship", f"{record}/targets/{actor}/{assertion.actor}")
                    for role, actor in roles if role in claims.HOSTILE_ROLES]  # fmt: skip
    return ids


def _hedged(obj: dict[str, Any], claim: claims.Claim) -> bool:
    labels = obj.get("labels", [])
    confidence = m.CREDIBILITY_CONFIDENCE[claim.credibility]
    # An object resting on several claims is no surer than the least credible one.
    confident = "confidence" not in obj if confidence is None else obj.get("confidence", 101) <= confidence
    return (
        confident
        and _label("claimed-by", claim.by or m.UNATTRIBUTED) in labels
        and f'admiralty-scale:information-credibility="{claim.credibility}"' in labels
    )


def test_every_assertion_resting_on_a_claim_is_hedged_in_stix(corpus_and_bundle: tuple[Path, dict[str, Any]]) -> None:
    corpus, bundle = corpus_and_bundle
    objects = _by_id(bundle)
    checked, unhedged = 0, []
    for kind, folder in (("event", "events"), ("actor", "actors"), ("advisory", "advisories")):
        for data in _records(corpus, folder):
            for assertion in claims.assertions(kind, data):
                if assertion.claim is None:
                    continue
                for obj_id in _objects_of(assertion, data):
                    checked += 1
                    if not _hedged(objects[obj_id], assertion.claim):
                        unhedged.append((assertion.record_id, assertion.what, assertion.relation, obj_id))
    assert unhedged == []
    if corpus == FIXTURE:
        assert checked > 20


def test_no_uncertain_link_is_a_duplicate_of(corpus_and_bundle: tuple[Path, dict[str, Any]]) -> None:
    corpus, bundle = corpus_and_bundle
    objects = _by_id(bundle)
    kinds: dict[str, list[str]] = {"certain": [], "uncertain": []}
    for folder in ("events", "advisories"):
        for data in _records(corpus, folder):
            for link in data.get("links") or []:
                if link["relation"] == "same-as":
                    key = f"{data['id']}/link/same-as/{link['target']}"
                    certain = "certain" if link.get("certainty") == m.IDENTITY_CERTAINTY else "uncertain"
                    kinds[certain].append(objects[stix_id("relationship", key)]["relationship_type"])
    assert "duplicate-of" not in kinds["uncertain"]
    assert set(kinds["certain"]) <= {"duplicate-of"}
    duplicates = [obj for obj in bundle["objects"] if obj.get("relationship_type") == "duplicate-of"]
    assert all(_label("annotator-certainty", "certain") in obj["labels"] for obj in duplicates)
    if corpus == FIXTURE:
        assert kinds["certain"] and kinds["uncertain"]


def test_no_targets_edge_is_unhedged_unless_the_role_is_the_articles_own_word(
    corpus_and_bundle: tuple[Path, dict[str, Any]],
) -> None:
    _corpus, bundle = corpus_and_bundle
    objects = _by_id(bundle)
    for obj in bundle["objects"]:
        if obj.get("relationship_type") != "targets":
            continue
        claimed = any(label.startswith("eat:claimed-by=") for label in obj.get("labels", []))
        # Unhedged only from a threat actor or intrusion set, which the article's own word makes.
        assert claimed or objects[obj["source_ref"]]["type"] in ("threat-actor", "intrusion-set")


# -- what readers that drop the Event SDO still see ------------------------------


def _event_expectations(corpus: Path) -> dict[str, tuple[str, str]]:
    """Each event id with the status and claimant labels a reader must find for it."""
    expected = {}
    for data in _records(corpus, "events"):
        occurrence = claims.claim_at(data["claim"], ("claim",)) if "claim" in data else None
        claimant = m.OWN_WORD if occurrence is None else occurrence.by or m.UNATTRIBUTED
        expected[data["id"]] = (_label("status", data["status"]), _label("claimed-by", claimant))
    return expected


def test_a_reader_of_core_objects_only_sees_each_event_its_status_and_claimant(
    corpus_and_bundle: tuple[Path, dict[str, Any]],
) -> None:
    corpus, bundle = corpus_and_bundle
    core = [obj for obj in bundle["objects"] if obj["type"] in CORE_TYPES]
    core_ids = {obj["id"] for obj in core}
    expected = _event_expectations(corpus)
    found = set()
    for event_id, (status, claimant) in expected.items():
        for obj in core:
            text = " ".join(str(obj.get(field, "")) for field in ("name", "description", "abstract", "content"))
            if re.search(rf"\b{re.escape(event_id)}\b", text) and {status, claimant} <= set(obj.get("labels", [])):
                found.add(event_id)
                # ...and its participants, among the objects it keeps.
                participants = {
                    _actor(bundle, p["actor"])["id"] for p in _event_record(corpus, event_id)["participants"]
                }
                assert participants <= set(obj.get("object_refs", [])) & core_ids
                break
    assert len(found) == len(expected)


def _event_record(corpus: Path, event_id: str) -> dict[str, Any]:
    record: dict[str, Any] = yaml.safe_load((corpus / "events" / f"{event_id}.yaml").read_text(encoding="utf-8"))
    return record


def _misp_events(bundle: dict[str, Any], tmp_path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The bundle converted by misp-stix's importer of STIX from other producers; its errors."""
    from misp_stix_converter import ExternalSTIX2toMISPParser
    from misp_stix_converter.tools.stix2_loading_helpers import load_stix2_file

    path = tmp_path / BUNDLE_FILE
    path.write_text(json.dumps(bundle), encoding="utf-8")
    invalid: dict[str, Any] = {}
    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(load_stix2_file(path, invalid), invalid_objects=invalid)
    parser.parse_stix_bundle()
    events = [parser.misp_event] if parser.single_event else parser.misp_events
    errors = [error for errors in getattr(parser, "errors", {}).values() for error in errors]
    return [json.loads(event.to_json()) for event in events], errors


def test_misp_stix_keeps_each_events_status_and_claimant(
    corpus_and_bundle: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    corpus, bundle = corpus_and_bundle
    misp_events, errors = _misp_events(bundle, tmp_path)
    # The only objects it cannot read are the two of types it does not know.
    assert {re.sub(r"^.*: ", "", error) for error in errors} <= {"event", m.ADVISORY_TYPE}
    expected = _event_expectations(corpus)
    found = set()
    for event_id, (status, claimant) in expected.items():
        for misp_event in misp_events:
            tags = {tag["name"] for tag in misp_event.get("Tag", [])}
            text = " ".join(
                [misp_event.get("info", "")] + [r.get("content", "") for r in misp_event.get("EventReport", [])]
            )
            if re.search(rf"\b{re.escape(event_id)}\b", text) and {status, claimant} <= tags:
                found.add(event_id)
                break
    assert len(found) == len(expected)


def test_misp_stix_keeps_a_claims_admiralty_grades_as_machine_tags(
    fixture_bundle: dict[str, Any], tmp_path: Path
) -> None:
    misp_events, _errors = _misp_events(fixture_bundle, tmp_path)
    [plot] = [
        event for event in misp_events if event["uuid"] == str(uuid.uuid5(m.NAMESPACE, "evt-istanbul-plot/grouping"))
    ]
    tags = {tag["name"] for tag in plot["Tag"]}
    assert {
        'admiralty-scale:information-credibility="2"',
        'admiralty-scale:source-reliability="b"',
        _label("via", "act-fixture-wire"),
    } <= tags


# -- the docs ---------------------------------------------------------------------


def test_the_docs_example_is_what_the_fixture_exports(fixture_bundle: dict[str, Any]) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    section = docs[docs.index("## Claims") :]
    shown = json.loads(re.search(r"```json\n(.*?)\n```", section, re.DOTALL).group(1))
    exported = _by_id(fixture_bundle)[shown["id"]]
    assert {key: exported[key] for key in shown} == shown
