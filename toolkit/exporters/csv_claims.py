"""The CSV export's view of claims: who asserts what, through whom, how credibly, and who denies it.

Every value here comes from ``toolkit.claims`` (the one reader of claims, shared
with the checks and the other exporters), read once per corpus and kept for all
the tables of an export: ``claims.csv`` (one row per assertion resting on a
claim), the claim columns of the link tables, and the ACLED-style actor1/actor2,
claimant, reporter and hedge columns of ``events_flat.csv``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from toolkit import claims
from toolkit.claims import Assertion, Claim, Denial
from toolkit.corpus_index import CorpusIndex
from toolkit.model import Record

# Multi-valued cells join their values with this, as ACLED does (and csv_columns.JOIN).
JOIN = "; "
# What each assertion a claims.csv row can hold is, in the order of the ``what`` enum.
WHAT = ("occurrence", "role", "affiliation", "link")
# The actor1 of an event that is not hostile, and of a hostile one that names no perpetrator.
INITIATOR = "initiator"


def claim_id(assertion: Assertion) -> str:
    """The key of an assertion in claims.csv: its record's id, then the path of the item it is about.

    ``evt-x`` is the event's occurrence, ``evt-x/participants/1`` the role of its
    second participant, ``act-y/affiliations/0`` an actor's first affiliation,
    ``evt-x/links/0`` a link: the JSON Pointer of the item, after the record id.
    """
    return assertion.record_id + "".join(f"/{step}" for step in assertion.path)


def weakest(grades: Iterable[int]) -> int | None:
    """The least credible of some Admiralty credibility grades (6, 'cannot be judged', counts as least)."""
    return max(grades, default=None)


@dataclass(frozen=True, slots=True)
class Part:
    """An event's participant as actor1 or actor2: its actor, the assertions of its part, their denials."""

    actor: str
    assertions: tuple[Assertion, ...]
    denials: tuple[Denial, ...]

    @property
    def claims(self) -> tuple[Claim, ...]:
        """The claims this participant's part rests on (its own, or its event's)."""
        return tuple(a.claim for a in self.assertions if a.claim is not None)

    @property
    def hedged(self) -> bool:
        """Whether its part rests on a claim or is denied: the reader must not take it as the article's fact."""
        return bool(self.claims or self.denials)


@dataclass(frozen=True, slots=True)
class EventClaims:
    """What events_flat shows of one event's claims, computed once per event."""

    occurrence: Assertion
    occurrence_denials: tuple[Denial, ...]
    roles: tuple[Assertion, ...]
    actor1: tuple[Part, ...]
    actor2: tuple[Part, ...]
    denials: tuple[Denial, ...]  # of the event or of any part in it

    def claims(self) -> list[Claim]:
        """Every claim on the row: the event's own first, then its participants' own, in record order."""
        found = [self.occurrence.claim] if self.occurrence.claim is not None else []
        found += [role.claim for role in self.roles if role.claim is not None and not role.inherited]
        return found


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _joined(values: Iterable[str]) -> str | None:
    return JOIN.join(values) or None


def _written_at(data: Any, path: tuple[str | int, ...]) -> Mapping[str, Any]:
    # What is written at ``path`` in a record (a claim mapping), or an empty mapping.
    for step in path:
        if isinstance(step, int):
            data = data[step] if isinstance(data, list) and 0 <= step < len(data) else None
        else:
            data = data.get(step) if isinstance(data, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def _parts(roles: list[Assertion], denied: Callable[[Assertion], list[Denial]]) -> tuple[Part, ...]:
    by_actor: dict[str, list[Assertion]] = {}
    for role in roles:
        if role.actor is not None:
            by_actor.setdefault(role.actor, []).append(role)
    return tuple(
        Part(actor, tuple(found), tuple(_unique_denials(d for a in found for d in denied(a))))
        for actor, found in by_actor.items()
    )


def _unique_denials(found: Iterable[Denial]) -> list[Denial]:
    return list(dict.fromkeys(found))


class ClaimFacts:
    """The claims of one corpus, read once for every table of its export."""

    def __init__(self, corpus: CorpusIndex) -> None:
        # Its records by id, not the corpus itself: the cache of facts() must not keep
        # a corpus alive (it drops the facts when the corpus goes).
        self.by_id = corpus.by_id
        self.denials = claims.denials((record.kind.name, record.data) for record in corpus.records)
        # The assertions of the last record asked about: a table asks about one record's
        # items one after another, and keeping every record's would cost memory at scale.
        self._last: tuple[Record | None, dict[tuple[str | int, ...], Assertion]] = (None, {})

    def assertions(self, record: Record) -> dict[tuple[str | int, ...], Assertion]:
        """The record's assertions by the path of the item each is about (``()`` for an occurrence)."""
        last, found = self._last
        if last is not record:
            found = {a.path: a for a in claims.assertions(record.kind.name, record.data)}
            self._last = (record, found)
        return found

    def at(self, record: Record, *path: str | int) -> Assertion | None:
        """The assertion about the item at ``path`` in the record, if it makes one."""
        return self.assertions(record).get(path)

    def denials_of(self, assertion: Assertion) -> list[Denial]:
        """The denials aimed at an assertion."""
        return claims.denials_of(assertion, self.denials)

    def event(self, record: Record) -> EventClaims:
        """The claims of an event, as events_flat shows them."""
        every = list(self.assertions(record).values())
        occurrence = next(a for a in every if a.what == "occurrence")
        roles = [a for a in every if a.what == "role"]
        hostile_roles = [a for a in roles if a.relation in claims.HOSTILE_ROLES]
        initiators = [a for a in roles if a.relation == INITIATOR]
        actor1 = hostile_roles if claims.is_hostile(record.data.get("type")) and hostile_roles else initiators
        actor2 = [a for a in roles if a.relation in claims.TARGET_ROLES]
        denials = _unique_denials(d for a in [occurrence, *roles] for d in self.denials_of(a))
        return EventClaims(
            occurrence,
            tuple(self.denials_of(occurrence)),
            tuple(roles),
            _parts(actor1, self.denials_of),
            _parts(actor2, self.denials_of),
            tuple(denials),
        )

    # --- the cells of one row, computed once per row ----------------------------------

    def flat_cells(self, record: Record) -> dict[str, Any]:
        """The claim cells of an event's events_flat row, by column name."""
        event = self.event(record)
        found = event.claims()
        claimants = _unique(claim.by for claim in found if claim.by is not None)
        reporters = _unique(claim.reporter for claim in found if claim.reporter is not None)
        occurrence = event.occurrence.claim
        hedged = occurrence is not None or event.occurrence_denials
        cells: dict[str, Any] = {
            "credibility": occurrence.credibility if occurrence is not None else None,
            "event_hedge": self.words(occurrence, event.occurrence_denials) if hedged else None,
            "claimant_ids": _joined(claimants),
            "claimant_names": _joined(self.name(actor) for actor in claimants),
            "reliability": _joined(self.reliability(actor) for actor in claimants),
            "reporter_ids": _joined(reporters),
            "reporter_names": _joined(self.name(actor) for actor in reporters),
            "reporter_reliability": _joined(self.reliability(actor) for actor in reporters),
            "rests_on_unnamed_sources": self.rests_on_unnamed_sources(occurrence),
            "denied_by_ids": _joined(_unique(actor for denial in event.denials for actor in denial.deniers)),
            "denial_ids": _joined(_unique(denial.record_id for denial in event.denials)),
            "actor_country_codes": self._countries(event.roles, claimed=False),
            "claimed_actor_country_codes": self._countries(event.roles, claimed=True),
        }
        for which, parts in (("actor1", event.actor1), ("actor2", event.actor2)):
            claimed = [claim for part in parts for claim in part.claims]
            cells[f"{which}_ids"] = _joined(part.actor for part in parts)
            cells[f"{which}_names"] = _joined(self.name(part.actor) for part in parts)
            cells[f"{which}_claimed_by_ids"] = _joined(_unique(c.by for c in claimed if c.by is not None))
            cells[f"{which}_credibility"] = weakest(claim.credibility for claim in claimed)
            cells[f"{which}_hedge"] = self.part_words(parts)
        return cells

    def _countries(self, roles: Iterable[Assertion], claimed: bool) -> str | None:
        # The plain column holds the countries of participants whose part the article
        # reports on its own word, so that an alleged perpetrator's never reads as a fact;
        # the claimed column holds those of participants whose part rests on a claim.
        codes: set[str] = set()
        for role in roles:
            actor = self.by_id.get(role.actor) if role.actor is not None and role.claimed == claimed else None
            countries = actor.data.get("countries") if actor is not None else None
            codes.update(code for code in countries or () if isinstance(code, str))
        return JOIN.join(sorted(codes)) or None

    def claim_cells(self, record: Record, assertion: Assertion) -> dict[str, Any]:
        """The cells of an assertion's claims.csv row, by column name (the assertion rests on a claim)."""
        claim = assertion.claim
        if claim is None:
            raise ValueError(f"{claim_id(assertion)} rests on no claim")
        denials = self.denials_of(assertion)
        return {
            "id": claim_id(assertion),
            "what": assertion.what,
            "relation": assertion.relation,
            "actor_id": assertion.actor,
            "target_id": assertion.target,
            "inherited": assertion.inherited,
            "claimant_id": claim.by,
            "claimant_name": self.name(claim.by) if claim.by is not None else None,
            "unattributed": claim.unattributed,
            "via_ids": _joined(claim.via),
            "via_names": _joined(self.name(actor) for actor in claim.via),
            "reporter_id": claim.reporter,
            "reporter_name": self.name(claim.reporter) if claim.reporter is not None else None,
            "credibility": claim.credibility,
            "credibility_reason": claim.credibility_reason or None,
            "claimant_reliability": self.reliability(claim.by),
            "reporter_reliability": self.reliability(claim.reporter),
            "rests_on_unnamed_sources": self.rests_on_unnamed_sources(claim),
            "hedges": _joined(claim.hedges),
            "report_date": claim.date,
            "note": _written_at(record.data, claim.path).get("note"),
            "denied_by_ids": _joined(_unique(actor for denial in denials for actor in denial.deniers)),
            "denial_ids": _joined(_unique(denial.record_id for denial in denials)),
            "in_words": self.words(claim, denials),
        }

    def item_cells(self, record: Record, field: str, index: int | None) -> tuple[str | None, str | None, int | None]:
        """The claim key, claimant and credibility of a listed item's assertion (Nones: the article's word)."""
        assertion = self.at(record, field, index if index is not None else -1)
        if assertion is None or assertion.claim is None:
            return (None, None, None)
        return (claim_id(assertion), assertion.claim.by, assertion.claim.credibility)

    # --- about actors ---------------------------------------------------------------

    def name(self, actor_id: str) -> str:
        """An actor's name (its id when the corpus lacks it)."""
        record = self.by_id.get(actor_id)
        name = record.data.get("name") if record is not None else None
        return name if isinstance(name, str) else actor_id

    def reliability(self, actor_id: str | None) -> str:
        """An actor's Admiralty reliability as a source; F for no one named and for a grade not recorded."""
        record = self.by_id.get(actor_id) if actor_id is not None else None
        grade = _dig(record.data, "reliability", "grade") if record is not None else None
        return grade if isinstance(grade, str) else claims.UNJUDGED_RELIABILITY

    def unnamed(self, actor_id: str | None) -> bool:
        """Whether the sources leave the actor unnamed ("media outlets", "an official")."""
        record = self.by_id.get(actor_id) if actor_id is not None else None
        return record is not None and record.data.get("unnamed") is True

    def rests_on_unnamed_sources(self, claim: Claim | None) -> bool:
        """Whether a claim reaches the article only from an unnamed source, or from no one named at all."""
        return claim is not None and (claim.unattributed or self.unnamed(claim.reporter))

    # --- in words -------------------------------------------------------------------

    def named(self, actor_id: str) -> str:
        """'Iran (act-iran)'."""
        return f"{self.name(actor_id)} ({actor_id})"

    def words(self, claim: Claim | None, denials: Iterable[Denial]) -> str:
        """A claim and its denials in words, without semicolons (they join cells).

        'claimed by Iran (act-iran), credibility 3 (possibly true), in the words:
        deemed / "assassination", denied by Israel (act-israel) in evt-x'.
        """
        said: list[str] = []
        if claim is not None:
            who = "claimed by no one the article names" if claim.by is None else f"claimed by {self.named(claim.by)}"
            said.append(who + "".join(f" via {self.named(actor)}" for actor in claim.via))
            words = claims.CREDIBILITY_WORDS.get(claim.credibility, "?")
            said.append(f"credibility {claim.credibility} ({words})")
            if claim.hedges:
                said.append("in the words: " + " / ".join(claim.hedges))
        else:
            said.append("on the article's own word")
        for denial in denials:
            deniers = " and ".join(self.named(actor) for actor in denial.deniers) or "a denial"
            said.append(f"denied by {deniers} in {denial.record_id}")
        return ", ".join(said)

    def part_words(self, parts: Iterable[Part]) -> str | None:
        """The hedges of actor1 or actor2, one 'act-x: ...' per hedged participant, joined with '; '."""
        said: list[str] = []
        for part in parts:
            if not part.hedged:
                continue
            # A part denied but resting on the article's own word is said so, with its denials.
            footings: list[Claim | None] = [*_unique_claims(part.claims)] or [None]
            said += [f"{part.actor}: {self.words(claim, part.denials)}" for claim in footings]
        return JOIN.join(_unique(said)) or None


def _unique_claims(found: Iterable[Claim]) -> list[Claim]:
    # A participant's claims all come from its one record, so the place a claim is
    # written there tells it apart (a Claim holds a date mapping: it cannot be hashed).
    return list({claim.path: claim for claim in found}.values())


def _dig(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(step)
    return data


# One ClaimFacts per corpus, kept while the corpus lives: every table of an export
# reads the same one, and a corpus read again (a new CorpusIndex) gets its own.
_FACTS: dict[int, tuple[weakref.ref[CorpusIndex], ClaimFacts]] = {}


def facts(corpus: CorpusIndex) -> ClaimFacts:
    """The claims of ``corpus``, read on first need and kept as long as the corpus."""
    entry = _FACTS.get(id(corpus))
    if entry is not None and entry[0]() is corpus:
        return entry[1]
    found = ClaimFacts(corpus)
    _FACTS[id(corpus)] = (weakref.ref(corpus), found)
    weakref.finalize(corpus, _FACTS.pop, id(corpus), None)
    return found


def claimed_assertions(corpus: CorpusIndex, record: Record) -> list[Assertion]:
    """The assertions of a record that rest on a claim, in record order: claims.csv's rows."""
    return [a for a in facts(corpus).assertions(record).values() if a.claim is not None]
