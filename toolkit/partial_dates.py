"""Dates at day, month or year precision, as the bounds of the days they may mean."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_WORD = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)


def _parts(value: str) -> list[int]:
    parts = [int(part) for part in value.split("-")]
    # date() raises OverflowError, not ValueError, for numbers beyond a C long.
    if len(parts) > 3 or any(not 0 <= part <= 9999 for part in parts):
        raise ValueError(f"{value!r} is not a date")
    return parts


# A corpus names the same few hundred days over and over; the exports ask for each
# again for every object made from a record (performance edit, benchmarks/README.md).
@lru_cache(maxsize=8192)
def earliest(value: str) -> dt.date:
    """The first day a partial date (YYYY, YYYY-MM or YYYY-MM-DD) can mean; ValueError if none."""
    parts = _parts(value)
    year, month, day = (parts + [1, 1])[:3]
    return dt.date(year, month, day)


@lru_cache(maxsize=8192)
def latest(value: str) -> dt.date:
    """The last day a partial date can mean; ValueError if it is not a calendar date."""
    parts = _parts(value)
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(*parts)


def bounds(date: Any) -> tuple[dt.date, dt.date] | None:
    """First and last day a date object may mean, or None if it is malformed."""
    if not isinstance(date, dict) or not isinstance(date.get("start"), str):
        return None
    try:
        first = earliest(date["start"])
        last = latest(date["end"]) if isinstance(date.get("end"), str) else latest(date["start"])
    except ValueError:
        return None
    return first, last


def named_weekday(expression: Any) -> int | None:
    """The weekday (0 = Monday) an expression such as 'on Thursday' names, if exactly one."""
    if not isinstance(expression, str):
        return None
    names = {match.lower() for match in _WEEKDAY_WORD.findall(expression)}
    return WEEKDAYS.index(names.pop()) if len(names) == 1 else None
