"""Where a value sits in its file, looked up only when a finding needs it.

Records do not carry a position for every value (that would double the memory of
a large corpus); a finding asks for one, and the file is parsed again once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from toolkit.yaml_strict import compose


@lru_cache(maxsize=256)
def _root_node(path: str) -> yaml.Node | None:
    try:
        return compose(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def locate(path: Path, parts: tuple[str | int, ...] | list[str | int], *, key: bool = False) -> tuple[int, int] | tuple[None, None]:
    """1-based line and column of the value at ``parts`` (or of its key).

    When the path leads to a field that is not there, the deepest mapping or list
    on the way is returned: for a missing field, the mapping that lacks it.
    """
    node = _root_node(str(path))
    if node is None:
        return None, None
    where = node
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    where = key_node if (key and last) else value_node
                    node = value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            where = node
        else:
            break
    mark = where.start_mark
    return mark.line + 1, mark.column + 1


def clear_cache() -> None:
    """Forget parsed files (after they were edited, in long-lived processes and tests)."""
    _root_node.cache_clear()
