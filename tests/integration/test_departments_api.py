"""The departments' HTTP API: token required, stable pages that cover every row once, updated_since,
parameter bounds, and clear errors for tables that are not published, not generated or have no key.

The tests read ``departments.traffic_police.accidents``. If the city generator has not created it,
the tests create a small one (composite primary key) and drop it at the end; otherwise they only read
whatever the generator wrote, and skip the checks that would have to change the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from silobreak.city.api import to_json
from silobreak.settings import SOURCES_DB, Stack

SCHEMA, TABLE = "traffic_police", "accidents"
PATH = f"/api/v1/{SCHEMA}/{TABLE}"
OWN_ROWS = 23
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class Accidents:
    owned: bool
    key: list[str]


def _key_columns(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        """
        select a.attname
        from pg_index i
        cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = %s::regclass and i.indisprimary
        order by k.ord
        """,
        (f"{SCHEMA}.{TABLE}",),
    ).fetchall()
    return [r[0] for r in rows]


def _create_own_table(conn: psycopg.Connection[Any]) -> None:
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
    conn.execute(
        sql.SQL(
            """
            create table {} (
                accident_no text not null,
                party_no integer not null,
                occurred_at timestamptz not null,
                party_role text not null,
                fine numeric(8, 2),
                updated_at timestamptz not null,
                primary key (accident_no, party_no)
            )
            """
        ).format(sql.Identifier(SCHEMA, TABLE))
    )
    rows = []
    for i in range(OWN_ROWS):
        # inserted out of key order, two or three parties per accident, updated_at spread over 23 hours
        accident = f"SZ{(i * 7) % 9:04d}"
        party = i // 9 + 1
        rows.append(
            (
                accident,
                party,
                T0 - timedelta(days=1),
                "driver" if party == 1 else "pedestrian",
                Decimal("200.50") if party == 1 else None,
                T0 + timedelta(hours=i),
            )
        )
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("insert into {} values (%s, %s, %s, %s, %s, %s)").format(sql.Identifier(SCHEMA, TABLE)), rows
        )


@pytest.fixture(scope="module")
def accidents(stack: Stack) -> Iterator[Accidents]:
    with psycopg.connect(stack.dsn(SOURCES_DB), autocommit=True) as conn:
        row = conn.execute("select to_regclass(%s)", (f"{SCHEMA}.{TABLE}",)).fetchone()
        owned = row is None or row[0] is None
        if owned:
            _create_own_table(conn)
        key = _key_columns(conn)
    assert key, f"{SCHEMA}.{TABLE} has no primary key"
    yield Accidents(owned=owned, key=key)
    if owned:
        with psycopg.connect(stack.dsn(SOURCES_DB), autocommit=True) as conn:
            conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(SCHEMA, TABLE)))


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.departments_api_url,
        headers={"Authorization": f"Bearer {stack.credentials.departments_api_token}"},
        timeout=30,
    ) as client:
        yield client


def _db_keys(stack: Stack, key: list[str], since: datetime | None = None) -> list[tuple[Any, ...]]:
    """Every key in key order, as the API renders it."""
    query = sql.SQL("select {} from {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in key), sql.Identifier(SCHEMA, TABLE)
    )
    params: list[Any] = []
    if since is not None:
        query += sql.SQL(" where updated_at > %s")
        params.append(since)
    query += sql.SQL(" order by {}").format(sql.SQL(", ").join(sql.Identifier(c) for c in key))
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        return [tuple(to_json(v) for v in row) for row in conn.execute(query, params).fetchall()]


def _walk(api: httpx.Client, first: str, key: list[str]) -> tuple[list[tuple[Any, ...]], int]:
    """Follow next links from first; returns the keys of every item in order, and total."""
    keys: list[tuple[Any, ...]] = []
    url: str | None = first
    total = None
    pages = 0
    while url is not None:
        response = api.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "page", "page_size", "total", "next"}
        assert body["page"] == pages + 1
        assert len(body["items"]) <= body["page_size"]
        if body["next"] is not None:
            assert len(body["items"]) == body["page_size"]  # only the last page is short
        total = body["total"] if total is None else total
        assert body["total"] == total
        keys.extend(tuple(item[c] for c in key) for item in body["items"])
        url = body["next"]
        pages += 1
    assert total is not None
    return keys, total


def _page_size(n: int) -> int:
    return 7 if n <= 200 else 1000


def test_health_needs_no_token(stack: Stack) -> None:
    response = httpx.get(f"{stack.departments_api_url}/api/v1/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}])
def test_the_token_is_required(stack: Stack, accidents: Accidents, headers: dict[str, str]) -> None:
    response = httpx.get(f"{stack.departments_api_url}{PATH}", headers=headers, timeout=10)
    assert response.status_code == 401
    assert "token" in response.json()["error"]


def test_pages_cover_every_row_exactly_once_in_key_order(stack: Stack, api: httpx.Client, accidents: Accidents) -> None:
    expected = _db_keys(stack, accidents.key)
    size = _page_size(len(expected))
    keys, total = _walk(api, f"{PATH}?page_size={size}", accidents.key)
    assert total == len(expected)
    assert len(keys) == len(set(keys))
    assert keys == expected
    assert len(expected) > size or not accidents.owned  # our own table spans several pages


def test_a_page_past_the_end_is_empty(api: httpx.Client, accidents: Accidents) -> None:
    body = api.get(PATH, params={"page": 10**9, "page_size": 1000}).json()
    assert body["items"] == [] and body["next"] is None and body["page"] == 10**9


def test_updated_since_keeps_later_rows(stack: Stack, api: httpx.Client, accidents: Accidents) -> None:
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        row = conn.execute(
            sql.SQL("select percentile_disc(0.5) within group (order by updated_at) from {}").format(
                sql.Identifier(SCHEMA, TABLE)
            )
        ).fetchone()
    assert row is not None and row[0] is not None
    since: datetime = row[0]
    expected = _db_keys(stack, accidents.key, since)
    assert 0 < len(expected) < len(_db_keys(stack, accidents.key))
    size = _page_size(len(expected))
    query = httpx.QueryParams({"page_size": size, "updated_since": since.isoformat()})
    keys, total = _walk(api, f"{PATH}?{query}", accidents.key)
    assert total == len(expected)
    assert keys == expected
    # the same instant in Shenzhen time, with the '+' left unencoded (a query string reads it as a space)
    local = since.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo).isoformat()
    response = api.get(f"{PATH}?page_size=1&updated_since={local}")
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=0", "page"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-01-01T00:00:00", "updated_since"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(
    api: httpx.Client, accidents: Accidents, query: str, parameter: str
) -> None:
    response = api.get(f"{PATH}?{query}")
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{parameter}:"), response.text


def test_page_size_bounds_are_inclusive(api: httpx.Client, accidents: Accidents) -> None:
    for size in (1, 1000):
        response = api.get(PATH, params={"page_size": size})
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == min(size, response.json()["total"])


@pytest.mark.parametrize("path", ["/api/v1/traffic_police/nothing", "/api/v1/public_security/residents"])
def test_unpublished_tables_are_not_found(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert "not published" in response.json()["error"]


def test_values_are_rendered_as_documented(api: httpx.Client, accidents: Accidents) -> None:
    if not accidents.owned:
        pytest.skip("the generator's table: its columns are not ours to assert")
    item = api.get(PATH, params={"page_size": 1}).json()["items"][0]
    assert item == {
        "accident_no": "SZ0000",
        "party_no": 1,
        "occurred_at": "2026-02-28T08:00:00+00:00",
        "party_role": "driver",
        "fine": "200.50",
        "updated_at": "2026-03-01T08:00:00+00:00",
    }


def test_a_table_without_primary_key_is_refused_clearly(stack: Stack, api: httpx.Client, accidents: Accidents) -> None:
    if not accidents.owned:
        pytest.skip("would alter the generator's table")
    with psycopg.connect(stack.dsn(SOURCES_DB), autocommit=True) as conn:
        conn.execute(sql.SQL("alter table {} drop constraint accidents_pkey").format(sql.Identifier(SCHEMA, TABLE)))
        try:
            response = api.get(PATH)
        finally:
            conn.execute(
                sql.SQL("alter table {} add primary key (accident_no, party_no)").format(sql.Identifier(SCHEMA, TABLE))
            )
    assert response.status_code == 409
    assert "primary key" in response.json()["error"]


def test_a_missing_table_says_to_generate_the_city(stack: Stack, api: httpx.Client, accidents: Accidents) -> None:
    if not accidents.owned:
        pytest.skip("would hide the generator's table")
    with psycopg.connect(stack.dsn(SOURCES_DB), autocommit=True) as conn:
        conn.execute(sql.SQL("alter table {} rename to accidents_hidden").format(sql.Identifier(SCHEMA, TABLE)))
        try:
            response = api.get(PATH)
        finally:
            conn.execute(
                sql.SQL("alter table {} rename to {}").format(
                    sql.Identifier(SCHEMA, "accidents_hidden"), sql.Identifier(TABLE)
                )
            )
    assert response.status_code == 404
    assert "silobreak city generate" in response.json()["error"]
