"""Links between events and advisories: which relations are symmetric, and how a link is found and written.

Whether a relation is symmetric is data of the model: the ``x-symmetric`` key of
its entry in the ``link_relation`` vocabulary (``schemas/defs.schema.json``);
``same-as`` is one. A symmetric link is written on both records, with the same
certainty, and the rule ``link-one-sided`` (``toolkit/checks/links.py``) reports
one whose other side is missing or disagrees; ``toolkit link`` (``toolkit/linking.py``)
writes both sides.
"""

from __future__ import annotations

import shlex
from typing import Any

from toolkit.schema_loader import SchemaSet

SYMMETRIC_KEY = "x-symmetric"
LINKABLE = ("event", "advisory")


def symmetric_relations(schemas: SchemaSet) -> frozenset[str]:
    """The relations the ``link_relation`` vocabulary marks symmetric (``x-symmetric: true``)."""
    return frozenset(entry["const"] for entry in schemas.vocabulary("link_relation") if entry.get(SYMMETRIC_KEY))


def link_command(source: str, relation: str, target: str, certainty: str | None = None) -> str:
    """The ``toolkit link`` command line that writes this link (and its other side), shell-quoted."""
    words = ["toolkit", "link", source, relation, target]
    if certainty is not None:
        words += ["--certainty", certainty]
    return shlex.join(words)


def find_link(data: dict[str, Any], relation: str, target: str) -> dict[str, Any] | None:
    """The first link of a record's data with this relation and target, or None."""
    links = data.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == relation and link.get("target") == target:
            return link
    return None
