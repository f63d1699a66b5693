"""Where a value sits in its file, looked up only when a finding needs it.

Records do not carry a position for every value (that would double the memory of
a large corpus); a finding asks for one, and the file is parsed again once. It is
read the one way corpus files are read (``toolkit.input_files.opened``: a regular
file, under the cap, not through a link out of its corpus), and the parse is
cached by the file's stamp, so a file edited since is parsed again.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from pathlib import Path

import yaml

from toolkit.input_files import Stamp, opened
from toolkit.loading import MAX_FILE_BYTES, corpus_root_of_file
from toolkit.model import Finding, Record, json_path
from toolkit.rules import finding
from toolkit.yaml_strict import compose

_CACHE_SIZE = 256
_NODES: OrderedDict[tuple[str, Stamp], yaml.Node | None] = OrderedDict()


# Unsaved text of files open in an editor (the language server), by path: findings
# in them are placed in that text, not in what is on disk.
_OVERLAYS: dict[str, tuple[str, yaml.Node | None]] = {}


def overlay(path: Path, text: str | None, *, parse: bool = True) -> None:
    """Place findings of ``path`` in ``text`` from now on (an editor's unsaved buffer); None: on disk again.

    ``parse=False`` for a buffer refused before any parse (too large, not UTF-8):
    its findings carry their own places, and parsing it is what must not happen.
    """
    if text is None:
        _OVERLAYS.pop(str(path), None)
        return
    node = None
    try:
        node = compose(text) if parse else None
    except (yaml.YAMLError, UnicodeEncodeError):
        node = None
    _OVERLAYS[str(path)] = (text, node)


def _root_node(path: Path) -> yaml.Node | None:
    if _OVERLAYS and str(path) in _OVERLAYS:
        return _OVERLAYS[str(path)][1]
    try:
        with opened(path, MAX_FILE_BYTES, within=corpus_root_of_file(path)) as file:
            key = (str(path), file.stamp)
            if key in _NODES:
                _NODES.move_to_end(key)
                return _NODES[key]
            raw = file.read()
    except OSError:
        return None
    try:
        node = compose(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        node = None
    _NODES[key] = node
    if len(_NODES) > _CACHE_SIZE:
        _NODES.popitem(last=False)
    return node


def locate(
    path: Path, parts: tuple[str | int, ...] | list[str | int], *, key: bool = False
) -> tuple[int, int] | tuple[None, None]:
    """1-based line and column of the value at ``parts`` (or of its key).

    When the path leads to a field that is not there, the deepest mapping or list
    on the way is returned: for a missing field, the mapping that lacks it.
    """
    node = _root_node(path)
    if node is None:
        return None, None
    where = node
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, yaml.MappingNode):
            pair = _pairs(node).get(part) if isinstance(part, str) else None  # keys are text, never indexes
            if pair is None:
                break
            key_node, value_node = pair
            where = key_node if (key and last) else value_node
            node = value_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            where = node
        else:
            break
    mark = where.start_mark
    return mark.line + 1, mark.column + 1


# The pairs of each mapping by key, built when a finding first looks into it: a
# scan per lookup made a file with thousands of findings quadratic (hostile input,
# README "What the toolkit guarantees on bad input").
_PAIRS: weakref.WeakKeyDictionary[yaml.MappingNode, dict[str, tuple[yaml.Node, yaml.Node]]] = (
    weakref.WeakKeyDictionary()
)


def _pairs(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    pairs = _PAIRS.get(node)
    if pairs is None:
        pairs = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                pairs.setdefault(key_node.value, (key_node, value_node))  # the first, as a scan finds it
        _PAIRS[node] = pairs
    return pairs


def clear_cache() -> None:
    """Forget parsed files (they are parsed again anyway once edited: this only frees memory)."""
    _NODES.clear()


def finding_at(
    record: Record,
    rule: str,
    parts: tuple[str | int, ...] | list[str | int],
    message: str,
    hint: str | None = None,
    *,
    key: bool = False,
) -> Finding:
    """The one way to build a finding placed at a path inside a record's file.

    The severity is the rule's own (``toolkit/rules.py``); with ``key``, the
    place is the key of the last part rather than its value.
    """
    line, column = locate(record.path, tuple(parts), key=key)
    return finding(record.file, line, column, rule, message, json_path(parts), hint)
