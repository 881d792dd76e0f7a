"""The departments' HTTP JSON API: how the Traffic Police publish their records.

A stand-in for a department system that is read over HTTP rather than from its database. It serves
the tables of the ``departments`` database (schema per department) that are registered in
:data:`PUBLISHED`, read-only, one page at a time::

    GET /api/v1/{department}/{entity}?page=1&page_size=500&updated_since=2026-01-01T00:00:00%2B08:00
    Authorization: Bearer <departments_api_token>

    200 {"items": [{...}, ...], "page": 1, "page_size": 500, "total": 1234,
         "next": "/api/v1/traffic_police/accidents?page=2&page_size=500&updated_since=..." | null}

- ``page`` (>= 1, default 1) and ``page_size`` (1..1000, default 500); anything else is a 400 naming
  the parameter. A page past the end has no items and ``next`` null.
- ``updated_since`` (ISO 8601 with a UTC offset; ``Z`` allowed; a ``+`` that the query string turned
  into a space is read as ``+``) keeps the rows with ``updated_at > updated_since``. ``total`` counts
  the rows that match the filter.
- Rows come in primary-key order, read from the catalog on every request, so the pages of one
  unchanged table partition it exactly. A table without a primary key is refused (409), never paged
  by an unstable order. ``total`` and the page are read in one repeatable-read snapshot.
- Items are the table's columns in table order. Values: text, integers, floats, booleans and JSON as
  themselves; ``numeric`` as a **string** (exact, e.g. ``"12.50"``); ``date``/``time``/``timestamp``
  as ISO 8601 strings (``timestamptz`` rendered in UTC, ``+00:00``; ``timestamp`` without time zone
  as stored, no offset); ``interval`` as an ISO 8601 duration (``P1DT3600S``); ``uuid``/``inet`` as
  strings; ``bytea`` as base64; arrays as lists.
- Errors are JSON ``{"error": "<message>"}``: 401 without the bearer token (only
  ``GET /api/v1/health`` is open), 404 for a table that is not published or not generated yet,
  400 for bad parameters, 409 for a published table without a primary key.

In production SILOBREAK_DEPARTMENTS_API_DSN and SILOBREAK_DEPARTMENTS_API_TOKEN replace the embedded
stack's database and token.
"""

from __future__ import annotations

import base64
import hmac
import math
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

import psycopg
from fastapi import Depends, FastAPI, Header, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import IsolationLevel, sql
from psycopg_pool import ConnectionPool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from silobreak.settings import SOURCES_DB, Stack, current_stack

PUBLISHED: set[tuple[str, str]] = {("traffic_police", "accidents")}
"""(department schema, table) pairs of the ``departments`` database served by the API."""

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 500
UPDATED_AT = "updated_at"


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with the given status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(frozen=True)
class _Table:
    department: str
    entity: str
    key: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.department, self.entity)

    @property
    def name(self) -> str:
        return f"{SOURCES_DB}.{self.department}.{self.entity}"


_TABLE_SQL = """
select c.oid, c.relkind
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p', 'v', 'm', 'f')
"""

_KEY_SQL = """
select a.attname
from pg_index i
cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
where i.indrelid = %s and i.indisprimary
order by k.ord
"""

_COLUMNS_SQL = """
select attname from pg_attribute where attrelid = %s and attnum > 0 and not attisdropped order by attnum
"""


def _describe(conn: psycopg.Connection[Any], department: str, entity: str) -> _Table:
    """The published table's primary key and columns, from the catalog (never cached: the city may
    be regenerated while the API runs)."""
    row = conn.execute(_TABLE_SQL, (department, entity)).fetchone()
    if row is None:
        raise ApiError(
            404,
            f"{SOURCES_DB}.{department}.{entity} does not exist yet: the city has not been generated"
            " (run `silobreak city generate`)",
        )
    oid = row[0]
    key = tuple(r[0] for r in conn.execute(_KEY_SQL, (oid,)).fetchall())
    columns = tuple(r[0] for r in conn.execute(_COLUMNS_SQL, (oid,)).fetchall())
    table = _Table(department, entity, key, columns)
    if not key:
        raise ApiError(
            409,
            f"{table.name} has no primary key, so its pages would not be stable;"
            " the department must declare one before it can be served",
        )
    return table


_SPACED_OFFSET = re.compile(r" (\d{2}(:?\d{2})?)$")


def parse_updated_since(value: str) -> datetime:
    """An ISO 8601 timestamp with a UTC offset; a '+' decoded to ' ' by the query string is put back."""
    text = value.strip()
    candidates = [text, _SPACED_OFFSET.sub(r"+\1", text)]
    naive = False
    for candidate in candidates:
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if parsed.utcoffset() is not None:
            return parsed
        naive = True
    if naive:
        raise ApiError(
            400, f"updated_since: {value!r} has no UTC offset; add one, e.g. 2026-01-01T00:00:00+08:00 or ...Z"
        )
    raise ApiError(400, f"updated_since: {value!r} is not an ISO 8601 timestamp (e.g. 2026-01-01T00:00:00+08:00)")


def _duration(value: timedelta) -> str:
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    seconds = str(value.seconds)
    if value.microseconds:
        seconds += f".{value.microseconds:06d}".rstrip("0")
    return f"{sign}P{value.days}DT{seconds}S"


def to_json(value: Any) -> Any:
    """One column value as JSON (the rules are in the module docstring)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return str(value)  # uuid, inet, ranges...


def _page(
    conn: psycopg.Connection[Any], table: _Table, *, page: int, page_size: int, updated_since: datetime | None
) -> tuple[list[dict[str, Any]], int]:
    where: sql.Composable = sql.SQL("")
    params: list[Any] = []
    if updated_since is not None:
        if UPDATED_AT not in table.columns:
            raise ApiError(400, f"updated_since: {table.name} has no {UPDATED_AT} column to filter on")
        where = sql.SQL(" where {} > %s").format(sql.Identifier(UPDATED_AT))
        params.append(updated_since)
    count_row = conn.execute(sql.SQL("select count(*) from {}").format(table.ident) + where, params).fetchone()
    total = int(count_row[0]) if count_row else 0
    offset = (page - 1) * page_size
    if offset >= total:
        return [], total
    order = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
    query = (
        sql.SQL("select * from {}").format(table.ident)
        + where
        + sql.SQL(" order by {} limit %s offset %s").format(order)
    )
    cur = conn.execute(query, [*params, page_size, offset])
    names = [d.name for d in cur.description or ()]
    items = [{n: to_json(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]
    return items, total


def _configure(conn: psycopg.Connection[Any]) -> None:
    # every request is one read-only snapshot: the count and the page agree
    conn.isolation_level = IsolationLevel.REPEATABLE_READ
    conn.read_only = True


def create_app(stack: Stack | None = None) -> FastAPI:
    """The API for a stack (reads its ``departments`` database, checks its departments_api_token)."""
    stack = stack or current_stack()
    dsn = os.environ.get("SILOBREAK_DEPARTMENTS_API_DSN") or stack.dsn(SOURCES_DB)
    token = os.environ.get("SILOBREAK_DEPARTMENTS_API_TOKEN") or stack.credentials.departments_api_token
    pool = ConnectionPool(
        dsn,
        min_size=1,
        max_size=8,
        open=False,
        configure=_configure,
        kwargs={"options": "-c TimeZone=UTC -c statement_timeout=60000"},
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool.open(wait=True)
        yield
        pool.close()

    app = FastAPI(title="silobreak departments API", version="1", lifespan=lifespan)

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = f"Bearer {token}"
        if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise ApiError(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"error": exc.message}, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"error": str(exc.detail)}, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in err['loc'] if p not in ('query', 'path', 'header'))}: {err['msg']}"
            for err in exc.errors()
        ]
        return JSONResponse(status_code=400, content={"error": "; ".join(problems)})

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/{department}/{entity}", dependencies=[Depends(require_token)])
    def read_table(
        department: str,
        entity: str,
        page: Annotated[int, Query(ge=1, description="1-based page number")] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="rows per page")] = DEFAULT_PAGE_SIZE,
        updated_since: Annotated[
            str | None, Query(description="ISO 8601 timestamp with offset; keeps rows with updated_at > it")
        ] = None,
    ) -> JSONResponse:
        if (department, entity) not in PUBLISHED:
            raise ApiError(404, f"{department}/{entity} is not published through this API")
        since = parse_updated_since(updated_since) if updated_since is not None else None
        with pool.connection() as conn:
            table = _describe(conn, department, entity)
            items, total = _page(conn, table, page=page, page_size=page_size, updated_since=since)
        following = None
        if page * page_size < total:
            query: dict[str, str | int] = {"page": page + 1, "page_size": page_size}
            if since is not None:
                query["updated_since"] = since.isoformat()
            following = f"/api/v1/{department}/{entity}?{urlencode(query)}"
        return JSONResponse({"items": items, "page": page, "page_size": page_size, "total": total, "next": following})

    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory silobreak.city.api:app``."""
    return create_app()
