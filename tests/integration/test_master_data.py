"""Master data end to end on the test city: every feed loaded, persons resolved, registers built;
scored against the city's truth, which only tests read."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from silobreak.city.seed import seed_city
from silobreak.city.writers import truth_dir
from silobreak.contracts import load_contracts
from silobreak.pipeline import steps, transform
from silobreak.resolution import scoring, store
from silobreak.resolution.features import record_key
from silobreak.resolution.run import resolve_persons
from silobreak.settings import Stack
from silobreak.warehouse import connect
from tests.conftest import TEST_SCALE, TEST_SEED

TARGET_F1 = 0.99


def load_every_feed(stack: Stack) -> None:
    for contract in load_contracts():
        landed = steps.extract(contract.feed, stack=stack)
        steps.validate(contract.feed, landed["batches"], stack=stack)
        steps.load(contract.feed, landed["batches"], stack=stack)


def xref(stack: Stack) -> pd.DataFrame:
    with connect(stack) as conn:
        rows = conn.execute(
            "select source_feed, source_record, source_role, master_person_id::text, match_method "
            "from resolution.person_xref where status = 'active'"
        ).fetchall()
    frame = pd.DataFrame(rows, columns=["source_feed", "source_record", "source_role", "master_id", "method"])
    frame.index = [record_key(*k) for k in zip(frame.source_feed, frame.source_record, frame.source_role, strict=True)]
    return frame


def score(stack: Stack) -> scoring.PairwiseScore:
    current = xref(stack)
    return scoring.pairwise(current["master_id"], scoring.true_persons(truth_dir(stack), current))


@pytest.fixture(scope="module")
def day0(stack: Stack) -> dict[str, Any]:
    load_every_feed(stack)
    stats = transform.refresh(stack=stack)
    return {"stats": stats, "xref": xref(stack)}


def test_person_clusters_match_the_truth(stack: Stack, day0: dict[str, Any]) -> None:
    result = score(stack)
    assert result.true > 1000, "the test city's departments share many persons"
    assert result.f1 >= TARGET_F1, result.as_dict()
    methods = day0["stats"]["resolve"]["methods"]
    assert methods.get("probabilistic", 0) > 100, "records without a resident ID are matched by Splink"


def test_both_spouses_of_a_marriage_are_person_records(day0: dict[str, Any]) -> None:
    marriages = day0["xref"][day0["xref"].source_feed == "civil_affairs__marriages"]
    assert set(marriages.source_role) == {"husband", "wife"}
    both = marriages.groupby("source_record").master_id.nunique()
    assert (both == 2).mean() > 0.95, "husband and wife are two persons"


def test_every_golden_value_names_the_record_that_supplied_it(stack: Stack, day0: dict[str, Any]) -> None:
    with connect(stack) as conn:
        persons, with_id, unsourced, bad_gender = conn.execute(
            """
            select count(*), count(resident_id),
                count(*) filter (where person_name is not null and provenance -> 'person_name' ->> 'batch' is null),
                count(*) filter (where gender is not null and provenance -> 'gender' ->> 'record' is null)
            from master.master_person
            """
        ).fetchone() or (0, 0, 0, 0)
        golden_from_elsewhere = conn.execute(
            """
            select count(*) from master.master_person_provenance g
            where not exists (
                select 1 from resolution.person_xref x
                where x.master_person_id = g.master_person_id and x.source_feed = g.source_feed
                  and x.source_record = g.source_record and x.source_role = g.source_role
            )
            """
        ).fetchone()
    assert persons == day0["stats"]["resolve"]["master_persons"] and with_id > 0.9 * persons
    assert unsourced == bad_gender == 0
    assert golden_from_elsewhere == (0,), "every golden value comes from a record of that person"


def test_enterprises_link_to_their_legal_representative(stack: Stack, day0: dict[str, Any]) -> None:
    with connect(stack) as conn:
        entities, linked, agreeing, licences, licences_linked = conn.execute(
            """
            select count(*), count(e.legal_representative_master_person_id),
                count(*) filter (where p.person_name = e.legal_representative),
                (select count(*) from master.master_licence),
                (select count(master_legal_entity_id) from master.master_licence)
            from master.master_legal_entity e
            left join master.master_person p on p.master_person_id = e.legal_representative_master_person_id
            """
        ).fetchone() or (0, 0, 0, 0, 0)
    assert entities > 300 and linked > 0.9 * entities and agreeing > 0.8 * linked
    assert licences > 300 and licences_linked > 0.9 * licences


def truth_table(stack: Stack, feed: str) -> pd.DataFrame:
    """A feed's truth (the latest day wins), indexed by the record's key."""
    files = sorted((truth_dir(stack) / feed).glob("*[0-9].parquet"))
    truth = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    key = truth.columns[0]
    return truth.drop_duplicates(key, keep="last").set_index(key)


def true_person_of_master(stack: Stack) -> pd.Series:
    """Each master person's true person: the one most of its records are."""
    current = xref(stack)
    truth = scoring.true_persons(truth_dir(stack), current).reindex(current.index)
    frame = pd.DataFrame({"master_id": current["master_id"], "person_id": truth}).dropna()
    return frame.groupby("master_id")["person_id"].agg(lambda persons: persons.mode().iloc[0])


def test_licences_are_keyed_by_kind_and_number(stack: Stack, day0: dict[str, Any]) -> None:
    with connect(stack) as conn:
        licences, ids, kinds_and_numbers, wrong_id = conn.execute(
            """
            select count(*), count(distinct master_licence_id), count(distinct (licence_kind, licence_no)),
                count(*) filter (where master_licence_id <> md5('licence:' || licence_kind || '|' || licence_no)::uuid)
            from master.master_licence
            """
        ).fetchone() or (0, 0, 0, 0)
        primary_key = conn.execute(
            """
            select string_agg(a.attname, ',') from pg_index i
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
            where i.indrelid = 'master.master_licence'::regclass and i.indisprimary
            """
        ).fetchone()
    assert licences > 300 and licences == ids == kinds_and_numbers and wrong_id == 0
    assert primary_key == ("master_licence_id",)


def test_licences_name_their_legal_representative(stack: Stack, day0: dict[str, Any]) -> None:
    """The licence's representative is the holder's, checked against the person the city says the
    licence names; a representative the licence misspells is flagged, and only such a one."""
    with connect(stack) as conn:
        rows = conn.execute(
            "select source_feed, licence_no, legal_representative, legal_representative_master_person_id::text, "
            "legal_representative_disagrees from master.master_licence where master_legal_entity_id is not null"
        ).fetchall()
    licences = pd.DataFrame(rows, columns=["feed", "licence_no", "named", "master_id", "disagrees"])
    licences = licences.sort_values(["feed", "licence_no"]).reset_index(drop=True)
    truth = pd.concat(  # numbers repeat across kinds: each feed's truth for its own licences, in order
        [truth_table(stack, str(feed)).reindex(group["licence_no"]) for feed, group in licences.groupby("feed")],
        ignore_index=True,
    )
    misspelt = (truth["variation_column"] == "legal_representative") & truth["variation"].isin(
        ["homophone_name", "similar_char_name"]
    )
    linked = licences["master_id"].notna()
    persons = true_person_of_master(stack).reindex(licences.loc[linked, "master_id"]).to_numpy()
    right = (persons == truth.loc[linked, "legal_representative_person_id"].to_numpy()).mean()
    assert linked.mean() > 0.9 and right >= 0.99, f"{linked.mean():.3f} linked, {right:.4f} to the right person"
    flagged = licences["disagrees"].fillna(False).astype(bool)
    assert misspelt.sum() > 0, "the city misspells some licences' representatives"
    assert not (flagged & ~misspelt).any(), "in the city every licence names its holder's representative"
    assert (flagged & misspelt).sum() >= 0.8 * misspelt.sum(), "a misspelt representative is flagged"
    assert not (linked & flagged).any(), "a disagreeing name links to no one"


def test_addresses_are_keyed_on_their_canonical_spelling(stack: Stack, day0: dict[str, Any]) -> None:
    """The city spells its addresses canonically (road, 号, 栋, 单元, room); varied only by province,
    city and sub-district. So every true enterprise address is one master address, and canonical
    keying merges no two city addresses (the spellings it unites are in the model's unit test)."""
    with connect(stack) as conn:
        rows = conn.execute(
            "select district, detail, mention_count, spelling_count from master.master_address"
        ).fetchall()
        cleaned_text = conn.execute(
            """
            select count(distinct (substring(address from '^深圳市([^市区]{1,4}区)'),
                regexp_replace(address, '^深圳市[^市区]{1,4}区([^区]{1,8}?街道)?', '')))
            from (
                select address from intermediate.int_persons__unioned
                union all select registered_address from staging.stg_market_regulation__enterprises
                union all select premises_address from staging.stg_market_regulation__food_business_licences
            ) as mentions
            where address ~ '^深圳市[^市区]{1,4}区.'
            """
        ).fetchone()
    addresses = pd.DataFrame(rows, columns=["district", "detail", "mentions", "spellings"])
    assert cleaned_text is not None and len(addresses) == cleaned_text[0], "no two city addresses merged"
    assert (addresses["spellings"] > 1).any(), "spellings without the sub-district join the full one"
    registered = set(addresses["district"] + "|" + addresses["detail"])
    enterprises = truth_dir(stack) / "enterprises"
    true = pd.read_parquet(sorted(enterprises.glob("*.parquet"))[-1])["registered_address"]
    parts = true.str.extract(r"^深圳市(?P<district>[^市区]{1,4}区)(?:[^区]{1,8}?街道)?(?P<detail>.+)$")
    found = (parts["district"] + "|" + parts["detail"]).isin(registered).mean()
    assert found > 0.95, f"{found:.3f} of the enterprises' true addresses are master addresses"


def test_a_rerun_keeps_every_master_id(stack: Stack, day0: dict[str, Any]) -> None:
    stats = resolve_persons(stack)
    assert stats["events"] == 0
    again = xref(stack)
    assert again["master_id"].to_dict() == day0["xref"]["master_id"].to_dict()


def test_a_rejected_pair_stays_apart_on_later_runs(stack: Stack, day0: dict[str, Any]) -> None:
    linked = day0["xref"][day0["xref"].method == "probabilistic"]
    record = linked.index[0]
    with connect(stack) as conn:
        reason = conn.execute(
            "select reason from resolution.person_xref where source_feed || '|' || source_record || '|' || "
            "source_role = %s",
            (record,),
        ).fetchone()
    assert reason is not None and reason[0].startswith("matched ")
    partner = reason[0].removeprefix("matched ")
    with connect(stack) as conn, conn.transaction():
        store.queue_decision(conn, record, partner, accept=False, by="test", note="not the same person")
    for _ in range(2):  # the decision holds on every later run
        resolve_persons(stack)
        after = xref(stack)
        assert after.at[record, "master_id"] != after.at[partner, "master_id"]
    with connect(stack) as conn, conn.transaction():
        store.queue_decision(conn, record, partner, accept=True, by="test", note="the same person after all")
    resolve_persons(stack)
    after = xref(stack)
    assert after.at[record, "master_id"] == after.at[partner, "master_id"]
    with connect(stack) as conn:
        events = conn.execute("select count(*) from resolution.person_id_events").fetchone()
    assert events is not None and events[0] >= 1, "the split and the merge back are recorded"


def test_the_next_day_keeps_ids_and_history(stack: Stack, day0: dict[str, Any]) -> None:
    before = xref(stack)
    seed_city(stack, scale=TEST_SCALE, seed=TEST_SEED, day=1)
    load_every_feed(stack)
    stats = transform.refresh(stack=stack)["resolve"]
    assert stats["mode"] == "incremental" and stats["new"] + stats["changed"] > 0
    assert stats["affected"] < stats["records"] / 2, "a day re-clusters only what its changes reach"
    after = xref(stack)
    kept = before.index.intersection(after.index)
    same = (before.loc[kept, "master_id"] == after.loc[kept, "master_id"]).mean()
    assert len(kept) > 0.9 * len(before) and same > 0.995, f"{same:.4f} of the records kept their master id"
    assert score(stack).f1 >= TARGET_F1
    with connect(stack) as conn:
        history = conn.execute(
            "select count(*), count(*) filter (where dbt_valid_to is not null) from history.master_person_history"
        ).fetchone()
    assert history is not None and history[0] > history[1] > 0, "changed persons keep their earlier version"


def registers(stack: Stack) -> dict[str, list[tuple[Any, ...]]]:
    with connect(stack) as conn:
        return {
            table: conn.execute(f"select * from master.{table} order by 1, 2").fetchall()
            for table in ("master_person", "master_person_provenance")
        }


def test_a_day_done_incrementally_equals_a_full_run(stack: Stack, day0: dict[str, Any]) -> None:
    """After the next day's incremental run: scoring every record again with the same model and
    rebuilding the registers from scratch changes nothing."""
    incremental, built = xref(stack), registers(stack)
    with connect(stack) as conn:
        touched = conn.execute(
            "select count(*) from master.master_person where resolved_at = (select max(changed_at) "
            "from resolution.person_changes)"
        ).fetchone()
    assert touched is not None and 0 < touched[0] < len(built["master_person"]) / 2, "only touched persons rebuilt"
    stats = resolve_persons(stack, full=True, retrain=False)
    assert stats["mode"] == "full" and stats["affected"] == stats["records"]
    assert stats["xref_written"] == 0 and stats["events"] == 0 and stats["master_persons_touched"] == 0
    pd.testing.assert_frame_equal(xref(stack), incremental)
    transform.build_registers(stack=stack, full=True)
    assert registers(stack) == built
