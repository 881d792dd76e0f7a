"""Market Regulation: the enterprise register, business licences and food business licences.

The department drops files into its inbox: the register as CSV in GB18030
with a byte-order mark (as exported by its Windows tools), business licences
as an Excel workbook, food business licences as JSON Lines. One row per
enterprise and licence of :mod:`silobreak.city.enterprises`; each names its
legal representative, a resident. From day 2 the register export gains an
``email`` column (schema drift).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city import lexicon, vocab
from silobreak.city.arrays import (
    IntArray,
    ObjArray,
    base_day,
    digits,
    event_times,
    iso_dates,
    text_column,
    window_times,
)
from silobreak.city.enterprises import STATUSES, _addresses
from silobreak.city.tables import Batch, TableModel, TableSpec
from silobreak.city.variation import toneless_pinyin
from silobreak.city.world import World

__all__ = [
    "BUSINESS_LICENCES",
    "DRIFT_DAY",
    "ENTERPRISES",
    "FOOD_BUSINESS_LICENCES",
    "BusinessLicences",
    "EnterpriseRegister",
    "FoodBusinessLicences",
]

DRIFT_DAY = 2
"""From this day on, the register's export has an ``email`` column."""

ENTERPRISES = TableSpec(
    department="market_regulation",
    entity="enterprises",
    key="registration_no",
    delivery="file",
    file_format="csv",
    encoding="gb18030",
    bom=True,
    columns=(
        ("registration_no", "text"),
        ("credit_code", "text"),
        ("name", "text"),
        ("type", "text"),
        ("legal_representative", "text"),
        ("legal_representative_id_card_no", "text"),
        ("registered_address", "text"),
        ("registered_capital", "numeric"),
        ("established_date", "text"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("enterprise_id", "legal_representative_person_id"),
    defects={
        "bad_check_digit": ("credit_code", "legal_representative_id_card_no"),
        "impossible_date": ("established_date",),
        "missing_required": ("name", "legal_representative", "credit_code"),
        "out_of_domain": ("type",),
        "duplicate": (),
    },
    variations=(
        ("homophone_name", "legal_representative", 0.01),
        ("traditional_chars", "legal_representative", 0.01),
        ("lowercase_x", "legal_representative_id_card_no", 0.01),
        ("fullwidth_digits", "legal_representative_id_card_no", 0.01),
        ("date_format", "established_date", 0.05),
        ("address_format", "registered_address", 0.03),
        ("stray_space", "credit_code", 0.01),
        ("lowercase", "credit_code", 0.005),
    ),
    value_kinds={
        "credit_code": "credit_code",
        "legal_representative_id_card_no": "resident_id",
        "established_date": "date",
    },
    domains={"type": lexicon.ENTERPRISE_TYPES, "status": STATUSES},
    bogus={"type": lexicon.BOGUS_ENTERPRISE_TYPES},
    update_rate=0.004,
)

BUSINESS_LICENCES = TableSpec(
    department="market_regulation",
    entity="business_licences",
    key="licence_no",
    delivery="file",
    file_format="xlsx",
    encoding=None,
    columns=(
        ("licence_no", "text"),
        ("credit_code", "text"),
        ("enterprise_name", "text"),
        ("legal_representative", "text"),
        ("enterprise_type", "text"),
        ("registered_capital", "numeric"),
        ("business_scope", "text"),
        ("issue_date", "text"),
        ("valid_until", "text"),
        ("issuing_authority", "text"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("enterprise_id", "legal_representative_person_id"),
    defects={
        "bad_check_digit": ("credit_code",),
        "impossible_date": ("issue_date",),
        "missing_required": ("credit_code", "enterprise_name"),
        "out_of_domain": ("status",),
        "duplicate": (),
    },
    variations=(
        ("date_format", "issue_date", 0.08),
        ("short_name", "enterprise_name", 0.02),
        ("homophone_name", "legal_representative", 0.01),
        ("traditional_chars", "legal_representative", 0.01),
        ("lowercase", "credit_code", 0.01),
        ("stray_space", "credit_code", 0.01),
    ),
    value_kinds={"credit_code": "credit_code", "issue_date": "date"},
    domains={"status": lexicon.LICENCE_STATUSES, "enterprise_type": lexicon.ENTERPRISE_TYPES},
    bogus={"status": lexicon.BOGUS_LICENCE_STATUSES},
    update_rate=0.003,
)

FOOD_BUSINESS_LICENCES = TableSpec(
    department="market_regulation",
    entity="food_business_licences",
    key="licence_no",
    delivery="file",
    file_format="jsonl",
    encoding="utf-8",
    columns=(
        ("licence_no", "text"),
        ("credit_code", "text"),
        ("operator_name", "text"),
        ("legal_representative", "text"),
        ("premises_address", "text"),
        ("main_business", "text"),
        ("business_items", "text"),
        ("valid_from", "text"),
        ("valid_to", "text"),
        ("issuing_authority", "text"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("enterprise_id", "legal_representative_person_id"),
    defects={
        "bad_check_digit": ("credit_code",),
        "impossible_date": ("valid_from", "valid_to"),
        "missing_required": ("premises_address", "credit_code"),
        "out_of_domain": ("main_business",),
        "duplicate": (),
    },
    variations=(
        ("date_format", "valid_from", 0.04),
        ("date_format", "valid_to", 0.02),
        ("address_format", "premises_address", 0.05),
        ("short_name", "operator_name", 0.03),
        ("homophone_name", "legal_representative", 0.01),
    ),
    value_kinds={"credit_code": "credit_code", "valid_from": "date", "valid_to": "date"},
    domains={"main_business": lexicon.FOOD_MAIN_BUSINESS, "status": ("有效", "已注销")},
    bogus={"main_business": lexicon.BOGUS_FOOD_MAIN_BUSINESS},
    update_rate=0.004,
)

_LICENCE_YEARS_DAYS = 5 * 365
_AUTHORITIES = np.array(
    [f"深圳市市场监督管理局{d.name.removesuffix('区')}监管局" for d in vocab.DISTRICTS], dtype=object
)
_DISTRICT_CODES = np.array([int(d.code) for d in vocab.DISTRICTS], dtype=np.int64)
_STATUS_TEXT = np.array(STATUSES, dtype=object)
_LICENCE_STATUS_TEXT = np.array(lexicon.LICENCE_STATUSES, dtype=object)
_SCOPES = np.array([lexicon.BUSINESS_SCOPES[k] for k in range(3)], dtype=object)


def _new_on(world: World, day: int) -> IntArray:
    """Enterprises registered on ``day`` (0: every enterprise of day 0)."""
    out: IntArray = np.flatnonzero(world.enterprises.created_day == day)
    return out


def _representative(world: World, enterprise: IntArray) -> IntArray:
    out: IntArray = world.enterprises.representative[enterprise]
    return out


def _times(rng: np.random.Generator, day: int, event_day: IntArray) -> tuple[IntArray, IntArray]:
    return event_times(rng, event_day) if day == 0 else window_times(rng, day, event_day.size)


class EnterpriseRegister(TableModel):
    spec = ENTERPRISES

    def _batch(self, world: World, rng: np.random.Generator, day: int) -> Batch:
        enterprises = world.enterprises
        e = _new_on(world, day)
        rep = _representative(world, e)
        population = world.population
        created, updated = _times(rng, day, enterprises.established_day[e])
        return Batch(
            columns={
                "credit_code": enterprises.credit_code[e],
                "name": enterprises.name[e],
                "type": enterprises.type_text[e],
                "legal_representative": population.name_text[rep],
                "legal_representative_id_card_no": population.id_text[rep],
                "registered_address": enterprises.address[e],
                "registered_capital": enterprises.capital[e],
                "established_date": iso_dates(enterprises.established_day[e]),
                "status": _STATUS_TEXT[enterprises.status[e]],
            },
            refs={"enterprise_id": e, "legal_representative_person_id": rep},
            created=created,
            updated=updated,
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        return self._batch(world, rng, 0)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        return self._batch(world, rng, day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Deregistered, moved, or capital changed."""
        status = rows["status"].to_numpy(dtype=object, copy=True)
        capital = rows["registered_capital"].to_numpy(dtype=np.float64, copy=True)
        what = rng.integers(0, 3, status.size)
        status[(what == 0) & (status == "存续")] = "注销"
        capital[what == 1] = np.round(capital[what == 1] * rng.choice([2.0, 5.0, 10.0], int((what == 1).sum())), 1)
        address = rows["registered_address"].to_numpy(dtype=object, copy=True)
        moved = np.flatnonzero(what == 2)
        district = world.rng("moves", day).integers(0, len(vocab.DISTRICTS), moved.size)
        address[moved] = _addresses(rng, np.zeros(moved.size, dtype=np.bool_), district)
        return {"status": status, "registered_capital": capital, "registered_address": address}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        """Registration numbers: 4403 and 11 digits, in order of registration."""
        return text_column(digits(serial, 11, prefix="4403"))

    def present(self, world: World, records: pd.DataFrame, truth: pd.DataFrame, day: int) -> pd.DataFrame:
        if day < DRIFT_DAY:
            return records
        out = records.copy()
        ids = truth["enterprise_id"].to_numpy(dtype=object)
        out["email"] = pd.Series(
            [_email(world, int(i[1:]) - 1) if isinstance(i, str) else None for i in ids], dtype=object
        )
        return out


def _email(world: World, enterprise: int) -> str:
    """A contact address from the trade name's pinyin, e.g. tengfei2019@163.com."""
    enterprises = world.enterprises
    brand = toneless_pinyin(str(enterprises.brand[enterprise]))
    year = str(np.datetime64(int(enterprises.established_day[enterprise]), "D"))[:4]
    domains = ("163.com", "qq.com", "126.com", "sina.com", f"{brand}.com.cn")
    domain = domains[enterprise % len(domains)]
    return f"{brand}{year}@{domain}" if domain != domains[-1] else f"info@{domain}"


class BusinessLicences(TableModel):
    spec = BUSINESS_LICENCES

    def _batch(self, world: World, rng: np.random.Generator, day: int) -> Batch:
        enterprises = world.enterprises
        e = _new_on(world, day)
        rep = _representative(world, e)
        established = enterprises.established_day[e]
        reissued = rng.random(e.size) < 0.3  # a change of name, address or capital prints a new licence
        issue = np.where(
            reissued & (day == 0),
            established + np.floor(rng.random(e.size) * np.maximum(base_day() - 1 - established, 0)).astype(np.int64),
            established,
        )
        scope = np.where(enterprises.food[e] == 2, 2, np.where(enterprises.food[e] == 1, 1, 0))
        created, updated = _times(rng, day, issue)
        return Batch(
            columns={
                "credit_code": enterprises.credit_code[e],
                "enterprise_name": enterprises.name[e],
                "legal_representative": world.population.name_text[rep],
                "enterprise_type": enterprises.type_text[e],
                "registered_capital": enterprises.capital[e],
                "business_scope": _SCOPES[scope],
                "issue_date": iso_dates(issue),
                "valid_until": np.full(e.size, "长期", dtype=object),
                "issuing_authority": _AUTHORITIES[enterprises.district[e]],
                "status": _LICENCE_STATUS_TEXT[enterprises.status[e]],
            },
            refs={"enterprise_id": e, "legal_representative_person_id": rep},
            created=created,
            updated=updated,
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        return self._batch(world, rng, 0)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        return self._batch(world, rng, day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Licences cancelled, or reissued on ``day``."""
        status = rows["status"].to_numpy(dtype=object, copy=True)
        issue = rows["issue_date"].to_numpy(dtype=object, copy=True)
        cancel = (rng.random(status.size) < 0.4) & (status == "有效")
        status[cancel] = "已注销"
        issue[~cancel] = iso_dates(np.array([base_day() + day - 1]))[0]
        return {"status": status, "issue_date": issue}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        return text_column(digits(serial, 12, prefix="YZ"))


class FoodBusinessLicences(TableModel):
    spec = FOOD_BUSINESS_LICENCES

    def _batch(self, world: World, rng: np.random.Generator, day: int) -> Batch:
        enterprises = world.enterprises
        e = _new_on(world, day)
        e = e[(enterprises.food[e] > 0) & (enterprises.status[e] == 0)]
        # Some restaurant companies run two premises, each with its own licence.
        second = e[(enterprises.food[e] == 2) & ~enterprises.individual[e] & (rng.random(e.size) < 0.15)]
        e = np.concatenate([e, second])
        rep = _representative(world, e)
        established = enterprises.established_day[e]
        if day == 0:  # licences run five years and are renewed: the current one started within five years
            since = np.maximum(established, base_day() - _LICENCE_YEARS_DAYS)
            start = since + np.floor(rng.random(e.size) * np.maximum(base_day() - 1 - since, 0)).astype(np.int64)
        else:
            start = np.full(e.size, base_day() + day - 1, dtype=np.int64)
        own = enterprises.individual[e] | (np.arange(e.size) < e.size - second.size) & (rng.random(e.size) < 0.8)
        premises = np.where(
            own, enterprises.address[e], _addresses(rng, enterprises.individual[e], enterprises.district[e])
        )
        kind = enterprises.food[e]
        pick = rng.random(e.size)
        items = np.empty(e.size, dtype=object)
        for k, options in enumerate(lexicon.FOOD_ITEMS, 1):
            mine = kind == k
            items[mine] = np.array(options, dtype=object)[(pick[mine] * len(options)).astype(np.int64)]
        created, updated = _times(rng, day, start)
        return Batch(
            columns={
                "credit_code": enterprises.credit_code[e],
                "operator_name": enterprises.name[e],
                "legal_representative": world.population.name_text[rep],
                "premises_address": premises,
                "main_business": np.array(lexicon.FOOD_MAIN_BUSINESS, dtype=object)[kind - 1],
                "business_items": items,
                "valid_from": iso_dates(start),
                "valid_to": iso_dates(start + _LICENCE_YEARS_DAYS - 1),
                "issuing_authority": _AUTHORITIES[enterprises.district[e]],
                "status": np.full(e.size, "有效", dtype=object),
                "_kind": kind,
                "_district": enterprises.district[e],
            },
            refs={"enterprise_id": e, "legal_representative_person_id": rep},
            created=created,
            updated=updated,
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        return self._batch(world, rng, 0)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        return self._batch(world, rng, day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Renewed for five years from ``day``, or cancelled."""
        status = rows["status"].to_numpy(dtype=object, copy=True)
        valid_from = rows["valid_from"].to_numpy(dtype=object, copy=True)
        valid_to = rows["valid_to"].to_numpy(dtype=object, copy=True)
        cancel = rng.random(status.size) < 0.3
        status[cancel] = "已注销"
        today = base_day() + day - 1
        valid_from[~cancel] = iso_dates(np.array([today]))[0]
        valid_to[~cancel] = iso_dates(np.array([today + _LICENCE_YEARS_DAYS - 1]))[0]
        return {"status": status, "valid_from": valid_from, "valid_to": valid_to}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        """JY, the main business (1 sales, 2 catering, 3 canteen), the district, a serial and a check digit.

        The check digit's algorithm is not published; a digit sum stands in for it.
        """
        if not len(batch):
            return np.zeros(0, dtype=object)
        head = np.strings.add(
            np.strings.add("JY", np.asarray(batch.columns["_kind"]).astype(str)),
            digits(_DISTRICT_CODES[batch.columns["_district"]], 6),
        )
        body = np.strings.add(head, digits(serial, max(6, len(str(int(serial.max()) if serial.size else 0)))))
        codes = np.ascontiguousarray(body).view("<u4").reshape(body.size, -1)[:, 2:]
        check = (codes.astype(np.int64) - ord("0")).sum(axis=1) % 10
        return text_column(np.strings.add(body, digits(check, 1)))
