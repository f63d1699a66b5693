"""The kinds of record: the folder each lives in, its schema file and id prefix."""

from __future__ import annotations

from toolkit.model import Kind

KINDS: tuple[Kind, ...] = (
    Kind("source", "sources", "source.schema.json", "src-"),
    Kind("actor", "actors", "actor.schema.json", "act-"),
    Kind("location", "locations", "location.schema.json", "loc-"),
    Kind("event", "events", "event.schema.json", "evt-"),
    Kind("advisory", "advisories", "advisory.schema.json", "adv-"),
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
