"""``toolkit new``: a skeleton record to fill in, in the right folder of the corpus.

The skeleton is well-formed YAML with every field of the kind, each under a
comment that gives its description (and the values of its vocabulary): required
fields are left empty, optional ones are commented out. An empty field is what
an annotator still has to write, so the skeleton is deliberately not valid until
it is filled in: ``toolkit validate`` then names each empty field by its line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import textwrap
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from toolkit.corpus_index import MAX_TEXT_BYTES, not_plain_text
from toolkit.errors import ToolkitError
from toolkit.input_files import read_capped
from toolkit.kinds import KIND_BY_FOLDER, KIND_BY_NAME, YAML_SUFFIXES
from toolkit.loading import display_path, find_corpus_root
from toolkit.model import Kind, Record
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


def skeleton(
    kind: Kind, record_id: str, corpus: Path, schemas: SchemaSet | None = None, values: dict[str, str] | None = None
) -> str:
    """The text of a new record of ``kind`` with id ``record_id``, to be filled in.

    ``values`` fills top-level fields with values already known (as YAML text:
    a name given with ``--name``, a source's text file and checksum).
    """
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
    body = _render(kind_fields(kind.name, schemas), "", {"id": record_id, **(values or {})})
    return "\n".join(header + body) + "\n"


def _below_a_kind_folder(folder: Path) -> bool:
    # Outside a git repository the corpus is not looked for upwards; a folder below one
    # of its kind folders is still told by that kind folder's parent holding another
    # kind folder beside it (a home folder that merely holds a sources/ does not).
    for above in Path(os.path.abspath(folder)).parents:
        if above.name in KIND_BY_FOLDER and sum((above.parent / name).is_dir() for name in KIND_BY_FOLDER) >= 2:
            return True
    return False


class DuplicateName(Exception):
    """``new --name ... --strict`` found records already named so; nothing was written."""

    def __init__(self, name: str, named: list[tuple[Record, str]]) -> None:
        super().__init__(f"{len(named)} record(s) already go by the name {name!r}")
        self.name = name
        self.named = named


@dataclass
class NewRecord:
    """What ``toolkit new`` wrote, and the records it found already named as the new one."""

    path: Path
    text_path: Path | None = None  # a source's text, copied beside it (``--text``)
    named: list[tuple[Record, str]] = dataclass_field(
        default_factory=list
    )  # (record, its name or alias that folds alike)
    similar: list[tuple[Record, str]] = dataclass_field(
        default_factory=list
    )  # close names, as ``toolkit find`` ranks them


# How many records of close names ``toolkit new --name`` shows besides those named alike.
SIMILAR_SHOWN = 5


def _yaml_text(value: str) -> str:
    """A value as a double-quoted YAML scalar (JSON's string syntax is YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def _check_name(kind: Kind, name: str, schemas: SchemaSet) -> None:
    from toolkit.unsafe_text import explain, first_unsafe

    if not any(f.name == "name" for f in kind_fields(kind.name, schemas)):
        named = [k.name for k in KIND_BY_NAME.values() if any(f.name == "name" for f in kind_fields(k.name, schemas))]
        raise ToolkitError(f"--name is for the kinds that have a name ({', '.join(named)}), not {kind.name}")
    if not name.strip() or any(char in name for char in "\n\r\t"):
        raise ToolkitError("--name needs a name on one line, not blank")
    unsafe = first_unsafe(name)
    if unsafe is not None:
        raise ToolkitError(f"--name holds a character annotation files refuse: {explain(name[unsafe])}")


def _names_alike(kind: Kind, name: str, corpus: Path) -> tuple[list[tuple[Record, str]], list[tuple[Record, str]]]:
    """The records of ``kind`` whose name or alias folds to the key of ``name``, and some of close names."""
    from toolkit.checks.names import names_of
    from toolkit.name_keys import fold
    from toolkit.record_search import SearchIndex, read_corpus

    records = read_corpus(corpus).records
    key = fold(name)
    named = [
        (record, text)
        for record in records
        if record.kind.name == kind.name
        for _parts, text in names_of(record)
        if fold(text) == key
    ]
    seen = {id(record) for record, _ in named}
    similar: list[tuple[Record, str]] = []
    if key:
        for match in SearchIndex.build(records).search(name, kind=kind.name, limit=SIMILAR_SHOWN + len(seen)):
            if id(match.record) not in seen and len(similar) < SIMILAR_SHOWN:
                seen.add(id(match.record))
                similar.append((match.record, match.text))
    return named, similar


def _source_text(path: Path) -> bytes:
    """The bytes of an article's text file, checked as ``toolkit validate`` checks a source's text."""
    shown = display_path(path)
    try:
        raw = read_capped(path, MAX_TEXT_BYTES)
    except OSError as error:
        raise ToolkitError(f"cannot read the text file {shown}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ToolkitError(
            f"{shown} is not UTF-8 text (byte {error.start}); save the article as plain UTF-8 text"
        ) from None
    problem = not_plain_text(text)
    if problem is not None:
        raise ToolkitError(f"{shown} {problem}; save the article as plain UTF-8 text")
    if not text.strip():
        raise ToolkitError(f"{shown} holds no text")
    return raw


def new_record(
    kind_name: str,
    record_id: str,
    corpus: Path = Path("annotations"),
    *,
    name: str | None = None,
    text: Path | None = None,
    strict: bool = False,
) -> NewRecord:
    """Write a skeleton record into its kind's folder of ``corpus``; never overwrite.

    ``name`` fills in the record's name (actors, locations) after looking for
    records of the kind already named so, as the ``name-duplicate`` rule compares
    names: they are returned in ``NewRecord.named`` (with some records of close
    names in ``similar``), and with ``strict`` nothing is written and
    DuplicateName is raised. ``text`` (sources only) is copied beside the record
    as ``<id>.txt``, never over a file there, and the record's ``text`` and
    ``sha256`` are filled in. Raises ToolkitError for an unknown kind, a
    malformed id, a missing corpus folder, a record or text of that id already
    there, or a text that ``toolkit validate`` would refuse.
    """
    kind = KIND_BY_NAME.get(kind_name)
    if kind is None:
        raise ToolkitError(f"unknown kind {kind_name!r}: choose one of {', '.join(KIND_BY_NAME)}")
    schemas = load_schemas()
    check_id(kind, record_id, schemas)
    if text is not None and kind.name != "source":
        raise ToolkitError(f"--text is for sources (the article's text), not {kind.name}")
    if name is not None:
        _check_name(kind, name, schemas)
    if not corpus.is_dir():
        raise ToolkitError(f"{corpus}: no such corpus folder; run from the repository's root or pass --corpus")
    values: dict[str, str] = {}
    article = None
    if text is not None:
        article = _source_text(text)
        values["text"] = _yaml_text(f"{record_id}.txt")
        values["sha256"] = _yaml_text(hashlib.sha256(article).hexdigest())
    # A folder inside a corpus given for the corpus (--corpus annotations/actors, or a
    # folder below a kind folder): its corpus is found as everywhere else, a kind
    # folder's parent, or the nearest folder above that holds a kind folder within the
    # repository (toolkit.loading.find_corpus_root).
    found = find_corpus_root(corpus)
    if found is not None and found != Path(os.path.abspath(corpus)):
        corpus = found  # otherwise kept as the user wrote it, for the messages
    elif _below_a_kind_folder(corpus):
        raise ToolkitError(f"{corpus}: lies below a kind folder of a corpus; pass the corpus folder itself")
    result = NewRecord(corpus / kind.folder / f"{record_id}.yaml")
    if name is not None:
        values["name"] = _yaml_text(name)
        result.named, result.similar = _names_alike(kind, name, corpus)
        if strict and result.named:
            raise DuplicateName(name, result.named)
    folder = corpus / kind.folder
    target = folder / f"{record_id}.yaml"
    result.path = target
    body = skeleton(kind, record_id, corpus, schemas, values)
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
            text_name = f"{record_id}.txt"
            for existing in kind_folder.names():
                if existing.casefold() in taken:
                    raise ToolkitError(
                        f"{display_path(folder / existing)} already exists; toolkit "
                        "new never overwrites a record: edit it, or choose another id"
                    )
                if article is not None and existing.casefold() == text_name.casefold():
                    raise ToolkitError(
                        f"{display_path(folder / existing)} already exists; toolkit new never overwrites "
                        "a text: remove it first if it is not the article's, or choose another id"
                    )
            # Exclusive creation: a file that appeared since the check above is not overwritten either.
            if article is not None:
                kind_folder.create_file(text_name, article)
                result.text_path = folder / text_name
            try:
                kind_folder.create_file(target.name, body.encode("utf-8"))
            except BaseException:  # a full disk, an interrupt: whatever stops the record being written
                if article is not None:  # no text left behind without the record that names it
                    with contextlib.suppress(OSError):
                        os.unlink(text_name, dir_fd=kind_folder.fd)
                raise
    except OutputRefused as refused:
        raise ToolkitError(f"{display_path(refused.path)}: {refused.reason}") from None
    except FileExistsError as error:
        what = error.filename or target
        raise ToolkitError(f"{display_path(what)} already exists; toolkit new never overwrites a file") from None
    except OSError as error:
        raise ToolkitError(
            f"cannot write {display_path(error.filename or target)}: {error.strerror or error}"
        ) from None
    return result
