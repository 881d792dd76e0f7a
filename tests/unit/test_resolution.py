"""Entity resolution's parts without a database: Chinese names, IDs, clustering, stable ids, scoring."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from silobreak.contracts import get_contract, load_contracts
from silobreak.onboarding import PERSON_UNION, person_roles, person_union_sql
from silobreak.resolution import chinese, clusters, ids, scoring
from silobreak.resolution.features import record_key, trusted_resident_id, unmasked_resident_id
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
