"""Which fields of a record refer to other records, read from the schemas.

A field refers to records of a kind when its schema is a ``$ref`` to that kind's
id definition in ``defs.schema.json`` (``actor_id``, ``linkable_id``...). The
checks and the exporters use this table instead of lists of field names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from toolkit.kinds import KINDS
from toolkit.schema_loader import SchemaSet

# Path step meaning "every item of a list".
EACH = "*"

_TARGETS_BY_DEF: dict[str, tuple[str, ...]] = {f"{kind.name}_id": (kind.name,) for kind in KINDS}
_TARGETS_BY_DEF["linkable_id"] = ("event", "advisory")


@dataclass(frozen=True, slots=True)
class ReferenceField:
    """A place in records of ``kind`` that holds the id of a record of ``targets``."""

    kind: str
    path: tuple[str, ...]  # field names and EACH
    targets: tuple[str, ...]


def _walk(
    schema: dict[str, Any], path: tuple[str, ...], schemas: SchemaSet, depth: int = 0
) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    if depth > 10 or not isinstance(schema, dict):
        return
    name = schemas.referenced_definition(schema)
    if name is not None:
        if name in _TARGETS_BY_DEF:
            if path:
                yield path, _TARGETS_BY_DEF[name]
            return
        yield from _walk(schemas.definitions.get(name, {}), path, schemas, depth + 1)
    for field, sub in schema.get("properties", {}).items():
        yield from _walk(sub, path + (field,), schemas, depth + 1)
    if "items" in schema:
        yield from _walk(schema["items"], path + (EACH,), schemas, depth + 1)


@lru_cache(maxsize=8)
def _fields(schemas: SchemaSet) -> tuple[ReferenceField, ...]:
    fields = []
    for kind in KINDS:
        for path, targets in _walk(schemas.kind_schema(kind.name), (), schemas):
            if path != ("id",):
                fields.append(ReferenceField(kind.name, path, targets))
    return tuple(fields)


def reference_fields(schemas: SchemaSet) -> tuple[ReferenceField, ...]:
    """Every reference field of every kind, derived from the schemas."""
    return _fields(schemas)


def values_at(
    data: Any, path: tuple[str, ...], prefix: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Each value found at ``path`` in ``data`` (``EACH`` steps into every list item), with its concrete path."""
    if not path:
        yield prefix, data
        return
    step, rest = path[0], path[1:]
    if step == EACH:
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from values_at(item, rest, prefix + (index,))
    elif isinstance(data, dict) and step in data:
        yield from values_at(data[step], rest, prefix + (step,))
