"""Feeds from every kind of source the city has: an HTTP API read incrementally, and inbox files in
GB18030 CSV with BOM, XLSX and JSON Lines, each landed byte for byte and loaded without losing a row.

The steps run in-process here (the Airflow path is covered by test_feed_pipeline and the tutorial).
"""

from __future__ import annotations

import hashlib

import psycopg
import pytest

from silobreak.contracts import FileDropSource, get_contract
from silobreak.pipeline import landing, steps
from silobreak.settings import INBOX_BUCKET, SOURCES_DB, Stack
from silobreak.stack.s3 import client as s3_client
from silobreak.warehouse import connect

FILE_FEEDS = {
    "market_regulation__enterprises": ("csv", "gb18030"),
    "market_regulation__business_licences": ("xlsx", "utf-8"),
    "health__clinic_visits": ("jsonl", "utf-8"),
}


def run_feed(stack: Stack, feed: str) -> dict[str, object]:
    landed = steps.extract(feed, stack=stack)
    steps.validate(feed, landed["batches"], stack=stack)
    steps.load(feed, landed["batches"], stack=stack)
    return landed


def counts(stack: Stack, feed: str) -> tuple[int, int, int]:
    contract = get_contract(feed)
    with connect(stack) as conn:
        row = conn.execute(
            "select coalesce(sum(row_count), 0), coalesce(sum(valid_count), 0), coalesce(sum(quarantined_count), 0) "
            "from silobreak.batches where feed = %s and status = 'loaded'",
            (feed,),
        ).fetchone()
        raw = conn.execute(f'select count(*) from "{contract.raw_schema}"."{contract.raw_table}"').fetchone()
    assert row is not None and raw is not None
    assert row[1] == raw[0], "every valid row is in raw"
    assert row[0] == row[1] + row[2], "valid + quarantined = landed: nothing lost"
    return int(row[0]), int(row[1]), int(row[2])


@pytest.mark.parametrize("feed", sorted(FILE_FEEDS))
def test_an_inbox_file_is_landed_unchanged_and_loaded(stack: Stack, feed: str) -> None:
    contract = get_contract(feed)
    assert isinstance(contract.source, FileDropSource)
    s3 = s3_client(stack)
    names = landing.inbox_objects(contract, s3)
    assert names, f"the test city dropped no file for {feed}"
    landed = run_feed(stack, feed)
    assert len(landed["batches"]) == len(names)
    for batch_id, name in zip(landed["batches"], names, strict=True):
        manifest = landing.read_manifest(s3, contract, batch_id)
        assert (manifest.format, manifest.encoding) == FILE_FEEDS[feed]
        sent = landing.get_bytes(s3, INBOX_BUCKET, name)
        assert hashlib.sha256(sent).hexdigest() == manifest.sha256, "landed byte for byte"
    rows, valid, _ = counts(stack, feed)
    assert rows > 0 and valid > 0
    again = steps.extract(feed, stack=stack)
    assert again["new"] == [] and again["batches"] == [], "a file is landed and loaded once"


def test_the_traffic_police_api_is_read_incrementally(stack: Stack) -> None:
    feed = "traffic_police__accidents"
    first = run_feed(stack, feed)
    assert len(first["new"]) == 1
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        total = conn.execute("select count(*) from traffic_police.accidents").fetchone()
    assert total is not None
    assert counts(stack, feed)[0] == total[0], "the first batch pages through every record"
    assert steps.extract(feed, stack=stack)["new"] == [], "nothing changed: nothing new"
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        conn.execute(
            "update traffic_police.accidents set updated_at = now() "
            "where party_no in (select party_no from traffic_police.accidents order by party_no limit 3)"
        )
    second = run_feed(stack, feed)
    assert len(second["new"]) == 1
    manifest = landing.read_manifest(s3_client(stack), get_contract(feed), second["new"][0])
    assert manifest.row_count == 3, "only the changed records"
    with connect(stack) as conn:
        versions = conn.execute(
            "select count(*) from raw_traffic_police.accidents where party_no in "
            "(select party_no from raw_traffic_police.accidents group by party_no having count(*) > 1)"
        ).fetchone()
    assert versions is not None and versions[0] >= 2, "raw keeps every version; staging takes the latest"
