"""Defects: what makes a source record wrong, injected at a known rate and recorded by kind.

Unlike a variation, a defect breaks a rule the pipeline must check: a check
character that does not match (GB 11643 or GB 32100), a date no calendar has,
a required field left empty, a code outside its list, the same thing entered
twice. Each kind is an ``eligible`` test and an ``apply`` function over the
values of one column, given what the column holds (its *value kind*).
Duplicates are whole extra rows and are made by :mod:`silobreak.city.tables`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from silobreak.city.arrays import BoolArray, ObjArray
from silobreak.city.residents import _impossible_dates
from silobreak.identifiers import CREDIT_CODE_ALPHABET, RESIDENT_ID_CHECK_CHARS, resident_id_check_char

__all__ = ["DEFECTS", "DEFECT_KINDS", "Defect"]

#: The defect kinds of the departments' tables (the household register keeps
#: its own finer names, see :data:`silobreak.city.residents.DEFECT_KINDS`).
DEFECT_KINDS: tuple[str, ...] = (
    "bad_check_digit",
    "impossible_date",
    "missing_required",
    "out_of_domain",
    "duplicate",
)


@dataclass(frozen=True)
class Defect:
    """How to break a value: which values can be broken, and how (given the column's value kind)."""

    eligible: Callable[[ObjArray, str], BoolArray]
    apply: Callable[[ObjArray, str, np.random.Generator, Sequence[str]], ObjArray]


def _mask(values: ObjArray, test: Callable[[str], bool]) -> BoolArray:
    return np.fromiter((isinstance(v, str) and test(v) for v in values), dtype=np.bool_, count=len(values))


def _out(values: list[str | None]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _is_resident_id(v: str) -> bool:
    return len(v) == 18 and v[:17].isdigit() and v[17] in RESIDENT_ID_CHECK_CHARS


def _bad_check_eligible(values: ObjArray, kind: str) -> BoolArray:
    if kind == "resident_id":
        return _mask(values, _is_resident_id)
    if kind == "credit_code":
        return _mask(values, lambda v: len(v) == 18 and all(c in CREDIT_CODE_ALPHABET for c in v))
    raise ValueError(f"no check character in a {kind!r} column")


def _bad_check_apply(values: ObjArray, kind: str, rng: np.random.Generator, bogus: Sequence[str]) -> ObjArray:
    """Another check character than the right one (the right one was there before)."""
    chars = RESIDENT_ID_CHECK_CHARS if kind == "resident_id" else CREDIT_CODE_ALPHABET
    shift = rng.integers(1, len(chars), len(values)).tolist()
    return _out([v[:17] + chars[(chars.index(v[17]) + s) % len(chars)] for v, s in zip(values, shift, strict=True)])


def _date_eligible(values: ObjArray, kind: str) -> BoolArray:
    if kind == "date":
        return _mask(values, lambda v: len(v) == 10 and v[4] == "-" and v[7] == "-")
    if kind == "month":
        return _mask(values, lambda v: len(v) == 7 and v[4] == "-")
    if kind == "resident_id":
        return _mask(values, _is_resident_id)
    raise ValueError(f"no date in a {kind!r} column")


def _date_apply(values: ObjArray, kind: str, rng: np.random.Generator, bogus: Sequence[str]) -> ObjArray:
    """Month 13 or 00, February 30, April 31, day 00 or 32; in an ID, with a recomputed check character."""
    if kind == "month":
        months = rng.choice(["13", "00"], len(values)).tolist()
        return _out([v[:5] + m for v, m in zip(values, months, strict=True)])
    if kind == "date":
        ymd = np.array([int(v[:4] + v[5:7] + v[8:10]) for v in values], dtype=np.int64)
        bad = _impossible_dates(rng, ymd).tolist()
        return _out([f"{b // 10000:04d}-{b // 100 % 100:02d}-{b % 100:02d}" for b in bad])
    ymd = np.array([int(v[6:14]) for v in values], dtype=np.int64)
    out: list[str | None] = []
    for v, b in zip(values, _impossible_dates(rng, ymd).tolist(), strict=True):
        first17 = f"{v[:6]}{b:08d}{v[14:17]}"
        out.append(first17 + resident_id_check_char(first17))
    return _out(out)


def _present(values: ObjArray, kind: str) -> BoolArray:
    out: BoolArray = np.asarray((values != None) & (values != ""), dtype=np.bool_)  # noqa: E711 - elementwise
    return out


def _missing(values: ObjArray, kind: str, rng: np.random.Generator, bogus: Sequence[str]) -> ObjArray:
    return _out([None] * len(values))


def _out_of_domain(values: ObjArray, kind: str, rng: np.random.Generator, bogus: Sequence[str]) -> ObjArray:
    if not bogus:
        raise ValueError("out_of_domain needs the column's out-of-domain values")
    return _out([bogus[i] for i in rng.integers(0, len(bogus), len(values)).tolist()])


def _flip_gender(values: ObjArray, kind: str, rng: np.random.Generator, bogus: Sequence[str]) -> ObjArray:
    return _out(["女" if v == "男" else "男" for v in values])


_BAD_CHECK = Defect(_bad_check_eligible, _bad_check_apply)
_IMPOSSIBLE_DATE = Defect(_date_eligible, _date_apply)
_MISSING = Defect(_present, _missing)

#: Every kind of defect applied to a column, by the name recorded in the truth
#: (the household register's own kinds included, so its new rows use them too).
DEFECTS: dict[str, Defect] = {
    "bad_check_digit": _BAD_CHECK,
    "impossible_date": _IMPOSSIBLE_DATE,
    "impossible_birth_date": _IMPOSSIBLE_DATE,
    "missing_required": _MISSING,
    "missing_id": _MISSING,
    "missing_name": _MISSING,
    "out_of_domain": Defect(_present, _out_of_domain),
    "gender_mismatch": Defect(lambda values, kind: _mask(values, lambda v: v in ("男", "女")), _flip_gender),
}
