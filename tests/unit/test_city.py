"""The synthetic city: six departments' sources, their overlap, defects, variations, days and truth.

The pipeline's tests and benchmarks score themselves against the truth, so the
generator must inject exactly what the truth says; these tests pin that on a
small city (no services needed).
"""

from __future__ import annotations

import datetime
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import opencc
import pandas as pd
import pytest
from pypinyin import Style, lazy_pinyin

from silobreak.city import vocab
from silobreak.city.defects import DEFECT_KINDS
from silobreak.city.generate import MODELS, generate_city
from silobreak.city.model import City, SourceTable
from silobreak.city.overlap import department_counts, overlap_distribution, references
from silobreak.city.residents import generate_residents
from silobreak.city.writers import file_bytes, inbox_object_name
from silobreak.identifiers import (
    PROBLEM_BAD_BIRTH_DATE,
    PROBLEM_BAD_CHECK_CHAR,
    credit_code_problems,
    is_valid_credit_code,
    is_valid_resident_id,
    normalise_credit_code,
    normalise_mobile,
    normalise_resident_id,
    resident_id_problems,
    upgrade_15_digit_id,
)

SCALE = 1500
SEED = 11
TODAY = datetime.date(2026, 11, 1)
SPECS = {f"{m.spec.department}.{m.spec.entity}": m.spec for m in MODELS}
NEW_TABLES = [name for name in SPECS if name != "public_security.residents"]
ID_DEFECTS_OF_RESIDENTS = {"bad_check_digit", "impossible_birth_date", "missing_id"}
SHENZHEN = {d.code for d in vocab.DISTRICTS}


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(SCALE, seed=SEED)


@pytest.fixture(scope="module")
def day1() -> City:
    return generate_city(SCALE, seed=SEED, day=1)


@pytest.fixture(scope="module")
def day2() -> City:
    return generate_city(SCALE, seed=SEED, day=2)


@pytest.fixture(scope="module")
def persons(day2: City) -> pd.DataFrame:
    return day2.persons.set_index("person_id")  # everyone of day 0, and the babies since


@pytest.fixture(params=["city", "day2"])
def any_day(request: pytest.FixtureRequest) -> City:
    """Day 0, and day 2 (after two days of updates, inserts and deletes the truth must still hold)."""
    found: City = request.getfixturevalue(request.param)
    return found


def joined(table: SourceTable) -> pd.DataFrame:
    return table.records.merge(table.truth, on=table.key, validate="1:1", suffixes=("", "_truth"))


def id_columns(table: SourceTable) -> list[str]:
    return [c for c in table.records.columns if c.endswith("id_card_no")]


def person_ref(table: SourceTable, column: str) -> str:
    """The truth column naming the person whose ID or name is in ``column``."""
    for prefix in ("husband", "wife", "legal_representative"):
        if column.startswith(prefix):
            return f"{prefix}_person_id"
    return "person_id"


# --------------------------------------------------------------------------
# Shape.
# --------------------------------------------------------------------------


def test_the_six_departments_and_their_sources(city: City) -> None:
    shape = {t.name: (t.delivery, t.file_format, t.encoding, t.bom) for t in city.tables}
    assert shape == {
        "public_security.residents": ("postgres", None, None, False),
        "human_resources.settlement_applications": ("postgres", None, None, False),
        "human_resources.social_insurance": ("postgres", None, None, False),
        "market_regulation.enterprises": ("file", "csv", "gb18030", True),
        "market_regulation.business_licences": ("file", "xlsx", None, False),
        "market_regulation.food_business_licences": ("file", "jsonl", "utf-8", False),
        "traffic_police.accidents": ("api", None, None, False),
        "health.vaccinations": ("file", "csv", "gbk", False),
        "health.clinic_visits": ("file", "jsonl", "utf-8", False),
        "civil_affairs.marriages": ("postgres", None, None, False),
        "civil_affairs.subsidies": ("postgres", None, None, False),
    }
    assert {t.department for t in city.tables} == {
        "public_security",
        "human_resources",
        "market_regulation",
        "traffic_police",
        "health",
        "civil_affairs",
    }
    assert city.table("health__vaccinations") is city.table("health.vaccinations")
    assert all(len(t.records) > 0 for t in city.tables)


def test_keys_are_unique_and_truth_is_aligned_and_apart(city: City) -> None:
    for table in city.tables:
        records, truth = table.records, table.truth
        assert records[table.key].is_unique, table.name
        assert records[table.key].notna().all(), table.name
        assert (records[table.key].to_numpy() == truth[table.key].to_numpy()).all(), table.name
        assert list(records.columns) == list(table.column_types), table.name
        assert records.columns[-1] == "updated_at"
        # The truth never leaks into the records.
        assert not {"person_id", "enterprise_id", "defect", "variation"} & set(records.columns), table.name
        refs = [c for c in truth.columns if c.endswith(("person_id", "enterprise_id"))]
        assert refs, table.name
        for column in ("defect", "defect_column", "variation", "variation_column", "first_day", "last_day"):
            assert column in truth.columns, (table.name, column)


def test_records_are_typed_as_declared(city: City) -> None:
    for table in city.tables:
        for column, kind in table.column_types.items():
            values = table.records[column]
            if kind == "timestamptz":
                assert str(values.dt.tz) == "Asia/Shanghai", (table.name, column)
            elif kind == "date":
                assert values.dropna().map(type).eq(datetime.date).all(), (table.name, column)
            elif kind == "text":
                assert values.map(lambda v: v is None or type(v) is str).all(), (table.name, column)
            elif kind == "boolean":
                assert values.dtype == bool, (table.name, column)
            elif kind in ("integer", "numeric"):
                assert pd.api.types.is_numeric_dtype(values), (table.name, column)


def test_the_register_is_unchanged_on_day_0(city: City) -> None:
    residents = generate_residents(SCALE, seed=SEED, today=TODAY)
    table = city.table("public_security.residents")
    pd.testing.assert_frame_equal(table.records, residents.records)
    pd.testing.assert_frame_equal(table.truth[list(residents.truth.columns)], residents.truth)


def test_updated_at_is_before_day_0(city: City) -> None:
    for table in city.tables:
        assert table.records["updated_at"].max() < pd.Timestamp(TODAY, tz="Asia/Shanghai"), table.name


def test_records_per_resident_are_realistic(city: City) -> None:
    counts = {t.name: len(t.records) for t in city.tables}
    assert counts["public_security.residents"] == SCALE
    assert 3 * SCALE < city.record_count < 8 * SCALE
    assert counts["market_regulation.business_licences"] == counts["market_regulation.enterprises"]
    assert counts["health.clinic_visits"] > counts["civil_affairs.marriages"] > 0


# --------------------------------------------------------------------------
# Identifiers.
# --------------------------------------------------------------------------


def _canonical_id(value: str) -> str:
    canonical = normalise_resident_id(value) or ""
    return upgrade_15_digit_id(canonical) if len(canonical) == 15 else canonical


def test_resident_ids_are_valid_unless_defective(any_day: City, persons: pd.DataFrame) -> None:
    checked = 0
    for table in any_day.tables:
        rows = joined(table)
        for column in id_columns(table):
            if table.name == "public_security.residents":
                clean = rows[~rows["defect"].isin(ID_DEFECTS_OF_RESIDENTS)]
            else:
                clean = rows[rows["defect_column"] != column]
            clean = clean[clean[column].notna() & (clean["variation"] != "partial_id")]
            canonical = clean[column].map(_canonical_id)
            assert canonical.map(lambda v: is_valid_resident_id(v, today=TODAY)).all(), (table.name, column)
            # ... and they are the person's real ID.
            true_ids = persons.loc[clean[person_ref(table, column)], "id_card_no"].to_numpy()
            assert (canonical.to_numpy() == true_ids).all(), (table.name, column)
            checked += len(clean)
    assert checked > SCALE


def test_credit_codes_are_valid_unless_defective(any_day: City) -> None:
    enterprises = any_day.enterprises.set_index("enterprise_id")
    for table in any_day.tables:
        rows = joined(table)
        for column in [c for c in table.records.columns if c.endswith("credit_code")]:
            clean = rows[(rows["defect_column"] != column) & rows[column].notna()]
            canonical = clean[column].map(normalise_credit_code)
            assert canonical.map(lambda v: is_valid_credit_code(v, check_organisation_code=False)).all()
            companies = canonical[canonical.str.startswith("91")]
            assert companies.map(is_valid_credit_code).all(), (table.name, column)
            ref = "employer_enterprise_id" if column.startswith("employer") else "enterprise_id"
            assert (canonical.to_numpy() == enterprises.loc[clean[ref], "credit_code"].to_numpy()).all()
    codes = any_day.enterprises["credit_code"]
    assert codes.is_unique and any_day.enterprises["name"].is_unique
    assert codes.str.fullmatch(r"9[12]4403\d\d[0-9A-HJ-NP-RTUW-Y]{10}").all()
    assert set(codes.str[:2]) == {"91", "92"}
    assert codes[codes.str.startswith("92")].size > 0.1 * codes.size
    assert codes.str[8:11].eq("MA5").any(), "codes issued after the 2015 reform"


def test_enterprise_names_follow_the_registration_rules(city: City) -> None:
    names = city.enterprises["name"]
    individual = city.enterprises["individual_business"]
    assert names.str.startswith("深圳市").all()
    assert names[~individual].str.endswith("有限公司").all()
    district = "|".join(d.name for d in vocab.DISTRICTS)
    assert names[individual].str.match(rf"深圳市({district})").all()


# --------------------------------------------------------------------------
# Defects.
# --------------------------------------------------------------------------


def _date_is_impossible(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return True
    return False


def test_defects_break_exactly_what_they_say(any_day: City) -> None:
    for name in NEW_TABLES:
        table = any_day.table(name)
        spec = SPECS[name]
        rows = joined(table)
        for _, row in rows[rows["defect"].notna() & (rows["defect"] != "duplicate")].iterrows():
            kind, column = row["defect"], row["defect_column"]
            assert column in spec.defects[kind], (name, kind, column)
            value = row[column]
            value_kind = spec.value_kinds.get(column, "text")
            if kind == "bad_check_digit" and value_kind == "resident_id":
                assert resident_id_problems(value, today=TODAY) == ["bad_check_digit"], (name, value)
            elif kind == "bad_check_digit":
                assert PROBLEM_BAD_CHECK_CHAR in credit_code_problems(value), (name, value)
            elif kind == "impossible_date" and value_kind == "resident_id":
                assert resident_id_problems(value, today=TODAY) == [PROBLEM_BAD_BIRTH_DATE], (name, value)
            elif kind == "impossible_date" and value_kind == "month":
                assert not 1 <= int(value[5:7]) <= 12, (name, value)
            elif kind == "impossible_date":
                assert _date_is_impossible(value), (name, value)
            elif kind == "missing_required":
                assert value is None, (name, column)
            elif kind == "out_of_domain":
                assert value not in spec.domains[column], (name, value)
                assert value in spec.bogus[column], (name, value)
        # Clean rows stay within the domains.
        clean = rows[rows["defect"].isna()]
        for column, domain in spec.domains.items():
            assert clean[column].dropna().isin(domain).all(), (name, column)


def test_duplicates_are_the_same_entity_entered_again(city: City) -> None:
    for name in NEW_TABLES:
        table = city.table(name)
        rows = joined(table)
        refs = [c for c in table.truth.columns if c.endswith(("person_id", "enterprise_id"))]
        duplicates = rows[rows["defect"] == "duplicate"]
        assert len(duplicates) > 0 or len(rows) < 100, name
        compared = [c for c in table.records.columns if c not in (table.key, "updated_at", "accident_no")]
        originals = rows[rows["defect"].isna() & rows["variation"].isna()]
        for _, row in duplicates.iterrows():
            same = originals
            for ref in refs:
                same = same[same[ref].eq(row[ref]) | (same[ref].isna() & pd.isna(row[ref]))]
            matches = [
                all(o[c] == row[c] or (pd.isna(o[c]) and pd.isna(row[c])) for c in compared) for _, o in same.iterrows()
            ]
            assert any(matches), (name, row[table.key])


@pytest.mark.parametrize("rate", [0.03, 0.12])
def test_each_defect_kind_at_its_rate(rate: float) -> None:
    city = generate_city(SCALE, seed=3, defect_rate=rate)
    total: dict[str, int] = {}
    rows = 0
    for name in NEW_TABLES:
        truth = city.table(name).truth
        kinds = list(SPECS[name].defects)
        counts = truth["defect"].value_counts()
        expected = len(truth) * rate / len(kinds)
        for kind in kinds:
            # Per table: within rounding and the few rows a kind could not apply to.
            assert abs(counts.get(kind, 0) - expected) <= max(2.0, 0.15 * expected), (name, kind, counts.to_dict())
            total[kind] = total.get(kind, 0) + int(counts.get(kind, 0))
        rows += len(truth)
    assert set(total) == set(DEFECT_KINDS)
    assert sum(total.values()) / rows == pytest.approx(rate, rel=0.1)
    clean = generate_city(300, seed=3, defect_rate=0.0)
    assert all(t.truth["defect"].isna().all() for t in clean.tables)


# --------------------------------------------------------------------------
# Variations.
# --------------------------------------------------------------------------

_T2S = opencc.OpenCC("t2s")


def _pinyin(name: str) -> list[str]:
    """Each character's own reading (a phrase reading would apply context, e.g. 一 in 一成)."""
    return [lazy_pinyin(c, style=Style.TONE)[0] for c in name]


def _date_text(value: str) -> str:
    """Any of the date formats back to ISO."""
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?", value):
        y, mo, d = m.groups()
        return f"{y}-{int(mo):02d}" + (f"-{int(d):02d}" if d else "")
    if m := re.fullmatch(r"(\d{4})/(\d{2})(?:/(\d{2}))?", value):
        return "-".join(g for g in m.groups() if g)
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})?", value):
        return "-".join(g for g in m.groups() if g)
    raise AssertionError(value)


def _checks(true_value: Any) -> dict[str, Callable[[str], bool]]:
    return {
        "homophone_name": lambda v: v != true_value and len(v) == len(true_value) and _pinyin(v) == _pinyin(true_value),
        "similar_char_name": lambda v: v != true_value and len(v) == len(true_value) and v[0] == true_value[0],
        "traditional_chars": lambda v: v != true_value and _T2S.convert(v) == _T2S.convert(true_value),
        "stray_space": lambda v: " " in v and v.replace(" ", "") == true_value,
        "fullwidth_digits": lambda v: v != true_value and unicodedata.normalize("NFKC", v) == true_value,
        "lowercase_x": lambda v: v.endswith("x") and v.upper() == true_value,
        "lowercase": lambda v: v != true_value and v.upper() == true_value,
        "old_15_digit_id": lambda v: len(v) == 15 and upgrade_15_digit_id(v) == true_value,
        "partial_id": lambda v: v[:6] == true_value[:6] and v[-4:] == true_value[-4:] and "*" in v,
        "phone_format": lambda v: v != true_value and normalise_mobile(v) == true_value,
        "date_format": lambda v: v != true_value and _date_text(v) == true_value,
        "short_name": lambda v: v != true_value and v.removeprefix("深圳") == true_value.removeprefix("深圳市"),
        "address_format": lambda v: (
            v != true_value and len({c for c in v if c.isdigit()} ^ {c for c in true_value if c.isdigit()}) == 0
        ),
        "plate_format": lambda v: v != true_value and v.upper().replace(" ", "") == true_value.replace("·", ""),
    }


def test_variations_are_the_same_entity_written_differently(any_day: City, persons: pd.DataFrame) -> None:
    enterprises = any_day.enterprises.set_index("enterprise_id")
    seen: set[str] = set()
    for name in NEW_TABLES:
        table = any_day.table(name)
        spec = SPECS[name]
        rows = joined(table)
        varied = rows[rows["variation"].notna()]
        assert varied["defect"].isna().all(), name
        declared = {(k, c) for k, c, _ in spec.variations}
        declared |= {(k, "mobile_phone") for k, c in declared if c == "phone"}  # renamed from day 2
        for _, row in varied.iterrows():
            kind, column = row["variation"], row["variation_column"]
            assert (kind, column) in declared, (name, kind, column)
            seen.add(kind)
            value = row[column]
            if kind == "missing_id":
                assert value is None
                continue
            # What the value would have been without the variation.
            if column.endswith("id_card_no"):
                true_value = persons.loc[row[person_ref(table, column)], "id_card_no"]
            elif column.endswith("name") and column in ("employer_name", "operator_name", "enterprise_name"):
                ref = "employer_enterprise_id" if column == "employer_name" else "enterprise_id"
                true_value = enterprises.loc[row[ref], "name"]
            elif column.endswith("name") or column == "legal_representative":
                true_value = persons.loc[row[person_ref(table, column)], "name"]
            elif column.endswith("credit_code"):
                ref = "employer_enterprise_id" if column.startswith("employer") else "enterprise_id"
                true_value = enterprises.loc[row[ref], "credit_code"]
            elif column in ("phone", "mobile_phone"):
                true_value = persons.loc[row["person_id"], "phone"]
            elif column == "birth_date":
                true_value = persons.loc[row["person_id"], "birth_date"].isoformat()
            else:
                continue  # dates, addresses and plates of the record itself: checked by shape below
            assert _checks(true_value)[kind](value), (name, kind, column, value, true_value)
        for kind in ("date_format", "address_format", "plate_format"):
            for _, row in varied[varied["variation"] == kind].iterrows():
                value = row[row["variation_column"]]
                if kind == "date_format":
                    assert _date_text(value)
                elif kind == "address_format":
                    assert not value.startswith("深圳市") or "街道" not in value
                else:
                    assert "·" not in value
    if any_day.day == 0:  # later files hold a day's changes only: too few rows for every kind
        expected = {k for m in MODELS for k, _, _ in m.spec.variations} - {"id_space", "name_space"}
        assert seen == expected


def test_health_records_often_lack_the_id(city: City) -> None:
    for name in ("health.vaccinations", "health.clinic_visits"):
        ids = city.table(name).records["id_card_no"]
        assert 0.3 < ids.isna().mean() < 0.5, name
        assert ids.dropna().str.contains(r"\*").mean() > 0.05, name


# --------------------------------------------------------------------------
# Who is where.
# --------------------------------------------------------------------------


def test_every_adult_resident_is_known_to_three_to_five_departments(city: City) -> None:
    distribution = overlap_distribution(city)
    assert set(distribution.index) <= {3, 4, 5}
    shares = distribution / distribution.sum()
    assert shares[3] == pytest.approx(0.40, abs=0.05)
    assert shares[4] == pytest.approx(0.38, abs=0.05)
    assert shares[5] == pytest.approx(0.22, abs=0.05)
    counts = department_counts(city)
    children = counts[counts["resident"] & ~counts["adult"]]
    assert children["departments"].between(1, 3).all()
    assert (children["departments"] >= 2).mean() > 0.9, "most children have vaccination records"


def test_legal_representatives_are_adult_residents(city: City, persons: pd.DataFrame) -> None:
    residents = set(city.table("public_security.residents").truth["person_id"])
    for name in ("market_regulation.enterprises", "market_regulation.business_licences"):
        reps = city.table(name).truth["legal_representative_person_id"]
        assert reps.notna().all() and reps.isin(residents).all(), name
    reps = city.enterprises["legal_representative_person_id"]
    birth = persons.loc[reps, "birth_date"]
    established = city.enterprises["established_date"].to_numpy()
    assert all((e - b).days >= 18 * 365 for e, b in zip(established, birth, strict=True))


def test_visitors_have_accidents_and_see_doctors_but_no_register_row(city: City, persons: pd.DataFrame) -> None:
    residents = set(city.table("public_security.residents").truth["person_id"])
    parties = city.table("traffic_police.accidents").truth["person_id"]
    visitors = parties[parties.str.startswith("V")]
    assert 0.03 < len(visitors) / len(parties) < 0.3
    assert not set(visitors) & residents
    assert not persons.loc[visitors, "resident"].any()
    assert not persons.loc[visitors, "id_card_no"].str.startswith("44").any(), "visitors come from other provinces"
    patients = city.table("health.clinic_visits").truth["person_id"]
    assert patients.str.startswith("V").any()
    assert (parties.str.startswith("P")).mean() > 0.7, "most parties are residents"


def test_references_name_real_entities(city: City) -> None:
    refs = references(city)
    assert refs["entity_id"].notna().all()
    people = refs[refs["kind"] == "person"]["entity_id"]
    assert people.isin(city.persons["person_id"]).all()
    firms = refs[refs["kind"] == "enterprise"]["entity_id"]
    assert firms.isin(city.enterprises["enterprise_id"]).all()
    # The employer on a settlement application pays the applicant's social insurance.
    applications = city.table("human_resources.settlement_applications").truth
    insurance = city.table("human_resources.social_insurance").truth
    pairs = set(zip(insurance["person_id"], insurance["employer_enterprise_id"], strict=True))
    with_employer = applications[applications["employer_enterprise_id"].notna()]
    assert all(
        p in pairs for p in zip(with_employer["person_id"], with_employer["employer_enterprise_id"], strict=True)
    )


def test_marriages_pair_a_man_and_a_woman_once(city: City, persons: pd.DataFrame) -> None:
    truth = city.table("civil_affairs.marriages").truth
    first = truth[truth["defect"] != "duplicate"]
    spouses = pd.concat([first["husband_person_id"], first["wife_person_id"]])
    assert spouses.is_unique
    assert (persons.loc[first["husband_person_id"], "gender"] == "男").all()
    assert (persons.loc[first["wife_person_id"], "gender"] == "女").all()
    records = city.table("civil_affairs.marriages").records
    assert records["registration_no"].str.fullmatch(r"J4403\d\d-\d{4}-\d{6,}").all()


def test_accidents_have_parties_plates_and_places(city: City) -> None:
    records = city.table("traffic_police.accidents").records
    parties = records.groupby("accident_no").size()
    assert parties.between(1, 4).all() and (parties == 2).mean() > 0.75
    assert records["party_no"].str.fullmatch(r"4403\d{16,}-\d").all()
    plates = records["plate"].dropna()
    assert plates.str.contains("粤B").mean() > 0.6
    assert plates.str.fullmatch(r"[\u4e00-\u9fff][A-Za-z][· ]?[A-Za-z0-9]{5,6}").all()
    assert not plates.str.startswith("粤").all(), "visitors drive their province's plates"
    assert records["district"].isin(SHENZHEN).mean() > 0.98
    assert records["settled_online"].mean() == pytest.approx(0.7, abs=0.1)


# --------------------------------------------------------------------------
# Determinism and days.
# --------------------------------------------------------------------------


def test_same_seed_same_city_other_seed_other_city(city: City) -> None:
    again = generate_city(SCALE, seed=SEED)
    for a, b in zip(city.tables, again.tables, strict=True):
        pd.testing.assert_frame_equal(a.records, b.records)
        pd.testing.assert_frame_equal(a.truth, b.truth)
    pd.testing.assert_frame_equal(city.persons, again.persons)
    other = generate_city(SCALE, seed=SEED + 1)
    for a, b in zip(city.tables, other.tables, strict=True):
        assert not a.records.equals(b.records), a.name


def test_day_1_changes_the_postgres_tables(city: City, day1: City) -> None:
    start = pd.Timestamp(TODAY, tz="Asia/Shanghai")
    for before in city.tables:
        if before.delivery != "postgres":
            continue
        after = day1.table(before.name)
        truth = after.truth
        inserted = truth[truth["first_day"] == 1][after.key]
        updated = truth[(truth["first_day"] == 0) & (truth["last_day"] == 1)][after.key]
        deleted = after.deleted[after.key]
        assert len(inserted) and len(updated) and len(deleted), before.name
        assert not set(inserted) & set(before.records[before.key]), before.name
        assert not set(deleted) & set(after.records[after.key]), before.name
        assert set(deleted) <= set(before.records[before.key]), before.name
        assert (after.deleted["deleted_day"] == 1).all()
        changed = after.records[after.records[after.key].isin(set(inserted) | set(updated))]
        assert changed["updated_at"].between(start, start + pd.Timedelta(days=1)).all(), before.name
        unchanged = after.records[~after.records[after.key].isin(set(inserted) | set(updated))]
        assert (unchanged["updated_at"] < start).all(), before.name
        old = before.records.set_index(before.key).loc[updated]
        new = after.records.set_index(after.key).loc[updated]
        assert (new["updated_at"] > old["updated_at"]).all()
        compared = [c for c in old.columns if c != "updated_at"]
        assert (old[compared].astype(str) != new[compared].astype(str)).any(axis=1).any(), before.name


def test_files_of_day_n_hold_that_days_new_and_changed_records(city: City, day1: City) -> None:
    start = pd.Timestamp(TODAY, tz="Asia/Shanghai")
    for before in city.tables:
        if before.delivery != "file":
            continue
        drop = day1.table(before.name)
        assert len(drop.records) and (drop.truth["last_day"] == 1).all(), before.name
        assert drop.records["updated_at"].between(start, start + pd.Timedelta(days=1)).all()
        new = drop.truth["first_day"] == 1
        assert set(drop.records[before.key][~new]) <= set(before.records[before.key]), before.name
        assert not set(drop.records[before.key][new]) & set(before.records[before.key]), before.name
        assert inbox_object_name(drop, 1) == f"{drop.department}/{drop.entity}/2026-11-02.{drop.file_format}"
        assert inbox_object_name(before, 0).endswith("/2026-11-01." + str(before.file_format))


def test_the_api_table_can_be_read_incrementally(city: City, day1: City) -> None:
    before, after = city.table("traffic_police.accidents"), day1.table("traffic_police.accidents")
    since = before.records["updated_at"].max()
    changed = after.records[after.records["updated_at"] > since]
    assert len(changed) > 0
    truth = after.truth.set_index(after.key).loc[changed[after.key]]
    assert (truth["last_day"] == 1).all()
    assert len(after.records) > len(before.records)


def test_day_2_differs_from_day_1_and_replays_it(day1: City, day2: City) -> None:
    for a, b in zip(day1.tables, day2.tables, strict=True):
        if a.delivery == "file":
            assert not a.records[a.key].equals(b.records[b.key]) or len(a.records) != len(b.records), a.name
            continue
        kept = b.truth[b.truth["first_day"] <= 1][b.key]
        assert set(kept) <= set(a.records[a.key]), a.name
        assert (b.truth["first_day"] == 2).any(), a.name
    again = generate_city(SCALE, seed=SEED, day=2)
    for a, b in zip(day2.tables, again.tables, strict=True):
        pd.testing.assert_frame_equal(a.records, b.records)


def test_schema_drift_from_day_2(day1: City, day2: City) -> None:
    assert "phone" in day1.table("health.vaccinations").records.columns
    vaccinations = day2.table("health.vaccinations").records
    assert "mobile_phone" in vaccinations.columns and "phone" not in vaccinations.columns
    assert "email" not in day1.table("market_regulation.enterprises").records.columns
    enterprises = day2.table("market_regulation.enterprises").records
    assert enterprises.columns[-1] == "email"
    assert enterprises["email"].str.fullmatch(r"[a-z]+\d{0,4}@[a-z0-9.]+\.(com|cn)").all()


def test_newborns_are_registered_and_vaccinated(day1: City) -> None:
    persons = day1.persons
    babies = persons[persons["registered_day"] == 1]
    assert len(babies) >= 1 and babies["resident"].all()
    residents = day1.table("public_security.residents").truth
    assert set(babies["person_id"]) <= set(residents["person_id"])
    vaccinated = day1.table("health.vaccinations").truth["person_id"]
    assert set(babies["person_id"]) <= set(vaccinated)


# --------------------------------------------------------------------------
# Files as delivered.
# --------------------------------------------------------------------------


def test_files_in_their_encodings(city: City) -> None:
    enterprises = file_bytes(city.table("market_regulation.enterprises"), 0)
    assert enterprises.startswith(b"\x84\x31\x95\x33"), "GB18030 byte-order mark"
    assert enterprises.decode("gb18030").startswith("\ufeffregistration_no,credit_code,")
    frame = pd.read_csv(io.BytesIO(enterprises), encoding="gb18030", dtype=str)
    assert len(frame) == len(city.table("market_regulation.enterprises").records)

    vaccinations = file_bytes(city.table("health.vaccinations"), 0)
    assert vaccinations.startswith(b"record_no,"), "GBK without a byte-order mark"
    text = vaccinations.decode("gbk")
    assert "疫苗" in text
    with pytest.raises(UnicodeDecodeError):
        vaccinations.decode("utf-8")

    visits = file_bytes(city.table("health.clinic_visits"), 0).decode("utf-8").splitlines()
    first = json.loads(visits[0])
    assert set(first) == set(city.table("health.clinic_visits").records.columns)
    assert first["updated_at"].endswith("+08:00")

    from openpyxl import load_workbook

    licences = city.table("market_regulation.business_licences")
    book = load_workbook(io.BytesIO(file_bytes(licences, 0)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == list(licences.records.columns) and len(rows) == len(licences.records) + 1
    assert file_bytes(licences, 0) == file_bytes(licences, 0), "the same records give the same bytes"
    with zipfile.ZipFile(io.BytesIO(file_bytes(licences, 0))) as workbook:
        core = workbook.read("docProps/core.xml")
        assert b">2026-11-01T00:00:00Z</dcterms:modified>" in core, "not the time of writing"
        assert {info.date_time[:3] for info in workbook.infolist()} == {(2026, 11, 1)}


def test_every_value_fits_its_files_encoding(city: City) -> None:
    for table in city.tables:
        if table.delivery == "file" and table.encoding in ("gbk", "gb18030"):
            file_bytes(table, 0).decode(table.encoding)


# --------------------------------------------------------------------------
# Edges.
# --------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0, 1, 10, 60])
def test_small_cities(scale: int) -> None:
    for day in (0, 2):
        small = generate_city(scale, seed=1, day=day)
        assert len(small.table("public_security.residents").records) >= scale - 2
        for table in small.tables:
            assert table.records[table.key].is_unique


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_city(-1, seed=1)
    with pytest.raises(ValueError, match="day"):
        generate_city(10, seed=1, day=-1)
    with pytest.raises(ValueError, match="defect_rate"):
        generate_city(10, seed=1, defect_rate=0.9)
    with pytest.raises(ValueError, match="seed"):
        generate_city(10, seed=-5)


def test_distribution_of_ages_and_subsidies(city: City, persons: pd.DataFrame) -> None:
    subsidies = joined(city.table("civil_affairs.subsidies"))
    old_age = subsidies[(subsidies["subsidy_type"] == "高龄津贴") & subsidies["defect"].isna()]
    birth = persons.loc[old_age["person_id"], "birth_date"]
    assert all((TODAY - b).days >= 80 * 365 for b in birth)
    amounts = subsidies["monthly_amount"].dropna()
    assert amounts.between(100, 3000).all()
    assert np.isfinite(amounts).all()


def test_cli_generates_a_day_and_reports_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """``silobreak city generate --day``: wiring only, with the stack and the writing faked."""
    from typer.testing import CliRunner

    from silobreak import cli
    from silobreak.city import writers
    from silobreak.stack.postgres import Postgres
    from silobreak.stack.s3 import S3Server

    delivered: list[tuple[int, list[str]]] = []

    def fake_write_city(
        city: City, stack: Any, *, progress: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        for table in city.tables:
            if progress is not None:
                progress(table.name, len(table.records))
        delivered.append((city.day, [t.name for t in city.tables]))
        return {t.name: len(t.records) for t in city.tables}

    monkeypatch.setattr(Postgres, "running", lambda self: True)
    monkeypatch.setattr(S3Server, "running", lambda self: True)
    monkeypatch.setattr(writers, "write_city", fake_write_city)
    result = CliRunner().invoke(cli.app, ["city", "generate", "--scale", "40", "--seed", "3", "--day", "2"])
    assert result.exit_code == 0, result.output
    assert delivered and delivered[0][0] == 2 and len(delivered[0][1]) == len(MODELS)


def test_clinic_and_insurance_records_are_plausible(city: City, persons: pd.DataFrame) -> None:
    visits = joined(city.table("health.clinic_visits"))
    age = visits["person_id"].map(lambda p: (TODAY - persons.loc[p, "birth_date"]).days / 365.25)
    gender = visits["person_id"].map(persons["gender"])
    assert not visits.loc[age >= 18, "department"].eq("儿科").any()
    assert not visits.loc[gender == "男", "department"].eq("妇科").any()
    insurance = joined(city.table("human_resources.social_insurance"))
    plain = insurance[insurance["defect"].isna() & insurance["variation"].isna()]
    assert (plain["start_month"] >= "1995-01").all()
    retired = plain[plain["status"] == "退休"]
    assert retired["employer_credit_code"].isna().all() and retired["monthly_base"].isna().all()
