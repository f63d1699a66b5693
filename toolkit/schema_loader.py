"""Schema loading: the JSON Schemas of each kind, resolved offline.

Two validators are built from the same schemas: ``jsonschema-rs`` answers
"is this record valid?" in a few microseconds, and python-jsonschema explains
why a record is not, with the structured errors the messages are written from.
Each is built on first use: importing python-jsonschema alone takes longer
than validating a thousand records, and a clean corpus never needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.kinds import KINDS
from toolkit.schema_dialect import FAST_KEYWORDS, fast_schemas, slow_validator_class

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema.protocols import Validator
    from referencing import Registry, Resource


def default_schema_dir() -> Path:
    """The schemas shipped with the package, or the repository's when run from a checkout."""
    packaged = Path(__file__).parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "schemas"


@dataclass(frozen=True, eq=False)
class SchemaSet:
    """Every schema of one folder, and the validators of each kind, built when first asked for."""

    folder: Path
    schemas: dict[str, dict[str, Any]]  # by file name

    @cached_property
    def registry(self) -> Registry:
        """A ``referencing`` registry that resolves every ``$id`` of the folder, and nothing else."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        return Registry(retrieve=_retrieve_nothing).with_resources(
            (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
            for schema in self.schemas.values()
        )

    @cached_property
    def lookup_registry(self) -> jsonschema_rs.Registry:
        """A jsonschema-rs registry of the folder's schemas, for following ``$ref``s by hand.

        The same resolution as ``registry``, from the library validation has
        imported already: importing ``referencing`` would cost an export 25 ms
        (performance edit, benchmarks/README.md).
        """
        import jsonschema_rs

        return jsonschema_rs.Registry([(schema["$id"], schema) for schema in self.schemas.values()],
                                      retriever=_retrieve_nothing)

    @cached_property
    def validators(self) -> dict[str, Validator]:
        """python-jsonschema validators by kind name: slow, but their errors explain themselves.

        They read patterns and types as JSON Schema means them (``schema_dialect.py``).
        """
        cls = slow_validator_class()
        return {
            kind.name: cls(
                self.schemas[kind.schema_file],
                registry=self.registry,
                format_checker=cls.FORMAT_CHECKER,
            )
            for kind in KINDS
        }

    @cached_property
    def fast_validators(self) -> dict[str, jsonschema_rs.Validator]:
        """jsonschema-rs validators by kind name: a yes or no, about 50 times faster.

        Empty when jsonschema-rs could pass a record that python-jsonschema fails
        (``toolkit/schema_dialect.py``), or cannot read the schemas at all.
        """
        import jsonschema_rs

        schemas = fast_schemas(self.schemas)
        if schemas is None:
            return {}
        try:
            # The registry holds every schema of the folder, and offline mode refuses
            # anything else: a $ref is never fetched over the network.
            registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
            return {
                kind.name: jsonschema_rs.validator_for(schemas[kind.schema_file], registry=registry, offline=True,
                                                       keywords=FAST_KEYWORDS)
                for kind in KINDS
            }
        except (ValueError, KeyError, TypeError):
            return {}


def _retrieve_nothing(uri: str) -> Resource:
    # Every $ref must resolve within the folder: never fetch a schema over a network.
    raise LookupError(f"the schema {uri} is not among the local schemas")


# One version of a schema file: its name, and its device, inode, size, mtime and ctime.
_FileVersion = tuple[str, int, int, int, int, int]


def load_schemas(folder: Path | None = None) -> SchemaSet:
    """Read every ``*.schema.json`` of a folder; validators are built when first used.

    The set is cached by the version of every file in the folder (name, inode,
    size, modification and change times), not by the folder's path: a schema
    edited, added or removed between two calls in one process (the library API)
    is read again, and everything derived from the set (validators, reference
    fields, vocabularies) is derived again with it.
    """
    folder = (folder or default_schema_dir()).absolute()
    versions: list[_FileVersion] = []
    for path in sorted(folder.glob("*.schema.json")):
        try:
            status = path.stat()
        except OSError:
            continue  # gone since the listing: read as the folder now is
        versions.append((path.name, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns,
                         status.st_ctime_ns))
    return _load_schemas(folder, tuple(versions))


@lru_cache(maxsize=8)
def _load_schemas(folder: Path, versions: tuple[_FileVersion, ...]) -> SchemaSet:
    schemas: dict[str, dict[str, Any]] = {}
    for name, *_stamp in versions:
        schemas[name] = json.loads((folder / name).read_text(encoding="utf-8"))
    return SchemaSet(folder, schemas)


def vocabulary(name: str, folder: Path | None = None) -> dict[str, str]:
    """The values of a controlled vocabulary in ``defs.schema.json``, with their descriptions."""
    definition = load_schemas(folder).schemas["defs.schema.json"]["$defs"][name]
    return {entry["const"]: entry.get("description", "") for entry in definition["oneOf"]}
