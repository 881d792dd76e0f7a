"""What the matcher compares, computed once per person record.

The warehouse's staging models already fold full-width digits, phones and date formats; here the
record gets its key, a resident ID it can be trusted on (an 18-digit ID with a valid check
character, or a first-generation 15-digit one upgraded), the ID a receipt's masked form
(``440306********123X``) gives back together with the birth date, and the name in simplified
characters and in pinyin.
"""

from __future__ import annotations

import datetime
import re

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from silobreak.identifiers import (
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


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The records with ``unique_id`` (record key), ``trusted_id``, ``id_key``, ``name_s``,
    ``name_py``, ``birth_date``, ``gender`` and ``mobile`` ready for comparison."""
    out = pd.DataFrame(
        {
            "unique_id": [
                record_key(f, r, role)
                for f, r, role in zip(
                    records["source_feed"], records["source_record"], records["source_role"], strict=True
                )
            ]
        }
    )
    trusted = [trusted_resident_id(v) for v in records["resident_id"]]
    births = [_date(v) for v in records["birth_date"]]
    births = [b or (birth_date_from_resident_id(t) if t else None) for b, t in zip(births, trusted, strict=True)]
    genders = [
        _GENDER.get(g) if isinstance(g, str) and g in _GENDER else (gender_from_resident_id(t) if t else None)
        for g, t in zip(records["gender"], trusted, strict=True)
    ]
    names = [normalise_name(v) for v in records["person_name"]]
    out["trusted_id"] = trusted
    out["id_key"] = [
        t or unmasked_resident_id(v, b) for t, v, b in zip(trusted, records["resident_id"], births, strict=True)
    ]
    out["name_s"] = names
    out["name_py"] = [toneless_pinyin(n) for n in names]
    out["surname"] = [n[0] if n else None for n in names]
    out["birth_date"] = [b.isoformat() if b else None for b in births]
    out["gender"] = genders
    out["mobile"] = [m if isinstance(m, str) and m else None for m in records["mobile"]]
    return out
