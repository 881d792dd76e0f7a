"""What the matcher compares, computed once per person record.

The warehouse's staging models already fold full-width digits, phones and date formats; here the
record gets its key, a resident ID it can be trusted on (an 18-digit ID with a valid check
character, or a first-generation 15-digit one upgraded), the ID a receipt's masked form
(``440306********123X``) gives back together with the birth date, and the name in simplified
characters and in pinyin.

A million records hold far fewer distinct names, IDs and birth dates (a person recurs in each
department's records), so every rule runs once per distinct value, and canonical resident IDs are
checked with numpy; the per-value functions below and in :mod:`silobreak.identifiers` remain the
rules, and the unit tests hold the column versions to them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from silobreak.identifiers import (
    EARLIEST_BIRTH_DATE,
    RESIDENT_ID_CHECK_CHARS,
    RESIDENT_ID_WEIGHTS,
    birth_date_from_resident_id,
    gender_from_resident_id,
    is_valid_resident_id,
    resident_id_check_char,
    upgrade_15_digit_id,
)
from silobreak.resolution.chinese import normalise_name, toneless_pinyin

#: Columns a person-record frame has (int_persons__unioned).
RECORD_COLUMNS = (
    "source_department",
    "source_feed",
    "source_record",
    "source_role",
    "source_batch",
    "resident_id",
    "person_name",
    "gender",
    "birth_date",
    "mobile",
    "address",
    "source_updated_at",
)

_MASKED = re.compile(r"([0-9]{6})\*{8}([0-9]{3}[0-9X])")
_ID15 = re.compile(r"[0-9]{15}")
_GENDER = {"M": "M", "F": "F", "男": "M", "女": "F"}
_WEIGHTS = np.array(RESIDENT_ID_WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.array([ord(c) for c in RESIDENT_ID_CHECK_CHARS], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
ObjectArray = npt.NDArray[np.object_]


def record_key(feed: str, record: str, role: str | None) -> str:
    """One person mention: a marriage names two (``...|husband``, ``...|wife``)."""
    return f"{feed}|{record}|{role or ''}"


def trusted_resident_id(value: object) -> str | None:
    """The 18-digit ID the record can be resolved on deterministically, or None."""
    if not isinstance(value, str) or not value:
        return None
    if _ID15.fullmatch(value):
        value = upgrade_15_digit_id(value)
    return value if is_valid_resident_id(value) else None


def unmasked_resident_id(value: object, birth_date: object) -> str | None:
    """A masked ID (region and last four shown) completed with the birth date, if its check
    character then agrees: evidence for the matcher, never a deterministic key."""
    if not isinstance(value, str) or not isinstance(birth_date, datetime.date):
        return None
    found = _MASKED.fullmatch(value)
    if not found:
        return None
    first17 = found.group(1) + birth_date.strftime("%Y%m%d") + found.group(2)[:3]
    return first17 + found.group(2)[3] if resident_id_check_char(first17) == found.group(2)[3] else None


def _date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        return pd.Timestamp(value).date()  # type: ignore[no-any-return]
    except (ValueError, TypeError):
        return None


def _distinct(values: pd.Series) -> tuple[npt.NDArray[np.intp], ObjectArray]:
    """Each row's code and the distinct values: a person's name, ID and birth date recur in each of
    their records. Missing values (None, NaN, NaT) get code -1. (``pd.factorize`` of the column's
    array: Arrow's dictionary encoding for string columns, no conversion to Python objects.)"""
    codes, uniques = pd.factorize(values.array)
    return codes, np.asarray(uniques, dtype=object)


def _spread(
    per_distinct: Sequence[object] | ObjectArray, codes: npt.NDArray[np.intp], missing: object = None
) -> ObjectArray:
    """Results per distinct value back onto the rows; code -1 (a missing value) gets ``missing``."""
    padded = np.empty(len(per_distinct) + 1, dtype=object)
    padded[:-1] = per_distinct
    padded[-1] = missing
    return np.asarray(padded[codes], dtype=object)


def _each_distinct(values: pd.Series, rule: Callable[[Any], object]) -> ObjectArray:
    """``rule`` of every value, called once per distinct value (``rule(None)`` for missing ones)."""
    codes, uniques = _distinct(values)
    return _spread([rule(v) for v in uniques], codes, rule(None))


def resident_id_parts(values: npt.NDArray[Any]) -> tuple[ObjectArray, ObjectArray, ObjectArray]:
    """For each value: :func:`trusted_resident_id`, and the birth date and gender that ID encodes
    (:func:`~silobreak.identifiers.birth_date_from_resident_id`,
    :func:`~silobreak.identifiers.gender_from_resident_id`); None where there is no trusted ID.

    Values already in canonical form (15 ASCII digits, or 17 and a digit, X or x) are decided with
    numpy on their code points; the rest (full-width digits, spaces...) by the per-value functions,
    which stay the definition of what is trusted."""
    n = len(values)
    trusted, births, genders = (np.full(n, None, dtype=object) for _ in range(3))
    lengths = np.fromiter((len(v) if isinstance(v, str) else -1 for v in values), dtype=np.int64, count=n)
    is15, is18 = lengths == 15, lengths == 18
    fixed = np.array([v if size in (15, 18) else "" for v, size in zip(values, lengths, strict=True)], dtype="U18")
    chars = fixed.view(np.uint32).reshape(n, 18).astype(np.int64)
    # the first 17 digits; a first-generation ID gets the century "19" after its region
    century = np.broadcast_to(np.array([ord("1"), ord("9")], dtype=np.int64), (n, 2))
    first17 = np.where(is15[:, None], np.hstack([chars[:, :6], century, chars[:, 6:15]]), chars[:, :17]) - ord("0")
    digits = ((first17 >= 0) & (first17 <= 9)).all(axis=1)
    check = _CHECK_CODES[(first17 @ _WEIGHTS) % 11]
    last = np.where(chars[:, 17] == ord("x"), ord("X"), chars[:, 17])
    fast15 = is15 & digits
    fast18 = is18 & digits & (((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X")))
    ok15 = fast15 & _plausible_birth_dates(first17[:, 6:14])
    ok18 = fast18 & _plausible_birth_dates(first17[:, 6:14]) & (check == last)
    trusted[ok18] = values[ok18]
    trusted[ok15] = [v[:6] + "19" + v[6:] + chr(c) for v, c in zip(values[ok15], check[ok15].tolist(), strict=True)]
    ok = ok15 | ok18
    ymd = first17[ok, 6:14] @ 10 ** np.arange(7, -1, -1)
    births[ok] = [datetime.date(d // 10000, d // 100 % 100, d % 100) for d in ymd.tolist()]
    genders[ok] = np.where(first17[ok, 16] % 2 == 1, "M", "F")
    slow = (lengths >= 0) & ~(fast15 | fast18)
    trusted[slow] = [trusted_resident_id(v) for v in values[slow]]
    slow &= ~pd.isna(trusted)
    births[slow] = [birth_date_from_resident_id(t) for t in trusted[slow]]
    genders[slow] = [gender_from_resident_id(t) for t in trusted[slow]]
    return trusted, births, genders


def _plausible_birth_dates(digits: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """yyyymmdd digit rows that are a real date from EARLIEST_BIRTH_DATE to today."""
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month, day = digits[:, 4] * 10 + digits[:, 5], digits[:, 6] * 10 + digits[:, 7]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    ymd = year * 10000 + month * 100 + day
    earliest, today = EARLIEST_BIRTH_DATE, datetime.date.today()
    return np.asarray(  # type: ignore[no-any-return]
        month_ok
        & (day >= 1)
        & (day <= last_day)
        & (ymd >= earliest.year * 10000 + earliest.month * 100 + earliest.day)
        & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    )


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The records with ``unique_id`` (record key), ``trusted_id``, ``id_key``, ``name_s``,
    ``name_py``, ``birth_date``, ``gender`` and ``mobile`` ready for comparison."""
    id_codes, distinct_ids = _distinct(records["resident_id"])
    trusted, id_births, id_genders = (_spread(p, id_codes) for p in resident_id_parts(distinct_ids))
    record_births = _each_distinct(records["birth_date"], _date)
    births = np.where(pd.isna(record_births), id_births, record_births)
    genders = _each_distinct(records["gender"], lambda g: _GENDER.get(g) if isinstance(g, str) else None)
    genders = np.where(pd.isna(genders), id_genders, genders)
    # a receipt's masked ID, completed with the record's birth date (only those rows can give one)
    masked = np.fromiter((isinstance(v, str) and bool(_MASKED.fullmatch(v)) for v in distinct_ids), dtype=bool)
    masked = _spread(masked.tolist(), id_codes, False).astype(bool) & pd.isna(trusted)
    id_key = trusted.copy()
    id_key[masked] = [
        unmasked_resident_id(v, b) for v, b in zip(distinct_ids[id_codes[masked]], births[masked], strict=True)
    ]
    name_codes, typed_names = _distinct(records["person_name"])
    names = [normalise_name(v) for v in typed_names]
    keys = zip(*(records[c].tolist() for c in ("source_feed", "source_record", "source_role")), strict=True)
    columns = {
        "trusted_id": trusted,
        "id_key": id_key,
        "name_s": _spread(names, name_codes, normalise_name(None)),
        "name_py": _spread([toneless_pinyin(n) for n in names], name_codes, toneless_pinyin(None)),
        "surname": _spread([n[0] if n else None for n in names], name_codes),
        "birth_date": _each_distinct(pd.Series(births), lambda b: b.isoformat() if b else None),
        "gender": genders,
        "mobile": _each_distinct(records["mobile"], lambda m: m if isinstance(m, str) and m else None),
    }
    # lists, so that pandas infers each column's dtype as it would for the per-record results
    # (str, or float64 when there are no records)
    return pd.DataFrame(
        {"unique_id": [record_key(f, r, role) for f, r, role in keys]} | {c: v.tolist() for c, v in columns.items()}
    )
