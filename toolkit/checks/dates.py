"""Dates: real calendar days, ranges in order, weekdays that match their words,
expressions that are words of the text, and nothing dated after the article that
reports it (its whole range) unless it is planned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, TypeAlias

from toolkit.corpus_index import CorpusIndex
from toolkit.model import Finding, Record
from toolkit.partial_dates import WEEKDAYS, bounds, earliest, latest, named_weekday
from toolkit.positions import finding_at
from toolkit.quotes import SearchText, normalise
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
    # One day, written as a day or as a range that starts and ends on it: either way
    # the weekday the words name must be that day's.
    one_day = date.get("precision") == "day" or (date.get("precision") == "range" and span[0] == span[1])
    if weekday is not None and one_day and span[0].weekday() != weekday:
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
        if not corpus.judges(record):
            continue  # every finding of this check lands in the record it reads
        for path, date in _date_objects(record.data):
            findings.extend(_check_one(record, path, date))
        findings.extend(_expressions_not_in_text(corpus, record))
        field = _DATED_HAPPENINGS.get(record.kind.name)
        if field is None or record.data.get("status") == "planned":
            continue
        span = bounds(record.data.get(field[0]))
        if span is None:
            continue
        date = record.data[field[0]]
        # The whole range must lie before publication: its start, and the first day its
        # end can mean (a range ending "2022-06" may end on any day of June).
        end = earliest(date["end"]) if isinstance(date.get("end"), str) else None
        for source_id, published_by in sorted(set(_publication_end(corpus, record))):
            if span[0] > published_by:
                part, value = "start", date["start"]
            elif end is not None and end > published_by:
                part, value = "end", date["end"]
            else:
                continue
            findings.append(
                finding_at(
                    record,
                    "date-after-publication",
                    field + (part,),
                    f"{'dated' if part == 'start' else 'the range ends'} {shown(value)}, after {shown(source_id)} "
                    f"was published (by {published_by})",
                    "an article can only report what happened before it: fix the date, or set status: planned",
                )
            )
    return findings


def _cited_texts(corpus: CorpusIndex, record: Record) -> list[SearchText]:
    """The texts a record's date expressions may come from: its own (a source), and those its evidence cites."""
    sources = [record] if record.kind.name == "source" else []
    evidence = record.data.get("evidence")
    for item in evidence if isinstance(evidence, list) else []:
        source_id = item.get("source") if isinstance(item, dict) else None
        source = corpus.by_id.get(source_id) if isinstance(source_id, str) else None
        if source is not None and source.kind.name == "source" and source not in sources:
            sources.append(source)
    texts = [corpus.search_text(source) for source in sources]
    return [text for text in texts if text is not None]


def _expressions_not_in_text(corpus: CorpusIndex, record: Record) -> Iterator[Finding]:
    """A date expression must be words of the record's evidence, or of a source text it cites."""
    dated = [(path, date) for path, date in _date_objects(record.data) if isinstance(date.get("expression"), str)]
    if not dated:
        return
    evidence = record.data.get("evidence")
    quotes = [
        normalise(item["quote"])
        for item in (evidence if isinstance(evidence, list) else [])
        if isinstance(item, dict) and isinstance(item.get("quote"), str)
    ]
    texts = _cited_texts(corpus, record)
    if not texts and not quotes:
        return  # nothing to look in: the evidence and reference checks say why
    for path, date in dated:
        expression = date["expression"]
        wanted = normalise(expression)
        if not wanted or any(wanted in quote for quote in quotes) or any(t.find(expression) is not None for t in texts):
            continue
        yield finding_at(
            record,
            "date-expression-not-in-text",
            path + ("expression",),
            f"the expression {quoted(expression)} is in neither the record's evidence nor the text it cites",
            "copy the words the date was resolved from as the text writes them (case and spelling too)",
        )
