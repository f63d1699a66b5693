"""On whose word: every assertion of the corpus and the claim it rests on.

A record asserts several things: that an event happened, that each participant
played its role, that an actor is tied to another, that one event answers
another. Each can rest on the article's own word, or on a claim: someone (``by``,
or no one named: ``unattributed``) asserts it, through others (``via``) who relay
it to the article, with an Admiralty credibility. This module reads those claims
out of the records, once, for the checks and for every exporter, so that no
export can carry an assertion without its footing.

Its functions read plain record data (what the schemas have already checked);
they make no finding and print nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Hostile activity: events of these PLOVER categories (the part of the type before
# "/") are what an outcome, a perpetrator and a victim belong to.
HOSTILE_EVENT_CATEGORIES: tuple[str, ...] = ("ASSAULT",)
# Roles that make an actor the author of a hostile act, and roles of those it acts against.
HOSTILE_ROLES: tuple[str, ...] = ("perpetrator",)
TARGET_ROLES: tuple[str, ...] = ("victim", "target")
# The link relation by which a denial points at what it denies.
DENIES = "denies"
# Link relations that are the annotator's own judgement, never a source's claim.
ANNOTATOR_RELATIONS: tuple[str, ...] = ("same-as",)

# The Admiralty scales' words (the schemas' vocabularies say more).
RELIABILITY_WORDS: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY_WORDS: dict[int, str] = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
# A claimant the text does not name, and a chain with no reliability to grade, are F.
UNJUDGED_RELIABILITY = "F"


@dataclass(frozen=True, slots=True)
class Claim:
    """Who asserts something, through whom, and how credible it is."""

    by: str | None  # the claimant's actor id; None when unattributed
    via: tuple[str, ...]  # relays from the claimant outward; the last is the article's own source
    credibility: int
    credibility_reason: str
    date: Mapping[str, Any] | None  # when it was claimed or reported
    hedges: tuple[str, ...]
    path: tuple[str | int, ...]  # where the claim is written in its record

    @property
    def unattributed(self) -> bool:
        """Whether the text names no one for it ("it is believed that")."""
        return self.by is None

    @property
    def chain(self) -> tuple[str, ...]:
        """The actors the claim passes through, claimant first, the article's own source last."""
        return ((self.by,) if self.by is not None else ()) + self.via

    @property
    def reporter(self) -> str | None:
        """The actor on whose word the article has it: the last relay, else the claimant."""
        return self.via[-1] if self.via else self.by


@dataclass(frozen=True, slots=True)
class Assertion:
    """One thing a record asserts, and the claim it rests on (None: the article's own word).

    ``what`` is ``occurrence`` (the event happened), ``role`` (``actor`` played
    ``relation`` in the event), ``affiliation`` (the actor ``record_id`` is
    ``relation`` ``actor``) or ``link`` (``record_id`` is ``relation`` ``target``).
    ``inherited`` is true when a participant's role rests on its event's claim.
    """

    record_id: str
    what: str
    path: tuple[str | int, ...]
    relation: str | None
    actor: str | None
    target: str | None
    claim: Claim | None
    inherited: bool = False

    @property
    def claimed(self) -> bool:
        """Whether the assertion rests on someone's claim rather than on the article's own word."""
        return self.claim is not None


def claim_at(data: Any, path: tuple[str | int, ...]) -> Claim | None:
    """The claim written at ``path`` (a ``claim`` mapping), or None when there is none."""
    if not isinstance(data, Mapping):
        return None
    by = data.get("by")
    via = data.get("via")
    credibility = data.get("credibility")
    grade = credibility.get("grade") if isinstance(credibility, Mapping) else None
    reason = credibility.get("reason") if isinstance(credibility, Mapping) else None
    hedges = data.get("hedges")
    date = data.get("date")
    return Claim(
        by=by if isinstance(by, str) else None,
        via=tuple(item for item in via if isinstance(item, str)) if isinstance(via, list) else (),
        credibility=grade if isinstance(grade, int) and not isinstance(grade, bool) else 6,
        credibility_reason=reason if isinstance(reason, str) else "",
        date=date if isinstance(date, Mapping) else None,
        hedges=tuple(item for item in hedges if isinstance(item, str)) if isinstance(hedges, list) else (),
        path=path,
    )


def _own_claim(data: Mapping[str, Any], path: tuple[str | int, ...]) -> Claim | None:
    return claim_at(data.get("claim"), path + ("claim",)) if "claim" in data else None


def is_hostile(event_type: Any) -> bool:
    """Whether an event type (PLOVER TYPE or TYPE/mode) is hostile activity."""
    return isinstance(event_type, str) and event_type.split("/", 1)[0] in HOSTILE_EVENT_CATEGORIES


def event_assertions(data: Mapping[str, Any]) -> Iterator[Assertion]:
    """What an event record asserts: that it happened, each participant's role, each link."""
    record_id = str(data.get("id", ""))
    occurrence = _own_claim(data, ())
    yield Assertion(record_id, "occurrence", (), None, None, None, occurrence)
    participants = data.get("participants")
    for index, participant in enumerate(participants if isinstance(participants, list) else []):
        if not isinstance(participant, Mapping):
            continue
        path: tuple[str | int, ...] = ("participants", index)
        own = _own_claim(participant, path)
        actor = participant.get("actor")
        role = participant.get("role")
        yield Assertion(
            record_id,
            "role",
            path,
            role if isinstance(role, str) else None,
            actor if isinstance(actor, str) else None,
            None,
            own if own is not None else occurrence,
            inherited=own is None and occurrence is not None,
        )
    yield from _link_assertions(record_id, data)


def _link_assertions(record_id: str, data: Mapping[str, Any]) -> Iterator[Assertion]:
    links = data.get("links")
    for index, link in enumerate(links if isinstance(links, list) else []):
        if not isinstance(link, Mapping):
            continue
        path: tuple[str | int, ...] = ("links", index)
        relation = link.get("relation")
        target = link.get("target")
        participant = link.get("participant")
        yield Assertion(
            record_id,
            "link",
            path,
            relation if isinstance(relation, str) else None,
            participant if isinstance(participant, str) else None,
            target if isinstance(target, str) else None,
            _own_claim(link, path),
        )


def actor_assertions(data: Mapping[str, Any]) -> Iterator[Assertion]:
    """What an actor record asserts of its ties: each affiliation."""
    record_id = str(data.get("id", ""))
    affiliations = data.get("affiliations")
    for index, affiliation in enumerate(affiliations if isinstance(affiliations, list) else []):
        if not isinstance(affiliation, Mapping):
            continue
        path: tuple[str | int, ...] = ("affiliations", index)
        relation = affiliation.get("relation")
        actor = affiliation.get("actor")
        yield Assertion(
            record_id,
            "affiliation",
            path,
            relation if isinstance(relation, str) else None,
            actor if isinstance(actor, str) else None,
            None,
            _own_claim(affiliation, path),
        )


_ASSERTIONS_BY_KIND = {"event": event_assertions, "actor": actor_assertions}


def assertions(kind: str, data: Mapping[str, Any]) -> Iterator[Assertion]:
    """Every assertion of one record of ``kind`` (events, actors and advisories' links)."""
    reader = _ASSERTIONS_BY_KIND.get(kind)
    if reader is not None:
        yield from reader(data)
    elif kind == "advisory":
        yield from _link_assertions(str(data.get("id", "")), data)


@dataclass(frozen=True, slots=True)
class Denial:
    """A denial of an assertion: the denying record, and the actors who deny."""

    record_id: str
    deniers: tuple[str, ...]


def denier_ids(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Who makes a denial: its initiators (and spokespeople), in the record's order."""
    participants = data.get("participants")
    return tuple(
        participant["actor"]
        for participant in (participants if isinstance(participants, list) else [])
        if isinstance(participant, Mapping)
        and participant.get("role") in ("initiator", "spokesperson")
        and isinstance(participant.get("actor"), str)
    )


def denials(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[tuple[str, str | None], list[Denial]]:
    """The denials of the corpus, by what they deny: (event id, participant or None for the event itself)."""
    found: dict[tuple[str, str | None], list[Denial]] = {}
    for kind, data in records:
        links = data.get("links")
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, Mapping) or link.get("relation") != DENIES:
                continue
            target = link.get("target")
            if not isinstance(target, str):
                continue
            participant = link.get("participant")
            key = (target, participant if isinstance(participant, str) else None)
            deniers = denier_ids(data) if kind == "event" else ()
            found.setdefault(key, []).append(Denial(str(data.get("id", "")), deniers))
    return found


def denials_of(assertion: Assertion, found: Mapping[tuple[str, str | None], list[Denial]]) -> list[Denial]:
    """The denials aimed at one assertion: a denial of an event denies its occurrence and every role resting on it."""
    if assertion.what == "occurrence":
        return list(found.get((assertion.record_id, None), []))
    if assertion.what == "role":
        own = list(found.get((assertion.record_id, assertion.actor), []))
        if assertion.inherited or assertion.claim is None:
            return list(found.get((assertion.record_id, None), [])) + own
        return own
    return []


def claim_words(claim: Claim | None, names: Mapping[str, str]) -> str:
    """The claim in words: 'claimed by Iran (act-iran), via Channel 12 (...); credibility 3 (possibly true)'."""
    if claim is None:
        return "on the article's own word"

    def name(actor_id: str) -> str:
        return f"{names.get(actor_id, actor_id)} ({actor_id})"

    who = "claimed by no one the article names" if claim.by is None else f"claimed by {name(claim.by)}"
    via = "".join(f", via {name(actor)}" for actor in claim.via)
    grade = f"credibility {claim.credibility} ({CREDIBILITY_WORDS.get(claim.credibility, '?')})"
    return f"{who}{via}; {grade}"
