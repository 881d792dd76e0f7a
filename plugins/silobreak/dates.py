"""Read the dates and months departments type, and tell a real calendar day from an impossible one.

Departments write the same day as ``2024-01-05``, ``2024-1-5``, ``2024/01/05``, ``2024年1月5日`` or
``20240105``, sometimes with full-width digits from a Chinese IME, and a month as ``2024-01``,
``2024/01``, ``2024年1月`` or ``202401``. These are variations, not defects: staging
(``util.try_date`` in ``dbt_project/macros/safe_casts.sql``) reads them all, so validation must accept
them too. What it must reject is a date no calendar has: month 00 or 13, day 00 or 32, 30 February,
31 April, 29 February outside a leap year.

Vectorised: Arrow's regular expressions (one per format) and numpy month lengths check a batch of a
few hundred thousand rows without a Python call per value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DATE_PATTERNS", "MONTH_PATTERNS", "is_valid_date", "valid_dates"]

_FOLD_PAIRS = (*((chr(0xFF10 + d), str(d)) for d in range(10)), ("／", "/"), ("－", "-"), ("\u3000", " "))

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


def _parts(text: pa.Array, patterns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Year, month (and day) of each value as float arrays, from the first pattern it matches; NaN
    where none does."""
    found = {g: np.full(len(text), np.nan) for g in ("y", "m", "d")}
    for pattern in patterns:
        matched = pc.extract_regex(text, f"^{pattern}$")
        groups = {
            g: pc.cast(pc.struct_field(matched, g), pa.float64()).to_numpy(zero_copy_only=False)
            for g in found
            if matched.type.get_field_index(g) >= 0
        }
        take = np.isnan(found["y"]) & ~np.isnan(groups["y"])
        for g, values in groups.items():
            found[g][take] = values[take]
    return found


def _folded(values: pd.Series) -> pa.Array:
    """The values as an Arrow string array, full-width digits and separators folded, spaces trimmed
    (Arrow's regular expressions, RE2 in C++, read only ASCII digits)."""
    text = pa.array(values.astype(str), type=pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if not pc.all(pc.string_is_ascii(text)).as_py():
        for wide, narrow in _FOLD_PAIRS:
            text = pc.replace_substring(text, wide, narrow)
    return pc.utf8_trim_whitespace(text)


def valid_dates(values: pd.Series, *, month: bool = False) -> pd.Series:
    """True for each value that is a real calendar day (or month, with ``month``) in an accepted
    format, False otherwise; missing values are True (whether a value must be there is another check)."""
    missing = values.isna().to_numpy()
    parts = _parts(_folded(values[~missing]), MONTH_PATTERNS if month else DATE_PATTERNS)
    year, mon = parts["y"], parts["m"]
    ok = ~np.isnan(year) & (year >= 1) & (mon >= 1) & (mon <= 12)
    if not month:
        day = parts["d"]
        y = np.where(ok, year, 2000).astype(np.int64)
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        length = _DAYS_IN_MONTH[np.where(ok, mon, 1).astype(np.int64)] + ((mon == 2) & leap)
        ok &= (day >= 1) & (day <= length)
    out = np.ones(len(values), dtype=bool)
    out[~missing] = ok
    return pd.Series(out, index=values.index, dtype=bool)


def is_valid_date(value: Any, *, month: bool = False) -> bool:
    """One value of :func:`valid_dates` (``None`` is True: presence is checked elsewhere)."""
    return bool(valid_dates(pd.Series([value], dtype=object), month=month).iloc[0])
