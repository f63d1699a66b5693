"""The kinds of record: the one registry of where each lives and how each export treats it.

Adding a kind is its schema (``schemas/<kind>.schema.json``) plus one entry here;
each exporter then needs its treatment of the kind (see docs/architecture.md,
"Adding a kind"), and an export refuses to start, naming the exporter, until
every exporter has one.
"""

from __future__ import annotations

from toolkit.model import Kind

KINDS: tuple[Kind, ...] = (
    # A source is written as a STIX report of the objects citing it; an actor as an
    # identity, or as the hostile type of its actor type when an event makes it one.
    Kind(
        "source",
        "sources",
        "source.schema.json",
        "src-",
        csv_table="sources",
        jsonld_classes=("NewsArticle", "Entity"),
        stix_type="report",
    ),
    Kind(
        "actor",
        "actors",
        "actor.schema.json",
        "act-",
        csv_table="actors",
        jsonld_classes=("Entity",),
        stix_type="identity",
    ),
    Kind(
        "location",
        "locations",
        "location.schema.json",
        "loc-",
        csv_table="locations",
        jsonld_classes=("Entity",),
        stix_type="location",
    ),
    Kind(
        "event",
        "events",
        "event.schema.json",
        "evt-",
        csv_table="events",
        jsonld_classes=("Event", "Entity"),
        stix_type="event",
    ),
    Kind(
        "advisory",
        "advisories",
        "advisory.schema.json",
        "adv-",
        csv_table="advisories",
        jsonld_classes=("Advisory", "Entity"),
        stix_type="eat-advisory",
    ),
)
KIND_BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
KIND_BY_FOLDER: dict[str, Kind] = {kind.folder: kind for kind in KINDS}
YAML_SUFFIXES = (".yaml", ".yml")


def kind_of_id(record_id: str) -> Kind | None:
    """The kind an id belongs to, judged by its prefix."""
    for kind in KINDS:
        if record_id.startswith(kind.id_prefix):
            return kind
    return None
