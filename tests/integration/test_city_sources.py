"""The synthetic city delivered to a real stack: Postgres tables, inbox objects in their encodings, truth.

The session's ``stack`` fixture has already delivered day 0 of the test city
(``seed_city``); these tests read what it wrote, and exercise day 1 only in a
scratch schema and scratch objects, so the other integration tests keep
seeing day 0.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from silobreak.city.generate import generate_city
from silobreak.city.model import City
from silobreak.city.writers import (
    RESIDENTS_TRUTH_CSV,
    _put_once,
    file_bytes,
    inbox_object_name,
    truth_dir,
    write_city,
    write_postgres_table,
)
from silobreak.errors import SilobreakError
from silobreak.settings import INBOX_BUCKET, SOURCES_DB, Stack
from silobreak.stack.s3 import client as s3_client
from tests.conftest import TEST_SCALE, TEST_SEED

SCRATCH = "city_test_scratch"
_PG_TYPES = {"timestamptz": "timestamp with time zone"}


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(TEST_SCALE, seed=TEST_SEED)


def _read_object(stack: Stack, name: str) -> bytes:
    response = s3_client(stack).get_object(INBOX_BUCKET, name)
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


def test_postgres_tables_hold_the_city_with_the_declared_columns(stack: Stack, city: City) -> None:
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        for table in city.tables:
            if table.delivery == "file":
                continue
            columns = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (table.department, table.entity),
            ).fetchall()
            declared = [(c, _PG_TYPES.get(t, t)) for c, t in table.column_types.items()]
            assert [tuple(c) for c in columns] == declared, table.name
            keys = [
                r[0]
                for r in conn.execute(
                    sql.SQL("SELECT {} FROM {}").format(
                        sql.Identifier(table.key), sql.Identifier(table.department, table.entity)
                    )
                )
            ]
            assert sorted(keys) == sorted(table.records[table.key]), table.name
        # Values survive the trip: a null stays null, a date a date, a timestamp the same instant.
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE id_card_no IS NULL), min(updated_at), max(updated_at)"
            " FROM public_security.residents"
        ).fetchone()
    residents = city.table("public_security.residents").records
    assert row == (
        residents["id_card_no"].isna().sum(),
        residents["updated_at"].min().to_pydatetime(),
        residents["updated_at"].max().to_pydatetime(),
    )


def test_inbox_files_are_in_their_declared_encodings(stack: Stack, city: City) -> None:
    enterprises = _read_object(stack, "market_regulation/enterprises/2026-11-01.csv")
    assert enterprises.startswith(b"\x84\x31\x95\x33"), "GB18030 with its byte-order mark"
    text = enterprises.decode("gb18030").removeprefix("\ufeff")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert (
        frame["registration_no"].tolist()
        == city.table("market_regulation.enterprises").records["registration_no"].tolist()
    )
    assert frame["name"].str.startswith("深圳市").mean() > 0.9

    vaccinations = _read_object(stack, "health/vaccinations/2026-11-01.csv")
    assert not vaccinations.startswith(b"\xef\xbb\xbf") and vaccinations.startswith(b"record_no,")
    with pytest.raises(UnicodeDecodeError):
        vaccinations.decode("utf-8")
    frame = pd.read_csv(io.BytesIO(vaccinations), encoding="gbk", dtype=str)
    assert len(frame) == len(city.table("health.vaccinations").records)
    assert frame["vaccine_name"].str.endswith("疫苗").mean() > 0.8

    for table in city.tables:
        if table.delivery == "file":
            assert _read_object(stack, inbox_object_name(table, 0)) == file_bytes(table, 0), table.name
    visits = _read_object(stack, "health/clinic_visits/2026-11-01.jsonl").decode("utf-8").splitlines()
    assert len(visits) == len(city.table("health.clinic_visits").records)
    assert json.loads(visits[0])["visit_no"].startswith("MZ")


def test_truth_is_written_apart(stack: Stack, city: City) -> None:
    out = truth_dir(stack)
    index = json.loads((out / "city.json").read_text(encoding="utf-8"))
    assert (index["scale"], index["seed"], index["day"]) == (TEST_SCALE, TEST_SEED, 0)
    for entry in index["tables"]:
        truth = pd.read_parquet(out / entry["truth"])
        assert len(truth) == entry["records"] == len(city.table(f"{entry['department']}.{entry['entity']}").records)
    residents = pd.read_csv(out / RESIDENTS_TRUTH_CSV, dtype=str)
    assert list(residents.columns) == ["person_no", "person_id", "defect", "variation"]
    assert not (stack.dir / "s3" / "truth").exists()
    listed = [o.object_name for o in s3_client(stack).list_objects(INBOX_BUCKET, recursive=True)]
    assert not [name for name in listed if "truth" in name]


@pytest.fixture
def scratch(stack: Stack) -> Iterator[str]:
    yield SCRATCH
    with psycopg.connect(stack.dsn(SOURCES_DB), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCRATCH)))
    s3 = s3_client(stack)
    for found in s3.list_objects(INBOX_BUCKET, prefix=f"{SCRATCH}/", recursive=True):
        s3.remove_object(INBOX_BUCKET, found.object_name)


def test_day_1_replaces_tables_and_the_inbox_is_write_once(stack: Stack, city: City, scratch: str) -> None:
    # Delivering the same day again changes nothing (the inbox objects are the same bytes).
    assert write_city(city, stack) == {t.name: len(t.records) for t in city.tables}

    day1 = generate_city(TEST_SCALE, seed=TEST_SEED, day=1)
    before = dataclasses.replace(city.table("civil_affairs.subsidies"), department=scratch)
    after = dataclasses.replace(day1.table("civil_affairs.subsidies"), department=scratch)
    dsn = stack.dsn(SOURCES_DB)
    assert write_postgres_table(before, dsn) == len(before.records)
    assert write_postgres_table(after, dsn) == len(after.records)
    with psycopg.connect(dsn) as conn:
        keys = {
            r[0] for r in conn.execute(sql.SQL("SELECT subsidy_no FROM {}.subsidies").format(sql.Identifier(scratch)))
        }
    assert keys == set(after.records["subsidy_no"])
    assert not keys & set(after.deleted["subsidy_no"])

    s3 = s3_client(stack)
    drop = day1.table("health.vaccinations")
    name = f"{scratch}/{inbox_object_name(drop, 1)}"
    data = file_bytes(drop, 1)
    assert _put_once(s3, name, data, "text/csv")
    assert not _put_once(s3, name, data, "text/csv"), "the same bytes again: left alone"
    with pytest.raises(SilobreakError, match="already exists with other content"):
        _put_once(s3, name, data + b"changed", "text/csv")
    assert _read_object(stack, name) == data
