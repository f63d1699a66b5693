"""Schema loading: the JSON Schemas of each kind, resolved offline, and the one way to read them.

Every module reads the schemas through ``SchemaSet``: a kind's schema
(``kind_schema``), the shared definitions (``definitions``, ``definition``), a
controlled vocabulary (``vocabulary``), and a node with its ``$ref`` chain
followed (``resolve``). Nothing else indexes ``$defs`` or follows ``$ref``.

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
from typing import TYPE_CHECKING, Any, NoReturn

from toolkit.kinds import KIND_BY_NAME, KINDS
from toolkit.schema_semantics import FAST_KEYWORDS, fast_schemas, slow_validator_class

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema.protocols import Validator
    from referencing import Registry


DEFS_FILE = "defs.schema.json"
# Our schemas are not recursive; a bound keeps a mistaken self-reference finite.
MAX_REF_CHAIN = 12


def definition_name(ref: str) -> str:
    """``defs.schema.json#/$defs/actor_id`` or ``#/$defs/actor_id`` to ``actor_id``; ValueError for other ``$ref``s."""
    document, _, pointer = ref.partition("#")
    if document not in ("", DEFS_FILE) or not pointer.startswith("/$defs/") or pointer.count("/") != 2:
        raise ValueError(f"unsupported $ref {ref!r}: refer to {DEFS_FILE}#/$defs/<name>")
    return pointer.rsplit("/", 1)[1]


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

    @property
    def definitions(self) -> dict[str, Any]:
        """The shared ``$defs`` of ``defs.schema.json``, by name."""
        defs: dict[str, Any] = self.schemas[DEFS_FILE]["$defs"]
        return defs

    def definition(self, name: str) -> dict[str, Any]:
        """One shared definition (``actor_id``, ``event_type``...); KeyError if there is none."""
        definition: dict[str, Any] = self.definitions[name]
        return definition

    def kind_schema(self, kind: str) -> dict[str, Any]:
        """The schema of the named kind of record."""
        return self.schemas[KIND_BY_NAME[kind].schema_file]

    def vocabulary(self, name: str) -> list[dict[str, Any]]:
        """The entries of a controlled vocabulary (a ``oneOf`` of ``const``s), each with its description and extras."""
        entries: list[dict[str, Any]] = self.definition(name)["oneOf"]
        return entries

    def referenced_definition(self, node: dict[str, Any]) -> str | None:
        """The shared definition ``node``'s own ``$ref`` names, or None (no ``$ref``, or not to a definition).

        More lenient than ``resolve``: a schema folder given to ``validate`` may
        refer otherwise, and such a node is simply not taken for a reference.
        """
        ref = node.get("$ref")
        if not isinstance(ref, str) or "#/$defs/" not in ref:
            return None
        try:
            return definition_name(ref)
        except ValueError:
            return ref.rsplit("/", 1)[-1]

    def resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """``node`` with its ``$ref`` chain merged in, and the name of the first definition it refers to.

        Keywords beside a ``$ref`` (a description, mostly) win over the
        definition's. Every ``$ref`` must name a shared definition (``definition_name``).
        """
        first: str | None = None
        merged = dict(node)
        for _ in range(MAX_REF_CHAIN):
            ref = merged.pop("$ref", None)
            if ref is None:
                break
            name = definition_name(ref)
            first = first or name
            merged = {**self.definitions[name], **merged}
        return merged, first

    @cached_property
    def registry(self) -> Registry:
        """A ``referencing`` registry that resolves every ``$id`` of the folder, and nothing else."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        # referencing names the field ``_retrieve`` with the alias ``retrieve``, which
        # its typing (a dataclass_transform) does not carry over to mypy.
        return Registry(retrieve=_retrieve_nothing).with_resources(  # type: ignore[call-arg]
            (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
            for schema in self.schemas.values()
        )

    @cached_property
    def validators(self) -> dict[str, Validator]:
        """python-jsonschema validators by kind name: slow, but their errors explain themselves.

        They read patterns and types as JSON Schema means them (``schema_semantics.py``).
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
        (``toolkit/schema_semantics.py``), or cannot read the schemas at all.
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
                kind.name: jsonschema_rs.validator_for(
                    schemas[kind.schema_file], registry=registry, offline=True, keywords=FAST_KEYWORDS
                )
                for kind in KINDS
            }
        except (ValueError, KeyError, TypeError):
            return {}


def _retrieve_nothing(uri: str) -> NoReturn:
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
        versions.append(
            (path.name, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        )
    return _load_schemas(folder, tuple(versions))


@lru_cache(maxsize=8)
def _load_schemas(folder: Path, versions: tuple[_FileVersion, ...]) -> SchemaSet:
    schemas: dict[str, dict[str, Any]] = {}
    for name, *_stamp in versions:
        schemas[name] = json.loads((folder / name).read_text(encoding="utf-8"))
    return SchemaSet(folder, schemas)


def vocabulary(name: str, folder: Path | None = None) -> dict[str, str]:
    """The values of a controlled vocabulary in ``defs.schema.json``, with their descriptions."""
    return {entry["const"]: entry.get("description", "") for entry in load_schemas(folder).vocabulary(name)}
