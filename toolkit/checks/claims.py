"""Claims: each assertion says on whose word it rests, and says so honestly.

The claims themselves are read through ``toolkit.claims`` (``assertions``), as
the exporters read them, so that a check and an export never disagree on what a
record asserts. The rules:

- a claim names its claimant, ``by`` or ``unattributed: true`` (exactly one), and
  an ``alleged`` event carries a claim (``claim-without-claimant``);
- a hostile part (a perpetrator) resting on no claim, while the evidence hedges,
  is flagged (``claim-unmarked``);
- each hedge is words of the record's evidence (``claim-hedge-not-in-evidence``);
- every claimant and relay has a reliability grade (``claim-source-ungraded``);
- no actor stands twice in a chain (``claim-chain-repeats``);
- a denial points at what it denies, and only a denial does
  (``denial-without-target``);
- an outcome belongs to hostile events, which have one (``outcome-not-hostile``,
  ``outcome-missing``);
- fatalities are a number the evidence gives (``fatalities-not-in-evidence``);
- a claim is not dated after the article that reports it (``date-after-publication``).

Each record is read once, and a reference to another record is one look-up in
the index: the cost is linear in the corpus.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit import claims
from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding, Record, json_path
from toolkit.partial_dates import bounds
from toolkit.positions import finding_at
from toolkit.quotes import normalise
from toolkit.quoting import quoted, shown

# The words by which an article marks something as someone's claim rather than its own
# word, as regular expressions matched whole-word, regardless of case, in the record's
# evidence quotes (normalised as quotes are: typographic quotes read as straight ones).
# The last is a word or two in scare quotes: the 2020 "assassination".
HEDGE_MARKERS: tuple[str, ...] = (
    r"alleged(?:ly)?",
    r"allegations?",
    r"reportedly",
    r"deemed",
    r"believed",
    r"blame[sd]?",
    r"accus(?:ed|es|ing)",
    r"suspected",
    r"purported(?:ly)?",
    r"said to",
    r'"[^\W_][\w\'-]*(?: [^\W_][\w\'-]*)?"',
)
HEDGE = re.compile("|".join(f'(?<![\\w"])(?:{marker})(?![\\w"])' for marker in HEDGE_MARKERS), re.IGNORECASE)

# Event types that make an event a denial, which must point at what it denies.
DENIAL_TYPES: tuple[str, ...] = ("REJECT", "REJECT/deny")

# Numbers as a text may write a count of the dead: digits (85, 1,200), or a word up to
# twenty. "Dozens" or "scores" give no number, so they never stand for one.
_UP_TO_TWENTY = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
)
NUMBER_WORDS: dict[str, int] = {word: value for value, word in enumerate(_UP_TO_TWENTY.split(" "))} | {
    "no one": 0,
    "nobody": 0,
}
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\w]|[.,]\d)|\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE
)

# Quotes are shown in messages at this length, enough to find the words in the file.
_QUOTE_SHOWN = 120

_Path = tuple[str | int, ...]

# The kinds whose records assert something a claim can rest on, and the field that holds
# those assertions (events always assert: their occurrence, outcome and fatalities).
_ASSERTING: dict[str, str] = {"event": "participants", "actor": "affiliations", "advisory": "links"}


def hedges_in(text: str) -> list[str]:
    """The hedge markers in a text (normalised as quotes are), in order."""
    return [match.group() for match in HEDGE.finditer(normalise(text))]


def numbers_in(text: str) -> set[int]:
    """The numbers a text writes, in digits or in words up to twenty."""
    found: set[int] = set()
    for digits, word in _NUMBER.findall(text):
        found.add(int(digits.replace(",", "")) if digits else NUMBER_WORDS[" ".join(word.lower().split())])
    return found


@dataclass
class _Evidence:
    """A record's evidence quotes, normalised once, when a rule first needs them."""

    data: Mapping[str, Any]
    _quotes: list[str] | None = None

    @property
    def quotes(self) -> list[str]:
        if self._quotes is None:
            evidence = self.data.get("evidence")
            self._quotes = [
                normalise(item["quote"])
                for item in (evidence if isinstance(evidence, list) else [])
                if isinstance(item, Mapping) and isinstance(item.get("quote"), str)
            ]
        return self._quotes

    def holds(self, words: str) -> bool:
        wanted = normalise(words)
        return any(wanted in quote for quote in self.quotes)

    def first_hedge(self) -> tuple[str, str] | None:
        """The first hedge marker in the quotes, with the quote that holds it."""
        for quote in self.quotes:
            match = HEDGE.search(quote)
            if match is not None:
                return match.group(), quote
        return None


@dataclass
class _Uses:
    """Where an actor is first named as a claim's source, and how many claims name it."""

    record: Record
    path: _Path
    count: int = 0


@dataclass
class _Run:
    corpus: CorpusIndex
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, _Uses] = field(default_factory=dict)  # actor id -> its first use as a claim's source


def check_claims(corpus: CorpusIndex) -> list[Finding]:
    """Findings for claims that do not say on whose word they rest, and for their neighbours:
    denials, outcomes, fatalities."""
    run = _Run(corpus)
    for record in corpus.records:
        kind = record.kind.name
        if kind not in _ASSERTING or (kind != "event" and not record.data.get(_ASSERTING[kind])):
            continue  # nothing claimed: most actors have no affiliations, most advisories no links
        evidence = _Evidence(record.data)
        listed = list(claims.assertions(kind, record.data))
        own = {assertion.claim.path: assertion.claim for assertion in listed if assertion.claim is not None}
        for claim in own.values():
            _check_claim(run, record, claim, evidence)
        if kind == "event":
            _check_event(run, record, listed, evidence)
        _check_links(run, record, listed)
    _check_graded(run)
    return run.findings


def _mapping_at(data: Any, path: _Path) -> Mapping[str, Any]:
    """The mapping at ``path`` in a record, or an empty one."""
    for part in path:
        if isinstance(data, Mapping) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return {}
    return data if isinstance(data, Mapping) else {}


def _check_claim(run: _Run, record: Record, claim: claims.Claim, evidence: _Evidence) -> None:
    written = _mapping_at(record.data, claim.path)
    named, unattributed = "by" in written, written.get("unattributed") is True
    if not named and not unattributed:
        run.findings.append(
            finding_at(
                record,
                "claim-without-claimant",
                claim.path,
                "the claim names no claimant: neither 'by' nor 'unattributed: true'",
                "name who asserts it (by: act-...), or write unattributed: true when the text names no one "
                '("it is believed that")',
            )
        )
    elif named and unattributed:
        run.findings.append(
            finding_at(
                record,
                "claim-without-claimant",
                claim.path + ("unattributed",),
                f"the claim is both made by {quoted(written.get('by'))} and unattributed",
                "keep 'by' when the text names who asserts it, 'unattributed: true' when it names no one",
                key=True,
            )
        )
    for index, hedge in enumerate(claim.hedges):
        if not evidence.holds(hedge):
            run.findings.append(
                finding_at(
                    record,
                    "claim-hedge-not-in-evidence",
                    claim.path + ("hedges", index),
                    f"the hedge {quoted(hedge)} is not in this record's evidence quotes",
                    "copy the hedging words verbatim from a quote in evidence, or quote the words that hold them",
                )
            )
    if claim.by is not None and claim.by in claim.via:
        index = claim.via.index(claim.by)
        run.findings.append(
            finding_at(
                record,
                "claim-chain-repeats",
                claim.path + ("via", index),
                f"{shown(claim.by)} is both the claimant (by) and a relay (via) of this claim",
                "via lists only those who pass the claim on, from the claimant outward: "
                f"remove {shown(claim.by)} from via",
            )
        )
    if claim.by is not None:
        _note_source(run, claim.by, record, claim.path + ("by",))
    for index, actor in enumerate(claim.via):
        _note_source(run, actor, record, claim.path + ("via", index))
    _check_claim_date(run, record, claim)


def _note_source(run: _Run, actor: str, record: Record, path: _Path) -> None:
    uses = run.sources.get(actor)
    if uses is None:
        uses = run.sources[actor] = _Uses(record, path)
    uses.count += 1


def _check_graded(run: _Run) -> None:
    """Every actor a claim comes from or passes through has a reliability grade, said once, on the actor."""
    for actor_id, uses in run.sources.items():
        actor = run.corpus.by_id.get(actor_id)
        if actor is None or actor.kind.name != "actor" or "reliability" in actor.data:
            continue  # a reference that does not resolve is the reference check's to report
        first = f"{shown(uses.record.id or uses.record.file)}, {json_path(uses.path)}"
        more = f", and {uses.count - 1} more" if uses.count > 1 else ""
        run.findings.append(
            finding_at(
                actor,
                "claim-source-ungraded",
                ("reliability",),
                f"{shown(actor_id)} makes or relays claims ({first}{more}) but has no reliability grade",
                "add reliability: {grade: A-F, reason: ...} (F when nothing lets you judge it: "
                "an unnamed official, a party to the dispute)",
            )
        )


def _publication_ends(corpus: CorpusIndex, record: Record) -> list[tuple[str, dt.date]]:
    """The last day each source the record's evidence cites may have been published."""
    ends: dict[str, dt.date] = {}
    evidence = record.data.get("evidence")
    for item in evidence if isinstance(evidence, list) else []:
        source_id = item.get("source") if isinstance(item, Mapping) else None
        source = corpus.by_id.get(source_id) if isinstance(source_id, str) else None
        if source is not None and source.kind.name == "source" and isinstance(source_id, str):
            span = bounds(source.data.get("published"))
            if span is not None:
                ends[source_id] = span[1]
    return sorted(ends.items())


def _check_claim_date(run: _Run, record: Record, claim: claims.Claim) -> None:
    # A claim is made before the article that reports it, even one about a planned event
    # (whose own date is checked in checks/dates.py, with its other rules for every date).
    span = bounds(claim.date)
    if span is None or claim.date is None:
        return
    for source_id, published_by in _publication_ends(run.corpus, record):
        if span[0] > published_by:
            run.findings.append(
                finding_at(
                    record,
                    "date-after-publication",
                    claim.path + ("date", "start"),
                    f"the claim is dated {shown(str(claim.date.get('start')))}, after {shown(source_id)} "
                    f"was published (by {published_by})",
                    "an article reports claims made before it: the claim's date is when it was made or reported",
                )
            )


def _check_event(run: _Run, record: Record, listed: list[claims.Assertion], evidence: _Evidence) -> None:
    data = record.data
    hostile = claims.is_hostile(data.get("type"))
    alleged_alone = data.get("status") == "alleged" and "claim" not in data
    if alleged_alone:
        run.findings.append(
            finding_at(
                record,
                "claim-without-claimant",
                ("status",),
                "an alleged event with no one alleging it: status is alleged but the event has no claim",
                "say who alleges it: claim: {by: act-..., credibility: {grade: 1-6, reason: ...}} "
                "(unattributed: true when the text names no one), or give the status the text gives",
            )
        )
    if "outcome" in data and not hostile:
        run.findings.append(
            finding_at(
                record,
                "outcome-not-hostile",
                ("outcome",),
                f"an outcome on an event of type {shown(str(data.get('type')))}: "
                "outcomes say how far a hostile act got",
                f"remove it, or give the event a hostile type ({', '.join(claims.HOSTILE_EVENT_CATEGORIES)})",
                key=True,
            )
        )
    if hostile and "outcome" not in data:
        run.findings.append(
            finding_at(
                record,
                "outcome-missing",
                ("type",),
                f"a hostile event ({shown(str(data.get('type')))}) without an outcome",
                "add outcome: plotted, attempted, foiled or carried-out, as far as the text tells it",
            )
        )
    fatalities = data.get("fatalities")
    counted = isinstance(fatalities, int) and not isinstance(fatalities, bool)
    if counted and not any(fatalities in numbers_in(quote) for quote in evidence.quotes):
        run.findings.append(
            finding_at(
                record,
                "fatalities-not-in-evidence",
                ("fatalities",),
                f"fatalities is {fatalities}, but no evidence quote gives that number",
                "record fatalities only where the text gives the number: quote the words that give it, "
                "or remove the field",
            )
        )
    if hostile and not alleged_alone:
        _check_unmarked(run, record, listed, evidence)


def _check_unmarked(run: _Run, record: Record, listed: list[claims.Assertion], evidence: _Evidence) -> None:
    """A hostile part resting on the article's own word, in an event whose evidence hedges."""
    for assertion in listed:
        if assertion.what != "role" or assertion.relation not in claims.HOSTILE_ROLES or assertion.claimed:
            continue
        hedged = evidence.first_hedge()
        if hedged is None:
            return
        hedge, quote = hedged
        run.findings.append(
            finding_at(
                record,
                "claim-unmarked",
                assertion.path + ("role",),
                f"{assertion.relation} {quoted(assertion.actor)} rests on the article's own word, "
                f"but the evidence hedges it: {quoted(hedge)} in {quoted(quote, _QUOTE_SHOWN)}",
                "say on whose word it rests: a claim on this participant (or on the event) with by "
                f"(or unattributed: true), credibility and hedges: [{json.dumps(hedge, ensure_ascii=False)}]; "
                "if the hedge is about "
                "something else, quote only the words that prove this record",
            )
        )


def _check_links(run: _Run, record: Record, listed: list[claims.Assertion]) -> None:
    denial = record.kind.name == "event" and record.data.get("type") in DENIAL_TYPES
    denies = 0
    for assertion in listed:
        if assertion.what != "link":
            continue
        if assertion.relation != claims.DENIES:
            if assertion.actor is not None:
                run.findings.append(
                    finding_at(
                        record,
                        "denial-without-target",
                        assertion.path + ("participant",),
                        f"a participant on a {quoted(assertion.relation)} link: only a denial names the part it denies",
                        "remove participant, or make the link relation: denies",
                        key=True,
                    )
                )
            continue
        denies += 1
        if not denial:
            run.findings.append(
                finding_at(
                    record,
                    "denial-without-target",
                    assertion.path + ("relation",),
                    f"a denies link from a record that is not a denial ({_denial_words(record)})",
                    f"only a denial event ({' or '.join(DENIAL_TYPES)}) denies: "
                    "use another relation, or record the denial as an event of its own",
                )
            )
        if assertion.actor is not None and assertion.target is not None:
            _check_denied_part(run, record, assertion)
    if denial and denies == 0:
        run.findings.append(
            finding_at(
                record,
                "denial-without-target",
                ("type",),
                "a denial that points at nothing: no link with relation: denies",
                "add a link relation: denies, target: the event denied "
                "(with participant: act-... when only that actor's part is denied)",
            )
        )


def _denial_words(record: Record) -> str:
    if record.kind.name != "event":
        return f"a {record.kind.name}"
    return f"type {shown(str(record.data.get('type')))}"


def _check_denied_part(run: _Run, record: Record, assertion: claims.Assertion) -> None:
    target = run.corpus.by_id.get(assertion.target or "")
    if target is None or target.kind.name != "event":
        return  # the reference check reports a target that does not resolve
    participants = target.data.get("participants")
    actors = {
        item.get("actor") for item in (participants if isinstance(participants, list) else []) if isinstance(item, dict)
    }
    if assertion.actor not in actors:
        run.findings.append(
            finding_at(
                record,
                "denial-without-target",
                assertion.path + ("participant",),
                f"{quoted(assertion.actor)} is not a participant of {shown(target.id or '')}: "
                "the denial points at a part the event does not have",
                f"name one of {shown(target.id or '')}'s participants, or leave participant out "
                "to deny the event itself",
            )
        )
