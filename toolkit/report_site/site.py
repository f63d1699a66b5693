"""What the report shows, read once from a validated corpus: plain data for the templates.

Nothing here writes HTML or files. Every list is sorted (by date, then id, or by
id), so the pages come out byte for byte the same from run to run.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from toolkit import claims
from toolkit.corpus_index import CorpusIndex
from toolkit.kinds import KIND_BY_NAME
from toolkit.model import Record
from toolkit.partial_dates import bounds
from toolkit.reference_fields import EACH, reference_fields
from toolkit.schema_fields import Field, choices, kind_fields

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Characters of the article shown on each side of a quote on a record's page.
CONTEXT = 160


def record_href(record_id: str) -> str:
    """Where a record's page is, from the site's top folder."""
    return f"records/{record_id}.html"


def article_href(source_id: str) -> str:
    """Where an article's view is, from the site's top folder."""
    return f"articles/{source_id}.html"


def date_words(date: Any) -> str:
    """A date object in words, at its precision: '23 June 2022', 'June 2022', '2022', 'from ... to ...'."""
    if not isinstance(date, Mapping):
        return ""

    def one(value: Any) -> str:
        if not isinstance(value, str):
            return "?"
        parts = value.split("-")
        if len(parts) == 3:
            return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
        return parts[0]

    if date.get("precision") == "range":
        return f"from {one(date.get('start'))} to {one(date.get('end'))}"
    return one(date.get("start"))


@dataclass(frozen=True, slots=True)
class Link:
    """A record as a link: its id, the words shown, and its page."""

    id: str
    label: str
    href: str


@dataclass
class Entry:
    """One field of a record in plain words, with what it holds below it."""

    label: str
    text: str = ""
    link: Link | None = None
    explain: str = ""  # what a vocabulary value means
    children: list[Entry] = field(default_factory=list)


@dataclass
class TimelineItem:
    """An event or an advisory on the timeline."""

    id: str
    kind: str  # event or advisory
    label: str
    href: str
    status: str  # the event's status; 'advisory' for an advisory
    type: str
    precision: str
    when: str  # the date in words
    first: dt.date
    last: dt.date
    hedged: bool  # its occurrence rests on someone's claim
    footing: str  # on whose word, in words
    denied_by: list[str]
    superseded: bool
    sources: list[str]
    actors: list[str]


@dataclass
class Placed:
    """A timeline item placed on one year's axis, in percent of the year."""

    item: TimelineItem
    left: str
    width: str
    point: bool
    before: bool  # it began in an earlier year
    after: bool  # it goes on into a later year


@dataclass
class YearPage:
    """One year of the timeline."""

    year: int
    advisories: list[Placed]
    events: list[Placed]
    sources: list[Link]
    actors: list[Link]
    types: list[str]


@dataclass
class Tie:
    """Two actors tied by events they share, or one tied to the other by an affiliation."""

    source: str
    target: str
    kind: str  # event or affiliation
    hedged: bool
    details: list[str]
    records: list[Link]


def graph_href(page: int) -> str:
    """Where a page of the actor graph is, from the site's top folder."""
    return f"graph/{page}.html"


@dataclass
class GraphGroup:
    """A row of the graph's index: a connected component on one page, whole or a share of it."""

    component: int  # from 1, the largest first
    share: int  # from 1; a whole component is share 1 of 1
    shares: int
    size: int  # actors in the whole component
    actors: int  # of them on this page
    names: list[Link]  # its most connected actors on this page, at most three
    page: int
    href: str


@dataclass
class GraphPage:
    """A page of the actor graph: its actors placed, the actors of other pages they are tied to, the ties."""

    number: int
    href: str
    groups: list[GraphGroup]
    nodes: list[dict[str, Any]]  # id, label, href, type, x, y
    elsewhere: list[dict[str, Any]]  # actors on other pages tied to these: id, label, page, href (of their page), x, y
    ties: list[Tie]  # among this page's actors, then to those elsewhere
    lines: list[dict[str, Any]]  # x1, y1, x2, y2, tie
    width: int
    height: int


@dataclass
class Graph:
    """The actor graph in pages, with the index of its connected components."""

    pages: list[GraphPage]
    groups: list[GraphGroup]
    actors: int
    ties: int
    page_of: dict[str, int]  # each actor's page


@dataclass
class Quote:
    """A span of an article that evidence quotes, and the records it backs."""

    number: int
    start: int
    end: int
    text: str
    records: list[Link]


@dataclass
class Piece:
    """A run of an article's text: plain, an uncited sentence, or a cited cluster of quoted segments."""

    text: str = ""
    uncited: bool = False
    cluster: int | None = None
    href: str = ""  # where the cluster leads: its one record, or its entry in the list of quotes
    records: str = ""  # the ids of the records the cluster backs, space-separated
    segments: list[tuple[str, str]] = field(default_factory=list)  # (text, quote numbers space-separated)


@dataclass
class Article:
    """A source's text with its quotes and uncited sentences."""

    source: Record
    link: Link
    pieces: list[Piece]
    quotes: list[Quote]
    clusters: list[list[Quote]]
    sentences: int
    cited_sentences: int


@dataclass
class RecordPage:
    """A record in plain words, its evidence in context, and its references both ways."""

    record: Record
    link: Link
    kind: str
    file: str
    entries: list[Entry]
    denied_by: list[str]
    evidence: list[dict[str, Any]]
    refers_to: list[tuple[str, Link]]
    referred_by: list[tuple[str, Link]]


@dataclass
class AdvisoryRow:
    """An advisory as a row of the advisories' table."""

    link: Link
    issuer: Link
    areas: list[Link]
    level: str
    when: str
    date_key: str
    guidance: str
    superseded_by: list[Link]
    supersedes: list[Link]


@dataclass
class Site:
    """Everything the pages show."""

    links: dict[str, Link]
    years: list[YearPage]
    year_counts: list[tuple[int, int, int]]  # year, events, advisories
    graph: Graph
    sources: list[Record]  # each an article, read by ``article`` where its page is written
    records: list[RecordPage]  # referring both ways; the rest is filled by ``fill`` where the page is written
    advisories: list[AdvisoryRow]
    counts: dict[str, int]
    fill: Callable[[RecordPage], None]
    article: Callable[[Record], Article]


def _label(record: Record, names: Mapping[str, str]) -> str:
    data = record.data
    kind = record.kind.name
    if kind in ("actor", "location"):
        return str(data.get("name", record.id))
    if kind == "event":
        return str(data.get("summary", record.id))
    if kind == "source":
        return str(data.get("title", record.id))
    issuer = names.get(str(data.get("issuer")), str(data.get("issuer")))
    level = data.get("level")
    value = f" level {level.get('value')}" if isinstance(level, Mapping) else ""
    return f"{issuer}{value}: {data.get('guidance', '')}"


def _sorted_records(index: CorpusIndex, kind: str) -> list[Record]:
    return sorted(index.of_kind(kind), key=lambda record: record.id or "")


class SiteBuilder:
    """Reads a validated corpus into a ``Site``."""

    def __init__(self, index: CorpusIndex, sentences: Callable[[str], list[tuple[int, int]]]) -> None:
        self.index = index
        self.sentences = sentences
        self.names: dict[str, str] = {}
        for record in index.records:
            if record.id is not None and record.kind.name in ("actor", "location"):
                self.names[record.id] = str(record.data.get("name", record.id))
        self.links: dict[str, Link] = {
            record.id: Link(record.id, _label(record, self.names), record_href(record.id))
            for record in index.records
            if record.id is not None
        }
        self.denials = claims.denials((record.kind.name, record.data) for record in index.records)
        self.fields = {kind: kind_fields(kind, index.schemas) for kind in KIND_BY_NAME}
        # Each kind's reference fields: the path to it, and the words that name it on a page.
        self.reference_fields: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for spec in reference_fields(index.schemas):
            words = " ".join(step.replace("_", " ") for step in spec.path if step != EACH)
            self.reference_fields.setdefault(spec.kind, []).append((spec.path, words))
        self.quote_numbers: dict[tuple[str, int, int], int] = {}
        # Each schema node's vocabulary, by the node's identity; the node is kept, so its id is never reused.
        self._choices: dict[int, tuple[dict[str, Any], dict[Any, str]]] = {}
        # Where each quote is in its article, found once: (record id, evidence index) -> (source, start, end).
        self.spans: dict[tuple[str, int], tuple[str, int, int]] = {}
        for record in index.records:
            evidence = record.data.get("evidence")
            for number, item in enumerate(evidence if isinstance(evidence, list) else []):
                source = self.index.by_id.get(str(item.get("source"))) if isinstance(item, Mapping) else None
                if source is None or record.id is None or not isinstance(item.get("quote"), str):
                    continue
                search = self.index.search_text(source)
                where = search.find(item["quote"]) if search is not None else None
                if where is not None:
                    self.spans[(record.id, number)] = (source.id or "", where[0], where[1])
        # The same, by the article quoted: (record id, start, end), each article's in order.
        self.spans_by_source: dict[str, list[tuple[str, int, int]]] = {}
        for (record_id, _number), (source_id, start, end) in sorted(self.spans.items()):
            self.spans_by_source.setdefault(source_id, []).append((record_id, start, end))

    def link(self, record_id: str) -> Link:
        """The link of any id; an id of no record (never in a valid corpus) is shown as it is."""
        return self.links.get(record_id) or Link(record_id, record_id, record_href(record_id))

    def build(self) -> Site:
        """The whole site's data."""
        items = self._timeline_items()
        years, year_counts = self._years(items)
        # Each article's quotes are numbered in the order of their spans; the record pages
        # link to them by number. The articles themselves (their pieces of text and
        # sentences) are read where their pages are written (``articles``), in parallel.
        self.quote_numbers = {
            (source_id, start, end): number
            for source_id, spans in self.spans_by_source.items()
            for number, (start, end) in enumerate(sorted({(start, end) for _record, start, end in spans}), 1)
        }
        records = [
            RecordPage(record, self.link(record.id), record.kind.name, "", [], [], [], self._refers_to(record), [])
            for record in sorted(self.index.records, key=lambda record: record.id or "")
            if record.id is not None
        ]
        counts = {kind: len(self.index.of_kind(kind)) for kind in ("event", "actor", "location", "advisory", "source")}
        return Site(
            self.links,
            years,
            year_counts,
            self._graph(),
            _sorted_records(self.index, "source"),
            records,
            self._advisories(),
            counts,
            self.fill,
            self.article,
        )

    # --- timeline ----------------------------------------------------------------

    def _footing(self, data: Mapping[str, Any]) -> tuple[bool, str, list[str]]:
        occurrence = next(iter(claims.event_assertions(data)))
        denied = [
            f"denied by {', '.join(self.names.get(actor, actor) for actor in denial.deniers) or 'someone'}"
            f" ({denial.record_id})"
            for denial in claims.denials_of(occurrence, self.denials)
        ]
        return occurrence.claimed, claims.claim_words(occurrence.claim, self.names), denied

    def _timeline_items(self) -> list[TimelineItem]:
        superseded = {
            target
            for record in self.index.of_kind("advisory")
            for target in (record.data.get("supersedes") or [])
            if isinstance(target, str)
        }
        items: list[TimelineItem] = []
        for record in self.index.of_kind("event") + self.index.of_kind("advisory"):
            data = record.data
            span = bounds(data.get("date"))
            if span is None or record.id is None:
                continue
            date = data["date"]
            sources = sorted(
                {str(item.get("source")) for item in data.get("evidence", []) if isinstance(item, Mapping)}
            )
            if record.kind.name == "event":
                hedged, footing, denied = self._footing(data)
                actors = sorted({str(p.get("actor")) for p in data.get("participants", []) if isinstance(p, Mapping)})
                status, kind_type = str(data.get("status", "")), str(data.get("type", ""))
            else:
                hedged, footing, denied = False, "", []
                actors = [str(data.get("issuer"))]
                status, kind_type = "advisory", "advisory"
            items.append(
                TimelineItem(
                    id=record.id,
                    kind=record.kind.name,
                    label=self.link(record.id).label,
                    href=record_href(record.id),
                    status=status,
                    type=kind_type,
                    precision=str(date.get("precision", "")),
                    when=date_words(date),
                    first=span[0],
                    last=span[1],
                    hedged=hedged,
                    footing=footing,
                    denied_by=denied,
                    superseded=record.id in superseded,
                    sources=sources,
                    actors=actors,
                )
            )
        return sorted(items, key=lambda item: (item.first, item.last, item.id))

    def _years(self, items: list[TimelineItem]) -> tuple[list[YearPage], list[tuple[int, int, int]]]:
        by_year: dict[int, list[TimelineItem]] = {}
        for item in items:
            for year in range(item.first.year, item.last.year + 1):
                by_year.setdefault(year, []).append(item)
        pages = []
        counts = []
        for year in sorted(by_year):
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            days = (end - start).days + 1
            placed = []
            for item in by_year[year]:
                first, last = max(item.first, start), min(item.last, end)
                point = item.precision == "day"
                left = ((first - start).days + (0.5 if point else 0)) / days * 100
                width = 0.0 if point else ((last - first).days + 1) / days * 100
                placed.append(Placed(item, f"{left:.3f}", f"{width:.3f}", point, item.first < start, item.last > end))
            events = [entry for entry in placed if entry.item.kind == "event"]
            advisories = [entry for entry in placed if entry.item.kind == "advisory"]
            sources = sorted({source for entry in placed for source in entry.item.sources})
            actors = sorted({actor for entry in events for actor in entry.item.actors})
            pages.append(
                YearPage(
                    year,
                    advisories,
                    events,
                    [self.link(source) for source in sources],
                    sorted((self.link(actor) for actor in actors), key=lambda link: (link.label.lower(), link.id)),
                    sorted({entry.item.type for entry in events}),
                )
            )
            counts.append((year, len(events), len(advisories)))
        return pages, counts

    # --- graph ---------------------------------------------------------------------

    def _ties(self) -> tuple[set[str], list[Tie]]:
        """The actors that take part in something, and their ties, sorted."""
        ties: dict[tuple[str, str, str, bool], Tie] = {}
        backed: dict[tuple[str, str, str, bool], set[str]] = {}

        def tie(source: str, target: str, kind: str, hedged: bool, detail: str, record_id: str) -> None:
            key = (source, target, kind, hedged)
            found = ties.get(key)
            if found is None:
                found = ties[key] = Tie(source, target, kind, hedged, [], [])
                backed[key] = set()
            if detail not in found.details:
                found.details.append(detail)
            if record_id not in backed[key]:
                backed[key].add(record_id)
                found.records.append(self.link(record_id))

        nodes: set[str] = set()
        names = self.names
        for record in self.index.of_kind("event"):
            roles = [
                assertion
                for assertion in claims.event_assertions(record.data)
                if assertion.what == "role" and assertion.actor is not None
            ]
            nodes.update(assertion.actor for assertion in roles if assertion.actor is not None)
            record_id = record.id or ""
            summary = self.link(record_id).label
            for first in roles:
                for second in roles:
                    if first.actor is None or second.actor is None or not first.actor < second.actor:
                        continue
                    detail = (
                        f"{summary} ({record_id}): {names.get(first.actor, first.actor)} as {first.relation}, "
                        f"{names.get(second.actor, second.actor)} as {second.relation}"
                    )
                    tie(first.actor, second.actor, "event", first.claimed or second.claimed, detail, record_id)
        for record in self.index.of_kind("actor"):
            for assertion in claims.actor_assertions(record.data):
                if assertion.actor is None or record.id is None:
                    continue
                nodes.update((record.id, assertion.actor))
                detail = (
                    f"{names.get(record.id, record.id)} {assertion.relation} "
                    f"{names.get(assertion.actor, assertion.actor)}"
                    + (f" ({claims.claim_words(assertion.claim, names)})" if assertion.claim else "")
                )
                tie(record.id, assertion.actor, "affiliation", assertion.claimed, detail, record.id)
        ordered = sorted(ties.values(), key=lambda tie: (tie.source, tie.target, tie.kind, tie.hedged))
        for found in ordered:
            found.details.sort()
            found.records.sort(key=lambda link: link.id)
        return nodes, ordered

    def _graph(self) -> Graph:
        from toolkit.report_site import layout

        nodes, ties = self._ties()
        # A pair's weight: the records behind every tie between the two, whichever way it points.
        weights: dict[tuple[str, str], int] = {}
        neighbours: dict[str, set[str]] = {node: set() for node in nodes}
        for found in ties:
            pair = (min(found.source, found.target), max(found.source, found.target))
            weights[pair] = weights.get(pair, 0) + len(found.records)
            neighbours[found.source].add(found.target)
            neighbours[found.target].add(found.source)
        shares_by_page = layout.pages(sorted(nodes), weights, layout.PAGE_ACTORS)
        page_of = {
            actor: number for number, shares in enumerate(shares_by_page, 1) for s in shares for actor in s.members
        }
        ties_of: dict[int, list[Tie]] = {}
        for found in ties:
            ties_of.setdefault(page_of[found.source], []).append(found)
            if page_of[found.target] != page_of[found.source]:
                ties_of.setdefault(page_of[found.target], []).append(found)
        actor_types = {
            record.id: str(record.data.get("type", "")) for record in self.index.of_kind("actor") if record.id
        }

        def most_connected(members: tuple[str, ...]) -> list[Link]:
            chosen = sorted(members, key=lambda actor: (-len(neighbours[actor]), self.link(actor).label.lower(), actor))
            return [self.link(actor) for actor in chosen[:3]]

        pages = []
        for number, shares in enumerate(shares_by_page, 1):
            href = graph_href(number)
            groups = [
                GraphGroup(
                    s.component, s.share, s.shares, s.size, len(s.members), most_connected(s.members), number, href
                )
                for s in shares
            ]
            here = sorted(actor for s in shares for actor in s.members)
            page_ties = sorted(
                ties_of.get(number, []),
                key=lambda tie: (
                    page_of[tie.source] != number or page_of[tie.target] != number,
                    tie.source,
                    tie.target,
                    tie.kind,
                    tie.hedged,
                ),
            )
            others = sorted(
                {actor for tie in page_ties for actor in (tie.source, tie.target) if page_of[actor] != number}
            )
            places, width, height = layout.layout_graph(here + others, [(tie.source, tie.target) for tie in page_ties])

            placed = {actor: (f"{x:.1f}", f"{y:.1f}") for actor, (x, y) in places.items()}
            pages.append(
                GraphPage(
                    number,
                    href,
                    groups,
                    [
                        {
                            "id": actor,
                            "label": self.names.get(actor, actor),
                            "href": record_href(actor),
                            "type": actor_types.get(actor, ""),
                            "x": placed[actor][0],
                            "y": placed[actor][1],
                        }
                        for actor in here
                    ],
                    [
                        {
                            "id": actor,
                            "label": self.names.get(actor, actor),
                            "page": page_of[actor],
                            "href": graph_href(page_of[actor]),
                            "x": placed[actor][0],
                            "y": placed[actor][1],
                        }
                        for actor in others
                    ],
                    page_ties,
                    [
                        {
                            "x1": placed[tie.source][0],
                            "y1": placed[tie.source][1],
                            "x2": placed[tie.target][0],
                            "y2": placed[tie.target][1],
                            "tie": tie,
                        }
                        for tie in page_ties
                    ],
                    width,
                    height,
                )
            )
        # Pages hold the components in order, so their groups are the index's rows in order.
        groups = [group for page in pages for group in page.groups]
        return Graph(pages, groups, len(nodes), len(ties), page_of)

    # --- articles ------------------------------------------------------------------

    def article(self, source: Record) -> Article:
        """A source's text in pieces (plain, uncited, quoted), its quotes numbered as in ``quote_numbers``."""
        source_id = source.id or ""
        text = self.index.source_text(source).text or ""
        by_span: dict[tuple[int, int], list[str]] = {}
        for record_id, start, end in self.spans_by_source.get(source_id, []):
            if record_id not in by_span.setdefault((start, end), []):
                by_span[(start, end)].append(record_id)
        quotes = [
            Quote(number, start, end, text[start:end], [self.link(record_id) for record_id in sorted(records)])
            for number, ((start, end), records) in enumerate(sorted(by_span.items()), 1)
        ]
        # Clusters: quotes that overlap, as one stretch of highlighted text.
        clusters: list[list[Quote]] = []
        for quote in quotes:
            if clusters and quote.start < max(other.end for other in clusters[-1]):
                clusters[-1].append(quote)
            else:
                clusters.append([quote])
        sentences = self.sentences(text)
        quote_starts = [quote.start for quote in quotes]
        uncited = []
        for start, end in sentences:
            before = bisect_right(quote_starts, end - 1)
            if not any(quote.end > start for quote in quotes[:before]):
                uncited.append((start, end))
        regions: list[tuple[int, int, int | None]] = [(start, end, None) for start, end in uncited]
        regions += [
            (cluster[0].start, max(quote.end for quote in cluster), number)
            for number, cluster in enumerate(clusters, 1)
        ]
        pieces: list[Piece] = []
        at = 0
        for start, end, number in sorted(regions, key=lambda region: region[0]):
            if start > at:
                pieces.append(Piece(text[at:start]))
            if number is None:
                pieces.append(Piece(text[start:end], uncited=True))
            else:
                pieces.append(self._cluster_piece(text, clusters[number - 1], number, start, end))
            at = end
        if at < len(text):
            pieces.append(Piece(text[at:]))
        return Article(
            source,
            self.link(source_id),
            pieces,
            quotes,
            clusters,
            len(sentences),
            len(sentences) - len(uncited),
        )

    @staticmethod
    def _cluster_piece(text: str, cluster: list[Quote], number: int, start: int, end: int) -> Piece:
        cuts = sorted({start, end} | {quote.start for quote in cluster} | {quote.end for quote in cluster})
        segments = []
        for left, right in pairwise(cuts):
            covering = " ".join(str(quote.number) for quote in cluster if quote.start <= left and quote.end >= right)
            segments.append((text[left:right], covering))
        records = sorted({link.id for quote in cluster for link in quote.records})
        href = f"../{record_href(records[0])}" if len(records) == 1 else f"#cluster-{number}"
        return Piece(cluster=number, href=href, records=" ".join(records), segments=segments)

    # --- records -------------------------------------------------------------------

    def _entries(self, fields: tuple[Field, ...], data: Mapping[str, Any]) -> list[Entry]:
        entries = []
        for spec in fields:
            if spec.name in ("id", "evidence") or spec.name not in data:
                continue
            entries.append(self._entry(spec, data[spec.name]))
        return entries

    def _entry(self, spec: Field, value: Any, label: str | None = None) -> Entry:
        label = label or spec.name.replace("_", " ").capitalize()
        definition = spec.definition or ""
        if definition == "date":
            return Entry(
                label, f"{date_words(value)} ({value.get('precision')} precision)", explain=self._date_note(value)
            )
        if definition == "claim" and isinstance(value, Mapping):
            claim = claims.claim_at(value, ())
            entry = Entry(
                label,
                claims.claim_words(claim, self.names),
                explain=str(value.get("credibility", {}).get("reason", "")),
            )
            if claim is not None and claim.hedges:
                entry.children.append(Entry("Hedged in the text by", ", ".join(f"“{hedge}”" for hedge in claim.hedges)))
            if claim is not None and claim.date:
                entry.children.append(Entry("Claimed on", date_words(claim.date)))
            if value.get("note"):
                entry.children.append(Entry("Note", str(value["note"])))
            return entry
        if definition in ("credibility", "reliability") and isinstance(value, Mapping):
            grade = value.get("grade")
            words = (
                claims.RELIABILITY_WORDS.get(str(grade), "")
                if definition == "reliability"
                else claims.CREDIBILITY_WORDS.get(grade if isinstance(grade, int) else 0, "")
            )
            return Entry(label, f"{grade} ({words})", explain=str(value.get("reason", "")))
        if spec.is_list and isinstance(value, list):
            item_definition = spec.item_definition or ""
            entry = Entry(label)
            for item in value:
                if item_definition.endswith("_id") and isinstance(item, str):
                    entry.children.append(Entry("", link=self.link(item)))
                elif spec.fields and isinstance(item, Mapping):
                    entry.children.append(self._mapping_entry(spec.fields, item))
                else:
                    entry.children.append(Entry("", self._words(item), explain=self._explain(spec.items, item)))
            return entry
        if spec.fields and isinstance(value, Mapping):
            return Entry(label, children=self._entries(spec.fields, value))
        if (definition.endswith("_id")) and isinstance(value, str):
            return Entry(label, link=self.link(value))
        return Entry(label, self._words(value), explain=self._explain(spec.schema, value))

    def _mapping_entry(self, fields: tuple[Field, ...], item: Mapping[str, Any]) -> Entry:
        """An item of a list of mappings (a participant, an affiliation, a link), headed by its main words."""
        children = self._entries(fields, item)
        head = children.pop(0) if children else Entry("")
        return Entry(head.label, head.text, head.link, head.explain, children)

    @staticmethod
    def _date_note(value: Any) -> str:
        if not isinstance(value, Mapping):
            return ""
        parts = []
        if value.get("expression"):
            parts.append(f"from the words “{value['expression']}”")
        if value.get("note"):
            parts.append(str(value["note"]))
        return "; ".join(parts)

    @staticmethod
    def _words(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, Mapping):
            return ", ".join(f"{key.replace('_', ' ')}: {item}" for key, item in value.items())
        return str(value)

    def _explain(self, schema: dict[str, Any], value: Any) -> str:
        # The vocabulary of each schema node read once (a schema node lives as long as the run).
        held = self._choices.get(id(schema))
        if held is None:
            held = self._choices[id(schema)] = (schema, dict(choices(schema)) if "oneOf" in schema else {})
        known = held[1]
        return known.get(value, "") if isinstance(value, str | int) and not isinstance(value, bool) else ""

    def fill(self, page: RecordPage) -> None:
        """Complete a record's page (its fields, denials and evidence): done by the process that writes it."""
        full = self._record_page(page.record, self.quote_numbers)
        page.file, page.entries, page.denied_by, page.evidence = full.file, full.entries, full.denied_by, full.evidence

    def _record_page(self, record: Record, quote_numbers: Mapping[tuple[str, int, int], int]) -> RecordPage:
        record_id = record.id or ""
        kind = record.kind.name
        entries = self._entries(self.fields[kind], record.data)
        denied_by: list[str] = []
        participants_denied: dict[str, list[str]] = {}
        for assertion in claims.assertions(kind, record.data):
            for denial in claims.denials_of(assertion, self.denials):
                who = ", ".join(self.names.get(actor, actor) for actor in denial.deniers) or "someone"
                words = f"denied by {who} ({denial.record_id})"
                if assertion.what == "occurrence":
                    denied_by.append(words)
                elif assertion.actor is not None and not assertion.inherited:
                    participants_denied.setdefault(assertion.actor, []).append(words)
        for entry in entries:
            if entry.label == "Participants":
                for child in entry.children:
                    if child.link is not None and child.link.id in participants_denied:
                        child.children.append(Entry("Denied", "; ".join(participants_denied[child.link.id])))
        evidence = []
        for number, item in enumerate(record.data.get("evidence", [])):
            span = self.spans.get((record_id, number))
            if span is None:
                continue
            source_id, start, end = span
            text = self.index.source_text(self.index.by_id[source_id]).text or ""
            before_at = max(0, start - CONTEXT)
            after_at = min(len(text), end + CONTEXT)
            before = text[before_at:start]
            after = text[end:after_at]
            if before_at > 0:
                before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
            if after_at < len(text):
                after = after.rsplit(" ", 1)[0] + "…" if " " in after else after + "…"
            evidence.append(
                {
                    "source": self.link(source_id),
                    "article": article_href(source_id) + f"#q-{quote_numbers.get((source_id, start, end), 0)}",
                    "before": before,
                    "quote": text[start:end],
                    "after": after,
                    "note": str(item.get("note", "")),
                }
            )
        return RecordPage(
            record,
            self.link(record_id),
            kind,
            record.path.relative_to(self.index.root).as_posix()
            if record.path.is_relative_to(self.index.root)
            else record.file,
            entries,
            denied_by,
            evidence,
            [],
            [],
        )

    def _refers_to(self, record: Record) -> list[tuple[str, Link]]:
        # Done for every record before the pages are shared out (each page lists what refers
        # to it): the values are gathered a path step at a time into lists, not through
        # ``values_at``'s nested generators with each value's path, which cost twice as much.
        found: set[tuple[str, str]] = set()
        data = record.data
        for path, words in self.reference_fields.get(record.kind.name, ()):
            if path[0] not in data:
                continue
            values: list[Any] = [data]
            for step in path:
                if step == EACH:
                    values = [item for value in values if isinstance(value, list) for item in value]
                else:
                    values = [value[step] for value in values if isinstance(value, dict) and step in value]
            found.update((words, value) for value in values if isinstance(value, str) and value in self.links)
        return [(words, self.links[value]) for words, value in sorted(found)]

    # --- advisories ----------------------------------------------------------------

    def _advisories(self) -> list[AdvisoryRow]:
        scales = self._scales()
        superseded_by: dict[str, list[str]] = {}
        for record in self.index.of_kind("advisory"):
            for target in record.data.get("supersedes") or []:
                superseded_by.setdefault(str(target), []).append(record.id or "")
        rows = []
        for record in self.index.of_kind("advisory"):
            data = record.data
            level = data.get("level")
            if isinstance(level, Mapping):
                top = scales.get(str(level.get("scale")))
                level_words = f"{level.get('value')}" + (f" of {top}" if top else "") + f" ({level.get('scale')})"
            else:
                level_words = "no level"
            date = data.get("date")
            rows.append(
                AdvisoryRow(
                    self.link(record.id or ""),
                    self.link(str(data.get("issuer"))),
                    [self.link(str(area)) for area in data.get("areas", [])],
                    level_words,
                    date_words(date),
                    str(date.get("start", "")) if isinstance(date, Mapping) else "",
                    str(data.get("guidance", "")),
                    [self.link(other) for other in sorted(superseded_by.get(record.id or "", []))],
                    [self.link(str(other)) for other in data.get("supersedes") or []],
                )
            )
        return sorted(
            rows,
            key=lambda row: (
                row.issuer.label.lower(),
                [area.label.lower() for area in row.areas],
                row.date_key,
                row.link.id,
            ),
        )

    def _scales(self) -> dict[str, int]:
        """The highest value of each advisory scale, from the schema."""
        found = {}
        for entry in self.index.schemas.definition("advisory_level").get("oneOf", []):
            properties = entry.get("properties", {})
            scale = properties.get("scale", {}).get("const")
            top = properties.get("value", {}).get("maximum")
            if isinstance(scale, str) and isinstance(top, int):
                found[scale] = top
        return found


def add_referred_by(pages: list[RecordPage]) -> None:
    """Fill each page's ``referred_by`` from the others' ``refers_to``."""
    by_id = {page.link.id: page for page in pages}
    found: dict[str, set[tuple[str, str]]] = {}
    for page in pages:
        for words, target in page.refers_to:
            other = by_id.get(target.id)
            if other is not None and (words, page.link.id) not in found.setdefault(target.id, set()):
                found[target.id].add((words, page.link.id))
                other.referred_by.append((words, page.link))
    for page in pages:
        page.referred_by.sort(key=lambda pair: (pair[0], pair[1].id))


def build_site(index: CorpusIndex, sentences: Callable[[str], list[tuple[int, int]]]) -> Site:
    """The data of every page of the report on a validated corpus."""
    site = SiteBuilder(index, sentences).build()
    add_referred_by(site.records)
    return site
