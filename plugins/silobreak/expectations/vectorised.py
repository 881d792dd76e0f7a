"""Column-at-a-time versions of the identifier checks, for the expectations' pandas metrics.

Calling :mod:`silobreak.identifiers` once per value costs a few microseconds (NFKC, regex, date
parsing), which dominated validating a large batch. Almost every value a department sends is
already in canonical form (ASCII digits, no spaces), so those are checked here with numpy on the
characters' code points; only the rest (full-width digits, spaces, ``+86``...) go through the
per-value functions, which stay the definition of what is valid.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from silobreak.identifiers import (
    EARLIEST_BIRTH_DATE,
    RESIDENT_ID_CHECK_CHARS,
    RESIDENT_ID_WEIGHTS,
    RETIRED_SHENZHEN_DIVISIONS,
    SHENZHEN_DIVISIONS,
    division_code_status,
    gender_from_resident_id,
    is_valid_mobile,
    is_valid_resident_id,
    normalise_resident_id,
)

Mask = npt.NDArray[np.bool_]
_ZERO, _NINE, _X, _LOWER_X, _ONE = ord("0"), ord("9"), ord("X"), ord("x"), ord("1")
_WEIGHTS = np.array(RESIDENT_ID_WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.array([ord(c) for c in RESIDENT_ID_CHECK_CHARS], dtype=np.uint32)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
GENDER_CODES = {"男": "M", "M": "M", "MALE": "M", "1": "M", "女": "F", "F": "F", "FEMALE": "F", "2": "F"}


def _code_points(values: npt.NDArray[Any], width: int) -> tuple[npt.NDArray[np.uint32], Mask]:
    """Code points of each value that is a str of exactly ``width`` characters (rows of zeros
    elsewhere), and the mask of those values."""
    strings = [v if isinstance(v, str) and len(v) == width else "" for v in values]
    codes = np.array(strings, dtype=f"U{width}").view(np.uint32).reshape(len(strings), width)
    return codes, codes[:, 0] != 0 if width else np.zeros(len(strings), dtype=bool)


def _digits(codes: npt.NDArray[np.uint32]) -> Mask:
    return np.asarray(((codes >= _ZERO) & (codes <= _NINE)).all(axis=1))


def _per_value(values: npt.NDArray[Any], rows: Mask, check: Callable[[Any], bool]) -> Mask:
    """``check`` on the values at ``rows`` only (the ones the fast path could not decide)."""
    out = np.zeros(len(values), dtype=bool)
    out[rows] = [bool(check(v)) for v in values[rows]]
    return out


def resident_ids(values: pd.Series) -> tuple[Mask, Mask]:
    """(valid, male) per value: valid as :func:`~silobreak.identifiers.is_valid_resident_id`;
    male (the 17th digit is odd) is meaningful where valid."""
    objects = values.to_numpy(dtype=object)
    codes, fast = _code_points(objects, 18)
    last = codes[:, 17]
    fast &= _digits(codes[:, :17]) & (((last >= _ZERO) & (last <= _NINE)) | (last == _X) | (last == _LOWER_X))
    digits = codes[fast, :17].astype(np.int64) - _ZERO
    check_ok = _CHECK_CODES[(digits @ _WEIGHTS) % 11] == np.where(last[fast] == _LOWER_X, _X, last[fast])
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    ymd = year * 10000 + month * 100 + day
    today = datetime.date.today()
    earliest = EARLIEST_BIRTH_DATE
    date_ok = (
        month_ok
        & (day >= 1)
        & (day <= last_day)
        & (ymd >= earliest.year * 10000 + earliest.month * 100 + earliest.day)
        & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    )
    valid = np.zeros(len(objects), dtype=bool)
    valid[fast] = check_ok & date_ok
    male = np.zeros(len(objects), dtype=bool)
    male[fast] = digits[:, 16] % 2 == 1
    slow = ~fast & np.array([isinstance(v, str) for v in objects], dtype=bool)
    valid |= _per_value(objects, slow, is_valid_resident_id)
    slow_valid = slow & valid
    male[slow_valid] = [gender_from_resident_id(str(normalise_resident_id(v))) == "M" for v in objects[slow_valid]]
    return valid, male


def gender_matches(resident_id: Any, gender: Any) -> bool:
    """True unless both are readable and disagree (a missing or malformed ID is other checks' job);
    the per-row definition that :func:`genders_match_resident_ids` computes for a whole column."""
    normalised = normalise_resident_id(resident_id) if isinstance(resident_id, str) else None
    if not normalised or not is_valid_resident_id(normalised) or not isinstance(gender, str):
        return True
    coded = GENDER_CODES.get(gender.strip().upper())
    return coded is None or coded == gender_from_resident_id(normalised)


def valid_resident_ids(values: pd.Series) -> pd.Series:
    return pd.Series(resident_ids(values)[0], index=values.index)


def genders_match_resident_ids(resident_id: pd.Series, gender: pd.Series) -> pd.Series:
    """False where both are readable and disagree, as :func:`gender_matches` per row."""
    valid, male = resident_ids(resident_id)
    genders = gender.to_numpy(dtype=object)
    exact = pd.Series(genders).map(GENDER_CODES).to_numpy(dtype=object)
    other = np.array([isinstance(g, str) for g in genders], dtype=bool) & pd.isna(exact)
    exact[other] = [GENDER_CODES.get(g.strip().upper()) for g in genders[other]]
    coded_male, coded_female = exact == "M", exact == "F"
    mismatch = valid & ((coded_male & ~male) | (coded_female & male))
    return pd.Series(~mismatch, index=resident_id.index)


def valid_mobiles(values: pd.Series) -> pd.Series:
    """As :func:`~silobreak.identifiers.is_valid_mobile`: 11 ASCII digits starting 13-19 pass at once."""
    objects = values.to_numpy(dtype=object)
    codes, fast = _code_points(objects, 11)
    fast &= _digits(codes) & (codes[:, 0] == _ONE) & (codes[:, 1] >= ord("3"))
    return pd.Series(fast | _per_value(objects, ~fast, is_valid_mobile), index=values.index)


def division_statuses_in(values: pd.Series, statuses: frozenset[str]) -> pd.Series:
    """Whether :func:`~silobreak.identifiers.division_code_status` of each value is in ``statuses``."""
    exact = {c: "current" for c in SHENZHEN_DIVISIONS} | {c: "retired" for c in RETIRED_SHENZHEN_DIVISIONS}
    status = values.map(exact).to_numpy(dtype=object)
    unsure = pd.isna(status)
    status[unsure] = [division_code_status(v) for v in values.to_numpy(dtype=object)[unsure]]
    return pd.Series(np.isin(status, list(statuses)), index=values.index)
