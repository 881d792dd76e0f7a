"""Read the dates and months departments type, and tell a real calendar day from an impossible one.

Departments write the same day as ``2024-01-05``, ``2024-1-5``, ``2024/01/05``, ``2024年1月5日`` or
``20240105``, sometimes with full-width digits from a Chinese IME, and a month as ``2024-01``,
``2024/01``, ``2024年1月`` or ``202401``. These are variations, not defects: staging
(``util.try_date`` in ``dbt_project/macros/safe_casts.sql``) reads them all, so validation must accept
them too. What it must reject is a date no calendar has: month 00 or 13, day 00 or 32, 30 February,
31 April, 29 February outside a leap year.

Vectorised over a pandas Series (one regular expression per format, month lengths from numpy), so
a batch of a few hundred thousand rows is checked without a Python call per value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DATE_PATTERNS", "MONTH_PATTERNS", "is_valid_date", "valid_dates"]

_FOLD = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "／": "/", "－": "-", "　": " "})

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"

#: The day formats accepted, each with named groups ``y``, ``m``, ``d`` (matched in full, after
#: folding full-width digits and separators and trimming spaces). An ISO day may carry a time, as
#: ``util.try_date`` allows.
DATE_PATTERNS: tuple[str, ...] = (
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME,
    r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})",
    r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日",
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})",
)

#: The month formats accepted (``month: true``), with named groups ``y`` and ``m``.
MONTH_PATTERNS: tuple[str, ...] = (
    r"(?P<y>\d{4})-(?P<m>\d{1,2})",
    r"(?P<y>\d{4})/(?P<m>\d{1,2})",
    r"(?P<y>\d{4})年(?P<m>\d{1,2})月",
    r"(?P<y>\d{4})(?P<m>\d{2})",
)

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _parts(text: pd.Series, patterns: tuple[str, ...]) -> pd.DataFrame:
    """Year, month (and day) of each value as float columns; NaN where no pattern matches."""
    found = pd.DataFrame(index=text.index, columns=["y", "m", "d"], dtype="float64")
    for pattern in patterns:
        todo = found["y"].isna()
        if not todo.any():
            break
        matched = text[todo].str.extract(f"^{pattern}$").astype("float64")
        found.loc[todo, matched.columns] = matched.to_numpy()
    return found


def valid_dates(values: pd.Series, *, month: bool = False) -> pd.Series:
    """True for each value that is a real calendar day (or month, with ``month``) in an accepted
    format, False otherwise; missing values are True (whether a value must be there is another check)."""
    missing = values.isna()
    text = values[~missing].astype(str).str.translate(_FOLD).str.strip()
    parts = _parts(text, MONTH_PATTERNS if month else DATE_PATTERNS)
    year = parts["y"].to_numpy()
    mon = parts["m"].to_numpy()
    ok = ~np.isnan(year) & (year >= 1) & (mon >= 1) & (mon <= 12)
    if not month:
        day = parts["d"].to_numpy()
        y = np.where(ok, year, 2000).astype(np.int64)
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        length = _DAYS_IN_MONTH[np.where(ok, mon, 1).astype(np.int64)] + ((mon == 2) & leap)
        ok &= (day >= 1) & (day <= length)
    out = pd.Series(True, index=values.index, dtype=bool)
    out[~missing] = ok
    return out


def is_valid_date(value: Any, *, month: bool = False) -> bool:
    """One value of :func:`valid_dates` (``None`` is True: presence is checked elsewhere)."""
    return bool(valid_dates(pd.Series([value], dtype=object), month=month).iloc[0])
