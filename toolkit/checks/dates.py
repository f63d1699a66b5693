"""Dates: real calendar days, ranges in order, weekdays that match their words,
and nothing dated after the article that reports it unless it is planned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, TypeAlias

from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding, Record
from toolkit.partial_dates import WEEKDAYS, bounds, earliest, latest, named_weekday
from toolkit.positions import finding_at
from toolkit.quoting import quoted, shown

# Kinds whose date says when the thing happened (and so must not postdate its source).
_DATED_HAPPENINGS = {"event": ("date",), "advisory": ("date",)}


# Where a value sits in a record: mapping keys and list indexes, from the top.
_Path: TypeAlias = tuple[str | int, ...]


def _date_objects(data: Any, path: _Path = ()) -> Iterator[tuple[_Path, dict[str, Any]]]:
    """Every date object in a record: a mapping with 'start' and 'precision'."""
    if isinstance(data, dict):
        if isinstance(data.get("start"), str) and "precision" in data:
            yield path, data
            return
        for key, value in data.items():
            yield from _date_objects(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _date_objects(value, path + (index,))


def _check_one(record: Record, path: _Path, date: dict[str, Any]) -> Iterator[Finding]:
    for field in ("start", "end"):
        value = date.get(field)
        if isinstance(value, str):
            try:
                earliest(value), latest(value)
            except ValueError:
                yield finding_at(
                    record, "date-invalid", path + (field,), f"{quoted(value)} is not a date in the calendar"
                )
                return
    span = bounds(date)
    if span is None:
        return
    if isinstance(date.get("end"), str) and earliest(date["end"]) < earliest(date["start"]):
        yield finding_at(
            record,
            "date-range-order",
            path + ("end",),
            f"the range ends ({shown(date['end'])}) before it starts ({shown(date['start'])})",
            "swap start and end",
        )
    weekday = named_weekday(date.get("expression"))
    if weekday is not None and date.get("precision") == "day" and span[0].weekday() != weekday:
        actual = WEEKDAYS[span[0].weekday()].capitalize()
        yield finding_at(
            record,
            "date-weekday-mismatch",
            path + ("start",),
            f"{shown(date['start'])} is a {actual}, but the text says {quoted(date['expression'])}",
            f"use the {WEEKDAYS[weekday].capitalize()} the text means",
        )


def _publication_end(corpus: CorpusIndex, record: Record) -> list[tuple[str, dt.date]]:
    cited = []
    evidence = record.data.get("evidence")
    for item in evidence if isinstance(evidence, list) else []:
        source_id = item.get("source") if isinstance(item, dict) else None
        if not isinstance(source_id, str):
            continue
        source = corpus.by_id.get(source_id)
        if source is not None and source.kind.name == "source":
            span = bounds(source.data.get("published"))
            if span is not None:
                cited.append((source_id, span[1]))  # the id it was found by, which is source.id
    return cited


def check_dates(corpus: CorpusIndex) -> list[Finding]:
    """Findings for impossible, disordered, mis-named or too-late dates."""
    findings: list[Finding] = []
    for record in corpus.records:
        for path, date in _date_objects(record.data):
            findings.extend(_check_one(record, path, date))
        field = _DATED_HAPPENINGS.get(record.kind.name)
        if field is None or record.data.get("status") == "planned":
            continue
        span = bounds(record.data.get(field[0]))
        if span is None:
            continue
        for source_id, published_by in sorted(set(_publication_end(corpus, record))):
            if span[0] > published_by:
                findings.append(
                    finding_at(
                        record,
                        "date-after-publication",
                        field + ("start",),
                        f"dated {shown(record.data[field[0]]['start'])}, after {shown(source_id)} was published "
                        f"(by {published_by})",
                        "an article can only report what happened before it: fix the date, or set status: planned",
                    )
                )
    return findings
