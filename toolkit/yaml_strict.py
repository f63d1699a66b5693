"""Strict YAML: text to plain JSON-like data, or located findings.

PyYAML's C parser builds the node tree; this module turns nodes into data itself
instead of using PyYAML's constructors, so that it can refuse what a hand-written
annotation should never contain (duplicate keys, tags, anchors, aliases) and read
YAML 1.1 look-alikes (``NO``, ``2022-06-23``, ``010``, ``1:20``) as the text that
was written rather than as booleans, dates or numbers.

Every value's type comes from the implicit resolvers below and nowhere else: a
node written with a tag or an anchor (``!!int "4"``, ``! x``, ``&a x``, ``--- !!map``)
is refused before its value is read, so no text that the resolvers did not match
ever reaches ``int()``, ``float()`` or the boolean test.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import yaml

from toolkit.model import Finding, json_path
from toolkit.quoting import quoted
from toolkit.rules import finding

# Deeper than any record needs (records nest about five levels); a bound keeps a
# hostile file from exhausting the stack of anything that walks the data.
MAX_DEPTH = 32
# More values than any record needs (a large one holds a few hundred). Within the
# size cap a file could hold a quarter of a million; the checks after the walk
# (messages, suggestions, quote searches per value) must not face that many.
MAX_VALUES = 10_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _to_bool(text: str) -> bool:
    # Only ever given what the boolean resolver matched: true/false in three cases.
    return text.lower() == "true"


# The YAML 1.2 JSON-like core schema, without the YAML 1.1 extras (yes/no/on/off,
# sexagesimal and octal numbers, timestamps): those stay text. Each builder is only
# given text its implicit resolver matched (explicit tags are refused), which
# Python's int() and float() read exactly as YAML 1.2 does.
_SCALAR_BUILDERS: dict[str, Callable[[str], Any]] = {
    _STR: str,
    _INT: int,
    _FLOAT: float,
    _BOOL: _to_bool,
    _NULL: lambda _text: None,
}


class StrictLoader(yaml.CSafeLoader):
    """PyYAML's C loader with the implicit typing of YAML 1.2's core schema."""

    # PyYAML's own class attribute, given a new one per loader class (typeshed declares
    # it on instances, so ClassVar would clash): filled once by add_implicit_resolver.
    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    # Performance edit (benchmarks/README.md): the C parser calls these three in
    # Python for every node. PyYAML's versions also serve path resolvers, which
    # this loader has none of; these give the same tags in a tenth less parse time.
    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                # Every resolver below is registered under its first characters.
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


StrictLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
StrictLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
StrictLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
StrictLoader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


@dataclass(slots=True)
class ParseResult:
    """The data of one file, or ``None`` with the findings that stopped it."""

    data: dict[str, Any] | None
    findings: list[Finding]


class _Stop(Exception):
    """Raised inside the walk when a finding makes the rest of the file meaningless."""


# libyaml's composer recurses in C once per nesting level and overflows the stack
# (a segfault, not an exception) some 20,000 levels down. Each level opens with one
# of these characters, so a file with few of them is composed at once; any other is
# first measured with the parser's events, which need no recursion.
_OPENERS = "[{-?:"
_OPENERS_SAFE = 5_000


# libyaml 0.2.6 (in PyYAML 6.0.4's wheels) refuses 1,000 levels by itself, and its
# scanner looks ahead through every opening bracket before the parser hands out the
# first event; its error names that far point, not the first level too deep.
_LIBYAML_NESTING_LIMIT = "exceeded maximum nesting depth"
# libyaml's words for a \u or \U escape of a lone surrogate or past U+10FFFF.
_LIBYAML_BAD_ESCAPE = "found invalid Unicode character escape code"
_SURROGATE = re.compile("[\ud800-\udfff]")
# A tag as written: a verbatim !<...>, or up to the space, line break or flow indicator that ends it.
# Where a tag (!) or an anchor (&) can start a node: at a line's start or after a
# blank, or right after a flow or block indicator ([ { , : - ? or a document's ---).
_PROPERTY_START = re.compile(r"(?:^|[\s\[{,:?-])[!&]", re.MULTILINE)
_PROPERTY = re.compile(r"!<[^>\s]*>?|[^\s,\[\]{}]+")


class TooDeep(yaml.MarkedYAMLError):
    """Collections nested deeper than ``MAX_DEPTH``, found before composing."""


def _first_too_deep(text: str) -> yaml.Mark | None:
    loader = StrictLoader(text)
    try:
        depth = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:
                    # The C parser's Mark: the fields of yaml.Mark, not its class.
                    return cast(yaml.Mark, event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return None
    finally:
        loader.dispose()


def _too_deep(mark: yaml.Mark) -> TooDeep:
    return TooDeep(problem=f"collections nested deeper than {MAX_DEPTH} levels", problem_mark=mark)


def _past_libyaml_limit(error: yaml.MarkedYAMLError, text: str) -> TooDeep | None:
    if _LIBYAML_NESTING_LIMIT not in str(error.problem) or error.problem_mark is None:
        return None
    # The text up to libyaml's stop is within its limit and holds the first level
    # too deep (the mark's index counts characters, as str does).
    try:
        mark = _first_too_deep(text[: error.problem_mark.index])
    except yaml.YAMLError:
        mark = None
    return _too_deep(mark or error.problem_mark)


def _check_depth(text: str) -> None:
    if sum(text.count(char) for char in _OPENERS) <= _OPENERS_SAFE:
        return
    try:
        mark = _first_too_deep(text)
    except yaml.MarkedYAMLError as error:
        raise _past_libyaml_limit(error, text) or error from None
    if mark is not None:
        raise _too_deep(mark)


def compose(text: str) -> yaml.Node | None:
    """Parse text into PyYAML's node tree with the strict loader."""
    _check_depth(text)
    loader = StrictLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise _past_libyaml_limit(error, text) or error from None
    finally:
        loader.dispose()


# Where a value sits in a record: mapping keys and sequence indexes, from the top.
_Path: TypeAlias = tuple[str | int, ...]


def parse_yaml(text: str, file: str) -> ParseResult:
    """Turn the text of one annotation file into data, or into findings."""
    findings: list[Finding] = []

    def found(rule: str, node_or_mark: Any, message: str, path: _Path = (), hint: str | None = None) -> None:
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        findings.append(
            # No path for a finding about the whole file, as Finding documents.
            finding(file, line, column, rule, message, json_path(path) if path else "", hint)
        )

    try:
        root = compose(text)
    except TooDeep as error:
        found("yaml-too-deep", error.problem_mark, str(error.problem))
        return ParseResult(None, findings)
    except yaml.MarkedYAMLError as error:
        _syntax_finding(error, text, found)
        return ParseResult(None, findings)
    except yaml.YAMLError as error:  # reader errors carry no mark
        found("yaml-syntax", None, f"not readable as YAML: {error}")
        return ParseResult(None, findings)
    if root is None:
        found(
            "yaml-empty",
            None,
            "the file holds no record",
            hint="write one record: a mapping of fields such as 'id: ...'",
        )
        return ParseResult(None, findings)
    if not isinstance(root, yaml.MappingNode):
        found(
            "yaml-not-mapping",
            root,
            "the top level must be a mapping of field names to values",
            hint="start the file with 'id: ...' and one field per line",
        )
        return ParseResult(None, findings)

    seen_nodes: set[int] = set()
    # Only a \u or \U escape can put a lone surrogate into a value (the text itself
    # is UTF-8): libyaml refuses one, and this holds whatever parser gave the nodes.
    may_hold_surrogates = "\\u" in text or "\\U" in text
    # A tag or an anchor stands after a blank, a line start or a flow or block
    # indicator; a file with none of those has no node to look at (most files):
    # the per-node look cost a tenth of the parse (performance edit, benchmarks/README.md).
    may_hold_properties = ("!" in text or "&" in text) and _PROPERTY_START.search(text) is not None

    def refuse_surrogates(node: yaml.ScalarNode, path: _Path) -> None:
        if may_hold_surrogates and _SURROGATE.search(node.value):
            found(
                "yaml-unsafe-character",
                node,
                "a \\u escape of a lone surrogate (U+D800-DFFF) is not text",
                path,
                hint='escape the character itself, such as "\\U0001f600", not the two halves of its UTF-16 form',
            )
            raise _Stop

    def refuse_properties(node: yaml.Node, path: _Path) -> None:
        # The composed node does not say whether its tag was written or resolved, nor
        # that it had an anchor nobody used. Its start mark does: libyaml starts a
        # node at its first property (&anchor, !tag), and a node without one starts
        # at its content, which cannot begin with '&' or '!' (both are indicators; a
        # quoted '!' starts with the quote, an empty value at the text before it).
        index = node.start_mark.index if node.start_mark is not None else -1
        first = text[index] if 0 <= index < len(text) else ""
        if first == "!":
            # Named as written (!!int, !, !local), not as resolved: '!' alone resolves
            # to the plain type, and a key's tag would be the mapping's otherwise.
            written = _PROPERTY.match(text, index, index + 200)
            found(
                "yaml-tag",
                node,
                f"the YAML tag {quoted(written.group() if written else first)} is not allowed",
                path,
                hint="remove the tag; a value's type is read from how it is written (4, 4.5, true, 'text')",
            )
            raise _Stop
        if first == "&":
            found(
                "yaml-alias",
                node,
                "anchors and aliases (&name, *name) are not allowed",
                path,
                hint="write the value out in full where it is used",
            )
            raise _Stop

    def build(node: yaml.Node, path: _Path, depth: int, holder: yaml.Node) -> Any:
        # ``holder`` is the key or sequence that holds the node: an alias is reported
        # where it is used, not at the anchor it points back to.
        if id(node) in seen_nodes:
            found(
                "yaml-alias",
                holder,
                "anchors and aliases (&name, *name) are not allowed",
                path,
                hint="write the value out in full where it is used",
            )
            raise _Stop
        seen_nodes.add(id(node))
        if may_hold_properties:
            refuse_properties(node, path)
        if depth > MAX_DEPTH:
            found("yaml-too-deep", node, f"collections nested deeper than {MAX_DEPTH} levels", path)
            raise _Stop
        if isinstance(node, yaml.ScalarNode):
            builder = _SCALAR_BUILDERS.get(node.tag)
            if builder is None:
                found(
                    "yaml-tag",
                    node,
                    f"the YAML tag {quoted(node.tag)} is not allowed",
                    path,
                    hint="remove the tag; write plain values",
                )
                raise _Stop
            refuse_surrogates(node, path)
            try:
                return builder(node.value)
            except ValueError:
                # Only int() can refuse text its resolver matched: more digits than
                # Python converts (sys.get_int_max_str_digits, 4,300), a limit that
                # keeps a huge number from costing quadratic time. No field takes one.
                found(
                    "schema-invalid",
                    node,
                    f"a whole number of {len(node.value):,} characters is longer than any field takes",
                    path,
                    hint="write the number the field means, or quote the text",
                )
                raise _Stop from None
        if len(seen_nodes) + len(node.value) > MAX_VALUES:  # a collection: checked once, not per value
            found(
                "file-too-large",
                node,
                f"the file holds more than {MAX_VALUES:,} values, more than any record needs",
                path,
                hint="one record per file; split the file or remove what does not belong",
            )
            raise _Stop
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                found("yaml-tag", node, f"the YAML tag {quoted(node.tag)} is not allowed", path, hint="remove the tag")
                raise _Stop
            # F821: ruff takes the ``del build`` below for the end of the name; it is called before.
            return [build(item, path + (index,), depth + 1, node) for index, item in enumerate(node.value)]  # noqa: F821
        if node.tag != _MAP:
            found("yaml-tag", node, f"the YAML tag {quoted(node.tag)} is not allowed", path, hint="remove the tag")
            raise _Stop
        mapping: dict[str, Any] = {}
        first_key_node: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                found(
                    "yaml-non-string-key",
                    key_node,
                    "a mapping key must be a plain name",
                    path,
                    hint="use a field name such as 'name:' as the key",
                )
                raise _Stop
            if may_hold_properties:
                refuse_properties(key_node, path)
            if key_node.tag not in _SCALAR_BUILDERS:
                found(
                    "yaml-tag",
                    key_node,
                    f"the YAML tag {quoted(key_node.tag)} is not allowed",
                    path,
                    hint="remove the tag",
                )
                raise _Stop
            refuse_surrogates(key_node, path)
            # The text as written: 'yes:' stays 'yes', '1:' stays '1'. Interned, so that
            # a corpus keeps one copy of each field name, not one per record: a quarter
            # less memory (performance edit, benchmarks/README.md).
            key = sys.intern(key_node.value)
            if key in mapping:
                earlier = first_key_node[key].start_mark
                found(
                    "yaml-duplicate-key",
                    key_node,
                    f"the key {quoted(key)} appears twice in this mapping (first on line {earlier.line + 1})",
                    path + (key,),
                    hint="keep one of the two; YAML would silently drop the first",
                )
                continue
            first_key_node[key] = key_node
            mapping[key] = build(value_node, path + (key,), depth + 1, key_node)  # noqa: F821 - as above
        return mapping

    try:
        data = build(root, (), 0, root)
    except _Stop:
        return ParseResult(None, findings)
    finally:
        # ``build`` refers to itself through its closure; breaking that cycle lets
        # reference counting free the walk at once, so a large corpus can be read
        # with the cyclic collector paused (performance edit, benchmarks/README.md).
        del build
    if findings:
        return ParseResult(None, findings)
    return ParseResult(data, findings)


def _char_at(text: str, mark: yaml.Mark | None) -> str:
    if mark is None:
        return ""
    lines = text.split("\n", mark.line + 1)
    if mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


def _syntax_finding(error: yaml.MarkedYAMLError, text: str, found: Callable[..., None]) -> None:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "malformed YAML"
    context = error.context or ""
    if _LIBYAML_BAD_ESCAPE in problem:
        found(
            "yaml-unsafe-character",
            mark,
            "a \\u or \\U escape that names no character (a lone surrogate U+D800-DFFF, or past U+10FFFF) is not text",
            hint='escape the character itself, such as "\\U0001f600", not the two halves of its UTF-16 form',
        )
    elif "expected a single document" in context:
        found(
            "yaml-multiple-documents",
            mark,
            "the file holds more than one YAML document",
            hint="keep one record per file and remove the '---' separator",
        )
    elif _char_at(text, mark) == "\t" or "'\\t'" in problem:
        found("yaml-tab", mark, "a tab character is used for indentation", hint="indent with spaces (two per level)")
    else:
        message = f"{context}, {problem}" if context else problem
        found("yaml-syntax", mark, f"invalid YAML: {message}")
