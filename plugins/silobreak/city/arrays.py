"""Vectorised building blocks shared by the city's generators.

Everything here works on whole numpy arrays: random streams named by what
they are for (so adding a table never shifts another table's draws), text
lookup tables for dates and months (a date column of a million rows then
shares a few thousand Python strings instead of creating a million), zero-
padded numbers as text, and the sampling of rows that a defect or variation
can be applied to.
"""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city.residents import _digits, _split_counts

__all__ = [
    "BASE_DATE",
    "TZ",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "ObjArray",
    "StrArray",
    "age_on",
    "base_day",
    "choice",
    "date_objects",
    "day_window",
    "days_of",
    "digits",
    "event_times",
    "iso_dates",
    "iso_months",
    "local_seconds",
    "objects",
    "pick",
    "probabilities",
    "split_counts",
    "stream",
    "text_column",
    "timestamps",
    "width_for",
    "window_times",
    "ymd_of",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
ObjArray = npt.NDArray[np.object_]

BASE_DATE = datetime.date(2026, 11, 1)
"""Day 0 of the city: its records are as they stood at local midnight starting this date."""

TZ = "Asia/Shanghai"
_UTC_OFFSET_S = 8 * 3600
_EPOCH_DAY_OF_BASE = int(np.datetime64(BASE_DATE, "D").astype(np.int64))

# Lookup tables cover every date a record can carry (births from 1900, licences valid to 2050).
_FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_LAST_DAY = int(np.datetime64("2060-12-31", "D").astype(np.int64))

split_counts = _split_counts
digits = _digits


def stream(seed: int, *names: str | int) -> np.random.Generator:
    """An independent random stream for ``names`` (e.g. a table and a day) under ``seed``.

    Names are hashed with CRC-32, which, unlike ``hash()``, is the same in
    every process, so the same seed always gives the same city.
    """
    entropy = [seed, *(zlib.crc32(n.encode()) if isinstance(n, str) else n for n in names)]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def probabilities(weights: Any) -> npt.NDArray[np.float64]:
    """Normalise weights to probabilities."""
    w = np.asarray(weights, dtype=np.float64)
    return w / float(w.sum())


def choice(rng: np.random.Generator, n_items: int, size: int, weights: Any = None) -> IntArray:
    """``size`` indices into ``n_items`` items, weighted, as int64."""
    if size == 0 or n_items == 0:
        return np.zeros(0 if n_items == 0 else size, dtype=np.int64)
    p = None if weights is None else probabilities(weights)
    return rng.choice(n_items, size=size, p=p).astype(np.int64)


def ymd_of(days: IntArray) -> IntArray:
    """Dates (days since 1970) as integers yyyymmdd."""
    d = np.asarray(days, dtype=np.int64).astype("M8[D]")
    month_start = d.astype("M8[M]")
    year = d.astype("M8[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (d - month_start.astype("M8[D]")).astype(np.int64) + 1
    out: IntArray = year * 10000 + month * 100 + day
    return out


def age_on(birth_days: IntArray, day: int) -> IntArray:
    """Age in whole years on ``day`` (days since 1970) of people born on ``birth_days``."""
    on = int(ymd_of(np.array([day]))[0])
    out: IntArray = (on - ymd_of(birth_days)) // 10000
    return out


def days_of(dates: npt.NDArray[np.datetime64]) -> IntArray:
    """Days since 1970-01-01 of ``datetime64`` dates."""
    return dates.astype("M8[D]").astype(np.int64)


def base_day() -> int:
    """Days since 1970-01-01 of :data:`BASE_DATE`."""
    return _EPOCH_DAY_OF_BASE


def local_seconds(days: IntArray, seconds_of_day: IntArray | int = 0) -> IntArray:
    """UTC epoch seconds of a local (Asia/Shanghai) day plus seconds into it."""
    return np.asarray(days, dtype=np.int64) * 86400 - _UTC_OFFSET_S + seconds_of_day


def day_window(day: int) -> tuple[int, int]:
    """UTC epoch seconds [start, end) of the changes of ``day``: the local day before its date.

    Day N's state (and file) is dated :data:`BASE_DATE` + N and holds what
    changed during the previous day; day 0 holds everything before.
    """
    start = int(local_seconds(np.array([_EPOCH_DAY_OF_BASE + day - 1]))[0])
    return start, start + 86400


def event_times(rng: np.random.Generator, event_day: IntArray, touched: float = 0.3) -> tuple[IntArray, IntArray]:
    """Creation (office hours of ``event_day``) and last update (before day 0) of records, UTC seconds.

    Most records are never touched again; ``touched`` of them were updated
    some time between their creation and day 0.
    """
    n = event_day.size
    end = local_seconds(np.array([_EPOCH_DAY_OF_BASE]))[0]
    day = np.minimum(np.asarray(event_day, dtype=np.int64), _EPOCH_DAY_OF_BASE - 1)
    created = np.minimum(local_seconds(day, rng.integers(8 * 3600, 20 * 3600, n)), end - 2)
    later = np.floor(rng.random(n) * (end - 1 - created)).astype(np.int64)
    quick = rng.integers(0, 600, n)
    updated = created + np.where(rng.random(n) < touched, later, np.minimum(quick, end - 1 - created))
    return created, updated


def window_times(rng: np.random.Generator, day: int, n: int) -> tuple[IntArray, IntArray]:
    """Creation and update times of ``n`` records created during ``day``'s window, UTC seconds."""
    start, end = day_window(day)
    created = start + np.sort(rng.integers(6 * 3600, 22 * 3600, n))
    updated = np.minimum(created + rng.integers(0, 600, n), end - 1)
    return created, updated


@cache
def _iso_date_table() -> ObjArray:
    days = np.arange(_FIRST_DAY, _LAST_DAY + 1).astype("M8[D]")
    table: ObjArray = np.datetime_as_string(days).astype(object)
    return table


@cache
def _date_object_table() -> ObjArray:
    days = np.arange(_FIRST_DAY, _LAST_DAY + 1).astype("M8[D]")
    table: ObjArray = days.astype(object)
    return table


@cache
def _iso_month_table() -> ObjArray:
    months = np.arange(_FIRST_DAY, _LAST_DAY + 1).astype("M8[D]").astype("M8[M]")
    table: ObjArray = np.datetime_as_string(months).astype(object)
    return table


def _day_index(days: IntArray) -> IntArray:
    index = np.asarray(days, dtype=np.int64) - _FIRST_DAY
    if index.size and (index.min() < 0 or index.max() > _LAST_DAY - _FIRST_DAY):
        raise ValueError("date outside 1900-01-01 .. 2060-12-31")
    return index


def iso_dates(days: IntArray) -> ObjArray:
    """``YYYY-MM-DD`` text of days since 1970 (shared Python strings from a lookup table)."""
    out: ObjArray = _iso_date_table()[_day_index(days)]
    return out


def iso_months(days: IntArray) -> ObjArray:
    """``YYYY-MM`` text of the month of days since 1970."""
    out: ObjArray = _iso_month_table()[_day_index(days)]
    return out


def date_objects(days: IntArray) -> ObjArray:
    """``datetime.date`` objects of days since 1970, as a database driver returns them."""
    out: ObjArray = _date_object_table()[_day_index(days)]
    return out


def width_for(values: IntArray, minimum: int) -> int:
    """Digits needed to print the largest value, at least ``minimum``."""
    top = int(values.max()) if values.size else 0
    return max(minimum, len(str(top)))


def text_column(values: Any, missing: BoolArray | None = None) -> ObjArray:
    """An object array of Python strings (or None where ``missing``)."""
    out: ObjArray = np.asarray(values).astype(object)
    if missing is not None and missing.any():
        out[missing] = None
    return out


def objects(values: Any) -> Any:
    """A pandas object column that keeps None as None (pandas 3 would infer its ``str`` dtype)."""
    return pd.Series(values, dtype=object, copy=False)


def timestamps(seconds: IntArray) -> Any:
    """A tz-aware (Asia/Shanghai) pandas column from UTC epoch seconds."""
    return pd.Series(pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s", utc=True).tz_convert(TZ))


def pick(
    rng: np.random.Generator,
    candidates: IntArray,
    count: int,
    eligible: Callable[[IntArray], BoolArray] | None = None,
) -> IntArray:
    """Up to ``count`` of the ``candidates`` (row numbers) in random order, where ``eligible``.

    Eligibility is only evaluated on a growing random sample, so picking a few
    hundred rows of a million-row table costs a few hundred checks.
    """
    if count <= 0 or candidates.size == 0:
        return np.zeros(0, dtype=np.int64)
    sample = 2 * count + count // 2 + 64
    if sample * 50 <= candidates.size:
        # A small share of many rows: a sample without replacement costs O(sample), not O(rows).
        drawn = candidates[rng.choice(candidates.size, size=sample, replace=False)].astype(np.int64)
        ok = drawn if eligible is None else drawn[eligible(drawn)]
        if ok.size >= count:
            return ok[:count]
    order = rng.permutation(candidates).astype(np.int64)
    if eligible is None:
        return order[:count]
    chosen: list[IntArray] = []
    got, start, step = 0, 0, count + count // 4 + 64
    while got < count and start < order.size:
        chunk = order[start : start + step]
        ok = chunk[eligible(chunk)][: count - got]
        chosen.append(ok)
        got += ok.size
        start += step
        step *= 2
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
