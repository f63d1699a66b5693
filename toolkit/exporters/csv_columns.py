"""The CSV export's tables and columns: the one table that the writer and datapackage.json both read.

Each ``Table`` says which records feed it (and which list inside them, for link
tables), its primary key, and its columns. A ``Column`` takes its value from a
path into the record (or list item) and its description, type and constraints
from the JSON Schema at that path; only computed columns say these themselves.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from toolkit.corpus_index import CorpusIndex
from toolkit.exporters.csv_claims import WHAT, claim_id, claimed_assertions, facts
from toolkit.kinds import KINDS
from toolkit.model import Record
from toolkit.partial_dates import earliest, latest
from toolkit.quotes import find_quote
from toolkit.schema_loader import SchemaSet

# Multi-valued cells of the flat view join their values with this, as ACLED does.
JOIN = "; "
T = TypeVar("T")


class Row(NamedTuple):
    """What a row is drawn from: a record, and the list item when the table lists one."""

    # A tuple, not a frozen dataclass: one is made per row, and a frozen dataclass
    # takes five times as long to make (performance edit, benchmarks/README.md).
    corpus: CorpusIndex
    record: Record
    item: Any  # the record's data, or one item of the listed field
    # Not ``index``: that would hide tuple.index, a method every tuple has.
    position: int | None = None  # the item's position in that list


@dataclass(frozen=True)
class Column:
    """One column: where its value is, and what the Table Schema says of it.

    ``path`` leads into the row's item (the record, or the listed item) and, put
    after the table's list path, to the field's JSON Schema, which gives the
    description, type, ``required``, ``enum`` and ``pattern``. A column with a
    ``value`` function is computed and describes itself.
    """

    name: str
    path: tuple[str, ...] = ()
    value: Callable[[Row], Any] | None = None
    type: str | None = None  # Table Schema type; from the JSON Schema when None
    description: str | None = None  # from the JSON Schema when None
    about: str | None = None  # put before the schema's description, for fields that need context
    required: bool | None = None  # from the JSON Schema's `required` when None
    enum: tuple[str | int, ...] | None = None
    references: str | None = None  # the table whose `id` this column holds
    # A computed column that shows a schema field (a claim's, read through toolkit.claims)
    # takes its description, type and constraints from the JSON Schema at this path.
    described_by: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    """One CSV file: the records that feed it, the list it unrolls, its columns and key."""

    name: str
    description: str
    kinds: tuple[str, ...]  # kinds of record that feed rows; the first one's schema describes columns
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    each: tuple[str, ...] | None = None  # one row per item of this list in each record
    # Or one row per item this function draws from each record (claims.csv: its claimed assertions).
    items: Callable[[CorpusIndex, Record], Iterable[Any]] | None = None


# --- values -----------------------------------------------------------------


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def value_getter(column: Column) -> Callable[[Row], Any]:
    """A function giving the column's value in a row (``None`` for an empty cell)."""
    if column.value:
        return column.value
    if len(column.path) == 1:  # most columns: one field of the item, looked up directly
        step = column.path[0]
        return lambda row: row.item.get(step) if isinstance(row.item, dict) else None
    path = column.path
    return lambda row: _dig(row.item, path)


def _record_id(row: Row) -> str | None:
    return row.record.id


def _record_kind(row: Row) -> str:
    return row.record.kind.name


def _index(row: Row) -> int | None:
    return row.position


def _file(row: Row) -> str:
    return row.record.path.relative_to(row.corpus.root).as_posix()


def _day(get: Callable[[Row], Any], last: bool) -> Callable[[Row], str | None]:
    def day(row: Row) -> str | None:
        date = get(row)
        if not isinstance(date, Mapping) or not isinstance(date.get("start"), str):
            return None
        value = date.get("end") if last and isinstance(date.get("end"), str) else date["start"]
        return (latest if last else earliest)(value).isoformat()

    return day


@lru_cache(maxsize=4096)
def _span(quote: str, text: str) -> tuple[int, int] | None:
    return find_quote(quote, text)


def _quote_offset(end: bool) -> Callable[[Row], int | None]:
    def offset(row: Row) -> int | None:
        source = row.corpus.by_id.get(row.item.get("source"))
        text = row.corpus.source_text(source).text if source is not None else None
        span = _span(row.item["quote"], text) if text is not None else None
        return span[end] if span else None

    return offset


@lru_cache(maxsize=8)
def _cameo_codes(schemas: SchemaSet) -> dict[str, str | None]:
    return {entry["const"]: entry.get("x-cameo") for entry in schemas.vocabulary("event_type")}


def _cameo(row: Row) -> str | None:
    return _cameo_codes(row.corpus.schemas).get(row.item.get("type"))


def _actors(role: str, field: str) -> Callable[[Row], str | None]:
    def actors(row: Row) -> str | None:
        ids = [p["actor"] for p in row.item.get("participants") or [] if p.get("role") == role]
        values = [row.corpus.by_id[i].data.get(field) if i in row.corpus.by_id else None for i in ids]
        return JOIN.join(str(v) for v in values if v is not None) or None

    return actors


def _location(field: str) -> Callable[[Row], str | None]:
    def location(row: Row) -> str | None:
        record = row.corpus.by_id.get(row.item.get("location"))
        return record.data.get(field) if record is not None else None

    return location


def _source_ids(row: Row) -> str | None:
    return JOIN.join(sorted({item["source"] for item in row.item.get("evidence") or []})) or None


def _field_of(get: Callable[[Row], Any], name: str) -> Callable[[Row], Any]:
    def field(row: Row) -> Any:
        found = get(row)
        return found.get(name) if isinstance(found, Mapping) else None

    return field


# --- values: claims (toolkit/exporters/csv_claims.py reads them once per corpus) ---


def _per_row(compute: Callable[[Row], T]) -> Callable[[Row], T]:
    """``compute``, run once per row: a row's cells are read one after another, so the last row's value is kept."""
    last: list[Any] = [None, None, None]  # a weak reference to the corpus, the item, the value

    def cached(row: Row) -> T:
        value: T
        if row.item is last[1] and last[0] is not None and last[0]() is row.corpus:
            value = last[2]
            return value
        value = compute(row)
        last[:] = [weakref.ref(row.corpus), row.item, value]
        return value

    return cached


_flat_cells = _per_row(lambda row: facts(row.corpus).flat_cells(row.record))
_claim_cells = _per_row(lambda row: facts(row.corpus).claim_cells(row.record, row.item))


def _flat(name: str) -> Callable[[Row], Any]:
    return lambda row: _flat_cells(row)[name]


def _claims(name: str) -> Callable[[Row], Any]:
    return lambda row: _claim_cells(row)[name]


def _claim_date(row: Row) -> Any:
    return _claim_cells(row)["report_date"]


def _listed(field: str, which: int) -> Callable[[Row], Any]:
    # A claim column of a link table: 0 the key into claims.csv, 1 the claimant, 2 the credibility.
    return lambda row: facts(row.corpus).item_cells(row.record, field, row.position)[which]


def _occurrence_claim_id(row: Row) -> str | None:
    occurrence = facts(row.corpus).at(row.record)
    return claim_id(occurrence) if occurrence is not None and occurrence.claim is not None else None


# --- column families ---------------------------------------------------------------


def date_columns(
    prefix: str, path: tuple[str, ...], about: str, get: Callable[[Row], Any] | None = None
) -> tuple[Column, ...]:
    """The columns of one date object: its fields as written, plus typed first and last days.

    The date is at ``path`` in the row's item, or else where ``get`` finds it (a
    claim's date, read through toolkit.claims); ``path`` still leads to its JSON
    Schema, which describes the columns.
    """

    def at_path(row: Row) -> Any:
        return _dig(row.item, path)

    read = get or at_path

    def field(name: str) -> Column:
        if get is None:
            return Column(f"{prefix}_{name}", path + (name,), about=about)
        return Column(f"{prefix}_{name}", value=_field_of(get, name), described_by=path + (name,), about=about)

    return (
        field("start"),
        field("end"),
        field("precision"),
        field("expression"),
        field("note"),
        Column(
            f"{prefix}_first_day",
            value=_day(read, last=False),
            type="date",
            description=f"{about}: the first day the date can mean ({prefix}_start at its earliest), "
            "to sort and filter by.",
        ),
        Column(
            f"{prefix}_last_day",
            value=_day(read, last=True),
            type="date",
            description=f"{about}: the last day the date can mean ({prefix}_end, or else {prefix}_start, "
            "at its latest).",
        ),
    )


def owner(name: str, table: str, what: str) -> Column:
    """The id of the record a link table's row belongs to."""
    return Column(
        name, value=_record_id, references=table, required=True, description=f"Id of the {what} the row belongs to."
    )


INDEX = Column(
    "index",
    value=_index,
    type="integer",
    required=True,
    description="Position of the item in the record's list, counted from 0 as in the "
    "validator's paths ($.evidence[0]).",
)
CREDIBILITY = ("claim", "credibility", "grade")  # where a claim's grade is in the schemas
RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
GRADES = (1, 2, 3, 4, 5, 6)


def claim_columns(field: str, what: str, more: str = "") -> tuple[Column, ...]:
    """The claim columns of a link table: the key of the claim its item rests on, who claims it, how credibly."""
    return (
        Column(
            "claim_id",
            value=_listed(field, 0),
            references="claims",
            description=f"Key (claims.id) of the claim the {what} rests on, when it rests on someone's "
            f"claim rather than on the article's own word; empty otherwise.{more}",
        ),
        Column(
            "claimed_by_id",
            value=_listed(field, 1),
            references="actors",
            description=f"Id of the actor who claims the {what} (the claim's `by`); empty when it rests on the "
            "article's own word, or on a claim that names no one (claims.unattributed).",
        ),
        Column(
            "credibility",
            value=_listed(field, 2),
            described_by=CREDIBILITY,
            about=f"Credibility of the claim the {what} rests on (empty: the article's own word)",
        ),
    )


def _unnamed(row: Row) -> bool:
    return row.item.get("unnamed") is True


def part_columns(which: str, roles: str) -> tuple[Column, ...]:
    """events_flat's columns of actor1 or actor2: ids, names, and the hedge beside them."""
    return (
        Column(
            f"{which}_ids",
            value=_flat(f"{which}_ids"),
            description=f"Ids of {roles}, in annotation order, joined with '; '.",
        ),
        Column(
            f"{which}_names",
            value=_flat(f"{which}_names"),
            description=f"Names of {which}, in the order of {which}_ids, joined with '; '.",
        ),
        Column(
            f"{which}_claimed_by_ids",
            value=_flat(f"{which}_claimed_by_ids"),
            description=f"Ids of the actors who claim the part of {which} (their own claims, or the event's "
            f"that their part rests on), joined with '; '; empty when every part in {which}_ids rests on the "
            f"article's own word or on a claim that names no one ({which}_hedge says which).",
        ),
        Column(
            f"{which}_credibility",
            value=_flat(f"{which}_credibility"),
            type="integer",
            enum=GRADES,
            description=f"Admiralty credibility (1-6) of the claims the part of {which} rests on, the least "
            f"credible of them when there are several (6, truth cannot be judged, counts as least); empty when "
            "none rests on a claim.",
        ),
        Column(
            f"{which}_hedge",
            value=_flat(f"{which}_hedge"),
            description=f"For each of {which} whose part rests on a claim or is denied: 'act-x: claimed by "
            "Name (act-y) via Name (act-z), credibility N (words), in the words: ..., denied by Name (act-w) in "
            f"evt-...', joined with '; '. Empty when the part of every one of {which} rests on the article's "
            "own word and no one denies it: filter on this cell being empty to keep facts only.",
        ),
    )


KIND_NAMES = tuple(kind.name for kind in KINDS)
EXTERNAL_IDS = (
    Column("wikidata_id", ("external_ids", "wikidata")),
    Column("geonames_id", ("external_ids", "geonames")),
)


# --- the tables --------------------------------------------------------------------

TABLES: tuple[Table, ...] = (
    Table(
        "sources",
        "One row per source article.",
        ("source",),
        (
            Column("id", ("id",)),
            Column("title", ("title",)),
            Column("publisher_id", ("publisher",), references="actors"),
            *date_columns("published", ("published",), "Publication date"),
            Column("language", ("language",)),
            Column("text_file", ("text",)),
            Column("sha256", ("sha256",)),
            Column("url", ("url",)),
            Column("retrieved", ("retrieved",)),
            Column("truncated_note", ("truncated", "note")),
            Column("note", ("note",)),
        ),
        ("id",),
    ),
    Table(
        "actors",
        "One row per actor.",
        ("actor",),
        (
            Column("id", ("id",)),
            Column("type", ("type",)),
            Column("name", ("name",)),
            Column(
                "unnamed",
                value=_unnamed,
                type="boolean",
                required=True,
                described_by=("unnamed",),
                about="true when the sources leave the actor unnamed, false when they name it",
            ),
            Column("reliability", ("reliability", "grade"), about="The actor's reliability as a source of claims"),
            Column("reliability_reason", ("reliability", "reason"), about="Why the actor has that reliability"),
            *EXTERNAL_IDS,
            Column("note", ("note",)),
        ),
        ("id",),
    ),
    Table(
        "actor_aliases",
        "Other names and spellings of each actor, one row each.",
        ("actor",),
        (
            owner("actor_id", "actors", "actor"),
            INDEX,
            Column("alias", required=True, description="A name or spelling of the actor used in the sources."),
        ),
        ("actor_id", "index"),
        each=("aliases",),
    ),
    Table(
        "actor_countries",
        "Countries each actor belongs to or acts for, one row each.",
        ("actor",),
        (
            owner("actor_id", "actors", "actor"),
            INDEX,
            Column("country_code", about="Country the actor belongs to or acts for"),
        ),
        ("actor_id", "index"),
        each=("countries",),
    ),
    Table(
        "actor_positions",
        "Positions held by each person, one row each.",
        ("actor",),
        (
            owner("actor_id", "actors", "actor"),
            INDEX,
            Column("title", ("title",)),
            Column("in_actor_id", ("in",), references="actors"),
            Column("status", ("status",)),
            *date_columns("from", ("start",), "When the position was taken up"),
            *date_columns("until", ("end",), "When the position was left"),
            Column("note", ("note",)),
        ),
        ("actor_id", "index"),
        each=("positions",),
    ),
    Table(
        "actor_affiliations",
        "Other actors each actor belongs to or is directed by, one row each.",
        ("actor",),
        (
            owner("actor_id", "actors", "actor"),
            INDEX,
            Column("relation", ("relation",)),
            Column(
                "affiliated_actor_id",
                ("actor",),
                references="actors",
                description="Id of the actor this one is tied to.",
            ),
            Column("certainty", ("certainty",)),
            *claim_columns("affiliations", "tie"),
            Column("note", ("note",)),
        ),
        ("actor_id", "index"),
        each=("affiliations",),
    ),
    Table(
        "locations",
        "One row per location.",
        ("location",),
        (
            Column("id", ("id",)),
            Column("type", ("type",)),
            Column("name", ("name",)),
            Column("country_code", ("country",)),
            Column("within_id", ("within",), references="locations"),
            Column(
                "latitude",
                ("coordinates", "latitude"),
                about="WGS 84 latitude of a representative point (a city centre), in degrees",
            ),
            Column(
                "longitude",
                ("coordinates", "longitude"),
                about="WGS 84 longitude of a representative point (a city centre), in degrees",
            ),
            *EXTERNAL_IDS,
            Column("note", ("note",)),
        ),
        ("id",),
    ),
    Table(
        "location_aliases",
        "Other names and spellings of each location, one row each.",
        ("location",),
        (
            owner("location_id", "locations", "location"),
            INDEX,
            Column("alias", required=True, description="A name or spelling of the place used in the sources."),
        ),
        ("location_id", "index"),
        each=("aliases",),
    ),
    Table(
        "events",
        "One row per event, with its fields as annotated; see events_flat for a view "
        "with actors, place and sources on the same row.",
        ("event",),
        (
            Column("id", ("id",)),
            Column("type", ("type",)),
            Column(
                "cameo_code",
                value=_cameo,
                description="The nearest CAMEO code of the event type (x-cameo of the vocabulary); "
                "empty for types CAMEO has no code for.",
            ),
            Column("status", ("status",)),
            Column("summary", ("summary",)),
            *date_columns("date", ("date",), "When the event happened"),
            Column("location_id", ("location",), references="locations"),
            Column("location_precision", ("location_precision",)),
            Column("outcome", ("outcome",)),
            Column("fatalities", ("fatalities",)),
            Column(
                "claim_id",
                value=_occurrence_claim_id,
                references="claims",
                description="Key (claims.id) of the claim the event itself rests on, when the article does "
                "not report it on its own word; empty otherwise.",
            ),
            Column("note", ("note",)),
        ),
        ("id",),
    ),
    Table(
        "event_participants",
        "Actors taking part in each event, with their role, one row each.",
        ("event",),
        (
            owner("event_id", "events", "event"),
            INDEX,
            Column("actor_id", ("actor",), references="actors"),
            Column("role", ("role",)),
            *claim_columns(
                "participants",
                "participant's role",
                " A role with no claim of its own rests on its event's claim, when the event has one.",
            ),
            Column("note", ("note",)),
        ),
        ("event_id", "index"),
        each=("participants",),
    ),
    Table(
        "advisories",
        "One row per advisory.",
        ("advisory",),
        (
            Column("id", ("id",)),
            Column("issuer_id", ("issuer",), references="actors"),
            Column("audience", ("audience",)),
            Column(
                "level_scale",
                ("level", "scale"),
                description="The issuer's scale the level is on (a scale of the schema's advisory_level).",
            ),
            Column("level_value", ("level", "value"), description="The level on that scale."),
            Column("guidance", ("guidance",)),
            *date_columns("date", ("date",), "When the advisory was issued or raised"),
            Column("note", ("note",)),
        ),
        ("id",),
    ),
    Table(
        "advisory_areas",
        "Places each advisory covers, one row each.",
        ("advisory",),
        (
            owner("advisory_id", "advisories", "advisory"),
            INDEX,
            Column("location_id", references="locations", about="A place the advisory covers"),
        ),
        ("advisory_id", "index"),
        each=("areas",),
    ),
    Table(
        "advisory_supersedes",
        "Earlier advisories each advisory replaces, one row each.",
        ("advisory",),
        (
            owner("advisory_id", "advisories", "advisory"),
            INDEX,
            Column(
                "superseded_id",
                references="advisories",
                about="An earlier advisory of the same issuer that this one replaces",
            ),
        ),
        ("advisory_id", "index"),
        each=("supersedes",),
    ),
    Table(
        "links",
        "Links from events and advisories to other events and advisories, one row each.",
        ("event", "advisory"),
        (
            owner("record_id", "records", "event or advisory"),
            Column(
                "record_kind",
                value=_record_kind,
                required=True,
                enum=("event", "advisory"),
                description="The kind of the record the link starts from.",
            ),
            INDEX,
            Column("relation", ("relation",)),
            Column("target_id", ("target",), references="records"),
            Column("participant_id", ("participant",), references="actors"),
            Column("certainty", ("certainty",)),
            *claim_columns("links", "link"),
            Column("note", ("note",)),
        ),
        ("record_id", "index"),
        each=("links",),
    ),
    Table(
        "evidence",
        "The quotes that prove each record, of every kind, one row each.",
        KIND_NAMES,
        (
            owner("record_id", "records", "record"),
            Column(
                "record_kind",
                value=_record_kind,
                required=True,
                enum=KIND_NAMES,
                description="The kind of the record the quote proves.",
            ),
            INDEX,
            Column("source_id", ("source",), references="sources"),
            Column("quote", ("quote",)),
            Column(
                "quote_start",
                value=_quote_offset(end=False),
                type="integer",
                description="Where the quote starts in the source's text file, in Unicode code points "
                "from 0 (after the matching the validator allows: runs of whitespace and "
                "typographic quotes).",
            ),
            Column(
                "quote_end",
                value=_quote_offset(end=True),
                type="integer",
                description="Where the quote ends in the source's text file (exclusive), in code points.",
            ),
            Column("note", ("note",)),
        ),
        ("record_id", "index"),
        each=("evidence",),
    ),
    Table(
        "records",
        "Every record of every kind, so that columns holding the id of a record of "
        "any kind (evidence.record_id, links.target_id) have a table to refer to.",
        KIND_NAMES,
        (
            Column("id", value=_record_id, required=True, description="The record's id."),
            Column("kind", value=_record_kind, required=True, enum=KIND_NAMES, description="The kind of record."),
            Column("file", value=_file, required=True, description="The record's file, relative to the corpus folder."),
        ),
        ("id",),
    ),
    Table(
        "events_flat",
        "One row per event with its main actors, place, sources and claims on the row, "
        "in the spirit of ACLED's codebook. Lists are joined with '; '; the link tables hold them "
        "one per row, and claims.csv every claim in full.",
        ("event",),
        (
            Column("id", ("id",)),
            *date_columns("date", ("date",), "When the event happened"),
            Column("type", ("type",)),
            Column("cameo_code", value=_cameo, description="The nearest CAMEO code of the event type."),
            Column("status", ("status",)),
            Column("outcome", ("outcome",)),
            Column("fatalities", ("fatalities",)),
            *part_columns(
                "actor1",
                "the actors who act: the perpetrators of a hostile event (ASSAULT), else (or when it names "
                "no perpetrator) its initiators",
            ),
            *part_columns("actor2", "the actors acted against: the victims and targets"),
            Column(
                "initiator_ids",
                value=_actors("initiator", "id"),
                description="Ids of the actors in the role initiator, in annotation order, joined with '; '.",
            ),
            Column(
                "initiator_names",
                value=_actors("initiator", "name"),
                description="Names of the initiators, in the order of initiator_ids, joined with '; '.",
            ),
            Column(
                "target_ids",
                value=_actors("target", "id"),
                description="Ids of the actors in the role target, in annotation order, joined with '; '.",
            ),
            Column(
                "target_names",
                value=_actors("target", "name"),
                description="Names of the targets, in the order of target_ids, joined with '; '.",
            ),
            Column(
                "credibility",
                value=_flat("credibility"),
                described_by=CREDIBILITY,
                about="Credibility of the claim the event itself rests on; empty when the article reports it "
                "on its own word (the parts of actor1 and actor2 have theirs beside them)",
            ),
            Column(
                "event_hedge",
                value=_flat("event_hedge"),
                description="The claim the event itself rests on, and its denials, in words: 'claimed by Name "
                "(act-x) via Name (act-y), credibility N (words), in the words: alleged, denied by Name (act-z) "
                "in evt-...'; or 'on the article's own word, denied by ...'. Empty when the article reports the "
                "event on its own word and no one denies it.",
            ),
            Column(
                "claimant_ids",
                value=_flat("claimant_ids"),
                description="Ids of the actors who claim the event or a part in it (the `by` of the event's "
                "claim first, then of its participants' own claims), joined with '; '. A claim that names no "
                "one adds no id: see event_hedge and the actor hedges.",
            ),
            Column(
                "claimant_names",
                value=_flat("claimant_names"),
                description="Names of the claimants, in the order of claimant_ids, joined with '; '.",
            ),
            Column(
                "reliability",
                value=_flat("reliability"),
                description="Admiralty reliability (A-F) of each claimant as a source, in the order of "
                "claimant_ids, joined with '; ' (F where none is recorded: it cannot be judged).",
            ),
            Column(
                "reporter_ids",
                value=_flat("reporter_ids"),
                description="Ids of the article's own sources for those claims (each claim's last `via`, else "
                "its claimant), joined with '; '.",
            ),
            Column(
                "reporter_names",
                value=_flat("reporter_names"),
                description="Names of the reporters, in the order of reporter_ids, joined with '; '.",
            ),
            Column(
                "reporter_reliability",
                value=_flat("reporter_reliability"),
                description="Admiralty reliability (A-F) of each reporter, in the order of reporter_ids, "
                "joined with '; ' (F where none is recorded).",
            ),
            Column(
                "rests_on_unnamed_sources",
                value=_flat("rests_on_unnamed_sources"),
                type="boolean",
                required=True,
                description="true when the event itself rests on a claim that reaches the article only from "
                "an unnamed source (its reporter is an actor the sources leave unnamed) or that names no one; "
                "false otherwise, and for events the article reports on its own word.",
            ),
            *date_columns(
                "report_date",
                ("claim", "date"),
                "When the claim the event rests on was made or reported, apart from when the event happened",
            ),
            Column(
                "denied_by_ids",
                value=_flat("denied_by_ids"),
                description="Ids of the actors who deny the event or a part in it (the initiators and "
                "spokespeople of the denials), joined with '; '.",
            ),
            Column(
                "denial_ids",
                value=_flat("denial_ids"),
                description="Ids of the denial events that deny this event or a part in it, joined with '; '.",
            ),
            Column("location_id", ("location",), references="locations"),
            Column("location_name", value=_location("name"), description="Name of the event's location."),
            Column(
                "location_country_code",
                value=_location("country"),
                description="ISO 3166-1 alpha-2 code of the country the event's location is in.",
            ),
            Column("location_precision", ("location_precision",)),
            Column(
                "actor_country_codes",
                value=_flat("actor_country_codes"),
                description="Countries (ISO 3166-1 alpha-2) of the participants whose part the article reports "
                "on its own word, sorted, joined with '; '. The countries of participants whose part rests on "
                "a claim (an alleged perpetrator) are in claimed_actor_country_codes, never here.",
            ),
            Column(
                "claimed_actor_country_codes",
                value=_flat("claimed_actor_country_codes"),
                description="Countries (ISO 3166-1 alpha-2) of the participants whose part rests on someone's "
                "claim (their own, or the event's), sorted, joined with '; '.",
            ),
            Column(
                "source_ids",
                value=_source_ids,
                description="Ids of the sources cited as evidence for the event, sorted, joined with '; '.",
            ),
            Column("summary", ("summary",)),
            Column("note", ("note",)),
        ),
        ("id",),
    ),
    Table(
        "claims",
        "One row per assertion that rests on someone's claim rather than on the article's own word: an "
        "event's occurrence, a participant's role, an actor's affiliation, a link. Who claims it, through "
        "whom it reaches the article, how credible it is, and who denies it.",
        ("event", "actor", "advisory"),
        (
            Column(
                "id",
                value=_claims("id"),
                description="The assertion: its record's id, then the JSON Pointer of the item it is about "
                "(evt-x is the event's occurrence, evt-x/participants/1 its second participant's role, "
                "act-y/affiliations/0 an affiliation, evt-x/links/0 a link).",
            ),
            Column(
                "record_id",
                value=_record_id,
                references="records",
                required=True,
                description="Id of the record that makes the assertion.",
            ),
            Column(
                "record_kind",
                value=_record_kind,
                required=True,
                enum=("event", "actor", "advisory"),
                description="The kind of that record.",
            ),
            Column(
                "what",
                value=_claims("what"),
                required=True,
                enum=WHAT,
                description="What is asserted: occurrence (the event happened), role (actor_id played relation "
                "in it), affiliation (the record's actor is relation actor_id), link (the record is relation "
                "target_id).",
            ),
            Column(
                "relation",
                value=_claims("relation"),
                description="The participant's role, the affiliation's relation or the link's relation; empty "
                "for an occurrence.",
            ),
            Column(
                "actor_id",
                value=_claims("actor_id"),
                references="actors",
                description="The participant (role), the actor tied to (affiliation), or the participant whose "
                "part a link is about (denies); empty otherwise.",
            ),
            Column(
                "target_id",
                value=_claims("target_id"),
                references="records",
                description="The record a link points to; empty for other assertions.",
            ),
            Column(
                "inherited",
                value=_claims("inherited"),
                type="boolean",
                required=True,
                description="true when a participant's role rests on its event's claim, having no claim of its own.",
            ),
            Column(
                "claimant_id",
                value=_claims("claimant_id"),
                references="actors",
                described_by=("claim", "by"),
                about="Id of the claimant; empty when the claim names no one (unattributed)",
            ),
            Column(
                "claimant_name",
                value=_claims("claimant_name"),
                description="Name of the claimant.",
            ),
            Column(
                "unattributed",
                value=_claims("unattributed"),
                type="boolean",
                required=True,
                description="true when the text names no one for the claim ('it is believed that').",
            ),
            Column(
                "via_ids",
                value=_claims("via_ids"),
                description="Ids of the actors who relay the claim to the article, from the claimant outward, "
                "joined with '; ': the last one is the article's own source for it (article <- last <- ... "
                "<- claimant).",
            ),
            Column(
                "via_names",
                value=_claims("via_names"),
                description="Names of the relays, in the order of via_ids, joined with '; '.",
            ),
            Column(
                "reporter_id",
                value=_claims("reporter_id"),
                references="actors",
                description="The article's own source for the claim: the last relay, else the claimant; empty "
                "for an unattributed claim with no relay.",
            ),
            Column(
                "reporter_name",
                value=_claims("reporter_name"),
                description="Name of the reporter.",
            ),
            Column(
                "credibility",
                value=_claims("credibility"),
                required=True,
                described_by=CREDIBILITY,
            ),
            Column(
                "credibility_reason",
                value=_claims("credibility_reason"),
                required=True,
                described_by=("claim", "credibility", "reason"),
            ),
            Column(
                "claimant_reliability",
                value=_claims("claimant_reliability"),
                required=True,
                enum=RELIABILITY_GRADES,
                description="Admiralty reliability (A-F) of the claimant as a source; F for a claim that names "
                "no one, and where none is recorded.",
            ),
            Column(
                "reporter_reliability",
                value=_claims("reporter_reliability"),
                required=True,
                enum=RELIABILITY_GRADES,
                description="Admiralty reliability (A-F) of the reporter; F for an unattributed claim with no "
                "relay, and where none is recorded.",
            ),
            Column(
                "rests_on_unnamed_sources",
                value=_claims("rests_on_unnamed_sources"),
                type="boolean",
                required=True,
                description="true when the claim reaches the article only from an unnamed source (its reporter "
                "is an actor the sources leave unnamed) or names no one.",
            ),
            Column(
                "hedges",
                value=_claims("hedges"),
                description="The article's own words that mark the assertion as a claim, verbatim from the "
                "record's evidence ('alleged', 'reportedly', 'deemed', a word in scare quotes), joined with '; '.",
            ),
            *date_columns(
                "report_date",
                ("claim", "date"),
                "When the claim was made or reported, apart from when what it asserts happened",
                get=_claim_date,
            ),
            Column("note", value=_claims("note"), described_by=("claim", "note")),
            Column(
                "denied_by_ids",
                value=_claims("denied_by_ids"),
                description="Ids of the actors who deny the assertion (the initiators and spokespeople of its "
                "denials), joined with '; '. A denial of an event denies its occurrence and every role resting "
                "on it.",
            ),
            Column(
                "denial_ids",
                value=_claims("denial_ids"),
                description="Ids of the denial events aimed at the assertion, joined with '; '.",
            ),
            Column(
                "in_words",
                value=_claims("in_words"),
                description="The claim and its denials in words, as the hedges of events_flat give them.",
            ),
        ),
        ("id",),
        items=claimed_assertions,
    ),
)

TABLE_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}
