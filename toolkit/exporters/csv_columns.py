"""The CSV export's tables and columns: the one table that the writer and datapackage.json both read.

Each ``Table`` says which records feed it (and which list inside them, for link
tables), its primary key, and its columns. A ``Column`` takes its value from a
path into the record (or list item) and its description, type and constraints
from the JSON Schema at that path; only computed columns say these themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from toolkit.corpus_index import CorpusIndex
from toolkit.kinds import KINDS
from toolkit.model import Record
from toolkit.partial_dates import earliest, latest
from toolkit.quotes import find_quote
from toolkit.schema_loader import SchemaSet

# Multi-valued cells of the flat view join their values with this, as ACLED does.
JOIN = "; "


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
    enum: tuple[str, ...] | None = None
    references: str | None = None  # the table whose `id` this column holds


@dataclass(frozen=True)
class Table:
    """One CSV file: the records that feed it, the list it unrolls, its columns and key."""

    name: str
    description: str
    kinds: tuple[str, ...]  # kinds of record that feed rows; the first one's schema describes columns
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    each: tuple[str, ...] | None = None  # one row per item of this list in each record


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


def _day(path: tuple[str, ...], last: bool) -> Callable[[Row], str | None]:
    def day(row: Row) -> str | None:
        date = _dig(row.item, path)
        if not isinstance(date, dict) or not isinstance(date.get("start"), str):
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


def _actor_countries(row: Row) -> str | None:
    codes: set[str] = set()
    for participant in row.item.get("participants") or []:
        actor = row.corpus.by_id.get(participant.get("actor"))
        codes.update(actor.data.get("countries") or [] if actor is not None else [])
    return JOIN.join(sorted(codes)) or None


def _source_ids(row: Row) -> str | None:
    return JOIN.join(sorted({item["source"] for item in row.item.get("evidence") or []})) or None


# --- column families ---------------------------------------------------------------


def date_columns(prefix: str, path: tuple[str, ...], about: str) -> tuple[Column, ...]:
    """The columns of one date object: its fields as written, plus typed first and last days."""
    return (
        Column(f"{prefix}_start", path + ("start",), about=about),
        Column(f"{prefix}_end", path + ("end",), about=about),
        Column(f"{prefix}_precision", path + ("precision",), about=about),
        Column(f"{prefix}_expression", path + ("expression",), about=about),
        Column(f"{prefix}_note", path + ("note",), about=about),
        Column(
            f"{prefix}_first_day",
            value=_day(path, last=False),
            type="date",
            description=f"{about}: the first day the date can mean ({prefix}_start at its earliest), "
            "to sort and filter by.",
        ),
        Column(
            f"{prefix}_last_day",
            value=_day(path, last=True),
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
            Column("certainty", ("certainty",)),
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
        "One row per event with its main actors, place and sources on the row, "
        "in the spirit of ACLED's codebook. Lists are joined with '; '; the link tables hold them "
        "one per row.",
        ("event",),
        (
            Column("id", ("id",)),
            *date_columns("date", ("date",), "When the event happened"),
            Column("type", ("type",)),
            Column("cameo_code", value=_cameo, description="The nearest CAMEO code of the event type."),
            Column("status", ("status",)),
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
            Column("location_id", ("location",), references="locations"),
            Column("location_name", value=_location("name"), description="Name of the event's location."),
            Column(
                "location_country_code",
                value=_location("country"),
                description="ISO 3166-1 alpha-2 code of the country the event's location is in.",
            ),
            Column(
                "actor_country_codes",
                value=_actor_countries,
                description="Countries of all the event's participants (ISO 3166-1 alpha-2), sorted, joined with '; '.",
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
)

TABLE_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}
