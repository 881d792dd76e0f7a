"""Entity resolution's parts without a database: Chinese names, IDs, clustering, stable ids, scoring."""

from __future__ import annotations

import datetime
import random
import re

import numpy as np
import pandas as pd
import pytest

from silobreak.contracts import get_contract, load_contracts
from silobreak.identifiers import (
    birth_date_from_resident_id,
    gender_from_resident_id,
    is_valid_resident_id,
    resident_id_check_char,
    upgrade_15_digit_id,
)
from silobreak.onboarding import PERSON_UNION, person_roles, person_union_sql
from silobreak.resolution import chinese, clusters, ids, scoring
from silobreak.resolution.features import (
    RECORD_COLUMNS,
    prepare,
    record_key,
    resident_id_parts,
    trusted_resident_id,
    unmasked_resident_id,
)
from silobreak.resolution.matching import Thresholds
from silobreak.settings import REPO_ROOT

ID_A = "44030619950614101X"


def test_traditional_characters_and_full_width_fold_to_one_name() -> None:
    assert chinese.normalise_name("陳 國強") == chinese.normalise_name("陈国强") == "陈国强"
    assert chinese.normalise_name("張\u3000偉") == "张伟"
    assert chinese.normalise_name("乾隆") == "乾隆", "乾 is a simplified character too: left alone"
    assert chinese.normalise_name("  ") is None


def test_homophones_read_the_same() -> None:
    assert chinese.toneless_pinyin("王晓明") == chinese.toneless_pinyin("王小明") == "wangxiaoming"
    assert chinese.toneless_pinyin("王晓明") != chinese.toneless_pinyin("黄晓明")


def test_pinyin_converted_once_per_word_reads_as_pypinyin_does() -> None:
    from pypinyin import lazy_pinyin

    rng = random.Random(5)
    chars = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐曾单解朴仇区查乐覃翟尉迟长孙欧阳晓小明国强伟芳娜行重藏"
    names = ["".join(rng.choices(chars, k=rng.randint(1, 4))) for _ in range(3_000)]
    names += ["银行行长", "重庆", "长孙无忌", "Li Ming", "王A明", "㐀㐁", "123"]
    assert [chinese.toneless_pinyin(n) for n in names] == ["".join(lazy_pinyin(n)) for n in names]


def test_the_dbt_macro_uses_the_same_table() -> None:
    macro = REPO_ROOT / "dbt_project" / "macros" / "traditional_to_simplified.sql"
    assert macro.read_text(encoding="utf-8") == chinese.macro_sql(), (
        "regenerate: python -m silobreak.resolution.chinese > dbt_project/macros/traditional_to_simplified.sql"
    )


def test_a_trusted_id_is_valid_and_18_digits() -> None:
    assert trusted_resident_id(ID_A) == ID_A
    assert trusted_resident_id("440306950614101") == ID_A, "first generation, upgraded"
    assert trusted_resident_id("440306199506141011") is None, "wrong check character"
    assert trusted_resident_id(None) is None


def test_a_masked_id_comes_back_with_the_birth_date_only_if_the_check_agrees() -> None:
    masked = ID_A[:6] + "********" + ID_A[14:]
    assert unmasked_resident_id(masked, datetime.date(1995, 6, 14)) == ID_A
    assert unmasked_resident_id(masked, datetime.date(1995, 6, 15)) is None


def _features(rows: list[tuple[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unique_id", "trusted_id"])


def _pairs(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unique_id_l", "unique_id_r", "match_probability"])


FEATURES = _features([("a1", "X"), ("a2", "X"), ("b", None), ("c", None), ("d", "Y"), ("e", None)])
PAIRS = _pairs([("a1", "b", 0.99), ("b", "c", 0.97), ("d", "e", 0.7), ("b", "d", 0.96)])


def test_ids_decide_then_records_without_one_join_their_best_match() -> None:
    result = clusters.resolve(FEATURES, PAIRS, Thresholds(link=0.95, review=0.5))
    key = result.assignment.set_index("unique_id")["cluster_key"]
    assert key["a1"] == key["a2"] == key["b"] == key["c"] == "id:X", "b's best match is a1; c follows b"
    assert key["d"] == "id:Y" and key["e"] not in ("id:X", "id:Y")
    assert list(map(tuple, result.review[["unique_id_l", "unique_id_r"]].to_numpy())) == [("d", "e")]


def test_governance_decisions_override_the_model() -> None:
    decisions = {clusters.pair_key("d", "e"): True, clusters.pair_key("a1", "b"): False}
    result = clusters.resolve(FEATURES, PAIRS, Thresholds(), decisions)
    key = result.assignment.set_index("unique_id")["cluster_key"]
    assert key["e"] == "id:Y", "accepted: one person"
    assert key["b"] != "id:X", "rejected: b never joins the cluster holding a1"
    assert result.review.empty


def test_a_rejected_pair_keeps_a_record_and_its_group_out_of_the_other_records_cluster() -> None:
    features = _features([("a1", "X"), ("a2", "X"), ("b", None), ("c", None)])
    pairs = _pairs([("b", "c", 0.99), ("a2", "b", 0.97)])
    decisions = {clusters.pair_key("a1", "b"): False}
    key = clusters.resolve(features, pairs, Thresholds(link=0.95, review=0.5)).assignment.set_index("unique_id")
    assert key.loc["b", "cluster_key"] == key.loc["c", "cluster_key"] == "id:X", "without the decision: one person"
    key = clusters.resolve(features, pairs, Thresholds(link=0.95, review=0.5), decisions).assignment
    key = key.set_index("unique_id")
    assert key.loc["b", "cluster_key"] == key.loc["c", "cluster_key"] != "id:X", "b (and c with it) not with a1"


def test_a_cluster_keeps_its_id_and_merges_and_splits_are_recorded() -> None:
    first = pd.DataFrame({"unique_id": ["r1", "r2", "r3", "r4"], "cluster_key": ["k1", "k1", "k2", "k2"]})
    ids1 = ids.carry(first, {})
    assert ids.carry(first, {}).ids == ids1.ids, "the same clusters get the same ids from scratch"
    previous = {u: ids1.ids[k] for u, k in zip(first.unique_id, first.cluster_key, strict=True)}
    merged = pd.DataFrame({"unique_id": ["r1", "r2", "r3", "r4", "r5"], "cluster_key": ["m"] * 4 + ["n"]})
    ids2 = ids.carry(merged, previous)
    assert ids2.ids["m"] == ids1.ids["k1"], "ties go to the smallest key: k1's id survives"
    assert [e[0] for e in ids2.events] == ["merge"] and ids2.events[0][2] == ids1.ids["k2"]
    split = pd.DataFrame({"unique_id": ["r1", "r2", "r3"], "cluster_key": ["s", "s", "t"]})
    ids3 = ids.carry(split, {"r1": "A", "r2": "A", "r3": "A"})
    assert ids3.ids["s"] == "A" and ids3.ids["t"] != "A"
    assert [e[0] for e in ids3.events] == ["split"]


def test_a_new_cluster_never_takes_an_id_held_outside_the_records_seen() -> None:
    """An incremental run sees part of the records: ids held elsewhere are passed as issued."""
    part = pd.DataFrame({"unique_id": ["r9"], "cluster_key": ["k1"]})
    held_elsewhere = ids.new_id("k1")
    assert ids.carry(part, {}).ids["k1"] == held_elsewhere
    assert ids.carry(part, {}, issued={held_elsewhere}).ids["k1"] != held_elsewhere


def test_link_ties_resolve_the_same_whatever_order_pairs_arrive_in() -> None:
    """Clustering only part of the records must equal clustering all: no dependence on pair order."""
    features = _features([("a", "X"), ("b", "Y"), ("c", None)])
    pairs = _pairs([("a", "c", 0.97), ("b", "c", 0.97)])
    forward = clusters.resolve(features, pairs, Thresholds()).assignment
    backward = clusters.resolve(features, pairs.iloc[::-1].reset_index(drop=True), Thresholds()).assignment
    assert forward.equals(backward)
    assert forward.set_index("unique_id").at["c", "cluster_key"] == "id:X"


def test_pairwise_scores() -> None:
    truth = pd.Series(["p", "p", "p", "q"], index=list("abcd"))
    assert scoring.pairwise(truth, truth).f1 == 1.0
    score = scoring.pairwise(pd.Series(["1", "1", "2", "2"], index=list("abcd")), truth)
    assert (score.predicted, score.true, score.correct) == (2, 3, 1)
    assert score.precision == 0.5 and score.recall == pytest.approx(1 / 3)


def test_a_marriage_names_two_persons() -> None:
    roles = person_roles(get_contract("civil_affairs__marriages"))
    assert roles == {
        "husband": {"name": "husband_name", "resident_id": "husband_id_card_no"},
        "wife": {"name": "wife_name", "resident_id": "wife_id_card_no"},
    }
    enterprise = person_roles(get_contract("market_regulation__enterprises"))
    assert enterprise == {"": {"resident_id": "legal_representative_id_card_no", "name": "legal_representative"}}


def test_the_generated_person_union_is_up_to_date() -> None:
    assert PERSON_UNION.read_text(encoding="utf-8") == person_union_sql(load_contracts()), "run `silobreak feed sync`"


def test_record_keys_name_the_role() -> None:
    assert record_key("civil_affairs__marriages", "J1", "wife") == "civil_affairs__marriages|J1|wife"
    assert record_key("health__vaccinations", "YM1", None) == "health__vaccinations|YM1|"


FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def _generated_ids(rng: random.Random, n: int) -> list[tuple[object, datetime.date | None]]:
    """Resident IDs as departments send them (valid, mistyped, first-generation, masked, full-width,
    spaced, lower-case x, impossible or future birth dates, missing), each with the birth date it
    was made from if that is a real date."""
    values: list[tuple[object, datetime.date | None]] = []
    for _ in range(n):
        year = rng.choice([rng.randint(1930, 2024), rng.randint(1880, 2040)])
        month, day = rng.choice([(rng.randint(1, 12), rng.randint(1, 28)), (rng.randint(0, 13), rng.randint(0, 31))])
        first17 = f"{rng.choice(['440303', '440306', '110101'])}{year:04d}{month:02d}{day:02d}{rng.randrange(1000):03d}"
        check = resident_id_check_char(first17)
        wrong = "0123456789X"[("0123456789X".index(check) + rng.randint(1, 10)) % 11]
        try:
            born: datetime.date | None = datetime.date(year, month, day)
        except ValueError:
            born = None
        values.append(
            (
                rng.choice(
                    [
                        first17 + check,
                        first17 + check,
                        first17 + wrong,
                        first17 + check.lower(),
                        first17[:6] + first17[8:],  # 15 digits, century implied
                        first17[:6] + "********" + first17[14:] + check,
                        first17[:6] + "********" + first17[14:] + wrong,
                        (first17 + check).translate(FULL_WIDTH),
                        (first17[:6] + first17[8:]).translate(FULL_WIDTH),
                        f" {first17[:9]} {first17[9:]}{check}",
                        first17,
                        first17[:6] + first17[8:] + "1",
                        "",
                        None,
                        float("nan"),
                    ]
                ),
                born,
            )
        )
    return values


def test_resident_id_parts_agree_with_the_per_value_functions() -> None:
    values = [v for v, _ in _generated_ids(random.Random(7), 20_000)]
    trusted, births, genders = resident_id_parts(np.array(values, dtype=object))
    expected = [trusted_resident_id(v) for v in values]
    assert list(trusted) == expected
    assert sum(t is not None for t in expected) > 5_000, "the generator makes enough valid IDs"
    assert list(births) == [birth_date_from_resident_id(t) if t else None for t in expected]
    assert list(genders) == [gender_from_resident_id(t) if t else None for t in expected]


def _expected_features(row: dict[str, object]) -> dict[str, object]:
    """One record's features, rule by rule from silobreak.identifiers and the name functions."""
    rid = row["resident_id"]
    trusted = None
    if isinstance(rid, str) and rid:
        candidate = upgrade_15_digit_id(rid) if re.fullmatch("[0-9]{15}", rid) else rid
        trusted = candidate if is_valid_resident_id(candidate) else None
    birth = None if pd.isna(row["birth_date"]) else row["birth_date"]
    if isinstance(birth, datetime.datetime):
        birth = birth.date()
    if not isinstance(birth, datetime.date):
        birth = birth_date_from_resident_id(trusted) if trusted else None
    gender = {"男": "M", "女": "F", "M": "M", "F": "F"}.get(row["gender"]) if isinstance(row["gender"], str) else None
    id_key = trusted
    masked = re.fullmatch(r"([0-9]{6})\*{8}([0-9]{3})([0-9X])", rid) if isinstance(rid, str) else None
    if not trusted and masked and birth:
        first17 = masked.group(1) + birth.strftime("%Y%m%d") + masked.group(2)
        id_key = first17 + masked.group(3) if resident_id_check_char(first17) == masked.group(3) else None
    name = chinese.normalise_name(row["person_name"])
    mobile = row["mobile"]
    return {
        "unique_id": f"{row['source_feed']}|{row['source_record']}|{row['source_role'] or ''}",
        "trusted_id": trusted,
        "id_key": id_key,
        "name_s": name,
        "name_py": chinese.toneless_pinyin(name),
        "surname": name[0] if name else None,
        "birth_date": birth.isoformat() if birth else None,
        "gender": gender or (gender_from_resident_id(trusted) if trusted else None),
        "mobile": mobile if isinstance(mobile, str) and mobile else None,
    }


@pytest.mark.parametrize("dtype", [object, None])
def test_prepare_computes_each_feature_as_the_rules_say(dtype: type | None) -> None:
    rng = random.Random(11)
    generated = _generated_ids(rng, 5_000)
    names = ["陳國強", "陈国强", "王晓明", "王小明", "張\u3000偉", "乾隆", "  ", "", None, "Ｌｉ Ｍｉｎｇ", "欧阳·娜娜"]
    births: list[object] = [
        None,
        datetime.date(1995, 6, 14),
        datetime.datetime(1980, 1, 2, 3, 4),
        pd.Timestamp("1970-12-31"),
        pd.NaT,
    ]
    rows = []
    for i, (rid, born) in enumerate(generated):
        birth = born if rng.random() < 0.5 else rng.choice(births)  # often the ID's own birth date
        rows.append(
            {
                "source_department": "d",
                "source_feed": rng.choice(["civil_affairs__marriages", "health__vaccinations"]),
                "source_record": f"R{i % 4000}",
                "source_role": rng.choice(["", "wife"] + ([None] if dtype is object else [])),
                "source_batch": "b",
                "resident_id": rid,
                "person_name": rng.choice(names),
                "gender": rng.choice(["男", "女", "M", "F", "X", "", None]),
                "birth_date": birth,
                "mobile": rng.choice(["13800138000", "", None, float("nan")]),
                "address": None,
                "source_updated_at": None,
            }
        )
    records = pd.DataFrame(rows, dtype=dtype)
    expected = pd.DataFrame([_expected_features(r) for r in rows])
    assert expected["id_key"].notna().sum() > expected["trusted_id"].notna().sum(), "some masked IDs complete"
    pd.testing.assert_frame_equal(prepare(records), expected)


def test_prepare_on_records_that_carry_only_their_key_and_on_none() -> None:
    rows = [
        {c: None for c in RECORD_COLUMNS} | {"source_feed": "f", "source_record": str(i), "source_role": ""}
        for i in range(3)
    ]
    expected = pd.DataFrame([_expected_features(r) for r in rows])
    pd.testing.assert_frame_equal(prepare(pd.DataFrame(rows)), expected)
    pd.testing.assert_frame_equal(prepare(pd.DataFrame(rows, dtype=object)), expected)
    empty = prepare(pd.DataFrame({c: [] for c in RECORD_COLUMNS}))
    assert empty.empty and list(empty.columns) == list(expected.columns)
