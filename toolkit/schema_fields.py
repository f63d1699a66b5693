"""The fields of each kind of record, read from its schema as a tree.

The reference documentation and the skeletons of ``toolkit new`` both list every
field with its description; they walk this tree rather than the raw schemas, so
``$ref`` chains, descriptions that sit beside a ``$ref`` and requirements added
by ``allOf`` are resolved in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.schema_loader import SchemaSet

# Our schemas are not recursive; a bound keeps a mistaken self-reference finite.
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Field:
    """One field of a record (or of a mapping nested in it)."""

    name: str
    required: bool
    schema: dict[str, Any]  # with $ref resolved; the field's own keywords win
    definition: str | None  # the $defs entry the field refers to, if any
    item_definition: str | None  # for a list: the $defs entry of its items
    fields: tuple[Field, ...]  # of a mapping, or of the mappings of a list
    depth: int

    @property
    def description(self) -> str:
        text = self.schema.get("description") or self.items.get("description", "")
        return " ".join(str(text).split())

    @property
    def is_list(self) -> bool:
        return self.schema.get("type") == "array"

    @property
    def items(self) -> dict[str, Any]:
        return self.schema.get("items", {}) if self.is_list else {}


def _required(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Fields of nested mappings that an ``allOf`` entry makes required (source.published.note)."""
    extra: dict[str, set[str]] = {}
    for entry in schema.get("allOf", []):
        for name, sub in entry.get("properties", {}).items():
            extra.setdefault(name, set()).update(sub.get("required", []))
    return extra


def _variants(schema: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Values a mapping's ``oneOf`` variants fix for a field (the scales of an advisory level)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in schema.get("oneOf", []):
        for name, sub in entry.get("properties", {}).items():
            if "const" in sub:
                found.setdefault(name, []).append(
                    {"const": sub["const"], "description": sub.get("description", entry.get("title", ""))}
                )
    return found


def _fields(
    schema: dict[str, Any], schemas: SchemaSet, depth: int, also_required: set[str] | frozenset[str] = frozenset()
) -> tuple[Field, ...]:
    if depth > _MAX_DEPTH:
        return ()
    required = set(schema.get("required", [])) | set(also_required)
    nested_required = _required(schema)
    variants = _variants(schema)
    fields = []
    for name, raw in schema.get("properties", {}).items():
        resolved, definition = schemas.resolve(raw)
        if name in variants and "oneOf" not in resolved:
            resolved = {**resolved, "oneOf": variants[name]}
        item_definition = None
        children: tuple[Field, ...] = ()
        if resolved.get("type") == "array":
            items, item_definition = schemas.resolve(resolved.get("items", {}))
            resolved = {**resolved, "items": items}
            children = _fields(items, schemas, depth + 1)
        elif resolved.get("properties"):
            children = _fields(resolved, schemas, depth + 1, nested_required.get(name, set()))
        fields.append(Field(name, name in required, resolved, definition, item_definition, children, depth))
    return tuple(fields)


def kind_fields(kind: str, schemas: SchemaSet) -> tuple[Field, ...]:
    """The top-level fields of a kind of record, each with its nested fields."""
    return _fields(schemas.kind_schema(kind), schemas, 0)


def choices(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """The values of a controlled vocabulary (``oneOf`` of ``const``), with descriptions."""
    return [
        (entry["const"], " ".join(entry.get("description", "").split()))
        for entry in schema.get("oneOf", [])
        if "const" in entry
    ]
