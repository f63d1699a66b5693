"""``toolkit new``: a skeleton record to fill in, in the right folder of the corpus.

The skeleton is well-formed YAML with every field of the kind, each under a
comment that gives its description (and the values of its vocabulary): required
fields are left empty, optional ones are commented out. An empty field is what
an annotator still has to write, so the skeleton is deliberately not valid until
it is filled in: ``toolkit validate`` then names each empty field by its line.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.kinds import KIND_BY_FOLDER, KIND_BY_NAME, YAML_SUFFIXES
from toolkit.loading import display_path, find_corpus_root
from toolkit.model import Kind
from toolkit.output_files import OutputFolder, OutputRefused
from toolkit.schema_fields import Field, choices, kind_fields
from toolkit.schema_loader import SchemaSet, load_schemas

WIDTH = 88
INDENT = "  "
# Editors find the schemas in a folder named so beside the corpus (`toolkit schema` writes it).
SCHEMA_FOLDER = "schemas"


def check_id(kind: Kind, record_id: str, schemas: SchemaSet) -> None:
    """Refuse an id that does not have the form of the kind's ids."""
    definition = schemas.definition(f"{kind.name}_id")
    # The strip: a pattern's `$` also matches before a final newline.
    if record_id != record_id.strip() or not re.search(definition["pattern"], record_id):
        raise ToolkitError(f"{record_id!r} is not a valid {kind.name} id. {definition.get('description', '')}".strip())


def modeline(kind: Kind, folder: Path, corpus: Path) -> str:
    """The comment that tells yaml-language-server which schema the file follows."""
    schema = corpus.absolute().parent / SCHEMA_FOLDER / kind.schema_file
    relative = Path(os.path.relpath(schema, folder.absolute())).as_posix()
    return f"# yaml-language-server: $schema={relative}"


def _comment(field: Field, indent: str) -> list[str]:
    text = field.description
    values = choices(field.schema) or choices(field.items)
    if values:
        text = f"{text} One of: {', '.join(str(value) for value, _ in values)}.".strip()
    if not field.required:
        text = f"Optional. {text}".strip()
    if not text:
        return []
    return textwrap.wrap(
        text, WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ", break_on_hyphens=False
    )


def _render(
    fields: tuple[Field, ...], indent: str, values: dict[str, str], *, item: bool = False, optional: bool = False
) -> list[str]:
    """The lines of some fields; with ``item``, they are the fields of one list item.

    Inside an optional (commented-out) field only the required sub-fields are
    shown: what must be written once the field is uncommented.
    """
    column = indent + INDENT if item else indent
    shown = [field for field in fields if field.required or not optional]
    shown = shown or list(fields)  # a mapping of optional fields only (external_ids)
    lines: list[str] = []
    for position, field in enumerate(shown):
        opens_item = item and position == 0
        key = f"{indent}- {field.name}:" if opens_item else f"{column}{field.name}:"
        inner = column + INDENT
        nested = optional or not field.required
        if field.name in values:
            code = [f"{key} {values[field.name]}"]
        elif field.is_list and field.fields:
            code = [key, *_render(field.fields, inner, {}, item=True, optional=nested)]
        elif field.is_list:
            code = [key, f"{inner}-"]
        elif field.fields:
            code = [key, *_render(field.fields, inner, {}, optional=nested)]
        else:
            code = [key]
        # An optional field is commented out whole, so that uncommenting it gives valid YAML.
        lines += _comment(field, indent if opens_item else column)
        lines += code if field.required else _comment_out(code)
    return lines


def _comment_out(block: list[str]) -> list[str]:
    margin = min(len(line) - len(line.lstrip(" ")) for line in block)
    return [f"{line[:margin]}# {line[margin:]}" for line in block]


def skeleton(kind: Kind, record_id: str, corpus: Path, schemas: SchemaSet | None = None) -> str:
    """The text of a new record of ``kind`` with id ``record_id``, to be filled in."""
    schemas = schemas or load_schemas()
    folder = corpus / kind.folder
    path = display_path(folder / f"{record_id}.yaml")
    schema = schemas.schemas[kind.schema_file]
    header = [
        modeline(kind, folder, corpus),
        *textwrap.wrap(
            f"A new {kind.name}: {schema.get('description', '')}",
            WIDTH - 2,
            initial_indent="# ",
            subsequent_indent="# ",
        ),
        "# Fill in the empty fields and uncomment the optional ones you need; until then,",
        f"# `toolkit validate {path}` names each empty field.",
        "",
    ]
    body = _render(kind_fields(kind.name, schemas), "", {"id": record_id})
    return "\n".join(header + body) + "\n"


def _below_a_kind_folder(folder: Path) -> bool:
    # Outside a git repository the corpus is not looked for upwards; a folder below one
    # of its kind folders is still told by that kind folder's parent holding another
    # kind folder beside it (a home folder that merely holds a sources/ does not).
    for above in Path(os.path.abspath(folder)).parents:
        if above.name in KIND_BY_FOLDER and sum((above.parent / name).is_dir() for name in KIND_BY_FOLDER) >= 2:
            return True
    return False


def new_record(kind_name: str, record_id: str, corpus: Path = Path("annotations")) -> Path:
    """Write a skeleton record into its kind's folder of ``corpus``; never overwrite.

    Raises ToolkitError for an unknown kind, a malformed id, a missing corpus
    folder or a record of that id already there.
    """
    kind = KIND_BY_NAME.get(kind_name)
    if kind is None:
        raise ToolkitError(f"unknown kind {kind_name!r}: choose one of {', '.join(KIND_BY_NAME)}")
    schemas = load_schemas()
    check_id(kind, record_id, schemas)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: no such corpus folder; run from the repository's root or pass --corpus")
    # A folder inside a corpus given for the corpus (--corpus annotations/actors, or a
    # folder below a kind folder): its corpus is found as everywhere else, a kind
    # folder's parent, or the nearest folder above that holds a kind folder within the
    # repository (toolkit.loading.find_corpus_root).
    found = find_corpus_root(corpus)
    if found is not None and found != Path(os.path.abspath(corpus)):
        corpus = found  # otherwise kept as the user wrote it, for the messages
    elif _below_a_kind_folder(corpus):
        raise ToolkitError(f"{corpus}: lies below a kind folder of a corpus; pass the corpus folder itself")
    folder = corpus / kind.folder
    target = folder / f"{record_id}.yaml"
    text = skeleton(kind, record_id, corpus, schemas)
    role = "toolkit new writes only into real folders of the corpus; pass the real corpus folder as --corpus"
    try:
        with (
            OutputFolder.open(corpus, create=False, role=role) as root,
            root.subfolder(kind.folder, create=True, role=role) as kind_folder,
        ):
            # The loader takes a YAML suffix in any case (act-x.YAML, act-x.Yml), and a
            # case-insensitive file system any case of the name: a record under any of
            # these names is the same id, and a second one would be a duplicate. A link
            # or anything else of that name counts too.
            taken = {f"{record_id}{suffix}".casefold() for suffix in YAML_SUFFIXES}
            for name in kind_folder.names():
                if name.casefold() in taken:
                    raise ToolkitError(
                        f"{display_path(folder / name)} already exists; toolkit "
                        "new never overwrites a record: edit it, or choose another id"
                    )
            # Exclusive creation: a file that appeared since the check above is not overwritten either.
            kind_folder.create_file(target.name, text.encode("utf-8"))
    except OutputRefused as refused:
        raise ToolkitError(f"{display_path(refused.path)}: {refused.reason}") from None
    except FileExistsError:
        raise ToolkitError(f"{display_path(target)} already exists; toolkit new never overwrites a record") from None
    except OSError as error:
        raise ToolkitError(f"cannot write {display_path(target)}: {error.strerror or error}") from None
    return target
